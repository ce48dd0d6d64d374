"""What each StackSet instance would get from an update, before anything changes.

CloudFormation has no change sets for StackSets. The preview is a template and
parameter diff per instance (template_diff.compare, with replacement read from the
resource types' schemas): the StackSet's current template (DescribeStackSet) and
parameters with the instance's overrides (DescribeStackInstance), against the local
template and the stage file's parameters with the target's overrides. It reads only
the administrator account, so it works for service-managed StackSets too, whose
execution roles the administrator cannot assume (docs/stacksets.md says why this and
not a change set in each account). A stateful resource it would replace or remove
blocks the update, as the single stack's review does."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..inputs.targets import Target, TargetsFile
from ..lint.schemas import replacement
from . import template_diff
from .change_set import STATEFUL_TYPES
from .template_diff import TemplateDiff

__all__ = [
    "InstancePreview",
    "blocked",
    "lines",
    "list_instances",
    "losses",
    "preview",
    "read_overrides",
    "target_of",
]


@dataclass(frozen=True)
class InstancePreview:
    """What one instance would get: its differences, and the stateful resources the
    update would replace or remove."""

    account: str
    region: str
    status: str  # the instance's: CURRENT, OUTDATED or INOPERABLE
    target: int  # the index of the target that names it
    diff: TemplateDiff
    losses: tuple[str, ...]


def list_instances(cfn: Any, name: str, call_as: Mapping[str, str]) -> list[dict[str, Any]]:
    """Every instance of the StackSet (ListStackInstances)."""
    pages = cfn.get_paginator("list_stack_instances").paginate(StackSetName=name, **call_as)
    return [summary for page in pages for summary in page.get("Summaries", [])]


def _values(parameters: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    return {p["ParameterKey"]: p.get("ParameterValue", "") for p in parameters}


def target_of(targets: TargetsFile, instance: Mapping[str, Any]) -> Target | None:
    """The target that names an instance, or None (an instance the file leaves out)."""
    for target in targets.targets:
        if target.covers(
            instance["Account"], instance["Region"], instance.get("OrganizationalUnitId", "")
        ):
            return target
    return None


def losses(diff: TemplateDiff) -> tuple[str, ...]:
    """The stateful resources the diff replaces (or may) or removes."""
    return tuple(
        r.logical_id
        for r in diff.resources
        if r.resource_type in STATEFUL_TYPES
        and (r.action == "Remove" or r.replacement in ("True", "Conditional"))
    )


def read_overrides(
    cfn: Any, targets: TargetsFile, instances: Sequence[Mapping[str, Any]]
) -> dict[tuple[str, str], dict[str, str]]:
    """Each targeted instance's ParameterOverrides (DescribeStackInstance), by (account,
    region); the instances no target names are left alone and not read."""
    overrides = {}
    for summary in instances:
        if target_of(targets, summary) is None:
            continue
        instance = cfn.describe_stack_instance(
            StackSetName=targets.stack_set_name,
            StackInstanceAccount=summary["Account"],
            StackInstanceRegion=summary["Region"],
            **targets.call_as_argument,
        )["StackInstance"]
        key = (summary["Account"], summary["Region"])
        overrides[key] = _values(instance.get("ParameterOverrides", []))
    return overrides


def preview(
    targets: TargetsFile,
    stack_set: Mapping[str, Any],
    instances: Sequence[Mapping[str, Any]],
    overrides: Mapping[tuple[str, str], Mapping[str, str]],
    template: Mapping[str, Any],
    parameters: Mapping[str, str],
    *,
    no_echo: Collection[str],
) -> list[InstancePreview]:
    """Each targeted instance's preview (only those `preview` names, when it names
    some); `parameters` are the StackSet's new values."""
    deployed = json.loads(stack_set.get("TemplateBody") or "{}")
    before_set = _values(stack_set.get("Parameters", []))
    previews = []
    for summary in instances:
        target = target_of(targets, summary)
        key = (summary["Account"], summary["Region"])
        if target is None or (targets.preview and "/".join(key) not in targets.preview):
            continue
        before = {**before_set, **overrides.get(key, {})}
        after = {**parameters, **target.overrides}
        diff = template_diff.compare(
            deployed, template, before, after, no_echo=no_echo, replaces=replacement
        )
        previews.append(
            InstancePreview(*key, summary.get("Status", ""), target.index, diff, losses(diff))
        )
    return previews


def lines(previews: Sequence[InstancePreview], name: str) -> list[str]:
    """Every preview as the run shows it."""
    out = []
    for p in previews:
        out.append(f"Instance {p.account} {p.region} (targets[{p.target}], {p.status}):")
        if p.status != "CURRENT":
            out.append(
                f"  (its stack is {p.status}: it may differ from the StackSet's last template, "
                "which is what this compares with)"
            )
        out += ["  " + line for line in template_diff.lines(p.diff, f"{name} in {p.account}")]
    return out


def blocked(previews: Sequence[InstancePreview], *, allow_replacement: bool) -> list[str]:
    """Why the update must not run: stateful resources replaced or removed somewhere."""
    hit = [p for p in previews if p.losses]
    if not hit or allow_replacement:
        return []
    return [
        f"Blocked: in {p.account} {p.region}, the update would replace or remove what "
        f"holds data: {', '.join(p.losses)}."
        for p in hit
    ] + [
        "Nothing was changed. If you mean it (after a backup), run again with --allow-replacement."
    ]
