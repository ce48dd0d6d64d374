"""How fast and how lean the build is, measured the way a user meets it.

    ./run bench [--runs N]

- render: a fresh interpreter that renders all three stages (imports included);
- build: a fresh `build.py --all-stages --no-deploy` (render, lint, write),
  writing into a temporary folder so the working tree is left alone.
Each is run N times; the median wall time and the largest peak RSS are reported
against the targets. Nothing here is a test: timing on shared machines is noisy.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"render": 0.3, "build": 2.5}
RENDER = (
    "from planar_cfn.config import StackConfig\n"
    "from planar_cfn.render import render\n"
    "for s in ('dev', 'staging', 'prod'): render(StackConfig.for_stage(s))"
)


def measure(argv: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"benchmark command failed: {' '.join(argv)}")
    return elapsed, usage.ru_maxrss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per measurement (default 7)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        commands = {
            "render": [sys.executable, "-c", RENDER],
            "build": [
                sys.executable,
                "build.py",
                "--all-stages",
                "--no-deploy",
                "--templates-dir",
                out,
            ],
        }
        measure(commands["build"])  # warm the OS file cache and bytecode once
        print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, {args.runs} runs each")
        for name, argv in commands.items():
            runs = [measure(argv) for _ in range(args.runs)]
            times = sorted(t for t, _ in runs)
            verdict = "meets" if statistics.median(times) < TARGETS[name] else "MISSES"
            print(
                f"{name:>7}: median {statistics.median(times):.2f} s "
                f"(min {times[0]:.2f}, max {times[-1]:.2f}); peak RSS "
                f"{max(m for _, m in runs) / 1024:.0f} MiB; target < {TARGETS[name]} s: {verdict}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
