"""cfn-lint through its Python API, informational rules included.

cfn-lint takes 0.4 s to import: it is imported on the first lint, so a build whose
lint results all come from the cache (lint_cache) never loads it."""

from __future__ import annotations

import gc
import os
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..inputs.stage_file import named_regions

if TYPE_CHECKING:
    from cfnlint.runner import Runner

    from ..template.render import Rendered

__all__ = [
    "HOME_REGION",
    "INCLUDE_CHECKS",
    "Finding",
    "lint",
    "lint_bodies",
    "lint_body",
    "lint_regions",
    "loaded_rules",
    "unknown_regions",
]

# The stack's home region in the Terraform module. cfn-lint checks resource types,
# properties and values against each region's specification: this one always, and
# every region a stage file in stages/ names.
HOME_REGION = "us-east-1"
# cfn-lint's informational rules (I...) on top of its errors and warnings. The lint
# cache's key holds this, so changing it re-lints every template.
INCLUDE_CHECKS = ("I",)


@dataclass(frozen=True)
class Finding:
    """One cfn-lint finding: the rule, its severity, the message and where."""

    rule: str
    severity: str
    message: str
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.rule} [{self.severity}] {self.path}:{self.line}: {self.message}"


def requested_regions(stages_dir: Path | None = None) -> tuple[str, ...]:
    """us-east-1, then the other regions the stage files name, whether or not cfn-lint
    knows them (read without importing cfn-lint)."""
    return (HOME_REGION, *(r for r in named_regions(stages_dir) if r != HOME_REGION))


def known_regions(regions: Sequence[str]) -> tuple[str, ...]:
    """The regions, in order, that cfn-lint has a specification for."""
    from cfnlint.helpers import REGIONS as CFN_LINT_REGIONS

    return tuple(region for region in regions if region in CFN_LINT_REGIONS)


def lint_regions(stages_dir: Path | None = None) -> tuple[str, ...]:
    """us-east-1, then the other regions the stage files name that cfn-lint knows."""
    return known_regions(requested_regions(stages_dir))


def unknown_regions(stages_dir: Path | None = None) -> list[str]:
    """Regions the stage files name that cfn-lint has no specification for: not linted."""
    known = set(lint_regions(stages_dir))
    return [region for region in named_regions(stages_dir) if region not in known]


@lru_cache(maxsize=4)
def _runner(regions: tuple[str, ...]) -> Runner:
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    return Runner(ConfigMixIn(regions=list(regions), include_checks=list(INCLUDE_CHECKS)))


def loaded_rules(regions: Sequence[str] | None = None) -> Any:
    """The rules lint_body runs for `regions` (default: lint_regions()), as cfn-lint's
    mapping of rule id to rule (each with .shortdesc, .description, .source_url)."""
    return _runner(lint_regions() if regions is None else tuple(regions)).rules


def lint_body(
    body: str, name: str = "template", regions: Sequence[str] | None = None
) -> list[Finding]:
    """Findings in any of the regions (default: lint_regions()), each once."""
    from cfnlint.decode.decode import decode_str

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


def lint(template: Rendered | str, *, regions: Sequence[str] | None = None) -> list[Finding]:
    """cfn-lint's findings in one template, as build.py lints it: a rendered stage (its
    findings named after the stage) or a template's JSON text, informational rules
    included, for `regions` (default: lint_regions()). No finding means clean."""
    if isinstance(template, str):
        return lint_body(template, regions=regions)
    return lint_body(template.body, template.stage, regions)


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


# Ctrl-C, and SIGTERM: how the command is stopped from outside, and how a worker is.
_STOPPING = {signal.SIGINT, signal.SIGTERM}


def _worker_started() -> None:
    """A lint worker ignores Ctrl-C before it unblocks it (see lint_bodies), and dies of
    SIGTERM (how it is stopped) whatever handler the caller set. It keeps the garbage
    collector: linting in every region without it grows a worker by gigabytes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPPING)


def lint_bodies(
    bodies: dict[str, str], regions: Sequence[str] | None = None
) -> dict[str, list[Finding]]:
    """Lint several templates, one forked process each where the OS can fork."""
    import multiprocessing  # only to lint: not on a build whose results are all cached
    from concurrent.futures import ProcessPoolExecutor

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
    # stay shared, and a worker's collections walk only what it allocated itself.
    # They are thawed once the workers are done, as a library call must leave the
    # caller's process; the command freezes them again before it exits.
    # One process per template, even beyond the cores: three finish closer
    # together than two followed by one.
    # Ctrl-C is the caller's alone: the workers are forked (on the first submit) with
    # it and SIGTERM blocked, and ignore Ctrl-C and take SIGTERM's default before
    # unblocking them, so none runs the caller's handlers or prints a traceback. When
    # the caller stops (Ctrl-C, SIGTERM, a failed lint, a worker killed:
    # BrokenProcessPool), the other workers are terminated rather than waited for.
    context = multiprocessing.get_context("fork")
    others = set(multiprocessing.active_children())
    with (
        _frozen(),
        ProcessPoolExecutor(len(bodies), mp_context=context, initializer=_worker_started) as pool,
    ):
        try:
            with _stopping_blocked():
                futures = {
                    name: pool.submit(lint_body, body, name, regions)
                    for name, body in bodies.items()
                }
            return {name: future.result() for name, future in futures.items()}
        except BaseException:
            for worker in set(multiprocessing.active_children()) - others:
                worker.terminate()
            raise


@contextmanager
def _stopping_blocked() -> Iterator[None]:
    """SIGINT and SIGTERM blocked in this thread inside the block: one that arrives
    meanwhile is handled when the block ends, the mask already restored."""
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, ())
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
