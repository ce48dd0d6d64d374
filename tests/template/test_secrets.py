"""Secrets Manager (planar_cfn/template/secrets.py): the secrets row of docs/stack.md's
components table ("What the stack holds"), asserted on the rendered templates.

GIVEN the template of a stage, WHEN a component is read from it, THEN it holds
the values that page gives (per stage where the stage matters)."""

import json

from tests.cfn import evaluate
from tests.template.sample import name_of

# The rows of docs/stack.md's components table these tests assert, and the tests
# that assert each (test_components.py checks the table against every file's rows).
COMPONENTS = {
    "secrets": ("test_secrets",),
}


def test_secrets(template, stage):
    retained = "Retain" if stage == "prod" else "Delete"
    custom = template["Resources"]["CustomSecret"]
    assert name_of(custom["Properties"]["Name"], stage) == f"custom-secret-{stage}-shop"
    assert custom["Properties"]["Description"] == "Custom secret for application configuration"
    assert json.loads(custom["Properties"]["SecretString"]) == {
        "placeholder_key": "placeholder_value"
    }
    registry = template["Resources"]["RegistryCredentialsSecret"]
    assert registry["Condition"] == "CreateRegistrySecret"
    assert name_of(registry["Properties"]["Name"], stage) == f"registry-credentials-{stage}-shop"
    secret = evaluate(
        registry["Properties"]["SecretString"],
        {"RegistryUsername": "bot", "RegistryPassword": "p@ss"},
    )
    assert json.loads(secret) == {"username": "bot", "password": "p@ss"}
    for resource in (custom, registry):
        assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == (retained, "Retain")
