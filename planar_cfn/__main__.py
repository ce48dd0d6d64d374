"""The command, however it is started: `planar-cfn` (installed), `python build.py`
(a checkout) and `python -m planar_cfn` all run console()."""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO, cast

if TYPE_CHECKING:
    from .inputs.stages import Stage
    from .template.config import StackConfig


class _ReaderMayLeave:
    """Standard output or error whose reader may stop reading (`| head`): from then on
    what is written is dropped instead of raising BrokenPipeError, so the run finishes
    what it started (a deploy its clean-up too: a change set deleted, a protection
    turned back on) and exits with its own code."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._left = False

    def write(self, text: str) -> int:
        if not self._left:
            try:
                self._stream.write(text)
            except BrokenPipeError:
                self._reader_left()
        return len(text)

    def flush(self) -> None:
        if not self._left:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._reader_left()

    def _reader_left(self) -> None:
        self._left = True
        # What the stream still buffers goes nowhere, so neither does the interpreter's
        # own flush at exit fail on it.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, self._stream.fileno())
        os.close(devnull)

    def __getattr__(self, name: str) -> Any:  # isatty(), fileno(), encoding, ...
        return getattr(self._stream, name)


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM (a cancelled CI job, `timeout`) stops the run as Ctrl-C does: a deploy
    says where its stack is and cleans up, and the lint workers are stopped with it
    instead of lingering after it."""
    raise KeyboardInterrupt


def console(
    prog: str = "planar-cfn",
    stages: Sequence[Stage | StackConfig] | None = None,
    argv: Sequence[str] | None = None,
) -> int:
    """Parse the arguments (default: sys.argv), run, and return the exit code.

    `stages` are what `--stage` accepts and `--all-stages` builds (default: dev,
    staging and prod): Stage definitions, or StackConfigs for stages with extensions.
    A build script of your own defines its stages as data and ends in
    `sys.exit(console("build_qa.py", stages=(*DEFAULT_STAGES, QA)))`.

    It is the process's command: while it runs, sys.stdout and sys.stderr drop what is
    written once their reader has gone (`| head`; the file descriptor then points at
    /dev/null), SIGTERM is handled as Ctrl-C, and Ctrl-C outside a deploy or publish
    returns 130 instead of raising.
    From Python, call cli.main, or render, lint, deploy and publish, for neither."""
    # A build takes about two seconds, and collecting cyclic garbage while cfn-lint
    # loads its rules would cost a sixth of that. cli.main turns collection back on
    # before a deploy or publish, which can run for an hour. Nothing heavy is
    # imported before this line: the package's __init__ only names the version.
    gc.disable()
    from .cli.commands import main
    from .errors import ExitCode
    from .inputs.stages import DEFAULT_STAGES

    streams = sys.stdout, sys.stderr
    # (signal handlers can be set only from the main thread)
    main_thread = threading.current_thread() is threading.main_thread()
    on_sigterm = signal.signal(signal.SIGTERM, _terminated) if main_thread else None
    sys.stdout, sys.stderr = (
        stream and cast(TextIO, _ReaderMayLeave(stream))  # None when closed (`>&-`)
        for stream in streams
    )
    try:
        return main(argv, prog=prog, stages=DEFAULT_STAGES if stages is None else stages)
    except KeyboardInterrupt:
        # A deploy or publish reports its own Ctrl-C, with what it had done in AWS; one
        # that reaches here stopped local work: a render, a lint, a write. Templates are
        # renamed into place whole, so each is the old one or the new one.
        print(f"\n{prog}: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    finally:
        if sys.stdout:
            sys.stdout.flush()
        sys.stdout, sys.stderr = streams
        if main_thread:
            signal.signal(signal.SIGTERM, on_sigterm)
        # The interpreter's last collection, at exit, would walk every object left,
        # cfn-lint's rules and schemas included (0.35 s): frozen, it skips them.
        gc.freeze()


if __name__ == "__main__":
    sys.exit(console("python -m planar_cfn"))
