"""cfn-lint's bundled CloudFormation resource provider schemas, read for the IAM
permissions each resource type's handlers need."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..lint.runner import HOME_REGION

__all__ = ["HANDLERS", "SCHEMA_REGION", "resource_types", "schema_permissions"]

# The region whose schemas the role is derived from: the one cfn-lint always checks.
SCHEMA_REGION = HOME_REGION
HANDLERS = ("create", "read", "update", "delete", "list")


def resource_types(templates: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """Every resource type in the templates, conditional resources included."""
    return frozenset(
        resource["Type"] for template in templates for resource in template["Resources"].values()
    )


@cache
def _schema_index() -> tuple[Path, Mapping[str, str]]:
    """cfn-lint's bundled schemas: their folder, and the us-east-1 index of resource type
    to the content hash that names its schema file. Read from the installed package's
    data, without importing cfn-lint (0.4 s, which an unchanged rebuild does not pay),
    and never from a schema cache `cfn-lint --update-specs` may have downloaded: the
    role follows the pinned cfn-lint, the same on every machine
    (tests/catalog/test_resource_schemas.py checks the files against cfn-lint's own schema API)."""
    spec = importlib.util.find_spec("cfnlint")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("cfn-lint is not installed: pip install -r requirements.txt")
    schemas = Path(next(iter(spec.submodule_search_locations))) / "data" / "schemas"
    index = json.loads((schemas / "providers" / f"{SCHEMA_REGION}.json").read_text())
    return schemas, MappingProxyType(index)


def schema_permissions(resource_type: str) -> frozenset[str]:
    """The IAM permissions cfn-lint's schema for `resource_type` lists under its
    create, read, update, delete and list handlers (none for a custom resource)."""
    schemas, index = _schema_index()
    if resource_type not in index:
        raise ValueError(
            f"resource type {resource_type!r}: cfn-lint's {SCHEMA_REGION} schemas have no "
            "such type, so no launch role can be derived for it"
        )
    schema = json.loads((schemas / "resources" / f"{index[resource_type]}.json").read_text())
    handlers = schema.get("handlers", {})
    return frozenset(
        permission
        for handler in HANDLERS
        for permission in handlers.get(handler, {}).get("permissions", ())
    )
