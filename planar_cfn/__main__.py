"""The command, however it is started: `planar-cfn` (installed), `python build.py`
(a checkout) and `python -m planar_cfn` all run console()."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import StackConfig
    from .stages import Stage


def console(
    prog: str = "planar-cfn",
    stages: Sequence[Stage | StackConfig] | None = None,
    argv: Sequence[str] | None = None,
) -> int:
    """Parse the arguments (default: sys.argv), run, and return the exit code.

    `stages` are what `--stage` accepts and `--all-stages` builds (default: dev,
    staging and prod): Stage definitions, or StackConfigs for stages with extensions.
    A build script of your own defines its stages as data and ends in
    `sys.exit(console("build_qa.py", stages=(*DEFAULT_STAGES, QA)))`."""
    # A build takes about two seconds, and collecting cyclic garbage while cfn-lint
    # loads its rules would cost a sixth of that. cli.main turns collection back on
    # before a deploy or publish, which can run for an hour. Nothing heavy is
    # imported before this line: the package's __init__ only names the version.
    gc.disable()
    from .cli import main
    from .errors import ExitCode
    from .stages import DEFAULT_STAGES

    try:
        code = main(argv, prog=prog, stages=DEFAULT_STAGES if stages is None else stages)
        sys.stdout.flush()  # a reader gone by now shows here, not as an error at exit
        return code
    except KeyboardInterrupt:
        # A deploy or publish reports its own Ctrl-C, with what it had done in AWS; one
        # that reaches here stopped local work: a render, a lint, a write. Templates are
        # renamed into place whole, so each is the old one or the new one.
        print(f"\n{prog}: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # Whoever read standard output stopped reading (`| head`): stop without a
        # traceback, and without a second one when the interpreter flushes it at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OUTPUT_CLOSED
    finally:
        # The interpreter's last collection, at exit, would walk every object left,
        # cfn-lint's rules and schemas included (0.35 s): frozen, it skips them.
        gc.freeze()


if __name__ == "__main__":
    sys.exit(console("python -m planar_cfn"))
