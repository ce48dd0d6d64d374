"""What a deploy would change, found without a change set: the template it would send
against the one the stack was last deployed with (GetTemplate), and the parameter
values against the stack's. Pure functions over the two; diff.py reads them from AWS.

A template diff sees what the templates say, not what CloudFormation would do: whether
a change replaces its resource is read from the type's schema (its create-only
properties), as a change set's Replacement would say it, and no condition is evaluated;
a change set (--dry-run) knows both. What it needs is read-only: DescribeStacks and
GetTemplate."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from .change_set import ACTION_SYMBOLS
from .property_values import MASK, PropertyValue
from .property_values import lines as value_lines

__all__ = ["ResourceDiff", "TemplateDiff", "compare", "lines"]

# A resource's parts besides its properties, compared as wholes.
ATTRIBUTES = (
    "Type",
    "Condition",
    "DependsOn",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "UpdatePolicy",
    "CreationPolicy",
    "Metadata",
)
# The template's sections besides Resources and Parameters: said by name when they differ.
SECTIONS = ("Description", "Metadata", "Mappings", "Conditions", "Rules", "Outputs", "Transform")


@dataclass(frozen=True)
class ResourceDiff:
    """One resource that differs: added, removed or modified, with what differs."""

    logical_id: str
    resource_type: str
    action: str  # Add, Modify or Remove
    values: tuple[PropertyValue, ...] = ()
    # A modification's: True, Conditional or False ("" when the type's schema is not
    # known), and the properties that force it.
    replacement: str = ""
    causes: tuple[str, ...] = ()


@dataclass(frozen=True)
class TemplateDiff:
    """Everything that differs between the deployed stack and what a deploy would send."""

    resources: tuple[ResourceDiff, ...]
    parameters: tuple[tuple[str, str, str], ...]  # (name, the stack's, the deploy's)
    sections: tuple[str, ...]  # other template sections that differ
    not_compared: tuple[str, ...] = ()  # NoEcho parameters: the stack shows ****

    @property
    def same(self) -> bool:
        """Nothing differs that can be compared."""
        return not (self.resources or self.parameters or self.sections)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


# Whether a property's change replaces its resource: (type, property) -> True,
# Conditional, False, or "" when not known (lint.schemas.replacement).
Replaces = Callable[[str, str], str]
_RANK = {"True": 3, "Conditional": 2, "False": 1, "": 0}


def _value(
    attribute: str,
    path: str,
    before: Any,
    after: Any,
    mask: Callable[[str | None], str | None],
    recreation: str = "",
) -> PropertyValue:
    change = "Add" if before is None else "Remove" if after is None else "Modify"
    return PropertyValue(
        attribute=attribute,
        path=path,
        change_type=change,
        before=None if before is None else mask(_text(before)),
        after=None if after is None else mask(_text(after)),
        requires_recreation=recreation,
        causes=("template",),
    )


# A change set's RequiresRecreation for each Replacement a property's change gives.
_RECREATION = {"True": "Always", "Conditional": "Conditionally", "False": "Never", "": ""}


def _modified(
    logical_id: str,
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    mask: Callable[[str | None], str | None],
    replaces: Replaces,
) -> ResourceDiff:
    kind = new.get("Type", "")
    values, forced = [], {}
    old_props, new_props = old.get("Properties", {}), new.get("Properties", {})
    for name in dict.fromkeys((*old_props, *new_props)):
        if old_props.get(name) != new_props.get(name):
            forced[name] = replaces(kind, name)
            values.append(
                _value(
                    "Properties",
                    f"/Properties/{name}",
                    old_props.get(name),
                    new_props.get(name),
                    mask,
                    _RECREATION[forced[name]],
                )
            )
    for attribute in ATTRIBUTES:
        if old.get(attribute) != new.get(attribute):
            values.append(
                _value(attribute, attribute, old.get(attribute), new.get(attribute), mask)
            )
    if old.get("Type") != kind:
        forced["Type"] = "True"  # another type is another resource
    worst = max(forced.values(), key=_RANK.__getitem__, default="False")
    causes = tuple(name for name, replaced in forced.items() if replaced in ("True", "Conditional"))
    return ResourceDiff(logical_id, kind, "Modify", tuple(values), worst, causes)


def compare(
    deployed: Mapping[str, Any],
    local: Mapping[str, Any],
    stack_parameters: Mapping[str, str],
    sent_parameters: Mapping[str, str],
    *,
    no_echo: Collection[str] = (),
    mask: Callable[[str | None], str | None] = lambda value: value,
    replaces: Replaces = lambda resource_type, name: "",
) -> TemplateDiff:
    """The differences between the deployed template and parameters and the local ones.
    `sent_parameters` holds what the deploy would send, a kept value at the stack's;
    `replaces` says whether a property's change replaces its resource."""
    old, new = deployed.get("Resources", {}), local.get("Resources", {})
    resources = []
    for logical_id in dict.fromkeys((*old, *new)):
        before, after = old.get(logical_id), new.get(logical_id)
        if before == after:
            continue
        if before is None or after is None:
            kind = (after or before or {}).get("Type", "")
            resources.append(ResourceDiff(logical_id, kind, "Add" if before is None else "Remove"))
        else:
            resources.append(_modified(logical_id, before, after, mask, replaces))
    parameters = []
    masked = []
    for name in dict.fromkeys((*stack_parameters, *sent_parameters)):
        if name in no_echo:
            if sent_parameters.get(name) or stack_parameters.get(name):
                masked.append(name)
            continue
        was, now = stack_parameters.get(name), sent_parameters.get(name)
        if was != now:
            parameters.append(
                (name, "(none)" if was is None else was, "(none)" if now is None else now)
            )
    sections = tuple(s for s in SECTIONS if deployed.get(s) != local.get(s))
    return TemplateDiff(tuple(resources), tuple(parameters), sections, tuple(masked))


def lines(diff: TemplateDiff, stack_name: str) -> list[str]:
    """The diff as the command shows it, in the review's symbols (+ ~ -)."""
    if diff.same:
        out = [f"No differences: stack {stack_name} matches what a deploy would send."]
    else:
        out = [
            f"Differences from stack {stack_name}: {len(diff.resources)} resource(s), "
            f"{len(diff.parameters)} parameter(s)"
            + (f", and the template's {', '.join(diff.sections)}" if diff.sections else "")
        ]
    width = max((len(r.logical_id) for r in diff.resources), default=0)
    for resource in diff.resources:
        symbol = ACTION_SYMBOLS[resource.action]
        line = f"  {symbol} {resource.resource_type:<44} {resource.logical_id:<{width}}"
        if resource.replacement:
            line += f"  replacement: {resource.replacement}"
            if resource.causes:
                line += f" ({', '.join(resource.causes)})"
        out.append(line.rstrip())
        for value in resource.values:
            out += ["      " + line for line in value_lines(value)]
    if diff.parameters:
        out.append("Parameters changed:")
        out += [f"  {name}: {was} -> {now}" for name, was, now in diff.parameters]
    if diff.not_compared:
        out.append(
            f"Not compared: {', '.join(diff.not_compared)} (NoEcho: the stack shows {MASK})."
        )
    return out
