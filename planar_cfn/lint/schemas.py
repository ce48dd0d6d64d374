"""cfn-lint's bundled CloudFormation resource provider schemas, read as data: the IAM
permissions each resource type's handlers need (the launch role), and which properties
replace a resource when they change (--diff).

Read from the installed package's data without importing cfn-lint (0.4 s, which an
unchanged rebuild does not pay), and never from a schema cache `cfn-lint --update-specs`
may have downloaded: what is derived follows the pinned cfn-lint, the same on every
machine (tests/catalog/test_resource_schemas.py checks the files against cfn-lint's own
schema API)."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .runner import HOME_REGION

__all__ = ["SCHEMA_REGION", "replacement", "resource_schema", "schema_index"]

# The region whose schemas are read: the one cfn-lint always checks.
SCHEMA_REGION = HOME_REGION


@cache
def schema_index() -> tuple[Path, Mapping[str, str]]:
    """The schemas' folder, and the us-east-1 index of resource type to the content hash
    that names its schema file."""
    spec = importlib.util.find_spec("cfnlint")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("cfn-lint is not installed: pip install -r requirements.txt")
    schemas = Path(next(iter(spec.submodule_search_locations))) / "data" / "schemas"
    index = json.loads((schemas / "providers" / f"{SCHEMA_REGION}.json").read_text())
    return schemas, MappingProxyType(index)


@cache
def resource_schema(resource_type: str) -> Mapping[str, Any]:
    """The provider schema of `resource_type`; ValueError for a type cfn-lint does not
    know (a custom resource, say)."""
    schemas, index = schema_index()
    if resource_type not in index:
        raise ValueError(
            f"resource type {resource_type!r}: cfn-lint's {SCHEMA_REGION} schemas have no such type"
        )
    schema: Mapping[str, Any] = json.loads(
        (schemas / "resources" / f"{index[resource_type]}.json").read_text()
    )
    return schema


def replacement(resource_type: str, property_name: str) -> str:
    """Whether changing a top-level property replaces the resource, as a change set says
    it: "True" (the property is create-only), "Conditional" (only a part of it is, or it
    is create-only under a condition), "False"; "" for a type the schemas do not know."""
    try:
        schema = resource_schema(resource_type)
    except ValueError:
        return ""
    path = f"/properties/{property_name}"
    if path in schema.get("createOnlyProperties", ()):
        return "True"
    conditional = schema.get("conditionalCreateOnlyProperties", ())
    inner = [p for p in schema.get("createOnlyProperties", ()) if p.startswith(path + "/")]
    if path in conditional or inner:
        return "Conditional"
    return "False"
