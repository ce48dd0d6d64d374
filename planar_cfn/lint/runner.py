"""cfn-lint through its Python API, informational rules and the stack's rule pack
(planar_cfn.lint.rules) included unless asked otherwise.

cfn-lint takes 0.4 s to import: it is imported on the first lint, so a build whose
lint results all come from the cache (lint_cache) never loads it."""

from __future__ import annotations

import gc
import os
import re
import signal
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..inputs.stage_file import named_regions
from .pack import PACK_MODULE

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
    "lint_settings",
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


# A rule id as cfn-lint writes it: E, W or I and four digits.
_RULE_ID = re.compile(r"[EWI][0-9]{4}")


def lint_settings(
    informational: bool = True, ignore_rules: Sequence[str] = (), rule_pack: bool = True
) -> tuple[bool, tuple[str, ...], bool]:
    """The lint options checked and made hashable: ValueError names a bad one."""
    if not isinstance(informational, bool):
        raise ValueError(f"informational must be True or False, not {informational!r}")
    if not isinstance(rule_pack, bool):
        raise ValueError(f"rule_pack must be True or False, not {rule_pack!r}")
    if isinstance(ignore_rules, str):
        raise ValueError(
            f"ignore_rules must be a sequence of rule ids, not the string {ignore_rules!r}"
        )
    for rule in ignore_rules:
        if not isinstance(rule, str) or not _RULE_ID.fullmatch(rule):
            raise ValueError(
                f"ignore_rules: {rule!r} is not a rule id; allowed: E, W or I and four "
                "digits, such as W2001 or E9101"
            )
    return informational, tuple(sorted(set(ignore_rules))), rule_pack


@lru_cache(maxsize=4)
def _runner(
    regions: tuple[str, ...],
    informational: bool = True,
    ignore_rules: tuple[str, ...] = (),
    rule_pack: bool = True,
) -> Runner:
    from cfnlint.config import ConfigMixIn
    from cfnlint.rules import Rules
    from cfnlint.runner import Runner

    include = list(INCLUDE_CHECKS) if informational else []
    config = ConfigMixIn(regions=list(regions), include_checks=include)
    if ignore_rules:
        # Given by hand, ignore_checks would replace a .cfnlintrc's: keep both.
        ignored = [*config.ignore_checks, *ignore_rules]
        config = ConfigMixIn(regions=list(regions), include_checks=include, ignore_checks=ignored)
    runner = Runner(config)
    if rule_pack:
        # Beside any rules a .cfnlintrc appends, which append_rules given here would replace.
        # A .cfnlintrc that appends the pack has loaded it already: cfn-lint refuses an id twice.
        for rule_id, rule in Rules.create_from_module(PACK_MODULE).items():
            if rule_id not in runner.rules:
                runner.rules[rule_id] = rule
    return runner


def loaded_rules(regions: Sequence[str] | None = None) -> Any:
    """The rules lint_body runs for `regions` (default: lint_regions()), as cfn-lint's
    mapping of rule id to rule (each with .shortdesc, .description, .source_url)."""
    return _runner(lint_regions() if regions is None else tuple(regions)).rules


def lint_body(
    body: str,
    name: str = "template",
    regions: Sequence[str] | None = None,
    *,
    informational: bool = True,
    ignore_rules: Sequence[str] = (),
    rule_pack: bool = True,
) -> list[Finding]:
    """Findings in any of the regions (default: lint_regions()), each once: cfn-lint's
    rules, informational ones unless `informational` is False, and the stack's own rule
    pack (planar_cfn.lint.rules) unless `rule_pack` is False; none of the rules whose
    ids `ignore_rules` lists (each E, W or I and four digits, else ValueError)."""
    from cfnlint.decode.decode import decode_str

    settings = lint_settings(informational, ignore_rules, rule_pack)
    runner = _runner(lint_regions() if regions is None else tuple(regions), *settings)
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
        if (informational or m.rule.severity != "informational") and m.rule.id not in settings[1]
    ]


def lint(
    template: Rendered | str,
    *,
    regions: Sequence[str] | None = None,
    informational: bool = True,
    ignore_rules: Sequence[str] = (),
    rule_pack: bool = True,
) -> list[Finding]:
    """cfn-lint's findings in one template: a rendered stage (its findings named after
    the stage) or a template's JSON text, informational rules and the stack's rule pack
    included, for `regions` (default: lint_regions()); the options as lint_body's. No
    finding means clean."""
    body, name = (
        (template, "template") if isinstance(template, str) else (template.body, template.stage)
    )
    return lint_body(
        body,
        name,
        regions,
        informational=informational,
        ignore_rules=ignore_rules,
        rule_pack=rule_pack,
    )


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
    bodies: dict[str, str],
    regions: Sequence[str] | None = None,
    *,
    informational: bool = True,
    ignore_rules: Sequence[str] = (),
    rule_pack: bool = True,
) -> dict[str, list[Finding]]:
    """Lint several templates, one forked process each where the OS can fork; the
    options as lint_body's."""
    import multiprocessing  # only to lint: not on a build whose results are all cached
    from concurrent.futures import ProcessPoolExecutor

    regions = lint_regions() if regions is None else tuple(regions)
    settings = lint_settings(informational, ignore_rules, rule_pack)
    lint_one = partial(
        lint_body, informational=settings[0], ignore_rules=settings[1], rule_pack=settings[2]
    )
    _runner(regions, *settings)  # load the rules and schemas once, before any fork
    if (
        len(bodies) < 2
        or (os.cpu_count() or 1) < 2
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return {name: lint_one(body, name, regions) for name, body in bodies.items()}
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
                    name: pool.submit(lint_one, body, name, regions)
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
