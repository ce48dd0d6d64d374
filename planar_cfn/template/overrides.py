"""The escape hatch: set one property of one built resource by its path, for what
StackConfig does not cover (as AWS CDK's addPropertyOverride)."""

from __future__ import annotations

import difflib
from typing import Any

from troposphere import AWSHelperFn, AWSObject, BaseAWSObject


def _is_object(node: object) -> bool:
    """A troposphere resource or property object (Tags and functions are helpers)."""
    return isinstance(node, BaseAWSObject) and not isinstance(node, AWSHelperFn)


def _describe(node: BaseAWSObject) -> str:
    if isinstance(node, AWSObject):
        return f"{node.title} ({node.resource_type})"
    return type(node).__name__


def _names(node: BaseAWSObject) -> list[str]:
    attributes = node.attributes if isinstance(node, AWSObject) else []
    return sorted(node.propnames) + sorted(attributes)


def _check_name(node: BaseAWSObject, part: str, where: str) -> None:
    names = _names(node)
    if part not in names:
        close = difflib.get_close_matches(part, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"{where}: no property {part!r}{hint}; it has: {', '.join(names)}")


def _step(node: Any, part: str, where: str) -> Any:
    """The value at `part` under `node`, which must already be set."""
    if _is_object(node):
        _check_name(node, part, where)
        value = node.resource.get(part) if part in node.attributes else node.properties.get(part)
        if value is None:
            raise ValueError(f"{where}.{part} is not set: override {part!r} as a whole")
        return value
    if isinstance(node, list):
        if not part.isdigit() or int(part) >= len(node):
            raise ValueError(
                f"{where} is a list of {len(node)}: {part!r} is not an index from 0 to "
                f"{len(node) - 1}"
            )
        return node[int(part)]
    if isinstance(node, dict):
        if part not in node:
            raise ValueError(f"{where} has no key {part!r}; it has: {', '.join(map(str, node))}")
        return node[part]
    raise ValueError(
        f"{where} is a {type(node).__name__}, not an object, list or dict to go into: "
        "override it as a whole"
    )


def _replaced(container: Any, parts: list[str], value: object, where: str) -> Any:
    """A copy of a plain list or dict with the value at `parts` replaced, so that a value
    troposphere refuses leaves the original as it was."""
    part = parts[0]
    if isinstance(container, list):
        _step(container, part, where)  # the index must exist
        copy: Any = list(container)
        key: Any = int(part)
    elif isinstance(container, dict):
        copy, key = dict(container), part
    else:
        _step(container, part, where)  # raises: nothing to go into
        raise AssertionError(where)
    if len(parts) > 1:
        value = _replaced(copy[key], parts[1:], value, f"{where}.{part}")
    copy[key] = value
    return copy


def override(target: BaseAWSObject, path: str, value: object) -> None:
    """Set the property at `path` of `target` to `value`, in place.

    `target` is a built resource or one of its property objects (a handle from
    BuiltStack, such as `built.target_group` or `built.app_container`). `path` is
    the property's name as CloudFormation spells it, with dots to go into nested
    properties and numbers to pick a list item: "HealthCheckPath",
    "LoadBalancerAttributes.1.Value", "DeploymentConfiguration.MaximumPercent". A
    resource's attributes (DeletionPolicy, UpdateReplacePolicy, DependsOn, Metadata,
    Condition ...) are set the same way.

    Every step but the last must already be set; the last may be new (a property the
    resource type has, or a dict key). troposphere checks the value as for any property
    and refuses a wrong type with TypeError or ValueError, leaving the resource as it
    was. A name the type does not have, an index out of range or a step into a
    CloudFormation function raises ValueError naming the path, what was found there
    and what is allowed.
    """
    if not isinstance(path, str) or not path or "" in path.split("."):
        raise ValueError(
            f"path {path!r}: property names joined by dots, such as 'Port' or "
            "'LoadBalancerAttributes.0.Value'"
        )
    if not _is_object(target):
        raise TypeError(f"override: {target!r} is not a troposphere resource or property")
    parts = path.split(".")
    described = _describe(target)
    # Walk to the last troposphere object on the path; what lies below it are plain
    # lists and dicts, replaced as a whole so that troposphere checks them.
    owner, depth, node = target, 0, target
    for index, part in enumerate(parts[:-1]):
        node = _step(node, part, ".".join([described, *parts[:index]]))
        if _is_object(node):
            owner, depth = node, index + 1
    where = ".".join([described, *parts[:depth]])
    name = parts[depth]
    _check_name(owner, name, where)
    if depth == len(parts) - 1:
        setattr(owner, name, value)
        return
    current = _step(owner, name, where)
    setattr(owner, name, _replaced(current, parts[depth + 1 :], value, f"{where}.{name}"))
