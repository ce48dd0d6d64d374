"""ExecuteChangeSet, with what a protected stage needs around it: the deletion
protection of a load balancer the update replaces or removes goes off just before,
and back on when the update does not run. An execute whose answer is lost (no answer,
one that cannot be read, or a retry refused because the first one runs) may have
started: AWS is asked before anything is deleted."""

from __future__ import annotations

from botocore.exceptions import ClientError

from ..aws.gateway import AWS_FAILURES, DEPLOYER, error_code, rejects_credentials, translate, why
from ..errors import AwsRefused, ExitCode
from . import change_set, presentation, progress, protections
from .pending import Pending
from .session import Session

__all__ = ["execute"]

# A change set that ran, or runs (DescribeChangeSet's ExecutionStatus).
_STARTED = frozenset({"EXECUTE_IN_PROGRESS", "EXECUTE_COMPLETE", "EXECUTE_FAILED"})


def execute(
    s: Session, pending: Pending, name: str, ready: change_set.ChangeSet
) -> ExitCode | None:
    """Execute the reviewed change set; None when it runs, to be followed, else the
    exit code to stop with (the outcome is unknown). In a protected stage, a load
    balancer the update replaces or removes has deletion protection, which would make
    the cleanup at the update's end fail to delete it (the stack still ends
    UPDATE_COMPLETE, the old load balancer left running outside it): its protection
    goes off just before, and back on when the update does not run (refused, Ctrl-C)
    or keeps it (protections.settle)."""
    balancers = (
        [
            protections.balancer(
                s.aws,
                f"deletion protection of the old load balancer {c.physical_id}",
                c.physical_id,
            )
            for c in ready.load_balancers_going
        ]
        if s.stage.protected
        else []
    )
    turned_off: list[protections.Protection] = []
    refused = None
    lost: BaseException | None = None
    try:
        try:
            protections.turn_off(balancers, turned_off, s.out)
        except ClientError as error:
            refused = (
                f"cannot turn off the {balancers[len(turned_off)].what} ({why(error)}), "
                "so the update's cleanup could not delete it: not executed"
            )
        else:
            try:
                s.cfn.execute_change_set(ChangeSetName=ready.id)
            except ClientError as error:
                if rejects_credentials(error):
                    raise  # not the change set's fault: said as for any other call
                if _may_have_run(error):
                    lost = error
                else:  # refused: it never started
                    refused = f"CloudFormation refused to execute change set {name} ({why(error)})"
            except AWS_FAILURES as error:
                lost = error  # no answer, or one that could not be read: it may run
    except BaseException:
        # Ctrl-C: the update is not known to run, so nothing may stay unprotected.
        protections.turn_on(turned_off, s.out, s.err, s.prog)
        raise
    if lost is not None:
        return _answer_lost(s, pending, name, ready, balancers, lost)
    if refused:
        protections.turn_on(turned_off, s.out, s.err, s.prog)
        raise AwsRefused(f"{refused}; {presentation.discarded(pending.discard())}")
    s.off = balancers
    return None


def _may_have_run(error: ClientError) -> bool:
    """A refusal that may follow an execute which reached AWS: botocore retried the
    call (the first attempt may have run), or the change set is no longer executable."""
    retries = error.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
    return bool(retries) or error_code(error) == "InvalidChangeSetStatus"


def _answer_lost(
    s: Session,
    pending: Pending,
    name: str,
    ready: change_set.ChangeSet,
    balancers: list[protections.Protection],
    error: BaseException,
) -> ExitCode | None:
    """Never delete what may be running: ask AWS whether the change set started, and
    follow it if it did; delete what this run made only if it did not."""
    said = f"ExecuteChangeSet's answer was lost ({why(error)})"
    started, state = _started(s, ready)
    if started:
        s.say(f"{said}, but CloudFormation is executing change set {name}: following it.")
        s.off = balancers
        return None
    if started is False:
        protections.turn_on(balancers, s.out, s.err, s.prog)
        # The error the lost answer itself would have been: Unreachable, Unreadable...
        kind = type(translate(error, DEPLOYER)) if isinstance(error, AWS_FAILURES) else AwsRefused
        raise kind(
            f"{said}; CloudFormation did not execute change set {name} ({state}); "
            f"{presentation.discarded(pending.discard())}"
        )
    pending.forget()  # it may run: nothing of it may be deleted
    s.off = balancers
    s.done.append(f"may have executed change set {name} on stack {s.stack_name}")
    s.warn(
        presentation.stopped_waiting(
            f"{said}, and whether it started could not be read",
            s.stack_name,
            None,
            operation=pending.kind,
            stage=s.stage.name,
            region=s.aws.region,
            protected=s.stage.protected,
            aws_error=True,
            still_off=[(p.what, p.command) for p in balancers],
            prog=s.prog,
        )
    )
    return ExitCode.STILL_CHANGING


def _started(s: Session, ready: change_set.ChangeSet) -> tuple[bool | None, str]:
    """Whether the change set started (None: unknown), and what AWS said of it."""
    try:
        execution = s.cfn.describe_change_set(ChangeSetName=ready.id).get("ExecutionStatus", "")
        if execution in _STARTED:
            return True, execution
        if execution != "AVAILABLE":
            return None, execution
        stack = progress.describe_stack(s.cfn, ready.stack_id) or {}
    except AWS_FAILURES:
        return None, ""
    status = stack.get("StackStatus", "")
    state = f"it is AVAILABLE, stack {s.stack_name} {status or 'not found'}"
    # Available, and the stack still as before: some other operation would be running.
    if status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
        return None, state
    return False, state
