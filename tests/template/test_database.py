"""Aurora PostgreSQL Serverless v2 (planar_cfn/template/database.py): the Aurora
cluster, version and instances rows of docs/stack.md's components table ("What the
stack holds"), asserted on the rendered templates.

GIVEN the template of a stage, WHEN a component is read from it, THEN it holds
the values that page gives (per stage where the stage matters)."""

import pytest

from planar_cfn.inputs.stages import get_stage
from tests.cfn import evaluate, props, resources_of_type
from tests.template.resolve import resolved
from tests.template.sample import SAMPLE, name_of

# The rows of docs/stack.md's components table these tests assert, and the tests
# that assert each (test_components.py checks the table against every file's rows).
COMPONENTS = {
    "Aurora cluster": (
        "test_aurora_cluster",
        "test_aurora_cluster_listens_on_5432_in_its_subnet_group_behind_its_security_group",
    ),
    "Aurora version": ("test_aurora_version_defaults_to_a_current_16",),
    "Aurora instances": ("test_aurora_instances",),
}


def test_aurora_cluster(template, stage):
    resource = template["Resources"]["DatabaseCluster"]
    p = resource["Properties"]
    prod = stage == "prod"
    assert name_of(p["DBClusterIdentifier"], stage) == f"aurora-pg-{stage}-shop"
    assert p["Engine"] == "aurora-postgresql"
    assert p["EngineVersion"] == {"Ref": "AuroraEngineVersion"}
    assert p["ServerlessV2ScalingConfiguration"] == {
        "MinCapacity": {"Ref": "AuroraMinCapacity"},
        "MaxCapacity": {"Ref": "AuroraMaxCapacity"},
        "SecondsUntilAutoPause": {
            "Fn::If": [
                "AuroraAutoPause",
                {"Ref": "AuroraSecondsUntilAutoPause"},
                {"Ref": "AWS::NoValue"},
            ]
        },
    }
    assert (p["DatabaseName"], p["MasterUsername"]) == ("appdb", "dbadmin")
    assert p["ManageMasterUserPassword"] is True
    assert "MasterUserPassword" not in p
    assert p["BackupRetentionPeriod"] == {"Ref": "BackupRetentionDays"}
    assert p["PreferredBackupWindow"] == "03:00-04:00"
    assert p["StorageEncrypted"] is True
    # The Data API is on by default (DatabaseDataApi true): test_data_api_switch.
    assert evaluate(p["EnableHttpEndpoint"], {}, {"UseDataApi": True}) is True
    assert p["DeletionProtection"] is prod
    assert resource["DeletionPolicy"] == ("Snapshot" if prod else "Delete")
    assert resource["UpdateReplacePolicy"] == "Snapshot"
    subnet_group = props(template, "DatabaseSubnetGroup")
    assert name_of(subnet_group["DBSubnetGroupName"], stage) == f"aurora-subnet-group-{stage}-shop"
    assert subnet_group["SubnetIds"] == {"Ref": "Subnets"}


def test_aurora_cluster_listens_on_5432_in_its_subnet_group_behind_its_security_group(template):
    p = props(template, "DatabaseCluster")
    assert p["Port"] == 5432
    assert p["DBSubnetGroupName"] == {"Ref": "DatabaseSubnetGroup"}
    assert p["VpcSecurityGroupIds"] == [{"Fn::GetAtt": ["DatabaseSecurityGroup", "GroupId"]}]
    # That group admits the cluster's port, and only from the tasks.
    (ingress,) = props(template, "DatabaseSecurityGroup")["SecurityGroupIngress"]
    assert (ingress["IpProtocol"], ingress["FromPort"], ingress["ToPort"]) == ("tcp", 5432, 5432)
    assert ingress["SourceSecurityGroupId"] == {"Fn::GetAtt": ["TaskSecurityGroup", "GroupId"]}


def test_aurora_version_defaults_to_a_current_16(template):
    parameter = template["Parameters"]["AuroraEngineVersion"]
    major, minor = parameter["Default"].split(".")
    assert major == "16"
    assert int(minor) > 6


def test_aurora_instances(template, stage):
    instances = resources_of_type(template, "AWS::RDS::DBInstance")
    expected_readers = get_stage(stage).reader_count
    assert list(instances) == ["DatabaseWriter"] + [
        f"DatabaseReader{i}" for i in range(1, expected_readers + 1)
    ]
    assert expected_readers == (1 if stage == "prod" else 0)
    for index, (logical_id, instance) in enumerate(instances.items()):
        p = instance["Properties"]
        role = "writer" if logical_id == "DatabaseWriter" else f"reader-{index}"
        assert name_of(p["DBInstanceIdentifier"], stage) == f"aurora-pg-{stage}-shop-{role}"
        assert p["DBInstanceClass"] == "db.serverless"
        assert p["DBClusterIdentifier"] == {"Ref": "DatabaseCluster"}
        # PerformanceInsights' and DatabaseMonitoringInterval's defaults: as the stack
        # always set them.
        created = resolved(template)[logical_id]
        assert created["EnablePerformanceInsights"] is True
        assert created["MonitoringInterval"] == "60"
        assert created["MonitoringRoleArn"] == "<DatabaseMonitoringRole.Arn>"
        # Each instance in its own zone when the zones are given; a short list
        # leaves the rest to RDS instead of failing on a Select out of range.
        for zones, expected in (
            ("us-east-1a,us-east-1b,us-east-1c", ["us-east-1a", "us-east-1b"]),
            ("us-east-1a", ["us-east-1a", None]),
            ("", [None, None]),
        ):
            conditions = {
                name: evaluate(condition, {"DatabaseAvailabilityZones": zones})
                for name, condition in template["Conditions"].items()
                if name.startswith("HasDatabaseAvailabilityZone")
            }
            zone = evaluate(
                p["AvailabilityZone"],
                {"DatabaseAvailabilityZones": zones, "AWS::NoValue": None},
                conditions,
            )
            assert zone == expected[index]
    monitoring = props(template, "DatabaseMonitoringRole")
    assert name_of(monitoring["RoleName"], stage) == f"rds-monitoring-role-{stage}-shop"
    (trust,) = monitoring["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": ["monitoring.rds.amazonaws.com"]}
    assert evaluate(monitoring["ManagedPolicyArns"][0], SAMPLE) == (
        "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    )


# The confused-deputy keys the Aurora User Guide documents for enhanced monitoring
# (docs/security.md): this account, and this stack's instances.
def test_monitoring_role_trusts_rds_for_this_stacks_instances_only(template, stage):
    (trust,) = props(template, "DatabaseMonitoringRole")["AssumeRolePolicyDocument"]["Statement"]
    condition = trust["Condition"]
    assert condition["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    source = evaluate(condition["ArnLike"]["aws:SourceArn"], {**SAMPLE, "AWS::AccountId": "1"})
    assert source == f"arn:aws:rds:us-east-1:1:db:aurora-pg-{stage}-shop-*"
    for instance in resources_of_type(template, "AWS::RDS::DBInstance").values():
        name = evaluate(instance["Properties"]["DBInstanceIdentifier"], SAMPLE)
        assert name.startswith(f"aurora-pg-{stage}-shop-")


# DatabaseDataApi (docs/security.md): the seed's Data API stays the default; false
# turns it off.
@pytest.mark.parametrize(("value", "on"), [("true", True), ("false", False)])
def test_data_api_switch(template, value, on):
    assert template["Parameters"]["DatabaseDataApi"]["Default"] == "true"
    assert evaluate(template["Conditions"]["UseDataApi"], {"DatabaseDataApi": value}) is on
    endpoint = props(template, "DatabaseCluster")["EnableHttpEndpoint"]
    assert evaluate(endpoint, {}, {"UseDataApi": on}) is on


# DatabaseRequireTls (docs/security.md): the cluster's parameter group sets
# rds.force_ssl, 1 by default.
@pytest.mark.parametrize(("value", "force_ssl"), [("true", "1"), ("false", "0")])
def test_cluster_requires_tls_through_its_parameter_group(template, value, force_ssl):
    assert template["Parameters"]["DatabaseRequireTls"]["Default"] == "true"
    cluster = props(template, "DatabaseCluster")
    assert cluster["DBClusterParameterGroupName"] == {"Ref": "DatabaseClusterParameterGroup"}
    group = props(template, "DatabaseClusterParameterGroup")
    assert group["Family"] == "aurora-postgresql16"
    assert "DBClusterParameterGroupName" not in group  # unnamed: nothing blocks a replacement
    on = evaluate(template["Conditions"]["RequireDatabaseTls"], {"DatabaseRequireTls": value})
    assert evaluate(group["Parameters"]["rds.force_ssl"], {}, {"RequireDatabaseTls": on}) == (
        force_ssl
    )
