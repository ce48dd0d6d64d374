"""The computed change set, shown and decided on: no changes, failed, blocked, a dry
run, or the question (an interactive yes or `yes`) whose answer executes it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ExitCode, OperationFailed
from . import change_set, plan, plan_document, presentation, protections, review_lines
from .pending import Pending
from .session import Session

__all__ = ["review", "warnings"]

ECS_SERVICE = "AWS::ECS::Service"
# The listener rule whose weights ECS moves as it shifts traffic (template/rollout.py).
PRODUCTION_RULE = "ProductionListenerRule"


def review(
    s: Session,
    pending: Pending,
    ready: change_set.ChangeSet,
    planned: plan.Plan,
    stack: Mapping[str, Any] | None,
    template: Mapping[str, Any],
) -> ExitCode | None:
    """Show the change set and decide; None means execute it."""
    if ready.state is change_set.ChangeSetState.NO_CHANGES:
        _decided(s, ready, planned, "no-changes")
        deleted = pending.discard()
        s.say(f"No changes: stack {s.stack_name} is up to date.")
        if stack and s.stage.protected:
            s.say(protections.protect(s.aws, ready.stack_id, template))
        if stack:
            s.show_outputs(stack)
        return ExitCode.OK if deleted else ExitCode.FAILED
    if ready.state is not change_set.ChangeSetState.READY:
        raise OperationFailed(
            f"the change set failed ({ready.status}, {ready.execution_status or 'not executable'}): "
            f"{ready.reason or 'no reason given'}; {presentation.discarded(pending.discard(), 'it')}"
        )
    before = planned.previous if planned.kind == plan.UPDATE else None
    s.say("", *review_lines.lines(ready, s.stack_name, planned.kind, before, s.no_echo), "")
    notes = warnings(ready, before)
    if notes:
        s.say(*notes, "")
    going = ready.load_balancers_going if s.stage.protected else ()
    if going:
        s.say(*presentation.balancer_warning(going, s.stage.name, s.prog), "")
    reasons = _reverts_traffic(ready) or plan.blocked(
        ready,
        planned.kind,
        s.stage,
        allow_replacement=s.options.allow_replacement,
        stack_name=s.stack_name,
        region=s.aws.region,
        stack_policy=lambda: s.cfn.get_stack_policy(StackName=ready.stack_id).get(
            "StackPolicyBody"
        ),
        prog=s.prog,
        held=template.get("Resources", {}).keys(),
    )
    if reasons:
        _decided(s, ready, planned, "blocked", reasons)
        s.say(*reasons, presentation.sentence(presentation.discarded(pending.discard())))
        return ExitCode.BLOCKED
    if s.options.dry_run:
        _decided(s, ready, planned, "dry-run")
        deleted = pending.discard()
        s.say(f"Dry run: {presentation.discarded(deleted)}.")
        return ExitCode.OK if deleted else ExitCode.FAILED
    answer = s.confirm(f"Execute this change set on {s.stack_name}? [y/N] ", ("y", "yes"))
    _decided(s, ready, planned, {None: "not-executed", True: "execute", False: "declined"}[answer])
    if answer is None:
        s.say(
            *presentation.not_executed_lines(
                ready.id,
                s.stack_name,
                s.aws.region,
                creates_stack=pending.creates_stack,
                going=going,
                stage=s.stage.name,
                protected=s.stage.protected,
                prog=s.prog,
            )
        )
        return ExitCode.NOT_EXECUTED
    if not answer:
        s.say(f"Not executed: {presentation.discarded(pending.discard())}.")
        return ExitCode.NOT_EXECUTED
    return None


def _reverts_traffic(ready: change_set.ChangeSet) -> list[str]:
    """A drift-aware change set that would put the production rule's weights back: after
    a canary or blue/green deployment they point at the target group ECS moved the
    service to, and the template's would send the traffic to the idle one."""
    if not ready.drift_aware or not any(
        c.logical_id == PRODUCTION_RULE and c.action == "Modify" for c in ready.changes
    ):
        return []
    return [
        f"Blocked: this drift-aware change set would put {PRODUCTION_RULE}'s weights back to "
        "the template's. ECS moves them as it shifts traffic, so after a canary or "
        "blue/green deployment they send production to the target group the service now "
        "runs in; the template's could send it all to the idle one. Deploy without "
        "--revert-drift: that rule's drift is expected (--drift leaves it out)."
    ]


def _decided(
    s: Session,
    ready: change_set.ChangeSet,
    planned: plan.Plan,
    decision: str,
    blocked: list[str] | None = None,
) -> None:
    """The review's outcome, kept for the result and written as the plan's JSON."""
    s.reviewed = ready
    changed = (
        review_lines.parameter_changes(planned.previous, ready.parameters, s.no_echo)
        if planned.kind == plan.UPDATE
        else []
    )
    s.write_plan(
        plan_document.from_change_set(
            ready,
            stack=s.stack_name,
            stage=s.stage.name,
            region=s.aws.region,
            operation=planned.kind,
            parameters=changed,
            decision=decision,
            blocked=blocked or (),
        )
    )


def warnings(ready: change_set.ChangeSet, before: Mapping[str, str] | None) -> list[str]:
    """What an update does that its change lines do not say: a service moved to another
    capacity provider strategy (a new deployment), and autoscaling turned off (the task
    count goes back to DesiredCount). `before`: the stack's parameters; None on a create."""
    if before is None:
        return []
    lines = [_strategy_warning(c) for c in ready.changes if _moves_strategy(c)]
    after = ready.parameters
    if before.get("Autoscaling") == "true" and after.get("Autoscaling") == "false":
        count = after.get("DesiredCount", "?")
        lines.append(
            f"Warning: Autoscaling true -> false: this update deletes the scalable target and "
            f"its policies and sets the service's task count to DesiredCount ({count}), "
            "whatever count autoscaling had reached: the running tasks drop (or rise) to "
            f"{count} in this deploy. To keep the capacity, set desired_count first."
        )
    return lines


def _moves_strategy(change: change_set.Change) -> bool:
    # A replacement is blocked (plan.blocked); only an in-place update needs the note.
    return (
        change.resource_type == ECS_SERVICE
        and change.action == "Modify"
        and change.replacement == "False"
        and "CapacityProviderStrategy" in change.properties
    )


def _strategy_warning(change: change_set.Change) -> str:
    if "LaunchType" in change.properties:
        what = (
            "moves from the FARGATE launch type to a capacity provider strategy (once, for "
            "a stack deployed with a launch type)"
        )
    else:
        what = "changes capacity provider strategy (fargate_spot switched)"
    return (
        f"Note: {change.logical_id} {what}, in place: ECS starts a new deployment, "
        "which replaces every task by a rolling update (docs/scaling-and-cost.md)."
    )
