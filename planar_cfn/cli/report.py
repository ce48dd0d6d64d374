"""An error as the command reports it, the same way for every mode: its message, then
what the run had done in AWS before it stopped (or that it changed nothing), and its
exit code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from ..errors import ExitCode, Interrupted, PlanarError


@dataclass(frozen=True)
class Voice:
    """How a command reports an error: the prefix of its lines, and what it says when
    nothing changed."""

    error: str  # before each line of the error's message
    note: str  # before what follows it
    nothing_changed: str
    always_says_what_changed: bool  # else only for exit 2, which promises it


def deploy_voice(prog: str) -> Voice:
    """A deploy's, and any mode's but a publish's, in the command's name."""
    return Voice(f"{prog}: error: ", f"{prog}: ", "nothing was created or changed", False)


def publish_voice(prog: str) -> Voice:
    """A publish's, which always says what it changed, in the command's name."""
    return Voice(f"{prog}: publish: ", f"{prog}: publish: ", "nothing was changed in AWS", True)


def report(err: TextIO, error: PlanarError | Interrupted, voice: Voice) -> ExitCode:
    """Print the error, then what the run had done in AWS (or that it changed nothing);
    return the exit code."""
    if isinstance(error, Interrupted):
        print(f"\n{voice.note}{error}", file=err)
    else:
        print("\n".join(voice.error + line for line in str(error).split("\n")), file=err)
        if error.details:  # printed as is, to be copied
            print(error.details, file=err)
    if error.done:
        ending = "the interrupt" if isinstance(error, Interrupted) else "the error"
        print(f"{voice.note}done before {ending}: {'; '.join(error.done)}", file=err)
    elif not isinstance(error, Interrupted) and (
        voice.always_says_what_changed or error.exit_code == ExitCode.BAD_INPUT
    ):
        print(f"{voice.note}{voice.nothing_changed}", file=err)
    return error.exit_code
