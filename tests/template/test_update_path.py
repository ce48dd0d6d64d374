"""The hardening reaches a running stack as an update, never a replacement
(docs/security.md, "Updating a running stack"): each property it changes on a resource
that existed before is one that cfn-lint's bundled CloudFormation resource schema does
not list as create-only, the schema's form of the reference's "Update requires:
Replacement". The database cluster above all: a replacement would start it empty.

GIVEN the rendered template of a stage, WHEN the properties the hardening set are
looked up in their resource type's schema, THEN none of them is create-only."""

import pytest

from planar_cfn.lint.schemas import replacement, resource_schema

# (logical id, property) the hardening added or changed on resources every running
# stack already has.
CHANGED = (
    ("DatabaseCluster", "DBClusterParameterGroupName"),
    ("DatabaseCluster", "EnableHttpEndpoint"),
    ("DatabaseMonitoringRole", "AssumeRolePolicyDocument"),
    ("TaskRole", "AssumeRolePolicyDocument"),
    ("TaskRole", "Policies"),
    ("ExecutionRole", "AssumeRolePolicyDocument"),
    ("ExecutionRole", "Policies"),
    ("TaskSecurityGroup", "SecurityGroupEgress"),
    ("HttpsListener", "ListenerAttributes"),
    ("AppBucket", "OwnershipControls"),
    ("AppBucket", "CorsConfiguration"),
    ("FirewallWebAcl", "Rules"),
)


def _create_only(resource_type: str) -> frozenset[str]:
    schema = resource_schema(resource_type)
    return frozenset(p.removeprefix("/properties/") for p in schema["createOnlyProperties"])


@pytest.mark.parametrize(("logical_id", "prop"), CHANGED)
def test_the_hardening_updates_in_place(template, logical_id, prop):
    resource = template["Resources"][logical_id]
    assert prop in resource["Properties"], (logical_id, prop)
    assert prop not in _create_only(resource["Type"]), (logical_id, prop)
    assert replacement(resource["Type"], prop) != "True", (logical_id, prop)


def test_the_database_clusters_create_only_properties_are_the_ones_it_always_had(template):
    # What would replace the cluster: its name, subnet group, database name, key and
    # encryption; none of them is what the hardening changes.
    touched = {prop for logical_id, prop in CHANGED if logical_id == "DatabaseCluster"}
    assert touched.isdisjoint(_create_only("AWS::RDS::DBCluster"))
    assert {"DBClusterIdentifier", "DBSubnetGroupName", "KmsKeyId"} <= _create_only(
        "AWS::RDS::DBCluster"
    )
