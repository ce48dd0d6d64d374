"""How a StackSet operation runs (StackSetOperationPreferences), from a targets file's
`operation` object (inputs/targets.py), with defaults by stage: docs/stacksets.md says
why. Checked before AWS is called, every problem named with the key and what is allowed."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .stage_file import REGION
from .stages import Stage

__all__ = ["OPERATION_KEYS", "Preferences", "default_preferences", "load"]

OPERATION_KEYS = (
    "region_concurrency",
    "failure_tolerance_count",
    "max_concurrent_count",
    "concurrency_mode",
    "region_order",
)


@dataclass(frozen=True)
class Preferences:
    """How a StackSet operation runs (StackSetOperationPreferences)."""

    region_concurrency: str  # SEQUENTIAL or PARALLEL
    failure_tolerance_count: int
    max_concurrent_count: int
    concurrency_mode: str  # STRICT_FAILURE_TOLERANCE or SOFT_FAILURE_TOLERANCE
    region_order: tuple[str, ...]

    def ordered(self, regions: Iterable[str]) -> list[str]:
        """`regions` in the region order; any it does not name after, as given."""
        wanted = list(dict.fromkeys(regions))
        return [r for r in self.region_order if r in wanted] + [
            r for r in wanted if r not in self.region_order
        ]

    def request(self, regions: Iterable[str]) -> dict[str, Any]:
        """OperationPreferences for an operation in `regions`, as CreateStackInstances
        and the others take it."""
        return {
            "RegionConcurrencyType": self.region_concurrency,
            "RegionOrder": self.ordered(regions),
            "FailureToleranceCount": self.failure_tolerance_count,
            "MaxConcurrentCount": self.max_concurrent_count,
            "ConcurrencyMode": self.concurrency_mode,
        }


def default_preferences(stage: Stage, regions: tuple[str, ...]) -> Preferences:
    """A protected stage goes one region and one account at a time and stops at the
    first failure: a bad template reaches one prod instance, not all. Other stages go
    in parallel, ten accounts at a time, and still stop a region at its first failure."""
    if stage.protected:
        return Preferences("SEQUENTIAL", 0, 1, "STRICT_FAILURE_TOLERANCE", regions)
    return Preferences("PARALLEL", 0, 10, "SOFT_FAILURE_TOLERANCE", regions)


def _regions(value: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(
        isinstance(v, str) and REGION.matches(v) for v in value
    ):
        problems.append(f"{where} = {json.dumps(value)}: must be a JSON list of {REGION.allowed}s")
        return ()
    return tuple(dict.fromkeys(value))


def load(raw: Any, stage: Stage, regions: tuple[str, ...], problems: list[str]) -> Preferences:
    """The targets file's `operation` object (None: the stage's defaults) over the
    targets' `regions`; each refused value is added to `problems`."""
    default = default_preferences(stage, regions)
    if raw is None:
        return default
    if not isinstance(raw, dict):
        problems.append(f"operation: must be a JSON object with {', '.join(OPERATION_KEYS)}")
        return default
    found: list[str] = []
    found += [
        f"operation: unknown key {key!r}; allowed keys: {', '.join(OPERATION_KEYS)}"
        for key in raw
        if key not in OPERATION_KEYS
    ]
    concurrency = raw.get("region_concurrency", default.region_concurrency)
    if concurrency not in ("SEQUENTIAL", "PARALLEL"):
        found.append(
            f"operation.region_concurrency = {json.dumps(concurrency)}: "
            "must be one of SEQUENTIAL, PARALLEL"
        )
    mode = raw.get("concurrency_mode", default.concurrency_mode)
    if mode not in ("STRICT_FAILURE_TOLERANCE", "SOFT_FAILURE_TOLERANCE"):
        found.append(
            f"operation.concurrency_mode = {json.dumps(mode)}: must be one of "
            "STRICT_FAILURE_TOLERANCE, SOFT_FAILURE_TOLERANCE"
        )
    counts = {}
    for key, least in (("failure_tolerance_count", 0), ("max_concurrent_count", 1)):
        value = raw.get(key, getattr(default, key))
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            found.append(
                f"operation.{key} = {json.dumps(value)}: must be a whole number >= {least}"
            )
            value = least
        counts[key] = value
    order = _regions(raw.get("region_order", list(regions)), "operation.region_order", found)
    strangers = [r for r in order if r not in regions]
    if strangers:
        found.append(
            f"operation.region_order: {', '.join(strangers)} is no target's region; "
            f"the targets' regions are {', '.join(regions)}"
        )
    problems += found
    if found:
        return default
    # Listed first, in the order given; the others after, as the targets name them.
    order = (*order, *(r for r in regions if r not in order))
    return Preferences(
        concurrency, counts["failure_tolerance_count"], counts["max_concurrent_count"], mode, order
    )
