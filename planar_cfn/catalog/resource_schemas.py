"""The IAM permissions each resource type's handlers need, from cfn-lint's bundled
resource provider schemas (lint/schemas.py reads them)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..lint.schemas import SCHEMA_REGION, resource_schema

__all__ = ["HANDLERS", "SCHEMA_REGION", "resource_types", "schema_permissions"]

HANDLERS = ("create", "read", "update", "delete", "list")


def resource_types(templates: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """Every resource type in the templates, conditional resources included."""
    return frozenset(
        resource["Type"] for template in templates for resource in template["Resources"].values()
    )


def schema_permissions(resource_type: str) -> frozenset[str]:
    """The IAM permissions cfn-lint's schema for `resource_type` lists under its
    create, read, update, delete and list handlers (none for a custom resource)."""
    try:
        schema = resource_schema(resource_type)
    except ValueError as error:
        raise ValueError(f"{error}, so no launch role can be derived for it") from None
    handlers = schema.get("handlers", {})
    return frozenset(
        permission
        for handler in HANDLERS
        for permission in handlers.get(handler, {}).get("permissions", ())
    )
