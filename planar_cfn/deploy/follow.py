"""Following a stack operation to its end: its events streamed (with the ECS
service's beside them), then the end said: complete (the protections settled, the
service verified, the outputs), failed with its root cause and what to do next, or
stopped waiting while CloudFormation carries on. Also --watch, which follows the
operation under way, or says how the last one ended."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..aws.gateway import AWS_FAILURES, why
from ..errors import ExitCode, InputError
from . import (
    plan,
    presentation,
    progress,
    protections,
    service_deployments,
    service_events,
    verification,
)
from .session import Session

__all__ = ["finish", "follow", "watch"]


def follow(
    s: Session, stream: progress.EventStream, operation: str, template: Mapping[str, Any] | None
) -> ExitCode:
    """Stream the stack's events until the operation ends, then say how it ended;
    `template` is the one deployed, when the run already has it."""
    view = presentation.view_for(s.out)
    beside = (
        None
        if operation == plan.DELETE
        else service_events.ServiceEvents(
            s.aws.client("ecs"),
            s.aws.client("logs"),
            s.options.timeout,
            stages=service_deployments.DeploymentStages(
                s.aws.client("ecs"), s.aws.client("cloudwatch")
            ),
        )
    )
    try:
        final = progress.watch(s.cfn, stream, view, s.runtime.clock, s.timeout_seconds, beside)
    except KeyboardInterrupt:
        return _stopped(s, stream, operation, template, "interrupted")
    except progress.WatchTimeout:
        timed_out = f"timed out after {s.options.timeout} minute(s)"
        return _stopped(s, stream, operation, template, timed_out)
    except AWS_FAILURES as error:
        # Expired credentials, say: the operation goes on whatever we can read.
        return _stopped(s, stream, operation, template, f"AWS error: {why(error)}", aws_error=True)
    stages = beside.stages if beside is not None else None
    rolled_back = stages.rolled_back if stages is not None else ""
    return finish(s, final, stream, operation, template, rolled_back)


def _stopped(
    s: Session,
    stream: progress.EventStream,
    operation: str,
    template: Mapping[str, Any] | None,
    reason: str,
    aws_error: bool = False,
) -> ExitCode:
    try:
        stack = progress.describe_stack(s.cfn, stream.stack_id) or {}
    except AWS_FAILURES:
        stack = {}
    status = stack.get("StackStatus")
    if status and progress.is_final(status):
        return finish(s, stack, stream, operation, template)
    message = presentation.stopped_waiting(
        reason,
        s.stack_name,
        status,
        operation=operation,
        stage=s.stage.name,
        region=s.aws.region,
        protected=s.stage.protected,
        aws_error=aws_error,
        still_off=[(p.what, p.command) for p in s.off],
        prog=s.prog,
    )
    s.warn(message)
    return ExitCode.STILL_CHANGING


def finish(
    s: Session,
    final: Mapping[str, Any],
    stream: progress.EventStream,
    operation: str,
    template: Mapping[str, Any] | None,
    rolled_back: str = "",
) -> ExitCode:
    """Say how the operation ended, with what a protected stage and the service need;
    `rolled_back` says which alarm made ECS roll the service's deployment back, if one did."""
    s.final = final
    status = final["StackStatus"]
    if status in progress.SUCCEEDED:
        s.say("", f"Stack {s.stack_name}: {status}.")
    if operation != plan.DELETE:
        off, s.off = s.off, []
        protections.settle(
            off, stream.seen, status, s.stack_name, s.aws.region, s.out, s.err, s.prog
        )
    # Also after a rolled-back update: it may follow a policy lifted for a replacement.
    protect = s.stage.protected and operation != plan.DELETE
    if protect and status in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"):
        deployed = template or s.deployed_template(final["StackId"])
        stack = f"stack {s.stack_name} is {status}"
        # --watch protects a complete stack.
        again = s.command("--watch")
        s.say(protections.protect(s.aws, final["StackId"], deployed, stack=stack, again=again))
    if status in progress.SUCCEEDED:
        if operation == plan.DELETE:
            return ExitCode.OK
        if rolled_back:
            # The stack is complete, but the service runs the revision it had before.
            s.warn(
                f"{s.prog}: error: {operation.lower()} failed: {rolled_back}; "
                f"service of stack {s.stack_name} runs its previous revision"
            )
            return ExitCode.FAILED
        if status in verification.VERIFIED_AFTER:
            return verification.after_deploy(s, final)
        return s.show_outputs(final)
    next_step = plan.STUCK.get(status, "").format(
        name=s.stack_name, stage=s.stage.name, prog=s.prog, role=s.role_flag
    )
    lines = presentation.failure_lines(
        operation,
        s.stack_name,
        status,
        progress.root_causes(stream.seen),
        final.get("StackStatusReason", ""),
        next_step,
        prog=s.prog,
        rolled_back=rolled_back,
    )
    s.warn(*lines)
    return ExitCode.FAILED


def watch(s: Session) -> ExitCode:
    """--watch: follow the operation under way, or say how the last one ended."""
    stack = s.describe()
    if stack is None:
        raise InputError(f"--watch: stack {s.stack_name} does not exist in {s.aws.region}")
    status = stack["StackStatus"]
    operation = plan.watched_operation(status)
    stream = progress.EventStream(s.cfn, stack["StackId"])
    if status == "REVIEW_IN_PROGRESS":
        s.say(
            f"Stack {s.stack_name} is {status}: a change set waits for review "
            "(execute or delete it, or deploy again)."
        )
        return ExitCode.NOT_EXECUTED
    if progress.is_final(status):
        return finish(s, stack, stream, operation, None)
    s.say(f"Watching {s.stack_name} ({status}) ...")
    stream.start()
    return follow(s, stream, operation, None)
