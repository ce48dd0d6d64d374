"""How fast and how lean the build is, measured the way a user meets it.

    ./run bench [--runs N] [--tests [--test-runs N]] [--rollout-only]

Each figure is a fresh process, run N times, against its target:
- render: an interpreter that renders all three stages (imports included);
- cold build: `build.py --all-stages --no-deploy --no-cache` (render, lint, write);
- unchanged rebuild: the same build with the lint cache holding every result;
- bad flag: `--region` with a value that is no region: refused before any render;
- bad stage file: a deploy whose stage file has a misspelt key: refused likewise, on
  a machine with credentials in the environment, as a deployer's (without them, boto3
  would first ask the EC2 instance metadata service, which is the network, not us);
- tests (with --tests): `./run test`, the whole suite on every core;
- image rollout (first, and alone with --rollout-only): not a timing but the modelled
  rollout of each stage's template at its defaults (planar_cfn/reports/rollout.py):
  dev's and staging's must take at most 40% of the same rollout with ELB's default
  300 s drain, or the benchmark exits 1; prod's is printed with what its canary costs.
Every process runs with Python's default bytecode caching, as a user's does.
Templates and the cache go to a temporary folder, so the working tree is left alone.
Wall time (min/median/max), CPU time (user+sys, the process and its children) and the
largest peak RSS of any one process are printed. Nothing here is a test: timing on a
shared machine is noisy, and CPU time is the steadier figure for comparing changes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {
    "render": 0.3,
    "cold build": 2.0,
    "unchanged rebuild": 0.5,
    "bad flag": 0.5,
    "bad stage file": 0.5,
    "tests": 30.0,
}
ROLLOUT_TARGET = 0.4  # of the same rollout with ELB's default drain, outside prod
RENDER = (
    "from planar_cfn.template.config import StackConfig\n"
    "from planar_cfn.template.render import render\n"
    "for s in ('dev', 'staging', 'prod'): render(StackConfig.for_stage(s))"
)


def measure(argv: list[str], env: Mapping[str, str], expect: int = 0) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak RSS (KiB) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != expect:
        sys.exit(f"benchmark command did not exit {expect}: {' '.join(argv)}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def report(name: str, runs: list[tuple[float, float, int]]) -> bool:
    """Print one figure against its target; True when the median meets it."""
    times = sorted(wall for wall, _, _ in runs)
    median = statistics.median(times)
    cpu = statistics.median(c for _, c, _ in runs)
    peak = max(m for _, _, m in runs) / 1024
    meets = median <= TARGETS[name]
    print(
        f"{name:>17}: median {median:.2f} s (min {times[0]:.2f}, max {times[-1]:.2f}); "
        f"CPU {cpu:.2f} s; peak RSS {peak:.0f} MiB; "
        f"target <= {TARGETS[name]} s: {'pass' if meets else 'MISS'}"
    )
    return meets


def rollout_figures(templates: Mapping[str, Any] | None = None) -> bool:
    """Print each stage's modelled image rollout beside ELB's default drain; True when
    dev's and staging's meet the target. `templates` by stage, else each stage rendered
    now. Modelled, not measured: instant."""
    sys.path.insert(0, str(ROOT))
    from planar_cfn.reports.rollout import compare, minutes
    from planar_cfn.template.config import StackConfig
    from planar_cfn.template.render import render

    print("image rollout, modelled at each stage template's defaults (docs/rollout-time.md):")
    met = True
    for stage in ("dev", "staging", "prod"):
        if templates is None:
            template = json.loads(render(StackConfig.for_stage(stage)).body)
        else:
            template = templates[stage]
        modelled, default = compare(template)
        share = modelled.total / default.total
        figures = (
            f"{stage:>17}: {modelled.strategy} {minutes(modelled.total)}; with ELB's default "
            f"drain {minutes(default.total)} ({share:.0%})"
        )
        if stage == "prod":
            rolling = minutes(modelled.total - modelled.shift_price)
            print(
                f"{figures}; its {modelled.strategy.lower()}'s price: "
                f"{minutes(modelled.shift_price)} of bakes over {rolling}"
            )
            continue
        meets = share <= ROLLOUT_TARGET
        met = met and meets
        print(f"{figures}; target <= {ROLLOUT_TARGET:.0%}: {'pass' if meets else 'MISS'}")
    return met


def main() -> int:
    """Measure every figure and print each against its target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per figure (default 7)")
    parser.add_argument("--tests", action="store_true", help="also time the test suite")
    parser.add_argument(
        "--test-runs", type=int, default=3, help="runs of the test suite (default 3)"
    )
    parser.add_argument(
        "--rollout-only", action="store_true", help="only the modelled rollout figures"
    )
    args = parser.parse_args()
    # A model, not a timing: a miss is a failure, not noise.
    if not rollout_figures():
        sys.exit(f"the modelled dev/staging image rollout is over {ROLLOUT_TARGET:.0%} of ELB's")
    if args.rollout_only:
        return 0
    python = sys.executable
    with tempfile.TemporaryDirectory() as scratch:
        out, cache = Path(scratch, "templates"), Path(scratch, "cache")
        # Python's default bytecode caching, as a user's Python has it, even where this
        # environment turns it off (the warm-up run below writes the caches).
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PLANAR_CFN_CACHE_DIR"] = str(cache)
        stage_file = Path(scratch, "dev.json")
        example = json.loads((ROOT / "stages" / "example.json").read_text())
        stage_file.write_text(json.dumps({**example, "regoin": "eu-west-1"}))
        build = [python, "build.py", "--all-stages", "--no-deploy", "--templates-dir", str(out)]
        deployer = {
            **env,
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "example",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        deploy = [python, "build.py", "--stage", "dev", "--dry-run"]
        figures = {
            "render": ([python, "-c", RENDER], 0, env),
            "cold build": ([*build, "--no-cache"], 0, env),
            "unchanged rebuild": (build, 0, env),
            "bad flag": ([*deploy, "--region", "mars-1"], 2, env),
            "bad stage file": ([*deploy, "--stage-file", str(stage_file)], 2, deployer),
        }
        measure(build, env)  # warm the OS file cache and bytecode, and fill the lint cache
        print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, {args.runs} runs each")
        met = [
            report(name, [measure(argv, environ, expect) for _ in range(args.runs)])
            for name, (argv, expect, environ) in figures.items()
        ]
        if args.tests:
            suite = ["bash", str(ROOT / "run"), "test"]  # the README's test command
            met.append(report("tests", [measure(suite, env) for _ in range(args.test_runs)]))
    print(f"{sum(met)} of {len(met)} figures meet their targets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
