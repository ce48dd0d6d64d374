"""Every row of the components table of docs/stack.md ("What the stack holds"),
asserted on the rendered templates.

GIVEN the template of a stage, WHEN a component is read from it, THEN it holds
the values that page gives (per stage where the stage matters)."""

import json
import re
from pathlib import Path

import pytest

from planar_cfn.inputs.stages import get_stage
from tests.cfn import evaluate, only, props, resources_of_type, tags

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-2b5ab3f1-4d8e-4c4b-9d34-0f1e2a3b4c5d-AbC123"
SAMPLE = {
    "AppName": "shop",
    "BaseDomainName": "example.com",
    "AWS::StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/planar-prod/5f0c9a70-1234-11ef-9f5a-0a1b2c3d4e5f",
    "AWS::Region": "us-east-1",
    "AWS::Partition": "aws",
    "DatabaseCluster.MasterUserSecret.SecretArn": ARN,
}


def name_of(value, stage):
    return evaluate(value, SAMPLE)


def test_ecs_cluster_is_fargate_with_enhanced_insights(template, stage):
    _, cluster = only(template, "AWS::ECS::Cluster")
    p = cluster["Properties"]
    assert name_of(p["ClusterName"], stage) == f"app-cluster-{stage}-shop"
    assert p["ClusterSettings"] == [{"Name": "containerInsights", "Value": "enhanced"}]
    # FARGATE_SPOT too, offered whether or not the service uses it (FargateSpot).
    assert p["CapacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert p["DefaultCapacityProviderStrategy"] == [
        {"CapacityProvider": "FARGATE", "Base": 1, "Weight": 100}
    ]


def test_log_group_name_retention_and_driver(template, stage):
    p = props(template, "ServiceLogGroup")
    assert name_of(p["LogGroupName"], stage) == f"/ecs/planar-service-{stage}-shop"
    assert p["RetentionInDays"] == 14
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
    (container,) = p["ContainerDefinitions"]
    assert container["Name"] == "planar-app"
    assert container["Essential"] is True
    assert container["PortMappings"] == [{"ContainerPort": 8000, "Protocol": "tcp"}]
    image = evaluate(
        container["Image"],
        {
            "ContainerRegistryUrl": "ghcr.io/acme",
            "ContainerImageName": "planar",
            "ContainerImageTag": "v1",
        },
    )
    assert image == "ghcr.io/acme/planar:v1"


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ({"UseRegistryCredentials": False}, None),
        ({"UseRegistryCredentials": True, "UseExistingRegistrySecret": True}, "arn:existing"),
        ({"UseRegistryCredentials": True, "UseExistingRegistrySecret": False}, "arn:created"),
    ],
)
def test_repository_credentials_only_with_a_registry_secret(template, conditions, expected):
    container = props(template, "TaskDefinition")["ContainerDefinitions"][0]
    refs = {
        "RegistryCredentialsSecretArn": "arn:existing",
        "RegistryCredentialsSecret": "arn:created",
        "AWS::NoValue": None,
    }
    value = evaluate(container["RepositoryCredentials"], refs, conditions)
    assert (value and value["CredentialsParameter"]) == expected


def test_container_environment(template, stage):
    container = props(template, "TaskDefinition")["ContainerDefinitions"][0]
    refs = {**SAMPLE, "DatabaseCluster.Endpoint.Address": "db.host", "AppBucket": "bucket-1"}
    env = {e["Name"]: evaluate(e["Value"], refs) for e in container["Environment"]}
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
    assert p["LaunchType"] == {"Fn::If": ["UseFargateSpot", {"Ref": "AWS::NoValue"}, "FARGATE"]}
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
        }
    ]
    assert p["HealthCheckGracePeriodSeconds"] == 60
    # On stack delete the tasks stop before the non-prod bucket is emptied.
    # The writer too: tasks started before the database accepts connections fail.
    assert service["DependsOn"] == ["HttpsListener", "DatabaseWriter"] + (
        [] if stage == "prod" else ["BucketEmptier"]
    )


def test_load_balancer(template, stage):
    p = props(template, "LoadBalancer")
    assert p["Type"] == "application"
    assert p["Scheme"] == {"Fn::If": ["AlbIsInternal", "internal", "internet-facing"]}
    public = {"Fn::Split": [",", {"Ref": "AlbSubnets"}]}
    assert p["Subnets"] == {"Fn::If": ["HasAlbSubnets", public, {"Ref": "Subnets"}]}
    protection = {
        "Key": "deletion_protection.enabled",
        "Value": "true" if stage == "prod" else "false",
    }
    assert protection in p["LoadBalancerAttributes"]
    assert (
        evaluate(tags(template["Resources"]["LoadBalancer"])["Name"], SAMPLE) == f"plb-{stage}-shop"
    )


def test_https_listener_forwards_with_certificate_and_tls13(template):
    p = props(template, "HttpsListener")
    assert (p["Port"], p["Protocol"]) == (443, "HTTPS")
    assert p["Certificates"] == [{"CertificateArn": {"Ref": "Certificate"}}]
    assert p["SslPolicy"].startswith("ELBSecurityPolicy-TLS13-")
    assert p["DefaultActions"] == [{"Type": "forward", "TargetGroupArn": {"Ref": "TargetGroup"}}]


def test_http_listener_redirects_to_https(template):
    p = props(template, "HttpRedirectListener")
    assert (p["Port"], p["Protocol"]) == (80, "HTTP")
    (action,) = p["DefaultActions"]
    assert action["Type"] == "redirect"
    assert action["RedirectConfig"]["Protocol"] == "HTTPS"
    assert action["RedirectConfig"]["Port"] == "443"
    assert action["RedirectConfig"]["StatusCode"] == "HTTP_301"


def test_target_group(template, stage):
    p = props(template, "TargetGroup")
    expected = {
        "TargetType": "ip",
        "Port": 8000,
        "Protocol": "HTTP",
        "HealthCheckPath": "/planar/v1/health",
        "HealthCheckIntervalSeconds": 30,
        "HealthCheckTimeoutSeconds": 5,
        "HealthyThresholdCount": 2,
        "UnhealthyThresholdCount": 10,
        "Matcher": {"HttpCode": "200-499"},
        "HealthCheckPort": "traffic-port",
    }
    assert {k: p[k] for k in expected} == expected
    assert (
        evaluate(tags(template["Resources"]["TargetGroup"])["Name"], SAMPLE) == f"ptg-{stage}-shop"
    )
    # Named after the load balancer's id: a replaced load balancer brings a new target group.
    alb_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/plb-x/50dc6c495c0c9188"
    name = evaluate(p["Name"], {"LoadBalancer": alb_arn})
    assert name == f"ptg-{stage}-50dc6c495c0c9188"
    assert len(name) <= 32


def test_certificate_validated_by_dns_in_the_zone(template, stage):
    p = props(template, "Certificate")
    # The base domain (at most 64 characters) is the first name; the app's domain, which
    # may be longer than ACM's 64-octet limit on a first name, is a SAN (up to 253).
    assert evaluate(p["DomainName"], SAMPLE) == "example.com"
    assert evaluate(p["SubjectAlternativeNames"], SAMPLE) == [f"shop-{stage}.example.com"]
    assert p["ValidationMethod"] == "DNS"
    options = p["DomainValidationOptions"]
    assert [o["HostedZoneId"] for o in options] == [{"Ref": "HostedZoneId"}] * 2
    assert [evaluate(o["DomainName"], SAMPLE) for o in options] == [
        "example.com",
        f"shop-{stage}.example.com",
    ]


def test_route53_alias_to_the_load_balancer(template, stage):
    _, record = only(template, "AWS::Route53::RecordSet")
    p = record["Properties"]
    assert evaluate(p["Name"], SAMPLE) == f"shop-{stage}.example.com"
    assert p["Type"] == "A"
    assert p["AliasTarget"] == {
        "DNSName": {"Fn::GetAtt": ["LoadBalancer", "DNSName"]},
        "HostedZoneId": {"Fn::GetAtt": ["LoadBalancer", "CanonicalHostedZoneID"]},
        "EvaluateTargetHealth": True,
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
    assert p["EnableHttpEndpoint"] is True
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
        assert p["EnablePerformanceInsights"] is True
        assert p["MonitoringInterval"] == 60
        assert p["MonitoringRoleArn"] == {"Fn::GetAtt": ["DatabaseMonitoringRole", "Arn"]}
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
    principal = monitoring["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
    assert principal == {"Service": ["monitoring.rds.amazonaws.com"]}
    assert evaluate(monitoring["ManagedPolicyArns"][0], SAMPLE) == (
        "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    )


def test_bucket(template, stage):
    resource = template["Resources"]["AppBucket"]
    p = resource["Properties"]
    assert evaluate(p["BucketName"], SAMPLE) == f"planar-{stage}-shop-5f0c9a70"
    assert p["VersioningConfiguration"] == {"Status": "Enabled"}
    (rule,) = evaluate(
        p["BucketEncryption"]["ServerSideEncryptionConfiguration"],
        {},
        {"UseCustomerManagedKey": False},
    )
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "AES256"
    }  # unless the key switch is on
    assert p["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    (cors,) = p["CorsConfiguration"]["CorsRules"]
    assert cors["AllowedMethods"] == ["GET"]
    assert cors["AllowedHeaders"] == ["*"]
    assert cors["MaxAge"] == 3000
    assert "ExposedHeaders" not in cors

    def origins(values, has):
        return evaluate(
            cors["AllowedOrigins"], {"CorsAllowedOrigins": values}, {"HasCorsOrigins": has}
        )

    assert origins("", False) == ["null"]
    assert origins("https://a.example.com,https://b.example.com", True) == [
        "null",
        "https://a.example.com",
        "https://b.example.com",
    ]


def test_bucket_policy_denies_insecure_transport(template):
    p = props(template, "AppBucketPolicy")
    assert p["Bucket"] == {"Ref": "AppBucket"}
    (statement,) = p["PolicyDocument"]["Statement"]
    assert statement["Sid"] == "DenyInsecureConnections"
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == "*"
    assert statement["Action"] == ["s3:*"]
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    resources = [evaluate(r, {"AppBucket.Arn": "arn:aws:s3:::b"}) for r in statement["Resource"]]
    assert resources == ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]


def test_bucket_teardown_per_stage(template, stage):
    bucket = template["Resources"]["AppBucket"]
    assert bucket["UpdateReplacePolicy"] == "Retain"  # a replacement never loses objects
    emptier = template["Resources"].get("BucketEmptier")
    if stage == "prod":
        assert bucket["DeletionPolicy"] == "Retain"
        assert emptier is None
        assert not resources_of_type(template, "AWS::Lambda::Function")
    else:
        assert bucket["DeletionPolicy"] == "Delete"
        assert emptier["Properties"]["BucketName"] == {"Ref": "AppBucket"}
        function = props(template, "BucketEmptierFunction")
        assert emptier["Properties"]["ServiceToken"] == {
            "Fn::GetAtt": ["BucketEmptierFunction", "Arn"]
        }
        assert "def handler(event, context)" in function["Code"]["ZipFile"]
        assert len(function["Code"]["ZipFile"]) <= 4096  # CloudFormation's inline code limit


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


def _statements(role: dict) -> list[dict]:
    """Statements of the role's unconditional inline policies."""
    policies = role["Properties"].get("Policies", [])
    return [s for p in policies if "PolicyDocument" in p for s in p["PolicyDocument"]["Statement"]]


def test_execution_role(template, stage):
    role = template["Resources"]["ExecutionRole"]
    p = role["Properties"]
    assert name_of(p["RoleName"], stage) == f"ecs-execution-role-{stage}-shop"
    assert p["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": ["ecs-tasks.amazonaws.com"]
    }
    assert evaluate(p["ManagedPolicyArns"][0], SAMPLE).endswith(
        "service-role/AmazonECSTaskExecutionRolePolicy"
    )
    refs = {
        "RegistryCredentialsSecretArn": "arn:existing",
        "RegistryCredentialsSecret": "arn:created",
        "AWS::NoValue": None,
    }
    # Only when a registry secret exists, and only on that secret.
    no_key = {"UseCustomerManagedKey": False}
    assert evaluate(p["Policies"], refs, {**no_key, "UseRegistryCredentials": False}) == [
        None,
        None,
    ]
    policies = evaluate(
        p["Policies"],
        refs,
        {**no_key, "UseRegistryCredentials": True, "UseExistingRegistrySecret": False},
    )
    (policy,) = filter(None, policies)
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    assert statement["Resource"] == ["arn:created"]


def test_task_role_is_assumed_by_ecs_tasks_only(template):
    trust = props(template, "TaskRole")["AssumeRolePolicyDocument"]
    assert trust == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["ecs-tasks.amazonaws.com"]},
                "Action": ["sts:AssumeRole"],
            }
        ],
    }


def test_task_role(template, stage):
    role = template["Resources"]["TaskRole"]
    assert name_of(role["Properties"]["RoleName"], stage) == f"ecs-task-role-{stage}-shop"
    by_action = {}
    for statement in _statements(role):
        for action in statement["Action"]:
            by_action.setdefault(action, []).extend(statement["Resource"])
    bedrock_policy = [
        p
        for p in role["Properties"]["Policies"]
        if p.get("Fn::If", [None])[0] == "AllBedrockModels"
    ]
    assert bedrock_policy
    assert bedrock_policy[0]["Fn::If"][0] == "AllBedrockModels"
    for branch in bedrock_policy[0]["Fn::If"][1:]:
        for statement in branch["PolicyDocument"]["Statement"]:
            for action in statement["Action"]:
                by_action.setdefault(action, []).append(statement["Resource"])
    read = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    for action in read:
        assert by_action[action] == [
            {"Fn::GetAtt": ["DatabaseCluster", "MasterUserSecret.SecretArn"]},
            {"Ref": "CustomSecret"},
        ]
    bucket = {"Fn::GetAtt": ["AppBucket", "Arn"]}
    objects = {"Fn::Sub": ["${Bucket}/*", {"Bucket": bucket}]}
    for action in (
        "GetObject",
        "PutObject",
        "DeleteObject",
        "AbortMultipartUpload",
        "ListMultipartUploadParts",
    ):
        assert by_action[f"s3:{action}"] == [bucket, objects]
    assert by_action["s3:ListBucket"] == [bucket]
    for action in (
        "InvokeModel",
        "InvokeModelWithResponseStream",
        "ListFoundationModels",
        "GetFoundationModel",
    ):
        assert f"bedrock:{action}" in by_action


def _rules(template, group_id):
    return template["Resources"][group_id]["Properties"]


def test_security_groups(template):
    alb = _rules(template, "LoadBalancerSecurityGroup")
    clients = {"Fn::If": ["AlbIsInternal", {"Ref": "VpcCidr"}, "0.0.0.0/0"]}
    assert [(r["FromPort"], r["CidrIp"]) for r in alb["SecurityGroupIngress"]] == [
        (443, clients),
        (80, clients),
    ]
    (egress,) = alb["SecurityGroupEgress"]
    assert (egress["FromPort"], egress["ToPort"]) == (8000, 8000)
    assert egress["DestinationSecurityGroupId"] == {"Fn::GetAtt": ["TaskSecurityGroup", "GroupId"]}
    ingress = props(template, "TaskIngressFromLoadBalancer")
    assert (ingress["FromPort"], ingress["ToPort"]) == (8000, 8000)
    assert ingress["SourceSecurityGroupId"] == {
        "Fn::GetAtt": ["LoadBalancerSecurityGroup", "GroupId"]
    }
    tasks = _rules(template, "TaskSecurityGroup")
    assert "SecurityGroupIngress" not in tasks  # only the rule from the load balancer
    assert tasks["SecurityGroupEgress"][0]["IpProtocol"] == "-1"
    database = _rules(template, "DatabaseSecurityGroup")
    (db_ingress,) = database["SecurityGroupIngress"]
    assert (db_ingress["FromPort"], db_ingress["ToPort"]) == (5432, 5432)
    assert db_ingress["SourceSecurityGroupId"] == {"Fn::GetAtt": ["TaskSecurityGroup", "GroupId"]}
    every_rule = [
        r
        for group in ("LoadBalancerSecurityGroup", "TaskSecurityGroup", "DatabaseSecurityGroup")
        for key in ("SecurityGroupIngress", "SecurityGroupEgress")
        for r in _rules(template, group).get(key, [])
    ] + [ingress]
    assert all(r.get("Description") for r in every_rule)


def test_outputs(template):
    required = {
        "LoadBalancerDnsName",
        "LoadBalancerZoneId",
        "EcsClusterName",
        "EcsServiceName",
        "DatabaseEndpoint",
        "DatabaseReaderEndpoint",
        "BucketName",
        "BucketArn",
        "DatabaseSecretArn",
        "CustomSecretArn",
        "RegistrySecretArn",
        "CertificateArn",
        "DomainName",
        "Region",
        "ContainerImage",
        "ExecutionRoleArn",
        "TaskRoleArn",
        "TaskDefinitionFamily",
    }
    assert required <= set(template["Outputs"])
    assert template["Outputs"]["RegistrySecretArn"]["Condition"] == "UseRegistryCredentials"
    assert all(output.get("Description") for output in template["Outputs"].values())


# --- the page and the tests agree ----------------------------------------------------

STACK_PAGE = Path(__file__).resolve().parents[2] / "docs" / "stack.md"
# Each row of the page's components table, and the tests above that assert it.
COMPONENT_TESTS = {
    "ECS cluster": ("test_ecs_cluster_is_fargate_with_enhanced_insights",),
    "log group": ("test_log_group_name_retention_and_driver",),
    "task definition": (
        "test_task_definition",
        "test_repository_credentials_only_with_a_registry_secret",
    ),
    "container environment": ("test_container_environment",),
    "service": ("test_service",),
    "load balancer": ("test_load_balancer",),
    "listeners": (
        "test_https_listener_forwards_with_certificate_and_tls13",
        "test_http_listener_redirects_to_https",
    ),
    "target group": ("test_target_group",),
    "certificate": ("test_certificate_validated_by_dns_in_the_zone",),
    "DNS record": ("test_route53_alias_to_the_load_balancer",),
    "Aurora cluster": (
        "test_aurora_cluster",
        "test_aurora_cluster_listens_on_5432_in_its_subnet_group_behind_its_security_group",
    ),
    "Aurora version": ("test_aurora_version_defaults_to_a_current_16",),
    "Aurora instances": ("test_aurora_instances",),
    "bucket": ("test_bucket", "test_bucket_policy_denies_insecure_transport"),
    "bucket teardown": ("test_bucket_teardown_per_stage",),
    "secrets": ("test_secrets",),
    "execution role": ("test_execution_role",),
    "task role": ("test_task_role_is_assumed_by_ecs_tasks_only", "test_task_role"),
    "security groups": ("test_security_groups",),
    "outputs": ("test_outputs",),
}


def _component_rows() -> dict[str, str]:
    section = STACK_PAGE.read_text().split("\n## Components\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:]
    return {row.split("|")[1].strip(): row for row in rows}


def test_every_row_of_the_components_table_is_tested_here():
    assert set(_component_rows()) == set(COMPONENT_TESTS)
    for names in COMPONENT_TESTS.values():
        for name in names:
            assert callable(globals().get(name)), name


def test_the_components_tables_outputs_are_the_templates(template):
    # Every output the page names is in every stage's template: the 18 test_outputs requires.
    named = set(re.findall(r"`(\w+)`", _component_rows()["outputs"]))
    assert len(named) == 18
    assert named <= set(template["Outputs"])
