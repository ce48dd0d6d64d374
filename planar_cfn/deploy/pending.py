"""The change set this run created, or may have, and has not executed; and discarding
it, with the empty stack of a first create that this run made, so that a run that
does not execute leaves nothing behind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ..aws.gateway import AWS_FAILURES, error_code, error_message, why
from .plan import CREATE, Plan
from .session import Session

__all__ = ["Pending"]


@dataclass(frozen=True)
class _Made:
    """A change set this run created, or may have, and has not executed."""

    change_set: str  # its id; its name until CreateChangeSet answers
    stack: str  # likewise the stack's id or name
    kind: str
    creates_stack: bool  # this run's CreateChangeSet made the stack that holds it
    by_name: bool = False

    @property
    def change_set_argument(self) -> dict[str, str]:
        # A change set given by name needs its stack's name too.
        return {
            "ChangeSetName": self.change_set,
            **({"StackName": self.stack} if self.by_name else {}),
        }

    @property
    def change_set_option(self) -> str:
        option = f"--change-set-name {self.change_set}"
        return f"{option} --stack-name {self.stack}" if self.by_name else option


class Pending:
    """What discard() would delete: nothing, a change set known by name while
    CreateChangeSet is under way, or the one it made."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._made: _Made | None = None

    def asking(self, name: str, plan: Plan) -> None:
        """CreateChangeSet is sent: until it answers, what it makes is known by name
        only, and a Ctrl-C during or just after the call must still find it."""
        self._made = _Made(name, self.session.stack_name, plan.kind, plan.creates_stack, True)

    def created(self, answer: dict[str, Any], plan: Plan) -> None:
        """CreateChangeSet answered: the change set and its stack, by id."""
        self._made = _Made(answer["Id"], answer["StackId"], plan.kind, plan.creates_stack)

    def forget(self) -> None:
        """CreateChangeSet refused, or the change set is executed: nothing to discard."""
        self._made = None

    @property
    def kind(self) -> str:
        """The operation of the change set this run made: CREATE or UPDATE."""
        return self._made.kind if self._made else ""

    @property
    def creates_stack(self) -> bool:
        """This run's CreateChangeSet made the stack that holds the change set."""
        return bool(self._made and self._made.creates_stack)

    def discard(self) -> bool:
        """Leave nothing of this run behind: its change set, and the empty stack of a
        first create that this run made (a stack an earlier run left in review stays).
        Best-effort, since it runs on the way out of an error or a Ctrl-C: what it
        cannot delete is printed with the command that does, and the original error
        still shows. True when nothing is left."""
        s = self.session
        made, self._made = self._made, None
        if made is None:
            return True
        if made.kind == CREATE and not made.creates_stack:
            s.say(
                f"Stack {s.stack_name} stays REVIEW_IN_PROGRESS, as an earlier run left it "
                "(with any change set of its own): this run deletes only its own change set."
            )
        region = s.aws.region
        left = [f"aws cloudformation delete-change-set {made.change_set_option} --region {region}"]
        if made.creates_stack:
            left.append(
                f"aws cloudformation delete-stack --stack-name {made.stack} --region {region}"
                + s.role_flag
            )
        try:
            try:
                s.cfn.delete_change_set(**made.change_set_argument)
            except ClientError as error:
                if not _not_found(error):
                    raise
                if made.by_name:
                    return True  # CreateChangeSet never reached AWS: nothing of ours exists
            left.pop(0)
            if made.creates_stack:
                # The stack CloudFormation made to hold the change set (REVIEW_IN_PROGRESS).
                s.cfn.delete_stack(StackName=made.stack, **s.role)
                left.pop(0)
            return True
        except (*AWS_FAILURES, KeyboardInterrupt) as error:
            s.warn(
                f"{s.prog}: the change set could not be deleted ({why(error)}); delete what "
                "is left with:",
                *(f"  {command}" for command in left),
            )
            return False


def _not_found(error: ClientError) -> bool:
    """A change set, or the stack that holds it, that is not there (any more)."""
    code, message = error_code(error), error_message(error)
    return code == "ChangeSetNotFound" or (
        code == "ValidationError" and "does not exist" in message
    )
