"""The reviewed plan as JSON (--plan-json), for a CI job to read or comment on a pull
request with: the resources, each one's action, replacement and its causes, and the
values of each changed property before and after, secrets masked as in the review.
docs/deploying.md describes the shape; tests/deploy/test_plan_document.py pins it, and
a change to it is a new `version`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .change_set import Change, ChangeSet
from .template_diff import ResourceDiff, TemplateDiff

__all__ = ["FORMAT", "VERSION", "from_change_set", "from_diff", "write"]

FORMAT = "planar-cfn-plan"
VERSION = 1


def _resource(change: Change) -> dict[str, Any]:
    return {
        "logicalId": change.logical_id,
        "type": change.resource_type,
        "action": change.action,
        "physicalId": change.physical_id or None,
        "replacement": change.replacement or None,
        "replacementCauses": list(change.causes),
        "policyAction": change.policy_action or None,
        "stateful": change.stateful,
        "dataLoss": change.loses_data,
        "driftStatus": change.drift_status or None,
        "driftIgnored": list(change.drift_ignored),
        "properties": [value.as_json() for value in change.values],
    }


def _diffed(resource: ResourceDiff) -> dict[str, Any]:
    return {
        "logicalId": resource.logical_id,
        "type": resource.resource_type,
        "action": resource.action,
        "physicalId": None,
        # From the type's schema; not known for an add or a removal.
        "replacement": resource.replacement or None,
        "replacementCauses": list(resource.causes),
        "policyAction": None,
        "stateful": None,
        "dataLoss": None,
        "driftStatus": None,
        "driftIgnored": [],
        "properties": [value.as_json() for value in resource.values],
    }


def _parameters(changed: Sequence[tuple[str, str, str]]) -> list[dict[str, str]]:
    return [{"name": name, "before": before, "after": after} for name, before, after in changed]


def _head(stack: str, stage: str, region: str, source: str, operation: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "stack": stack,
        "stage": stage,
        "region": region,
        "source": source,
        "operation": operation,
    }


def from_change_set(
    ready: ChangeSet,
    *,
    stack: str,
    stage: str,
    region: str,
    operation: str,
    parameters: Sequence[tuple[str, str, str]],
    decision: str,
    blocked: Sequence[str] = (),
) -> dict[str, Any]:
    """The plan of a computed change set. `decision`: no-changes, blocked, dry-run,
    declined, not-executed (no terminal to ask) or execute."""
    return {
        **_head(stack, stage, region, "change-set", operation),
        "changeSetId": ready.id or None,
        "valuesComplete": not ready.values_incomplete,
        "driftAware": ready.drift_aware,
        "stackDriftStatus": ready.stack_drift_status or None,
        "decision": decision,
        "blocked": list(blocked),
        "parameters": _parameters(parameters),
        "resources": [_resource(change) for change in ready.changes],
        "templateSections": [],
        "notCompared": [],
    }


def from_diff(diff: TemplateDiff, *, stack: str, stage: str, region: str) -> dict[str, Any]:
    """The plan --diff finds, without a change set."""
    return {
        **_head(stack, stage, region, "diff", "UPDATE"),
        "changeSetId": None,
        "valuesComplete": True,
        "driftAware": False,
        "stackDriftStatus": None,
        "decision": "same" if diff.same else "differs",
        "blocked": [],
        "parameters": _parameters(diff.parameters),
        "resources": [_diffed(resource) for resource in diff.resources],
        "templateSections": list(diff.sections),
        "notCompared": list(diff.not_compared),
    }


def write(path: Path, document: Mapping[str, Any]) -> None:
    """The plan, as indented JSON with a final newline."""
    path.write_text(json.dumps(document, indent=2) + "\n")
