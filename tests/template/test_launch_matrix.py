"""The launch matrix: every launch a stage's template accepts deploys.

cfn-lint checks a template's form; a launch still fails when a value the template
accepts yields a Ref to a resource its condition leaves out, a subnet list in one
Availability Zone or a certificate name ACM refuses. Each parameter set here is
evaluated offline the way CloudFormation would (tests/cfn.py, Launch), and the facts
AWS enforces are asserted on what would be created. The stage file refuses exactly
the launches the template refuses, both ways, except the few checks CloudFormation
cannot express, listed in STAGE_FILE_ONLY; and what only the account can tell (which
zone holds a subnet) is refused by the deploy's look-ups, listed in LOOKUP_ONLY."""

from __future__ import annotations

import copy
import json
import re

import boto3
import pytest
from botocore.stub import Stubber

from planar_cfn.deploy import lookups
from planar_cfn.inputs.parameters import SPECS_BY_NAME
from planar_cfn.inputs.stage_file import PASSWORD_ENV, StageFileError, load
from planar_cfn.inputs.stages import STAGE_NAMES, get_stage
from tests.aws_limits import ACM_FIRST_NAME_MAX_LENGTH, FARGATE_TASK_SIZES
from tests.cfn import Launch, resources_of_type

REGION, ACCOUNT = "us-east-1", "123456789012"
PRIVATE = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0eeeeeeeeeeeeeee5"]
PUBLIC = ["subnet-0ccccccccccccccc3", "subnet-0ddddddddddddddd4"]
SAME_ZONE_AS_FIRST = "subnet-0fffffffffffffff6"
# The account's subnets, as DescribeSubnets would answer.
ZONE_OF = {
    **dict(zip(PRIVATE, ["us-east-1a", "us-east-1b", "us-east-1c"], strict=True)),
    **dict(zip(PUBLIC, ["us-east-1a", "us-east-1b"], strict=True)),
    SAME_ZONE_AS_FIRST: "us-east-1a",
}
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:planar/registry/ghcr-AbC123"
TELEMETRY = {
    "Telemetry": "true",
    "TelemetryEndpoint": "https://telemetry.example.com",
    "TelemetryTokenSecretArn": SECRET_ARN.replace("planar/registry/ghcr", "planar/telemetry/gw"),
}
WEB_ACL_ARN = (
    "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/acme/0123abcd-4567-89ef-0123-456789abcdef"
)
MODELS = [
    "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "anthropic.claude-opus-4-5-20251101-v1:0",
    "anthropic.claude-haiku-4-5-20251001-v1:0",
    "amazon.nova-pro-v1:0",
    "meta.llama3-70b-instruct-v1:0",
]
# The longest base domain accepted: 64 characters (ACM's limit on a certificate's first
# name), every label within DNS's 63.
LONGEST_DOMAIN = "a" * 52 + ".example.com"
LONGEST_APP = "a" + "b" * 35
TOPIC = "arn:aws:sns:us-east-1:123456789012:acme-alarms"

# A valid launch, as CloudFormation receives it: an internal load balancer in the
# private subnets, no registry credentials, the template defaults for everything else.
BASE = {
    "AppName": "acme",
    "VpcId": "vpc-0123456789abcdef0",
    "VpcCidr": "10.0.0.0/16",
    "Subnets": ",".join(PRIVATE[:2]),
    "AlbInternal": "true",
    "BaseDomainName": "example.com",
    "HostedZoneId": "Z0123456789ABCDEFGHIJ",
    "ContainerRegistryUrl": "ghcr.io/acme",
    "ContainerImageName": "planar-app",
    "ContainerImageTag": "1.4.2",
    "DatabaseAvailabilityZones": "us-east-1a,us-east-1b",
}
INTERNET_FACING = {"AlbInternal": "false", "AlbSubnets": ",".join(PUBLIC)}
USER = {"RegistryUsername": "acme-bot", "RegistryPassword": "s3cret-token"}
EVERYTHING = {
    **INTERNET_FACING,
    **USER,
    "CustomerManagedKey": "true",
    "WebAcl": "create",
    "AccessLogsBucket": "acme-access-logs",
    "CorsAllowedOrigins": "https://app.example.com,http://localhost:3000",
    "Subnets": ",".join(PRIVATE),
    "DatabaseAvailabilityZones": "us-east-1a,us-east-1b,us-east-1c",
    "BedrockModelIds": ",".join(MODELS[:4]),
}


def case(name: str, **overrides: str):
    return pytest.param({**BASE, **overrides}, id=name)


ACCEPTED = [
    case("internal"),
    case(
        "telemetry-everything-and-workos",
        **TELEMETRY,
        TelemetryContainerMetrics="true",
        TelemetryLogsPipeline="true",
        TelemetryCustomerName="acme",
        TelemetryLogRetentionDays="30",
        WorkosClientId="client_01HZX3Y4ABCDEFGHJKMNPQRSTV",
        WorkosOrgId="org_01HZX3Y4ABCDEFGHJKMNPQRSTV",
    ),
    case("internal-with-alb-subnets", AlbSubnets=",".join(PUBLIC)),
    case("internet-facing", **INTERNET_FACING),
    case("registry-existing-secret", RegistryCredentialsSecretArn=SECRET_ARN),
    case("registry-username-password", **USER),
    case("customer-managed-key", CustomerManagedKey="true"),
    case("web-acl-create", WebAcl="create"),
    case("web-acl-existing", WebAcl=WEB_ACL_ARN),
    case("access-logs", AccessLogsBucket="acme-access-logs"),
    case("aurora-0-to-1", AuroraMinCapacity="0", AuroraMaxCapacity="1"),
    case("aurora-0.5-to-256", AuroraMinCapacity="0.5", AuroraMaxCapacity="256"),
    case("aurora-256-to-256", AuroraMinCapacity="256", AuroraMaxCapacity="256"),
    case("cpu-256-memory-512", ContainerCpu="256", ContainerMemory="512"),
    case("cpu-16384-memory-122880", ContainerCpu="16384", ContainerMemory="122880"),
    case("desired-count-0", DesiredCount="0"),
    case("desired-count-100", DesiredCount="100"),
    case("autoscaling-defaults", Autoscaling="true"),
    case(
        "autoscaling-2-to-10", Autoscaling="true", AutoscalingMinCount="2", AutoscalingMaxCount="10"
    ),
    case(
        "autoscaling-1-to-100-extreme-targets",
        Autoscaling="true",
        AutoscalingMaxCount="100",
        AutoscalingCpuTarget="90",
        AutoscalingRequestsPerTarget="99999",
    ),
    case(
        "autoscaling-100-to-100",
        Autoscaling="true",
        AutoscalingMinCount="100",
        AutoscalingMaxCount="100",
    ),
    case("aurora-auto-pause-one-day", AuroraMinCapacity="0", AuroraSecondsUntilAutoPause="86400"),
    case("aurora-auto-pause-delay-ignored-above-0", AuroraSecondsUntilAutoPause="3600"),
    case(
        "cors-several",
        CorsAllowedOrigins="https://app.example.com,https://*.example.org,http://localhost:3000",
    ),
    case(
        "database-zones-three",
        Subnets=",".join(PRIVATE),
        DatabaseAvailabilityZones="us-east-1a,us-east-1b,us-east-1c",
    ),
    case("bedrock-one-model", BedrockModelIds=MODELS[0]),
    case("bedrock-three-models", BedrockModelIds=",".join(MODELS[:3])),
    case("bedrock-four-models", BedrockModelIds=",".join(MODELS[:4])),
    case("bedrock-every-model", BedrockModelIds="*"),
    case("shortest-app-longest-domain", AppName="a", BaseDomainName=LONGEST_DOMAIN),
    case("longest-app-longest-domain", AppName=LONGEST_APP, BaseDomainName=LONGEST_DOMAIN),
    # Each deployment strategy (docs/stack.md, Rollouts), and the paging alarms on and off.
    case("strategy-rolling-alarms-off", DeploymentStrategy="ROLLING", Alarms="false"),
    case(
        "strategy-canary-alarms-to-topics",
        DeploymentStrategy="CANARY",
        Alarms="true",
        AlarmTopicArns=f"{TOPIC},{TOPIC}-chat",
    ),
    case("strategy-canary-0.1-percent", DeploymentStrategy="CANARY", TrafficShiftPercent="0.1"),
    case(
        "strategy-linear-3-percent",
        DeploymentStrategy="LINEAR",
        TrafficShiftPercent="3",
        TrafficShiftBakeMinutes="57",
        BakeTimeMinutes="0",
    ),
    case("strategy-blue-green", DeploymentStrategy="BLUE_GREEN", BakeTimeMinutes="1440"),
    case("drain-3600-seconds-alarms-on", DeregistrationDelaySeconds="3600", Alarms="true"),
    case("everything-on", **EVERYTHING),
    case(
        "everything-on-existing-secret-and-web-acl",
        **{
            **EVERYTHING,
            "RegistryUsername": "",
            "RegistryPassword": "",
            "RegistryCredentialsSecretArn": SECRET_ARN,
            "WebAcl": WEB_ACL_ARN,
        },
    ),
]

_launches: dict[tuple, Launch] = {}


def launched(template: dict, stage: str, values: dict[str, str]) -> Launch:
    """One evaluation per stage and parameter set, shared by the tests below."""
    key = (stage, tuple(sorted(values.items())))
    if key not in _launches:
        stack_name = f"planar-{stage}-{values['AppName']}"
        _launches[key] = Launch(
            template, values, region=REGION, account=ACCOUNT, stack_name=stack_name
        )
    return _launches[key]


@pytest.fixture(params=ACCEPTED)
def launch(request, template, stage) -> Launch:
    return launched(template, stage, request.param)


def test_the_evaluation_finds_what_cloudformation_refuses(templates):
    """The matrix proves something only if a broken template fails it: here, the
    registry secret's output without its Condition, and a small template with each
    kind of failure."""
    broken = copy.deepcopy(templates["dev"])
    del broken["Outputs"]["RegistrySecretArn"]["Condition"]
    assert Launch(broken, BASE).failures == [
        "Outputs.RegistrySecretArn: Ref RegistryCredentialsSecret, which is not created "
        "(Condition CreateRegistrySecret is false)"
    ]
    assert Launch(broken, {**BASE, "RegistryCredentialsSecretArn": SECRET_ARN}).failures == []
    small = {
        "Parameters": {
            "Zones": {"Type": "CommaDelimitedList", "Default": ""},
            "On": {"Type": "String"},
        },
        "Conditions": {
            "IsOn": {"Fn::Equals": [{"Ref": "On"}, "yes"]},
            "IsOff": {"Fn::Not": [{"Condition": "IsOn"}]},
        },
        "Resources": {
            "Made": {"Type": "AWS::S3::Bucket", "Condition": "IsOff", "DependsOn": "Left"},
            "Left": {"Type": "AWS::S3::Bucket", "Condition": "IsOn"},
            "User": {
                "Type": "AWS::SNS::Topic",
                "Properties": {
                    "A": {"Fn::GetAtt": ["Left", "Arn"]},
                    "B": {"Ref": "Nowhere"},
                    "C": {"Ref": "Zones"},
                    "D": {"Fn::If": ["IsOn", "x", {"Ref": "AWS::NoValue"}]},
                    "E": ["keep", {"Fn::If": ["IsOff", {"Ref": "AWS::NoValue"}, "dropped"]}],
                },
            },
            "Picker": {
                "Type": "AWS::SNS::Topic",
                "Properties": {"P": {"Fn::Select": [2, {"Ref": "Zones"}]}},
            },
        },
    }
    assert Launch(small, {}).refusals == ["Parameters: [On] must have values"]
    launch = Launch(small, {"On": "no"})
    assert launch.conditions == {"IsOn": False, "IsOff": True}
    assert launch.active == {"Made", "User", "Picker"}
    assert launch.resources["User"] == {
        "A": "arn:aws:s3:::planar-l-Left-1ABCDEFGHIJK",
        "B": "<Nowhere>",
        "C": [""],
        "E": ["keep"],
    }
    assert launch.failures == [
        "Made: DependsOn Left, which is not created (Condition IsOn is false)",
        "Picker: Fn::Select cannot select nonexistent value at index 2",
        "User: Fn::GetAtt Left.Arn, which is not created (Condition IsOn is false)",
        "User: Ref Nowhere: no such parameter or resource",
        "User.C holds an empty string: ['']",
    ]


def test_the_template_accepts_it_and_every_reference_resolves(launch):
    # Ref, Fn::GetAtt and DependsOn name created resources only; no list holds "".
    assert launch.refusals == []
    assert launch.failures == []
    assert launch.active >= {"LoadBalancer", "Service", "DatabaseCluster", "Certificate"}


def test_the_certificate_names_fit_acm_and_dns(launch):
    certificate = launch.resources["Certificate"]
    first, alternatives = certificate["DomainName"], certificate["SubjectAlternativeNames"]
    # ACM RequestCertificate: the first name up to 64 octets, each other name up to 253.
    assert len(first) <= ACM_FIRST_NAME_MAX_LENGTH
    assert all(len(name) <= 253 for name in alternatives)
    record = launch.resources["DnsRecord"]["Name"]
    assert record in alternatives
    for name in [first, *alternatives]:
        assert all(1 <= len(label) <= 63 for label in name.split(".")), name
    # Each name is validated through the given hosted zone, and only the certificate's names.
    options = {o["DomainName"]: o["HostedZoneId"] for o in certificate["DomainValidationOptions"]}
    assert set(options) == {first, *alternatives}
    assert set(options.values()) == {launch.parameters["HostedZoneId"]}


def test_load_balancer_and_database_subnets_span_two_zones(launch):
    balancer = launch.resources["LoadBalancer"]
    internal = launch.parameters["AlbInternal"] == "true"
    assert balancer["Scheme"] == ("internal" if internal else "internet-facing")
    # Internet-facing: in the public subnets, never the private ones.
    if not internal:
        assert balancer["Subnets"] == launch.parameters["AlbSubnets"].split(",")
    zones = [ZONE_OF[subnet] for subnet in balancer["Subnets"]]
    # Elastic Load Balancing: two zones at least, one subnet per zone.
    assert len(set(zones)) >= 2, balancer["Subnets"]
    assert len(set(zones)) == len(zones), balancer["Subnets"]
    # RDS: the subnet group covers two zones; an instance's zone is one of them.
    group = launch.resources["DatabaseSubnetGroup"]["SubnetIds"]
    group_zones = {ZONE_OF[subnet] for subnet in group}
    assert len(group_zones) >= 2, group
    for logical_id in resources_of_type(launch.template, "AWS::RDS::DBInstance"):
        zone = launch.resources[logical_id].get("AvailabilityZone")
        assert zone is None or zone in group_zones, (logical_id, zone)


def test_every_listed_bedrock_model_is_granted(launch):
    (policy,) = [
        p for p in launch.resources["TaskRole"]["Policies"] if p["PolicyName"] == "bedrock"
    ]
    statements = policy["PolicyDocument"]["Statement"]
    (invoke,) = [s for s in statements if "bedrock:InvokeModel" in s["Action"]]
    listed = launch.parameters["BedrockModelIds"]
    if listed == "*":
        assert invoke["Resource"] == ["*"]
        return
    # iam.MODEL_ARNS, per model: the account's inference profiles in any geography, the
    # model in any region, and the region-less ARN that global. profiles use.
    expected = {
        arn
        for model in listed.split(",")
        for arn in (
            f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/*.{model}",
            f"arn:aws:bedrock:*::foundation-model/{model}",
            f"arn:aws:bedrock:::foundation-model/{model}",
        )
    }
    assert set(invoke["Resource"]) == expected


def test_resolved_names_and_tags_fit_their_services(launch):
    # tests/template/test_naming.py checks the names made from the app name alone; these are made
    # from other values too, or have other limits.
    name = launch.resources["TargetGroup"]["Name"]
    assert len(name) <= 32, name
    assert re.fullmatch(r"[A-Za-z0-9](-?[A-Za-z0-9])*", name), name
    # The load balancer's name is left to CloudFormation (within the 32 characters);
    # its plb-... Name is a tag, up to 256 characters.
    assert "Name" not in launch.resources["LoadBalancer"]
    if "FirewallWebAcl" in launch.resources:
        assert re.fullmatch(r"[\w-]{1,128}", launch.resources["FirewallWebAcl"]["Name"])
    if "EncryptionKeyAlias" in launch.resources:
        alias = launch.resources["EncryptionKeyAlias"]["AliasName"]
        assert re.fullmatch(r"alias/[A-Za-z0-9/_-]{1,250}", alias)
        assert not alias.startswith("alias/aws/")
    for logical_id, properties in launch.resources.items():
        for tag in properties.get("Tags", []):
            assert len(tag["Key"]) <= 128, (logical_id, tag)
            assert len(str(tag["Value"])) <= 256, (logical_id, tag)


def test_sizes_are_ones_the_services_offer(launch):
    task = launch.resources["TaskDefinition"]
    assert int(task["Memory"]) in FARGATE_TASK_SIZES[int(task["Cpu"])]
    scaling = launch.resources["DatabaseCluster"]["ServerlessV2ScalingConfiguration"]
    low, high = float(scaling["MinCapacity"]), float(scaling["MaxCapacity"])
    assert 0 <= low <= high <= 256
    assert high >= 1
    service = launch.resources["Service"]
    if launch.conditions["UseAutoscaling"]:
        # Left to the scalable target: ECS starts 1 task, autoscaling keeps the range.
        assert "DesiredCount" not in service
        target = launch.resources["ServiceScalableTarget"]
        assert 1 <= int(target["MinCapacity"]) <= int(target["MaxCapacity"]) <= 100
    else:
        assert 0 <= int(service["DesiredCount"]) <= 100
    pause = scaling.get("SecondsUntilAutoPause")
    assert (pause is not None) is (low == 0)
    assert pause is None or 300 <= int(pause) <= 86400


# The same decisions, both ways: the template refuses a launch exactly when the stage
# file does. Cases named for what they break.
REFUSED = [
    case("five-bedrock-models", BedrockModelIds=",".join(MODELS)),
    case("no-bedrock-model", BedrockModelIds=""),
    case("star-among-models", BedrockModelIds=f"*,{MODELS[0]}"),
    case("space-after-a-comma-in-models", BedrockModelIds=f"{MODELS[0]}, {MODELS[1]}"),
    case("internet-facing-without-alb-subnets", AlbInternal="false"),
    case("aurora-min-above-max", AuroraMinCapacity="4", AuroraMaxCapacity="2"),
    case("aurora-max-below-1", AuroraMinCapacity="0", AuroraMaxCapacity="0.5"),
    case("cpu-memory-mismatch", ContainerCpu="256", ContainerMemory="4096"),
    case("cpu-not-fargate", ContainerCpu="3000"),
    case("secret-arn-and-username", RegistryCredentialsSecretArn=SECRET_ARN, **USER),
    case("username-without-password", RegistryUsername="acme-bot"),
    case("password-without-username", RegistryPassword="s3cret-token"),
    case("password-with-a-quote", RegistryUsername="acme-bot", RegistryPassword='pa"ss'),
    case("partial-secret-arn", RegistryCredentialsSecretArn=SECRET_ARN.removesuffix("-AbC123")),
    # Only a secret named as a registry credential: never the database's master secret,
    # whose username and password ECS would send to whatever registry host is given.
    case(
        "rds-managed-secret",
        RegistryCredentialsSecretArn=SECRET_ARN.replace(
            "planar/registry/ghcr", "rds!cluster-2b5ab3f1-4d8e-4c4b-9d34-0f1e2a3b4c5d"
        ),
    ),
    case(
        "secret-outside-the-registry-prefix",
        RegistryCredentialsSecretArn=SECRET_ARN.replace("planar/registry/ghcr", "prod/db-password"),
    ),
    # The collector sends its token to an endpoint the launch chooses: only a secret
    # named for the purpose, never the database's or a registry's.
    case("telemetry-without-endpoint", **{**TELEMETRY, "TelemetryEndpoint": ""}),
    case("telemetry-without-token", **{**TELEMETRY, "TelemetryTokenSecretArn": ""}),
    case(
        "telemetry-token-rds-managed-secret",
        **{
            **TELEMETRY,
            "TelemetryTokenSecretArn": SECRET_ARN.replace(
                "planar/registry/ghcr", "rds!cluster-2b5ab3f1-4d8e-4c4b-9d34-0f1e2a3b4c5d"
            ),
        },
    ),
    case(
        "telemetry-token-a-registry-secret",
        **{**TELEMETRY, "TelemetryTokenSecretArn": SECRET_ARN},
    ),
    case(
        "telemetry-endpoint-plain-http",
        **{**TELEMETRY, "TelemetryEndpoint": "http://telemetry.example.com"},
    ),
    case("workos-api-key-as-client-id", WorkosClientId="sk_test_0123456789"),
    case("base-domain-65-characters", BaseDomainName="a" + LONGEST_DOMAIN),
    case("base-domain-label-64-characters", BaseDomainName="a" * 64 + ".io"),
    case("base-domain-trailing-dot", BaseDomainName="example.com."),
    case("app-name-37-characters", AppName=LONGEST_APP + "c"),
    case("app-name-uppercase", AppName="Acme"),
    case("cidr-slash-8", VpcCidr="10.0.0.0/8"),
    case("desired-count-101", DesiredCount="101"),
    case("backup-retention-0", BackupRetentionDays="0"),
    case(
        "web-acl-global", WebAcl="arn:aws:wafv2:us-east-1:123456789012:global/webacl/acme/0123abcd"
    ),
    case("cors-origin-with-path", CorsAllowedOrigins="https://app.example.com/path"),
    case("access-logs-bucket-uppercase", AccessLogsBucket="Acme_Logs"),
    case("database-zone-without-letter", DatabaseAvailabilityZones="us-east-1"),
    case("image-tag-leading-dot", ContainerImageTag=".hidden"),
    case("engine-version-15", AuroraEngineVersion="15.4"),
    # A CommaDelimitedList cannot tell an empty item from its empty default: these lists
    # are Strings matched whole.
    case(
        "empty-item-in-alb-subnets",
        **{**INTERNET_FACING, "AlbSubnets": f"{PUBLIC[0]},,{PUBLIC[1]}"},
    ),
    case("empty-item-in-cors-origins", CorsAllowedOrigins="https://app.example.com,"),
    case("empty-item-in-database-zones", DatabaseAvailabilityZones="us-east-1a,,us-east-1b"),
    # A Number parameter would take a fraction; ECS and RDS take whole numbers only.
    case("fractional-desired-count", DesiredCount="1.5"),
    case("fractional-backup-retention", BackupRetentionDays="1.5"),
    case(
        "autoscaling-min-above-max",
        Autoscaling="true",
        AutoscalingMinCount="8",
        AutoscalingMaxCount="4",
    ),
    # Refused even while Autoscaling is false: the range is checked whenever it is given.
    case("autoscaling-off-min-above-max", AutoscalingMinCount="8", AutoscalingMaxCount="4"),
    case("autoscaling-min-0", Autoscaling="true", AutoscalingMinCount="0"),
    case("autoscaling-max-7-not-a-step", Autoscaling="true", AutoscalingMaxCount="7"),
    case("cpu-target-95", AutoscalingCpuTarget="95"),
    case("requests-per-target-5", AutoscalingRequestsPerTarget="5"),
    case("auto-pause-299-seconds", AuroraMinCapacity="0", AuroraSecondsUntilAutoPause="299"),
    case("auto-pause-86401-seconds", AuroraMinCapacity="0", AuroraSecondsUntilAutoPause="86401"),
    case("fargate-spot-yes", FargateSpot="yes"),
    case("strategy-unknown", DeploymentStrategy="ALL_AT_ONCE"),
    case("linear-step-below-3", DeploymentStrategy="LINEAR", TrafficShiftPercent="2.9"),
    case("traffic-shift-0", TrafficShiftPercent="0"),
    case("traffic-shift-trailing-zero", TrafficShiftPercent="10.0"),
    case("traffic-shift-101", TrafficShiftPercent="101"),
    case("bake-1441-minutes", BakeTimeMinutes="1441"),
    case("drain-3601-seconds", DeregistrationDelaySeconds="3601"),
    case("alarm-topic-not-an-arn", AlarmTopicArns="acme-alarms"),
]

# Accepted outside prod, refused in prod by the template's Rule and by the stage file.
NOT_IN_PROD = {
    "fargate-spot": {**BASE, "FargateSpot": "true"},
    "fargate-spot-with-autoscaling": {
        **BASE,
        "FargateSpot": "true",
        "Autoscaling": "true",
        "AutoscalingMaxCount": "6",
    },
}


@pytest.mark.parametrize("values", [pytest.param(v, id=k) for k, v in NOT_IN_PROD.items()])
def test_spot_launches_are_accepted_outside_prod_only(template, stage, values, tmp_path):
    launch = launched(template, stage, values)
    error = stage_file_refusal(tmp_path, template, stage, values)
    if stage == "prod":
        assert launch.refusals
        assert error is not None
        return
    assert (launch.refusals, launch.failures, error) == ([], [], None)
    service = launch.resources["Service"]
    assert "LaunchType" not in service
    assert service["CapacityProviderStrategy"] == [
        {"CapacityProvider": "FARGATE_SPOT", "Weight": 1}
    ]
    assert "FARGATE_SPOT" in launch.resources["Cluster"]["CapacityProviders"]


# A zone per database instance: accepted for a lone writer, refused where a stage runs
# readers (prod), by the template's pattern and by the stage file, as RDS left to
# choose may put a reader beside the writer.
ONE_ZONE_PER_INSTANCE = {
    "database-zones-empty": {**BASE, "DatabaseAvailabilityZones": ""},
    "one-database-zone": {**BASE, "DatabaseAvailabilityZones": "us-east-1a"},
}


@pytest.mark.parametrize(
    "values", [pytest.param(v, id=k) for k, v in ONE_ZONE_PER_INSTANCE.items()]
)
def test_database_zones_are_one_per_instance(template, stage, values, tmp_path):
    launch = launched(template, stage, values)
    error = stage_file_refusal(tmp_path, template, stage, values)
    if get_stage(stage).reader_count:
        assert [r for r in launch.refusals if "DatabaseAvailabilityZones" in r]
        assert "database_availability_zones" in str(error)
        return
    assert (launch.refusals, launch.failures, error) == ([], [], None)


# Refused by the stage file only, on purpose, where CloudFormation cannot express the
# check; the template accepts them. Name -> (the stages it applies to, values).
ALL_STAGES = STAGE_NAMES
STAGE_FILE_ONLY = {
    # No Rule adds numbers: past 33 hours of bake, CloudFormation refuses the deployment
    # itself (cfn-lint's schema); the stage file refuses it first.
    "canary-bakes-past-33-hours": (
        ALL_STAGES,
        {
            **BASE,
            "DeploymentStrategy": "CANARY",
            "BakeTimeMinutes": "1440",
            "TrafficShiftBakeMinutes": "600",
        },
    ),
    # No Rule function counts a list's items: the stage file refuses a single subnet.
    "one-private-subnet": (ALL_STAGES, {**BASE, "Subnets": PRIVATE[0]}),
    "one-public-subnet": (ALL_STAGES, {**BASE, **INTERNET_FACING, "AlbSubnets": PUBLIC[0]}),
    # AWS-typed parameters carry no AllowedPattern: CloudFormation checks them against
    # the account (not modelled offline); the stage file checks their form first.
    "vpc-id-malformed": (ALL_STAGES, {**BASE, "VpcId": "vpc-1"}),
    "subnet-id-malformed": (ALL_STAGES, {**BASE, "Subnets": f"{PRIVATE[0]},subnet-x"}),
    "hosted-zone-id-malformed": (ALL_STAGES, {**BASE, "HostedZoneId": "zone-1"}),
}


def stage_file_refusal(
    tmp_path, template: dict, stage: str, values: dict[str, str]
) -> StageFileError | None:
    """Load a stage file holding these values, written as a person would write it."""
    data = {}
    for name, text in values.items():
        spec = SPECS_BY_NAME[name]
        if spec.secret:
            continue
        if spec.is_list:
            data[spec.key] = text.split(",") if text else []
        elif set(spec.allowed) == {"true", "false"} and text in spec.allowed:
            data[spec.key] = text == "true"
        elif re.fullmatch(r"-?\d+(\.\d+)?", text) and (spec.type == "Number" or spec.allowed):
            data[spec.key] = json.loads(text)
        else:
            data[spec.key] = text
    path = tmp_path / f"{stage}.json"
    path.write_text(json.dumps(data))
    environ = {PASSWORD_ENV: values["RegistryPassword"]} if values.get("RegistryPassword") else {}
    try:
        loaded = load(path, stage, environ)
    except StageFileError as error:
        return error
    # Accepted: it sends CloudFormation exactly the values the launch was evaluated with.
    defaults = {n: str(p["Default"]) for n, p in template["Parameters"].items() if "Default" in p}
    assert loaded.cloudformation_parameters() == {**defaults, **values}
    return None


@pytest.mark.parametrize("values", REFUSED)
def test_the_template_refuses_the_bad_cases(template, stage, values):
    assert launched(template, stage, values).refusals


@pytest.mark.parametrize("values", ACCEPTED + REFUSED)
def test_the_stage_file_refuses_exactly_what_the_template_refuses(
    template, stage, values, tmp_path
):
    refusals = launched(template, stage, values).refusals
    error = stage_file_refusal(tmp_path, template, stage, values)
    assert bool(refusals) == bool(error), f"template: {refusals}; stage file: {error}"


@pytest.mark.parametrize(
    ("stages", "values"), [pytest.param(*v, id=k) for k, v in STAGE_FILE_ONLY.items()]
)
def test_stage_file_only_refusals_are_the_deliberate_ones(
    template, stage, stages, values, tmp_path
):
    assert launched(template, stage, values).refusals == []
    error = stage_file_refusal(tmp_path, template, stage, values)
    assert (error is not None) is (stage in stages), error


# Refused by the deploy's look-ups, which read the account: whether subnets share a
# zone, and which zones hold them, no template or stage file can know.
LOOKUP_ONLY = {
    "private-subnets-in-one-zone": {
        **BASE,
        "Subnets": f"{PRIVATE[0]},{SAME_ZONE_AS_FIRST}",
    },
    "database-zone-outside-the-subnets": {
        **BASE,
        "DatabaseAvailabilityZones": "us-east-1c,us-east-1a",
    },
    "public-subnets-in-one-zone": {
        **BASE,
        **INTERNET_FACING,
        "AlbSubnets": f"{PUBLIC[0]},{SAME_ZONE_AS_FIRST}",
    },
}


def looked_up(tmp_path, template: dict, stage: str, values: dict[str, str]) -> str | None:
    """Run the deploy's look-ups on this launch's stage file against an account holding
    ZONE_OF's subnets (botocore Stubbers); the message when they refuse it."""
    assert stage_file_refusal(tmp_path, template, stage, values) is None
    loaded = load(
        tmp_path / f"{stage}.json", stage, {PASSWORD_ENV: values.get("RegistryPassword", "")}
    )
    ec2, route53, rds = (
        boto3.client("ec2", region_name=REGION),
        boto3.client("route53", region_name=REGION),
        boto3.client("rds", region_name=REGION),
    )
    with Stubber(ec2) as ec2_stub, Stubber(route53) as route53_stub, Stubber(rds) as rds_stub:
        # A named version or auto-pause is checked against the region: one that can pause.
        version = loaded.parameters["AuroraEngineVersion"]
        rds_stub.add_response(
            "describe_db_engine_versions",
            {
                "DBEngineVersions": [
                    {
                        "Engine": "aurora-postgresql",
                        "EngineVersion": version,
                        "ServerlessV2FeaturesSupport": {"MinCapacity": 0.0, "MaxCapacity": 256.0},
                    }
                ]
            },
            {"Engine": "aurora-postgresql", "EngineVersion": version},
        )
        route53_stub.add_response(
            "get_hosted_zone",
            {
                "HostedZone": {
                    "Id": f"/hostedzone/{values['HostedZoneId']}",
                    "Name": values["BaseDomainName"] + ".",
                    "CallerReference": "r",
                }
            },
        )
        listed = list(
            dict.fromkeys(
                values["Subnets"].split(",")
                + [s for s in values.get("AlbSubnets", "").split(",") if s]
            )
        )
        ec2_stub.add_response(
            "describe_subnets",
            {
                "Subnets": [
                    {"SubnetId": s, "VpcId": values["VpcId"], "AvailabilityZone": ZONE_OF[s]}
                    for s in listed
                ]
            },
            {"SubnetIds": listed},
        )
        try:
            lookups.resolve(loaded, {"ec2": ec2, "route53": route53, "rds": rds}.get)
        except lookups.LookupFailed as error:
            return str(error)
    return None


@pytest.mark.parametrize("values", [pytest.param(v, id=k) for k, v in LOOKUP_ONLY.items()])
def test_lookup_only_refusals_are_made_before_the_deploy(
    template, stage, values, tmp_path, aws_env
):
    # The template accepts the launch, and it would fail on AWS ...
    launch = launched(template, stage, values)
    assert launch.refusals == []
    with pytest.raises(AssertionError):
        test_load_balancer_and_database_subnets_span_two_zones(launch)
    # ... so the look-ups refuse it before anything is created.
    assert looked_up(tmp_path, template, stage, values)


@pytest.mark.parametrize("values", ACCEPTED)
def test_the_lookups_accept_every_accepted_launch(template, stage, values, tmp_path, aws_env):
    if values.get("AlbInternal") == "false":
        pytest.skip(
            "internet-facing: the route-table check is tested in tests/deploy/test_lookups.py"
        )
    assert looked_up(tmp_path, template, stage, values) is None
