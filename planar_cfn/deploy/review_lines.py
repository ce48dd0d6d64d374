"""The review a person reads before saying yes: each resource change, the values of its
changed properties under it, the parameters changed, and the stateful resources that
would be replaced or removed, apart and loudly."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from . import property_values
from .change_set import ChangeSet

__all__ = ["lines", "parameter_changes"]

_INDENT = "      "


def parameter_changes(
    before: Mapping[str, str], after: Mapping[str, str], no_echo: Collection[str] = ()
) -> list[tuple[str, str, str]]:
    """(name, before, after) for each parameter whose value changes; a NoEcho one's
    values masked (CloudFormation gives them as **** both sides, so a change to one is
    not seen)."""
    changed = []
    for key, value in after.items():
        if before.get(key) == value:
            continue
        if key in no_echo:
            changed.append((key, property_values.MASK, property_values.MASK))
        else:
            changed.append((key, before.get(key, "(none)"), value))
    return changed


def lines(
    change_set: ChangeSet,
    stack_name: str,
    kind: str,
    before: Mapping[str, str] | None,
    no_echo: Collection[str] = (),
) -> list[str]:
    """The review: `before` is the stack's parameters (None on a create); `no_echo` names
    the parameters whose values are never shown."""
    count = len(change_set.changes)
    mode = ", drift-aware" if change_set.drift_aware else ""
    out = [f"Change set for stack {stack_name} ({kind}{mode}): {count} resource change(s)"]
    if change_set.drift_aware:
        out.append(
            f"Stack drift when the change set was made: {change_set.stack_drift_status or 'not given'}"
        )
    if change_set.values_incomplete:
        out.append(
            f"Note: CloudFormation left some property values out ({change_set.reason}); "
            "every change is listed, some without values."
        )
    width = max((len(c.logical_id) for c in change_set.changes), default=0)
    for change in change_set.changes:
        out.append(change.line(width).rstrip())
        if change.drift_status and change.drift_status != "IN_SYNC":
            out.append(f"{_INDENT}resource drift: {change.drift_status}")
        if change.drift_ignored:
            out.append(f"{_INDENT}drift not compared: {', '.join(change.drift_ignored)}")
        for value in change.values:
            out += [_INDENT + line for line in property_values.lines(value)]
    if before is not None:
        changed = parameter_changes(before, change_set.parameters, no_echo)
        if changed:
            out.append("Parameters changed:")
            out += [f"  {key}: {old} -> {new}" for key, old, new in changed]
    if change_set.data_loss:
        out += [
            "",
            "!" * 72,
            "!! STATEFUL RESOURCES REPLACED OR REMOVED: their data may be lost",
            *(f"!! {c.line(width).strip()}" for c in change_set.data_loss),
            "!" * 72,
        ]
    return out
