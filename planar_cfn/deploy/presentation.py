"""What a person at a terminal, or a CI log, reads: a stack's events (a table redrawn in
place on a terminal, one line each otherwise), the yes/no question, the lines each
outcome ends with. Nothing here calls AWS: it reads what the deploy hands it, and
names the command (`prog`) as the user ran it."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from .change_set import Change
from .service_health import Report

__all__ = [
    "LiveView",
    "PlainView",
    "balancer_command",
    "balancer_warning",
    "confirm",
    "destroyed_lines",
    "discarded",
    "event_line",
    "failure_lines",
    "interrupted_while_changing",
    "kept_lines",
    "left_behind",
    "not_executed_lines",
    "output_lines",
    "say",
    "sentence",
    "service_lines",
    "still_off",
    "stopped_waiting",
    "view_for",
]

# The AWS CLI wait that follows an operation to its end.
_WAIT_COMMANDS = {
    "CREATE": "stack-create-complete",
    "UPDATE": "stack-update-complete",
    "DELETE": "stack-delete-complete",
    "IMPORT": "stack-import-complete",
}


def say(out: TextIO, *lines: str) -> None:
    """Print each line at once: a log shows it as it happens."""
    for line in lines:
        print(line, file=out, flush=True)


def sentence(text: str) -> str:
    """The text with a capital and a full stop."""
    return f"{text[:1].upper()}{text[1:]}."


# --- the question --------------------------------------------------------------------


def confirm(
    question: str, accepted: tuple[str, ...], *, yes: bool, stdin: TextIO, out: TextIO
) -> bool | None:
    """True on `yes` or an accepted answer; None when there is no terminal to ask."""
    if yes:
        return True
    if not stdin.isatty():
        return None
    print(question, end="", file=out, flush=True)
    answer = stdin.readline()
    if not answer:  # end of input
        say(out, "")
    return answer.strip().lower() in accepted


# --- a stack's events ----------------------------------------------------------------


def event_line(event: Mapping[str, Any]) -> str:
    """One event: time, status, type, logical id and reason."""
    reason = event.get("ResourceStatusReason", "")
    return (
        f"{event['Timestamp']:%H:%M:%S}  {event['ResourceStatus']:<35} "
        f"{event.get('ResourceType', ''):<42} {event.get('LogicalResourceId', '')}"
        + (f"  {reason}" if reason else "")
    )


class PlainView:
    """One line per event: for logs and CI."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def show(
        self, stack: Mapping[str, Any], events: list[Mapping[str, Any]], elapsed: float
    ) -> None:
        """Print the new events."""
        for event in events:
            print(event_line(event), file=self.out, flush=True)


class LiveView:
    """On a terminal: the stack's status and each resource's latest event, redrawn in place."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.latest: dict[str, Mapping[str, Any]] = {}
        self.drawn = 0

    def show(
        self, stack: Mapping[str, Any], events: list[Mapping[str, Any]], elapsed: float
    ) -> None:
        """Redraw the table over the last one."""
        for event in events:
            self.latest[event.get("LogicalResourceId", "")] = event
        size = shutil.get_terminal_size()
        rows = list(self.latest.values())[-max(1, size.lines - 3) :]
        minutes, seconds = divmod(int(elapsed), 60)
        lines = [
            f"{stack.get('StackName', '')}  {stack.get('StackStatus', '')}  ({minutes}m {seconds:02d}s)"
        ]
        # Lines cut to the width: a wrapped line would break the cursor arithmetic.
        lines += [event_line(e)[: size.columns - 1] for e in rows]
        if self.drawn:
            self.out.write(f"\x1b[{self.drawn}F\x1b[J")
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()
        self.drawn = len(lines)


def view_for(out: TextIO) -> PlainView | LiveView:
    """The table on a terminal, the lines anywhere else."""
    return LiveView(out) if out.isatty() else PlainView(out)


def output_lines(outputs: Mapping[str, str]) -> list[str]:
    """The stack's outputs, aligned; nothing when it has none."""
    if not outputs:
        return []
    width = max(map(len, outputs))
    return ["Outputs:"] + [f"  {key:<{width}}  {value}" for key, value in outputs.items()]


# --- the deploy's outcomes -----------------------------------------------------------


def discarded(deleted: bool, it: str = "the change set") -> str:
    """What became of a discarded change set, to end a message."""
    if deleted:
        return f"{it} was deleted and nothing changed"
    return f"nothing changed, but {it} is left behind: the commands above delete it"


def balancer_command(arn: str, on: bool, region: str) -> str:
    """The AWS CLI command that turns a load balancer's deletion protection on or off."""
    return (
        f"aws elbv2 modify-load-balancer-attributes --load-balancer-arn {arn} "
        f"--attributes Key=deletion_protection.enabled,Value={str(on).lower()} --region {region}"
    )


def balancer_warning(going: Sequence[Change], stage: str, prog: str) -> list[str]:
    """The review's warning for a load balancer that a protected stage's update replaces."""
    lines = [
        "!" * 72,
        "!! LOAD BALANCER REPLACED: CloudFormation makes a new one, then deletes the old one",
    ]
    for c in going:
        how = "removed" if c.action == "Remove" else f"replacement: {c.replacement}"
        causes = f": {', '.join(c.causes)}" if c.causes else ""
        lines.append(f"!!   {c.logical_id}  {c.physical_id}  ({how}{causes})")
    return [
        *lines,
        f"!! In {stage} its deletion protection is on, so that delete would fail, the stack",
        "!! would still end UPDATE_COMPLETE, and the old load balancer would stay behind,",
        f"!! outside the stack, running and billing. So on execute, {prog} turns off the",
        "!! deletion protection of the old load balancer just before the update (the cleanup",
        "!! then deletes it), and back on if the update does not run, rolls back or keeps it.",
        "!! The load balancer's DNS name changes; the stack's DNS record follows it.",
        "!" * 72,
    ]


def not_executed_lines(
    change_set_id: str,
    stack_name: str,
    region: str,
    *,
    creates_stack: bool,
    going: Sequence[Change],
    stage: str,
    protected: bool,
    prog: str,
) -> list[str]:
    """A change set kept for review: the commands that execute or discard it, and what
    to do around an execute done elsewhere."""
    lines = [
        "Not executed: no terminal to ask and no --yes. The change set is kept for review:",
        f"  execute: aws cloudformation execute-change-set --change-set-name {change_set_id} --region {region}",
        f"  discard: aws cloudformation delete-change-set --change-set-name {change_set_id} --region {region}",
    ]
    if creates_stack:
        lines.append(
            f"           aws cloudformation delete-stack --stack-name {stack_name} --region {region}"
        )
    if going:
        lines.append(
            "Before executing it, turn off the deletion protection of the old load "
            "balancer, or the update leaves it behind:"
        )
        lines += [f"  {balancer_command(c.physical_id, False, region)}" for c in going]
    if protected:
        lines.append(
            f"After executing it, run {prog} --stage {stage} --watch: it "
            "turns on termination protection and the stack policy."
        )
    return lines


def stopped_waiting(
    why: str,
    stack_name: str,
    status: str | None,
    *,
    operation: str,
    stage: str,
    region: str,
    protected: bool,
    aws_error: bool,
    still_off: Sequence[tuple[str, str]],
    prog: str,
) -> str:
    """The deploy stopped waiting while the stack goes on changing: how to follow it,
    and each protection (`still_off`: what, the command that turns it on) left off."""
    waiter = _WAIT_COMMANDS.get(operation, "stack-update-complete")
    state = (
        f"is {status} and still changing"
        if status
        else "may still be changing (its state could not be read)"
    )
    lines = [
        f"\n{prog}: stopped waiting ({why}): stack {stack_name} {state}; "
        "CloudFormation carries on without us.",
        f"  follow it:  {prog} --stage {stage} --watch",
        f"  or wait:    aws cloudformation wait {waiter} --stack-name {stack_name} "
        f"--region {region}",
    ]
    if aws_error:
        lines.append(
            "  Both need AWS to answer again: renew the credentials first if they expired."
        )
    ending = "the delete fails" if operation == "DELETE" else f"the {operation.lower()} rolls back"
    for what, command in still_off:
        lines.append(
            f"  {what[:1].upper()}{what[1:]} is off; if {ending}, turn it back on:\n    {command}"
        )
    if protected and operation != "DELETE":
        lines.append(
            "  --watch also turns on termination protection and the stack policy at the end."
        )
    return "\n".join(lines)


def interrupted_while_changing(stack_name: str, stage: str, prog: str) -> str:
    """Ctrl-C once the stack may be changing."""
    return (
        f"\n{prog}: interrupted; stack {stack_name} may still be changing: "
        f"follow it with {prog} --stage {stage} --watch"
    )


def failure_lines(
    operation: str,
    stack_name: str,
    status: str,
    causes: Sequence[Mapping[str, Any]],
    reason: str,
    next_step: str,
    *,
    prog: str,
    rolled_back: str = "",
) -> list[str]:
    """A stack operation that ended badly: the root cause (first the alarm that made
    ECS roll the service back, `rolled_back`, when one did), and what to do next."""
    lines = [f"{prog}: error: {operation.lower()} failed: stack {stack_name} is {status}"]
    if rolled_back:
        lines += ["Root cause:", f"  {rolled_back}"] + [f"  {event_line(e)}" for e in causes]
    elif causes:
        lines += ["Root cause:"] + [f"  {event_line(e)}" for e in causes]
    elif reason:
        lines += [f"Reason: {reason}"]
    if next_step:
        lines += ["Next: " + next_step]
    return lines


def left_behind(arn: str, event: Mapping[str, Any], stack_name: str, region: str, prog: str) -> str:
    """A load balancer an update's cleanup could not delete: no longer the stack's."""
    return (
        f"{prog}: warning: load balancer {arn} ({event.get('LogicalResourceId')}) was left "
        f"behind: the cleanup could not delete it ({event.get('ResourceStatusReason', 'no reason given')}). "
        f"It is no longer part of stack {stack_name}, and it keeps running and billing. "
        "Delete it with:\n"
        f"  {balancer_command(arn, False, region)}\n"
        f"  aws elbv2 delete-load-balancer --load-balancer-arn {arn} --region {region}"
    )


def still_off(what: str, why: str, command: str, prog: str) -> str:
    """A protection that could not be turned back on."""
    return f"{prog}: {what} is still off ({why}); turn it on with:\n  {command}"


def kept_lines(kept: Sequence[Mapping[str, str]], kept_as: Mapping[str, str]) -> list[str]:
    """The resources a delete keeps, each with what is kept (`kept_as`, by DeletionPolicy)."""
    return [
        f"  {k['ResourceType']:<28} {k['LogicalResourceId']:<16} "
        f"{k.get('PhysicalResourceId', '')}  ({kept_as[k['DeletionPolicy']]})"
        for k in kept
    ]


def destroyed_lines(
    kept: Sequence[Mapping[str, str]], kept_as: Mapping[str, str], region: str
) -> list[str]:
    """After a delete: what it kept, and the commands that retire the secrets and keys."""
    lines = ["Kept:", *kept_lines(kept, kept_as)]
    secrets = [k for k in kept if k["ResourceType"] == "AWS::SecretsManager::Secret"]
    if secrets:
        lines.append("Schedule the kept secrets for deletion with a 30-day recovery window:")
        lines += [
            f"  aws secretsmanager delete-secret --secret-id {k['PhysicalResourceId']} "
            f"--recovery-window-in-days 30 --region {region}"
            for k in secrets
        ]
    keys = [k for k in kept if k["ResourceType"] == "AWS::KMS::Key"]
    if keys:
        lines.append(
            "The kept key is billed until its deletion is scheduled; once nothing "
            "it encrypted is needed (snapshots, kept secrets and buckets):"
        )
        lines += [
            f"  aws kms schedule-key-deletion --key-id {k['PhysicalResourceId']} "
            f"--pending-window-in-days 30 --region {region}"
            for k in keys
        ]
    return lines


# --- the service after a create or update --------------------------------------------


def service_lines(report: Report, service: str, stage: str, prog: str) -> list[str]:
    """What the service was found running: one line when verified, else why not, the
    stopped tasks' reasons and the app's last log lines, and what to do."""
    v = report.verdict
    if v.ok:
        return [
            f"Service {service}: rollout {v.rollout or 'COMPLETED'}, task definition "
            f"{v.task_definition.rsplit('/', 1)[-1]}, image {v.image}, "
            f"{v.healthy}/{v.targets} target(s) healthy."
        ]
    lines = [f"{prog}: error: service {service} does not run what was deployed:"]
    lines += [f"  {problem}" for problem in v.problems]
    if v.rolled_back:
        lines.append(f"  service event: {v.rolled_back}")
    if report.stopped:
        lines.append("Stopped tasks (newest first):")
        for task in report.stopped:
            exits = ", ".join(f"{name} {how}" for name, how in task.exits)
            when = f"{task.stopped_at}  " if task.stopped_at else ""
            lines.append(f"  {when}{task.id}  {task.reason}" + (f" ({exits})" if exits else ""))
    if report.log_name:
        lines.append(f"Last log lines ({report.log_name}):")
        lines += [f"  {line}" for line in report.log] or ["  (none)"]
    lines.append(
        "The stack is complete, but the service is not: fix the image or its settings and "
        f"deploy again; {prog} --stage {stage} --watch checks the service again."
    )
    return lines
