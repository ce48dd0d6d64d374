"""docs/stack.md, "Naming and tags": stages, name patterns, name lengths, tags."""

import json
import re
from pathlib import Path

import pytest
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from planar_cfn.inputs import constraints
from planar_cfn.inputs.parameters import SPECS_BY_NAME
from planar_cfn.inputs.stages import STAGE_NAMES, UnknownStageError, get_stage
from tests.cfn import evaluate, tags

STACK_ID = (
    "arn:aws:cloudformation:us-east-1:123456789012:stack/s/5f0c9a70-1234-11ef-9f5a-0a1b2c3d4e5f"
)
# Name property -> the service's limit.
NAME_LIMITS = {
    ("AWS::IAM::Role", "RoleName"): 64,
    ("AWS::S3::Bucket", "BucketName"): 63,
    ("AWS::RDS::DBCluster", "DBClusterIdentifier"): 63,
    ("AWS::RDS::DBInstance", "DBInstanceIdentifier"): 63,
    ("AWS::RDS::DBSubnetGroup", "DBSubnetGroupName"): 255,
    ("AWS::ECS::Cluster", "ClusterName"): 255,
    ("AWS::ECS::Service", "ServiceName"): 255,
    ("AWS::ECS::TaskDefinition", "Family"): 255,
    ("AWS::Logs::LogGroup", "LogGroupName"): 512,
    ("AWS::SecretsManager::Secret", "Name"): 512,
}


def test_stages_are_dev_staging_prod_and_nothing_else():
    assert STAGE_NAMES == ("dev", "staging", "prod")
    with pytest.raises(
        UnknownStageError, match="stage 'qa' is not known; allowed: dev, staging, prod"
    ):
        get_stage("qa")


def _names(template: dict, app_name: str) -> dict[tuple[str, str], str]:
    refs = {"AppName": app_name, "AWS::StackId": STACK_ID}
    names = {}
    for logical_id, resource in template["Resources"].items():
        for (kind, prop), _ in NAME_LIMITS.items():
            if resource["Type"] == kind and prop in resource["Properties"]:
                names[(logical_id, prop)] = evaluate(resource["Properties"][prop], refs)
    return names


def test_the_longest_allowed_app_name_fits_every_name_in_every_stage(template):
    longest = "a" + "b" * (constraints.APP_NAME_MAX_LENGTH - 1)
    assert SPECS_BY_NAME["AppName"].check(longest) is None
    names = _names(template, longest)
    assert len(names) >= 12
    for (logical_id, prop), name in names.items():
        kind = template["Resources"][logical_id]["Type"]
        assert len(name) <= NAME_LIMITS[(kind, prop)], f"{logical_id}.{prop} {name!r} is too long"


def test_the_app_name_limit_is_as_tight_as_the_names_need(templates):
    # One character more breaks a limit in some stage (staging's names are longest).
    too_long = "a" + "b" * constraints.APP_NAME_MAX_LENGTH
    assert SPECS_BY_NAME["AppName"].check(too_long) is not None
    assert any(
        len(name) > NAME_LIMITS[(template["Resources"][lid]["Type"], prop)]
        for template in templates.values()
        for (lid, prop), name in _names(template, too_long).items()
    )


@pytest.mark.parametrize(
    ("app_name", "ok"),
    [
        ("shop", True),
        ("a", True),
        ("my-app-2", True),
        ("MyApp", False),
        ("2shop", False),
        ("shop-", False),
        ("sh--op", False),
        ("shop_app", False),
        ("", False),
    ],
)
def test_app_name_rule(app_name, ok):
    assert (SPECS_BY_NAME["AppName"].check(app_name) is None) is ok


def test_bucket_suffix_is_stable_lowercase_and_from_the_stack_id(template, stage):
    name = evaluate(
        template["Resources"]["AppBucket"]["Properties"]["BucketName"],
        {"AppName": "shop", "AWS::StackId": STACK_ID},
    )
    assert name == f"planar-{stage}-shop-5f0c9a70"
    suffix = name.rsplit("-", 1)[1]
    assert len(suffix) == 8
    assert suffix == suffix.lower()
    assert suffix.isalnum()


def test_every_taggable_resource_carries_the_common_tags(template, stage):
    expected = {
        "framework": "planar",
        "framework.version": "0.17",
        "stage": stage,
        "app.name": {"Ref": "AppName"},
        # The application's version: the image tag the service runs.
        "app.version": {"Ref": "ContainerImageTag"},
        "vendor_name": "CoPlane",
        "vendor_contact": "support@coplane.com",
    }
    checked = 0
    for logical_id, resource in template["Resources"].items():
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource["Type"])
        if "Tags" not in schema.schema.get("properties", {}):
            continue
        checked += 1
        actual = tags(resource)
        wanted = dict(expected)
        if logical_id in UNVERSIONED:
            del wanted["app.version"]
            assert "app.version" not in actual, logical_id
        assert {k: actual.get(k) for k in wanted} == wanted, logical_id
    assert checked >= 20


# Resources an image-only update must leave alone, so without app.version: ECS owns
# the production rule's weights while it shifts traffic (docs/stack.md).
UNVERSIONED = {"ProductionListenerRule"}


def test_an_image_only_update_leaves_the_production_rule_alone(templates):
    # GIVEN prod, whose canary moves the rule's weights
    prod = templates["prod"]["Resources"]
    rule = json.dumps(prod["ProductionListenerRule"])
    # THEN nothing in the rule follows the image tag
    assert "ContainerImageTag" not in rule


def test_named_resources_carry_a_name_tag(template, stage):
    for logical_id in (
        "LoadBalancer",
        "TargetGroup",
        "Cluster",
        "DatabaseCluster",
        "AppBucket",
        "TaskSecurityGroup",
        "LoadBalancerSecurityGroup",
        "DatabaseSecurityGroup",
    ):
        name = evaluate(tags(template["Resources"][logical_id])["Name"], {"AppName": "shop"})
        assert name.endswith(f"-{stage}-shop"), logical_id


def test_an_image_only_update_retags_every_resource_in_place(template):
    # app.version is the image tag: --image-tag changes it on every tagged resource,
    # which must update its tags without being replaced.
    for logical_id, resource in template["Resources"].items():
        if "Tags" not in resource.get("Properties", {}):
            continue
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource["Type"]).schema
        assert schema["tagging"]["tagUpdatable"] is True, logical_id
        assert "/properties/Tags" not in schema.get("createOnlyProperties", []), logical_id


def test_the_pages_tag_table_is_the_tags_every_resource_carries(template, stage):
    page = (Path(__file__).resolve().parents[2] / "docs" / "stack.md").read_text()
    section = page.split("\n## Naming and tags\n", 1)[1].split("\n## ", 1)[0]
    rows = {
        match[1]: match[2]
        for match in re.finditer(r"^\| `([\w.]+)` \| (.*) \|$", section, re.M)
        if not match[1].startswith("AppName")
    }
    actual = tags(template["Resources"]["Cluster"])
    assert set(rows) == {
        "framework",
        "framework.version",
        "stage",
        "app.name",
        "app.version",
        "vendor_name",
        "vendor_contact",
    }
    for key, value in rows.items():
        literal = re.fullmatch(r"`([^`]+)`", value)
        if literal:
            assert actual[key] == literal[1], key
    assert actual["stage"] == stage
    assert rows["stage"] == "the stage's name"
    assert actual["app.name"] == {"Ref": "AppName"}
    assert "`AppName`" in rows["app.name"]
    assert actual["app.version"] == {"Ref": "ContainerImageTag"}
    assert rows["app.version"].startswith("the `ContainerImageTag` parameter")
