"""cfn-lint through its Python API, informational rules included."""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cfnlint.config import ConfigMixIn
from cfnlint.decode.decode import decode_str
from cfnlint.helpers import REGIONS as CFN_LINT_REGIONS
from cfnlint.runner import Runner

from .stage_file import named_regions

# The stack's home region in the Terraform module. cfn-lint checks resource types,
# properties and values against each region's specification: this one always, and
# every region a stage file in stages/ names.
HOME_REGION = "us-east-1"


@dataclass(frozen=True)
class Finding:
    """One cfn-lint finding: its rule id, severity, message, template name and line."""

    rule: str
    severity: str
    message: str
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.rule} [{self.severity}] {self.path}:{self.line}: {self.message}"


def lint_regions(stages_dir: Path | None = None) -> tuple[str, ...]:
    """us-east-1, then the other regions the stage files name that cfn-lint knows."""
    named = named_regions(stages_dir)
    return (HOME_REGION, *(r for r in named if r != HOME_REGION and r in CFN_LINT_REGIONS))


def unknown_regions(stages_dir: Path | None = None) -> list[str]:
    """Regions the stage files name that cfn-lint has no specification for: not linted."""
    return [region for region in named_regions(stages_dir) if region not in CFN_LINT_REGIONS]


@lru_cache(maxsize=4)
def _runner(regions: tuple[str, ...]) -> Runner:
    return Runner(ConfigMixIn(regions=list(regions), include_checks=["I"]))


def lint_body(
    body: str, name: str = "template", regions: Sequence[str] | None = None
) -> list[Finding]:
    """Findings in any of the regions (default: lint_regions()), each once."""
    runner = _runner(lint_regions() if regions is None else tuple(regions))
    template, errors = decode_str(body)
    matches = errors if errors else list(runner.validate_template(template))
    return [
        Finding(
            rule=m.rule.id,
            severity=m.rule.severity,
            message=m.message,
            path=name,
            line=m.linenumber,
        )
        for m in matches
    ]


@contextmanager
def _frozen() -> Iterator[None]:
    """Everything allocated so far, frozen for the garbage collector until the block
    ends; the caller's process is left as it was. When the caller has frozen objects
    itself, nothing more is frozen (thawing would thaw the caller's too)."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def lint_bodies(
    bodies: dict[str, str], regions: Sequence[str] | None = None
) -> dict[str, list[Finding]]:
    """Lint several templates, one forked process each where the OS can fork."""
    regions = lint_regions() if regions is None else tuple(regions)
    _runner(regions)  # load the rules and schemas once, before any fork
    if (
        len(bodies) < 2
        or (os.cpu_count() or 1) < 2
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return {name: lint_body(body, name, regions) for name, body in bodies.items()}
    # The workers only read the loaded rules and schemas. A garbage collection in
    # a worker would walk all of them and copy every page it touches: frozen, they
    # stay shared, and the short-lived workers collect nothing (0.7 s less here).
    # They are thawed once the workers are done, as a library call must leave the
    # caller's process; the command freezes them again before it exits.
    # One process per template, even beyond the cores: three finish closer
    # together than two followed by one.
    context = multiprocessing.get_context("fork")
    with (
        _frozen(),
        ProcessPoolExecutor(len(bodies), mp_context=context, initializer=gc.disable) as pool,
    ):
        futures = {
            name: pool.submit(lint_body, body, name, regions) for name, body in bodies.items()
        }
        return {name: future.result() for name, future in futures.items()}
