"""What the pack's rules share: reading values that may be written with intrinsic
functions. No rule class lives here (cfn-lint instantiates every rule class it finds)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = [
    "branches",
    "literal_strings",
    "parameter",
    "references",
    "tag_value",
]


def branches(value: Any) -> Iterator[Any]:
    """Every value `value` can take at its top level: both branches of an Fn::If, as
    deep as they nest; AWS::NoValue is no value."""
    if isinstance(value, Mapping) and len(value) == 1:
        if "Fn::If" in value:
            arguments = value["Fn::If"]
            if isinstance(arguments, list) and len(arguments) == 3:
                for branch in arguments[1:]:
                    yield from branches(branch)
                return
        if value.get("Ref") == "AWS::NoValue":
            return
    yield value


def literal_strings(value: Any) -> Iterator[str]:
    """Every string anywhere in `value`, in every branch (keys excluded)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from literal_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from literal_strings(item)


def references(value: Any) -> set[str]:
    """The names `value` refers to: Ref, Fn::GetAtt's resource and Fn::Sub's ${Name}."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt":
                target = item[0] if isinstance(item, list) and item else item
                if isinstance(target, str):
                    found.add(target.split(".")[0])
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) and item else item
                if isinstance(text, str):
                    found.update(_sub_names(text))
                if isinstance(item, list) and len(item) > 1:
                    found.update(references(item[1]))
            else:
                found.update(references(item))
    elif isinstance(value, list):
        for item in value:
            found.update(references(item))
    return found


def _sub_names(text: str) -> set[str]:
    """The names an Fn::Sub string substitutes (${Name} or ${Name.Attribute}, not ${!x})."""
    names = set()
    for part in text.split("${")[1:]:
        name, closed, _ = part.partition("}")
        if closed and not name.startswith("!"):
            names.add(name.split(".")[0])
    return names


def parameter(template: Mapping[str, Any], value: Any) -> tuple[str, Mapping[str, Any]] | None:
    """The parameter `value` is a Ref to, by name with its definition; None otherwise."""
    if isinstance(value, Mapping) and set(value) == {"Ref"}:
        parameters = template.get("Parameters") or {}
        name = value["Ref"]
        if isinstance(name, str) and isinstance(parameters.get(name), Mapping):
            return name, parameters[name]
    return None


def tag_value(properties: Mapping[str, Any], key: str) -> Any:
    """The value of the tag `key` in a resource's Tags list (None when it has none)."""
    tags = properties.get("Tags")
    for tag in tags if isinstance(tags, list) else ():
        if isinstance(tag, Mapping) and tag.get("Key") == key:
            return tag.get("Value")
    return None
