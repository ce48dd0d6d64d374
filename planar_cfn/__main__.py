"""The command, however it is started: `planar-cfn` (installed), `python build.py`
(a checkout) and `python -m planar_cfn` all run console()."""

from __future__ import annotations

import gc
import sys


def console(prog: str = "planar-cfn") -> int:
    """Parse sys.argv, run, and return the exit code."""
    # A build takes about two seconds, and collecting cyclic garbage while cfn-lint
    # loads its rules would cost a sixth of that. cli.main turns collection back on
    # before a deploy or publish, which can run for an hour. Nothing heavy is
    # imported before this line: the package's __init__ only names the version.
    gc.disable()
    from .cli import main

    try:
        return main(prog=prog)
    finally:
        # The interpreter's last collection, at exit, would walk every object left,
        # cfn-lint's rules and schemas included (0.35 s): frozen, it skips them.
        gc.freeze()


if __name__ == "__main__":
    sys.exit(console("python -m planar_cfn"))
