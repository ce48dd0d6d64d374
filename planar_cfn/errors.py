"""One error vocabulary and one exit-code table for every command.

Deploy and publish raise these errors, whatever went wrong and wherever: in the
options, the stage file, the account or AWS itself (aws_gateway translates AWS's
errors once). build.py prints the message and exits with the error's code; a
Python caller catches the class it cares about.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

__all__ = [
    "AccessDenied",
    "AwsError",
    "AwsRefused",
    "BucketOwnerError",
    "CredentialsError",
    "ExitCode",
    "InputError",
    "Interrupted",
    "OperationFailed",
    "PlanarError",
    "Unreachable",
    "Unreadable",
]


class ExitCode(IntEnum):
    """build.py's exit codes, the same for every command (docs/command.md)."""

    OK = 0  # built, deployed, no changes, a dry run, destroyed, published
    FAILED = 1  # lint findings or a stale template; AWS refused or failed; a rollback
    BAD_INPUT = 2  # bad input or setup, found before anything changed in AWS
    NOT_EXECUTED = 3  # a change set made but not executed; a destroy not confirmed
    BLOCKED = 4  # a stateful resource would be replaced or removed
    STILL_CHANGING = 5  # stopped waiting while the stack goes on changing
    INTERRUPTED = 130  # Ctrl-C, and nothing goes on changing (the shell's convention)


class PlanarError(Exception):
    """The run stopped: the message says why and what to do (exit 1 unless a subclass
    says otherwise). `done` lists what the run had changed in AWS before it stopped;
    `details` is text to copy as it is, such as a bucket policy."""

    code = ExitCode.FAILED

    def __init__(self, message: str, *, details: str = "", done: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.details = details
        self.done = tuple(done)

    @property
    def exit_code(self) -> ExitCode:
        """The code to exit with. Exit 2 promises that nothing changed in AWS: the same
        problem met after a change is a failure part-way, exit 1."""
        if self.done and self.code is ExitCode.BAD_INPUT:
            return ExitCode.FAILED
        return self.code


class InputError(PlanarError):
    """Bad input or setup, found before anything changed: an option, the stage file, a
    missing region, a look-up that cannot decide, an account that is not ready, a stack
    in a state nothing can start from (exit 2)."""

    code = ExitCode.BAD_INPUT


class CredentialsError(InputError):
    """No AWS credentials, or AWS rejected them (expired, revoked): refresh them."""


class BucketOwnerError(InputError):
    """A bucket the run names is not the caller's account's: S3 refused a call that
    named that account as the bucket's owner (ExpectedBucketOwner)."""


class OperationFailed(PlanarError):
    """What AWS was asked to do did not happen: a change set that failed or was not
    ready in time."""


class AwsError(PlanarError):
    """AWS refused a call, or the call did not reach it."""


class AccessDenied(AwsError):
    """AWS denied a call: the identity lacks an IAM permission, which the message names."""


class AwsRefused(AwsError):
    """AWS refused a call for another reason: its own code and message follow."""


class Unreachable(AwsError):
    """No answer from AWS: the network, a proxy or the region's endpoint."""


class Unreadable(AwsError):
    """An answer botocore could not read: an HTML error page from a proxy or a load
    balancer in the way, say. The message names the call and what came back."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped the run, and nothing goes on changing (exit 130). A
    KeyboardInterrupt still, so `except Exception` does not swallow it; `done` lists
    what the run had changed in AWS before it."""

    exit_code = ExitCode.INTERRUPTED
    details = ""

    def __init__(self, done: Sequence[str] = ()) -> None:
        super().__init__("interrupted" if done else "interrupted before anything changed")
        self.done = tuple(done)
