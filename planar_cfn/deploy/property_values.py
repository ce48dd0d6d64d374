"""Each changed property's value before and after, as a change set gives them when read
with IncludePropertyValues, or as the offline diff (template_diff.py) finds them; secret
values masked; and the lines a review shows for them: a scalar inline, a long or
structured value (a policy, container definitions) as the paths inside it that differ.

In a drift-aware change set (DeploymentMode REVERT_DRIFT) a property may also carry the
live value and the last deployed one; `LiveDrift` holds them and `lines` says which value
the deploy leaves in place."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

__all__ = [
    "KNOWN_AFTER_APPLY",
    "MASK",
    "LiveDrift",
    "Masker",
    "PropertyValue",
    "from_details",
    "lines",
    "masker",
]

MASK = "****"
# What CloudFormation writes for a value it learns only while the change set runs (a
# Ref or GetAtt of a resource that is replaced or added).
KNOWN_AFTER_APPLY = "{{changeSet:KNOWN_AFTER_APPLY}}"
# Property names whose values are secrets, whatever the template says of them.
SECRET_PROPERTIES = frozenset({"SecretString", "MasterUserPassword", "Password"})
# A value longer than this, or a JSON object or list, is shown as the paths that differ.
INLINE = 60
# At most this many differing paths of one value; the rest are counted.
MAX_PATHS = 12
_PREFIX = "/Properties/"
_NONE = object()  # a key or item one side does not have


@dataclass(frozen=True)
class LiveDrift:
    """A drifted property of a drift-aware change set: its value at the last deployment
    and the live one."""

    previous: str | None
    actual: str | None


@dataclass(frozen=True)
class PropertyValue:
    """One changed property (or resource attribute: Tags, Metadata, DeletionPolicy...),
    with its values as text; None where there is none (an added or removed property)."""

    attribute: str  # Properties, Tags, Metadata, DeletionPolicy, ...
    path: str  # /Properties/Cpu, /Properties/ContainerDefinitions/0/Image, or the attribute
    change_type: str  # Add, Remove, Modify or SyncWithActual
    before: str | None
    after: str | None
    requires_recreation: str = ""  # Never, Conditionally or Always ("" when not known)
    causes: tuple[str, ...] = ()  # what changes it: "parameter ContainerCpu", "template"...
    before_from: str = ""  # drift-aware: PREVIOUS_DEPLOYMENT_STATE or ACTUAL_STATE
    drift: LiveDrift | None = None

    @property
    def name(self) -> str:
        """The path as a review shows it: inside Properties, or the attribute."""
        return self.path.removeprefix(_PREFIX) if self.path.startswith(_PREFIX) else self.path

    @property
    def known(self) -> bool:
        """Whether CloudFormation knows the value after before the change set runs."""
        return self.after is None or KNOWN_AFTER_APPLY not in self.after

    def as_json(self) -> dict[str, Any]:
        """The property in the plan's JSON (docs/deploying.md pins its shape)."""
        return {
            "path": self.path,
            "attribute": self.attribute,
            "change": self.change_type,
            "before": self.before,
            "after": self.after if self.known else None,
            "afterKnown": self.known,
            "requiresRecreation": self.requires_recreation or None,
            "causes": list(self.causes),
            "beforeFrom": self.before_from or None,
            "drift": (
                {"previous": self.drift.previous, "actual": self.drift.actual}
                if self.drift
                else None
            ),
        }


# Hides the secrets in a value.
Masker = Callable[[str | None], str | None]


def masker(secrets: Collection[str]) -> Masker:
    """A function that replaces each of `secrets` (the NoEcho values this run sends)
    wherever it appears in a value."""
    known = sorted((s for s in secrets if s and s != MASK), key=len, reverse=True)

    def mask(value: str | None) -> str | None:
        if value is None:
            return None
        for secret in known:
            value = value.replace(secret, MASK)
        return value

    return mask


def _cause(detail: Mapping[str, Any]) -> str:
    source, entity = detail.get("ChangeSource", ""), detail.get("CausingEntity", "")
    named = {
        "ParameterReference": "parameter",
        "ResourceReference": "resource",
        "ResourceAttribute": "attribute",
    }.get(source)
    if named and entity:
        return f"{named} {entity}"
    return {"DirectModification": "template", "Automatic": "automatic"}.get(source, "")


def _path(target: Mapping[str, Any]) -> str:
    if target.get("Path"):
        return str(target["Path"])
    if target.get("Attribute", "Properties") == "Properties" and target.get("Name"):
        return _PREFIX + str(target["Name"])
    return str(target.get("Attribute", ""))


def _hidden(value: str | None) -> str | None:
    return None if value is None else MASK


def _shown_as_is(value: str | None) -> str | None:
    return value


def from_details(
    details: Iterable[Mapping[str, Any]], mask: Masker | None = None
) -> tuple[PropertyValue, ...]:
    """A resource change's Details as one value per path (CloudFormation lists a path once
    per cause: a parameter and the template, say), masked; none without values. A
    property named as a secret is masked whole."""
    merged: dict[str, PropertyValue] = {}
    for detail in details:
        target = detail.get("Target", {})
        if not any(k in target for k in ("BeforeValue", "AfterValue", "AttributeChangeType")):
            continue  # read without IncludePropertyValues
        path = _path(target)
        hide = _hidden if path.rsplit("/", 1)[-1] in SECRET_PROPERTIES else (mask or _shown_as_is)
        cause = _cause(detail)
        drift = target.get("Drift")
        value = PropertyValue(
            attribute=target.get("Attribute", ""),
            path=path,
            change_type=target.get("AttributeChangeType", ""),
            before=hide(target.get("BeforeValue")),
            after=hide(target.get("AfterValue")),
            requires_recreation=target.get("RequiresRecreation", ""),
            causes=(cause,) if cause else (),
            before_from=target.get("BeforeValueFrom", ""),
            drift=LiveDrift(hide(drift.get("PreviousValue")), hide(drift.get("ActualValue")))
            if drift
            else None,
        )
        earlier = merged.get(path)
        if earlier:
            causes = tuple(dict.fromkeys((*earlier.causes, *value.causes)))
            value = replace(earlier, causes=causes)
        merged[path] = value
    return tuple(merged.values())


# --- the review's lines ---------------------------------------------------------------------


def _parsed(text: str | None) -> Any:
    """A value as data when it is a JSON object or list; else the text."""
    if text is None or text[:1] not in ("{", "["):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text  # cut short by CloudFormation ("Large values can be truncated")


def _differences(old: Any, new: Any, path: str = "") -> list[tuple[str, str, Any, Any]]:
    """(symbol, path, before, after) for each part that differs: a key or list item
    added or removed whole, or a value changed."""
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        pairs = [
            (str(k), old.get(k, _NONE), new.get(k, _NONE)) for k in dict.fromkeys((*old, *new))
        ]
    elif isinstance(old, list) and isinstance(new, list):
        pairs = [
            (str(i), old[i] if i < len(old) else _NONE, new[i] if i < len(new) else _NONE)
            for i in range(max(len(old), len(new)))
        ]
    else:
        return [("~", path, old, new)]
    out = []
    for key, before, after in pairs:
        inner = f"{path}/{key}"
        if before is _NONE:
            out.append(("+", inner, None, after))
        elif after is _NONE:
            out.append(("-", inner, before, None))
        else:
            out += _differences(before, after, inner)
    return out


def _shown(value: Any) -> str:
    if value is None:
        return "(none)"
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    if len(text) > INLINE * 2:
        return f"{text[:INLINE]}... ({len(text):,} characters)"
    return text


def _structural(before: Any, after: Any) -> list[str]:
    """The paths inside two values that differ: changed (~), added (+) and removed (-)."""
    out = []
    for symbol, path, old, new in _differences(before, after):
        shown = path.lstrip("/") or "(whole value)"
        if symbol == "+":
            out.append(f"+ {shown}: {_shown(new)}")
        elif symbol == "-":
            out.append(f"- {shown}: {_shown(old)}")
        else:
            out.append(f"~ {shown}: {_shown(old)} -> {_shown(new)}")
    if len(out) > MAX_PATHS:
        out = [*out[:MAX_PATHS], f"... and {len(out) - MAX_PATHS} more path(s)"]
    return out


def _short(text: str | None) -> bool:
    return text is None or (len(text) <= INLINE and text[:1] not in ("{", "["))


def _after(value: PropertyValue) -> str:
    if value.known:
        return _shown(value.after)
    via = ", ".join(c for c in value.causes if c != "template")
    return "(known only when the change set runs" + (f": from {via})" if via else ")")


def lines(value: PropertyValue) -> list[str]:
    """What the review shows for one property: one line, or a line and the paths inside
    it that differ, indented under it."""
    if value.drift is not None or value.before_from or value.change_type == "SyncWithActual":
        return _drift_lines(value)
    before, after = _parsed(value.before), _parsed(value.after)
    structured = isinstance(before, dict | list) and isinstance(after, dict | list)
    if not value.known or (_short(value.before) and _short(value.after)) or not structured:
        if value.change_type == "Add" and value.before is None:
            return [f"+ {value.name}: {_after(value)}"]
        if value.change_type == "Remove" and value.after is None:
            return [f"- {value.name}: {_shown(value.before)}"]
        return [f"~ {value.name}: {_shown(value.before)} -> {_after(value)}"]
    return [f"~ {value.name}:", *(f"    {line}" for line in _structural(before, after))]


def _drift_lines(value: PropertyValue) -> list[str]:
    """A drift-aware property: the template's value, the last deployed and the live one,
    and which one the deploy leaves. Without a Drift, the before value is the live one
    (or the last deployed, for what CloudFormation cannot read live)."""
    if value.drift is not None:
        previous, live = _shown(value.drift.previous), _shown(value.drift.actual)
    elif value.before_from == "PREVIOUS_DEPLOYMENT_STATE":
        previous, live = _shown(value.before), "(not read: compared with the last deployment)"
    else:
        previous, live = "(not given)", _shown(value.before)
    if value.change_type == "SyncWithActual":
        outcome = "the template now matches the live value: kept, drift status reset"
    elif value.change_type == "Remove":
        outcome = "the template has none: the deploy removes the live value"
    elif value.drift is not None:
        outcome = "the deploy puts the template's value back over the live one"
    else:
        outcome = "the deploy sets the template's value"
    return [
        f"~ {value.name}: {outcome}",
        f"    template       {_after(value)}",
        f"    last deployed  {previous}",
        f"    live           {live}",
    ]
