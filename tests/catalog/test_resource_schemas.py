"""cfn-lint's bundled resource provider schemas as the launch role reads them: the
files read directly are the ones cfn-lint's own schema API serves, and a type it does
not know is refused by name."""

import json
from pathlib import Path

import pytest
from cfnlint.data import AdditionalSpecs
from cfnlint.schema.manager import ProviderSchemaManager

from planar_cfn.catalog.resource_schemas import resource_types, schema_permissions

COMMITTED = Path(__file__).resolve().parents[2] / "templates"
# cfn-lint's own schema API over its bundled schemas (the module reads the files
# directly, so as not to import cfn-lint; a user's downloaded schema cache is not used).
SCHEMAS = Path(AdditionalSpecs.__file__).parent.parent / "schemas"
BUNDLED = ProviderSchemaManager(
    providers_dir=SCHEMAS / "providers", resources_dir=SCHEMAS / "resources"
)


def schema_union(types):
    """Every permission the schemas' handlers list for `types`, through cfn-lint's schema
    API (the module reads the same files without it)."""
    union = set()
    for resource_type in types:
        schema = BUNDLED.get_resource_schema("us-east-1", resource_type).schema
        for handler in schema.get("handlers", {}).values():
            union.update(handler.get("permissions", ()))
    return union


def test_the_schema_files_read_directly_are_cfn_lints_schemas():
    types = resource_types(json.loads(p.read_text()) for p in COMMITTED.glob("planar-[dsp]*.json"))
    assert len(types) > 20
    for resource_type in types:
        assert schema_permissions(resource_type) == frozenset(
            permission
            for handler in ("create", "read", "update", "delete", "list")
            for permission in BUNDLED.get_resource_schema("us-east-1", resource_type)
            .schema.get("handlers", {})
            .get(handler, {})
            .get("permissions", ())
        ), resource_type


def test_a_type_cfn_lint_does_not_know_is_refused_by_name():
    with pytest.raises(ValueError, match="'AWS::Nothing::Here': cfn-lint's us-east-1 schemas"):
        schema_permissions("AWS::Nothing::Here")
