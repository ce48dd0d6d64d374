"""Which property changes replace a resource, read from cfn-lint's bundled resource
schemas (create-only and conditionally create-only properties), as a change set's
Replacement says it; the --diff uses it offline."""

import pytest

from planar_cfn.lint.schemas import replacement, resource_schema


@pytest.mark.parametrize(
    ("resource_type", "prop", "replaced"),
    [
        ("AWS::ECS::TaskDefinition", "Cpu", "True"),
        ("AWS::ECS::TaskDefinition", "ContainerDefinitions", "True"),
        ("AWS::ECS::Service", "DesiredCount", "False"),
        ("AWS::ECS::Service", "LaunchType", "Conditional"),
        ("AWS::RDS::DBCluster", "KmsKeyId", "True"),
        ("AWS::RDS::DBCluster", "BackupRetentionPeriod", "False"),
        ("AWS::ElasticLoadBalancingV2::TargetGroup", "HealthCheckPath", "False"),
        ("Custom::EnvironmentFile", "Environment", ""),
    ],
)
def test_a_property_replaces_its_resource_as_the_schema_says(resource_type, prop, replaced):
    assert replacement(resource_type, prop) == replaced


def test_an_unknown_type_is_refused_by_name():
    with pytest.raises(
        ValueError, match="'Custom::X': cfn-lint's us-east-1 schemas have no such type"
    ):
        resource_schema("Custom::X")
