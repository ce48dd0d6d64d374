"""ECS on Fargate (planar_cfn/template/service.py): the cluster, log group, task
definition, container environment and service rows of docs/stack.md's components
table ("What the stack holds"), asserted on the rendered templates.

GIVEN the template of a stage, WHEN a component is read from it, THEN it holds
the values that page gives (per stage where the stage matters)."""

import re

import pytest

from tests.cfn import NO_VALUE, evaluate, only, props
from tests.template.resolve import resolved
from tests.template.sample import SAMPLE, name_of

# The rows of docs/stack.md's components table these tests assert, and the tests
# that assert each (test_components.py checks the table against every file's rows).
COMPONENTS = {
    "ECS cluster": ("test_ecs_cluster_is_fargate_with_enhanced_insights",),
    "log group": ("test_log_group_name_retention_and_driver",),
    "task definition": (
        "test_task_definition",
        "test_repository_credentials_only_with_a_registry_secret",
    ),
    "container environment": ("test_container_environment",),
    "service": ("test_service",),
}


def test_ecs_cluster_is_fargate_with_enhanced_insights(template, stage):
    _, cluster = only(template, "AWS::ECS::Cluster")
    p = cluster["Properties"]
    assert name_of(p["ClusterName"], stage) == f"app-cluster-{stage}-shop"
    # ContainerInsights' default: as the original module set it.
    assert resolved(template)["Cluster"]["ClusterSettings"] == [
        {"Name": "containerInsights", "Value": "enhanced"}
    ]
    # FARGATE_SPOT too, offered whether or not the service uses it (FargateSpot).
    assert p["CapacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert p["DefaultCapacityProviderStrategy"] == [
        {"CapacityProvider": "FARGATE", "Base": 1, "Weight": 100}
    ]


def test_log_group_name_retention_and_driver(template, stage):
    p = props(template, "ServiceLogGroup")
    assert name_of(p["LogGroupName"], stage) == f"/ecs/planar-service-{stage}-shop"
    assert resolved(template)["ServiceLogGroup"]["RetentionInDays"] == "14"
    log = props(template, "TaskDefinition")["ContainerDefinitions"][0]["LogConfiguration"]
    assert log["LogDriver"] == "awslogs"
    assert log["Options"]["awslogs-stream-prefix"] == "ecs"
    assert log["Options"]["awslogs-group"] == {"Ref": "ServiceLogGroup"}


def test_task_definition(template, stage):
    p = props(template, "TaskDefinition")
    assert name_of(p["Family"], stage) == f"planar-service-{stage}-shop"
    assert p["RequiresCompatibilities"] == ["FARGATE"]
    assert p["NetworkMode"] == "awsvpc"
    assert p["Cpu"] == {"Ref": "ContainerCpu"}
    assert p["Memory"] == {"Ref": "ContainerMemory"}
    assert p["ExecutionRoleArn"] == {"Fn::GetAtt": ["ExecutionRole", "Arn"]}
    assert p["TaskRoleArn"] == {"Fn::GetAtt": ["TaskRole", "Arn"]}
    container, collector = p["ContainerDefinitions"]
    # The OpenTelemetry collector only with Telemetry (test_telemetry.py).
    assert collector["Fn::If"][0] == "UseTelemetry"
    assert collector["Fn::If"][2] == {"Ref": "AWS::NoValue"}
    assert container["Name"] == "planar-app"
    assert container["Essential"] is True
    assert container["PortMappings"] == [{"ContainerPort": 8000, "Protocol": "tcp"}]
    assert _image(template, container, "v1") == "ghcr.io/acme/planar:v1"


DIGEST = "@sha256:" + "0123456789abcdef" * 4


REPOSITORY_URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/planar-app-dev-shop"


def _image(template, container, tag, ecr=False):
    refs = {
        "ContainerRegistryUrl": "" if ecr else "ghcr.io/acme",
        "ContainerImageName": "" if ecr else "planar",
        "ContainerImageTag": tag,
        "EcrRepository": "true" if ecr else "false",
        "Repository.RepositoryUri": REPOSITORY_URI,
    }
    conditions = {
        name: evaluate(template["Conditions"][name], refs)
        for name in ("ImageTagIsDigest", "CreateEcrRepository")
    }
    return evaluate(container["Image"], refs, conditions)


# An image pinned by digest (docs/security.md): ContainerImageTag takes @sha256:<64 hex>,
# and the image is then {registry}/{name}@sha256:..., which a retagged image cannot change.
@pytest.mark.parametrize(
    ("tag", "image"),
    [
        ("1.4.2", "ghcr.io/acme/planar:1.4.2"),
        (DIGEST, "ghcr.io/acme/planar" + DIGEST),
    ],
)
def test_image_tag_or_digest(template, tag, image):
    container = props(template, "TaskDefinition")["ContainerDefinitions"][0]
    assert _image(template, container, tag) == image
    # From the stack's own repository (EcrRepository), the same tag or digest.
    assert _image(template, container, tag, ecr=True) == REPOSITORY_URI + image.removeprefix(
        "ghcr.io/acme/planar"
    )
    pattern = re.compile(template["Parameters"]["ContainerImageTag"]["AllowedPattern"])
    assert pattern.fullmatch(tag)
    for refused in ("sha256:" + "0" * 64, "@sha256:" + "0" * 63, "@sha256:" + "A" * 64, "@x"):
        assert not pattern.fullmatch(refused)


REGISTRY_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:planar/registry/x-AbC123"


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ({"UseRegistryCredentials": False}, None),
        ({"UseRegistryCredentials": True, "UseExistingRegistrySecret": True}, REGISTRY_SECRET),
        ({"UseRegistryCredentials": True, "UseExistingRegistrySecret": False}, "arn:created"),
    ],
)
def test_repository_credentials_only_with_a_registry_secret(template, conditions, expected):
    container = props(template, "TaskDefinition")["ContainerDefinitions"][0]
    refs = {
        "RegistryCredentialsSecretArn": REGISTRY_SECRET,
        "RegistryCredentialsSecret": "arn:created",
        "AWS::Partition": "aws",
        "AWS::Region": "us-east-1",
        "AWS::AccountId": "123456789012",
        "AWS::NoValue": None,
    }
    value = evaluate(container["RepositoryCredentials"], refs, conditions)
    assert (value and value["CredentialsParameter"]) == expected


def test_container_environment(template, stage):
    container = props(template, "TaskDefinition")["ContainerDefinitions"][0]
    refs = {
        **SAMPLE,
        "DatabaseCluster.Endpoint.Address": "db.host",
        "AppBucket": "bucket-1",
        "AWS::NoValue": NO_VALUE,
    }
    # Without WorkOS ids or Telemetry (their variables: test_telemetry.py).
    off = {"HasWorkosClientId": False, "HasWorkosOrgId": False, "UseTelemetry": False}
    env = {e["Name"]: e["Value"] for e in evaluate(container["Environment"], refs, off)}
    assert env == {
        # The name, not the ARN: the ARN's random 6-character suffix is dropped.
        "DB_SECRET_NAME": "rds!cluster-2b5ab3f1-4d8e-4c4b-9d34-0f1e2a3b4c5d",
        "DB_HOST": "db.host",
        "S3_BUCKET_NAME": "bucket-1",
        "STAGE": stage,
        "APP_NAME": "shop",
        "CUSTOM_SECRET_NAME": f"custom-secret-{stage}-shop",
    }


def test_service(template, stage):
    service = template["Resources"]["Service"]
    p = service["Properties"]
    assert name_of(p["ServiceName"], stage) == f"planar-service-{stage}-shop"
    # On-demand Fargate and the input's count unless FargateSpot and Autoscaling say
    # otherwise (tests/template/test_scaling.py).
    assert "LaunchType" not in p
    assert p["CapacityProviderStrategy"] == {
        "Fn::If": [
            "UseFargateSpot",
            [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}],
            [{"CapacityProvider": "FARGATE", "Weight": 1}],
        ]
    }
    assert p["DesiredCount"] == {
        "Fn::If": ["UseAutoscaling", {"Ref": "AWS::NoValue"}, {"Ref": "DesiredCount"}]
    }
    deployment = p["DeploymentConfiguration"]
    assert (deployment["MinimumHealthyPercent"], deployment["MaximumPercent"]) == (50, 200)
    assert deployment["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    network = p["NetworkConfiguration"]["AwsvpcConfiguration"]
    assert network["Subnets"] == {"Ref": "Subnets"}
    assert network["AssignPublicIp"] == "DISABLED"
    assert network["SecurityGroups"] == [{"Fn::GetAtt": ["TaskSecurityGroup", "GroupId"]}]
    assert p["LoadBalancers"] == [
        {
            "ContainerName": "planar-app",
            "ContainerPort": 8000,
            "TargetGroupArn": {"Ref": "TargetGroup"},
            # ECS's traffic shift (tests/template/test_rollout.py).
            "AdvancedConfiguration": {
                "Fn::If": [
                    "UsesTrafficShift",
                    {
                        "AlternateTargetGroupArn": {"Ref": "AlternateTargetGroup"},
                        "ProductionListenerRule": {"Ref": "ProductionListenerRule"},
                        "RoleArn": {"Fn::GetAtt": ["DeploymentRole", "Arn"]},
                    },
                    {"Ref": "AWS::NoValue"},
                ]
            },
        }
    ]
    assert p["HealthCheckGracePeriodSeconds"] == 60
    # On stack delete the tasks stop before the non-prod bucket is emptied.
    # The writer too: tasks started before the database accepts connections fail.
    assert service["DependsOn"] == ["HttpsListener", "DatabaseWriter"] + (
        [] if stage == "prod" else ["BucketEmptier"]
    )
