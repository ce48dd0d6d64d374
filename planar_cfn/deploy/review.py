"""The computed change set, shown and decided on: no changes, failed, blocked, a dry
run, or the question (an interactive yes or `yes`) whose answer executes it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ExitCode, OperationFailed
from . import change_set, plan, presentation, protections
from .pending import Pending
from .session import Session

__all__ = ["review"]


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
    s.say("", *change_set.review(ready, s.stack_name, planned.kind, before), "")
    going = ready.load_balancers_going if s.stage.protected else ()
    if going:
        s.say(*presentation.balancer_warning(going, s.stage.name, s.prog), "")
    reasons = plan.blocked(
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
    )
    if reasons:
        s.say(*reasons, presentation.sentence(presentation.discarded(pending.discard())))
        return ExitCode.BLOCKED
    if s.options.dry_run:
        deleted = pending.discard()
        s.say(f"Dry run: {presentation.discarded(deleted)}.")
        return ExitCode.OK if deleted else ExitCode.FAILED
    answer = s.confirm(f"Execute this change set on {s.stack_name}? [y/N] ", ("y", "yes"))
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
