"""Stage files: validated whole, before any AWS call, with the same table as the
template's constraints and Rules; every problem names the file, the key, the
value and what is allowed."""

import json

import pytest

from planar_cfn.inputs import stage_file
from planar_cfn.inputs.parameters import SPECS, SPECS_BY_KEY
from planar_cfn.inputs.stage_file import PASSWORD_ENV, StageFileError, load
from planar_cfn.inputs.stages import STAGE_NAMES
from tests.deploy_stubs import STAGE_VALUES

EXAMPLE = stage_file.STAGES_DIR / "example.json"
PASSWORD = {PASSWORD_ENV: "from-the-environment"}


def write(tmp_path, values, name="dev.json"):
    path = tmp_path / name
    path.write_text(json.dumps(values) if not isinstance(values, str) else values)
    return path


def problems(tmp_path, values, stage="dev", environ=None, **kw):
    with pytest.raises(StageFileError) as error:
        load(write(tmp_path, values), stage, environ or {}, **kw)
    return str(error.value)


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_the_committed_example_is_valid_for_every_stage(stage):
    loaded = load(EXAMPLE, stage, PASSWORD)
    assert loaded.stack_name == f"planar-{stage}-acme"
    assert loaded.registry_password == "from-the-environment"
    assert loaded.cloudformation_parameters()["ContainerMemory"] == "4096"


def test_the_example_shows_every_key_but_the_ones_that_would_bite_when_copied():
    keys = set(json.loads(EXAMPLE.read_text()))
    # stack_name and profile, copied between stage files, would point stages at one stack
    # or one account: they are documented, not exemplified.
    assert keys == set(stage_file.ALLOWED_KEYS) - {"stack_name", "profile"}


def test_values_become_cloudformation_parameters_with_defaults():
    loaded = load(EXAMPLE, "prod", PASSWORD)
    parameters = loaded.cloudformation_parameters()
    assert list(parameters) == [
        "AppName",
        "AppEnvironment",
        "AppSecrets",
        "VpcId",
        "VpcCidr",
        "Subnets",
        "AlbSubnets",
        "AlbInternal",
        "BaseDomainName",
        "HostedZoneId",
        "ContainerRegistryUrl",
        "ContainerImageName",
        "ContainerImageTag",
        "RegistryCredentialsSecretArn",
        "RegistryUsername",
        "RegistryPassword",
        "ContainerCpu",
        "ContainerMemory",
        "DesiredCount",
        "Autoscaling",
        "AutoscalingMinCount",
        "AutoscalingMaxCount",
        "AutoscalingCpuTarget",
        "AutoscalingRequestsPerTarget",
        "FargateSpot",
        "AuroraEngineVersion",
        "AuroraMinCapacity",
        "AuroraMaxCapacity",
        "AuroraSecondsUntilAutoPause",
        "BackupRetentionDays",
        "DatabaseAvailabilityZones",
        "CorsAllowedOrigins",
        "BedrockModelIds",
        "CustomerManagedKey",
        "AccessLogsBucket",
        "WebAcl",
        "AccessLogsPrefix",
        "WafManagedRuleGroups",
        "ContainerInsights",
        "LogRetentionDays",
        "PerformanceInsights",
        "DatabaseMonitoringInterval",
        "DeregistrationDelaySeconds",
        "DeploymentStrategy",
        "TrafficShiftPercent",
        "TrafficShiftBakeMinutes",
        "BakeTimeMinutes",
        "Alarms",
        "AlarmTopicArns",
        "TaskEgress",
        "DatabaseDataApi",
        "DatabaseRequireTls",
        "WafRateLimit",
        "EcrRepository",
        "BedrockMantle",
        "PermissionsBoundary",
        "WorkosClientId",
        "WorkosOrgId",
        "Telemetry",
        "TelemetryEndpoint",
        "TelemetryTokenSecretArn",
        "TelemetryCustomerName",
        "TelemetryContainerMetrics",
        "TelemetryLogsPipeline",
        "TelemetryLogRetentionDays",
    ]
    assert parameters["Subnets"] == "subnet-0aaaaaaaaaaaaaaa1,subnet-0bbbbbbbbbbbbbbb2"
    assert parameters["AlbInternal"] == "false"  # JSON false
    assert parameters["AuroraMinCapacity"] == "0.5"
    assert parameters["AuroraMaxCapacity"] == "4"
    # The stack's event topics are the alarms' topics too.
    assert parameters["AlarmTopicArns"] == "arn:aws:sns:us-east-1:123456789012:acme-deploys"
    assert parameters["DeploymentStrategy"] == "CANARY"
    assert parameters["TrafficShiftPercent"] == "10"  # a JSON number
    assert "from-the-environment" not in repr(loaded)


def test_integral_floats_match_the_allowed_values(tmp_path):
    loaded = load(write(tmp_path, {**STAGE_VALUES, "aurora_max_capacity": 2.0}), "dev", {})
    assert loaded.parameters["AuroraMaxCapacity"] == "2"


def test_look_up_keys_may_be_left_out(tmp_path):
    values = {k: v for k, v in STAGE_VALUES.items() if k not in stage_file.LOOKED_UP}
    loaded = load(write(tmp_path, values), "prod", {})
    assert set(stage_file.LOOKED_UP) & loaded.given == set()
    assert "VpcCidr" not in loaded.parameters


def test_missing_file_says_to_copy_the_example(tmp_path):
    with pytest.raises(
        StageFileError, match=r"dev.json: no such stage file; copy .*stages/example.json"
    ):
        load(tmp_path / "dev.json", "dev", {})


def test_invalid_json_names_the_line(tmp_path):
    assert "not valid JSON: Expecting ',' delimiter at line 2 column 3" in problems(
        tmp_path, '{"app_name": "acme"\n  "vpc_id": "x"}'
    )


def test_the_file_must_hold_an_object(tmp_path):
    assert "must hold one JSON object" in problems(tmp_path, "[1, 2]")


def test_unknown_keys_name_the_allowed_ones(tmp_path):
    text = problems(tmp_path, {**STAGE_VALUES, "desiredcount": 2})
    assert (
        "unknown key 'desiredcount'; allowed keys: app_name, environment, secrets, vpc_id," in text
    )
    assert "template_bucket" in text.splitlines()[0]


def test_a_password_in_the_file_points_to_the_environment(tmp_path):
    text = problems(tmp_path, {**STAGE_VALUES, "registry_password": "hunter2"})
    assert (
        "registry_password: passwords never go in stage files; set the PLANAR_REGISTRY_PASSWORD"
        in text
    )
    assert "hunter2" not in text


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("app_name", "Acme", 'app_name = "Acme": must be 1-36 characters: lowercase letters'),
        ("app_name", 7, "app_name = 7: must be a JSON string"),
        ("vpc_id", "vpc-1", 'vpc_id = "vpc-1": must be a VPC id such as vpc-0123456789abcdef0'),
        (
            "subnets",
            "subnet-0aaaaaaaaaaaaaaa1",
            'subnets = "subnet-0aaaaaaaaaaaaaaa1": must be a JSON list of strings',
        ),
        (
            "subnets",
            ["subnet-0aaaaaaaaaaaaaaa1", "subnet-x"],
            'subnets[1] = "subnet-x": must be a subnet id',
        ),
        ("subnets", [], "subnets = []: must list at least one item, each a subnet id"),
        (
            "subnets",
            ["subnet-0aaaaaaaaaaaaaaa1,subnet-0bbbbbbbbbbbbbbb2"],
            "must be a string without commas",
        ),
        ("alb_internal", "yes", 'alb_internal = "yes": must be one of true, false'),
        ("alb_internal", 1, "alb_internal = 1: must be true or false"),
        ("container_cpu", 3000, "container_cpu = 3000: must be one of 256, 512, 1024"),
        ("desired_count", 101, "desired_count = 101: must be a whole number from 0 to 100"),
        ("desired_count", True, "desired_count = true: must be a number (or a string holding one)"),
        ("container_image_tag", ".hidden", 'container_image_tag = ".hidden": must be a Docker tag'),
        (
            "cors_allowed_origins",
            ["app.example.com"],
            'cors_allowed_origins[0] = "app.example.com": must be an origin',
        ),
        ("region", "Virginia", 'region = "Virginia": must be an AWS region such as us-east-1'),
        (
            "template_bucket",
            "Bad_Bucket",
            'template_bucket = "Bad_Bucket": must be an S3 bucket name',
        ),
        ("stack_name", "1-stack", 'stack_name = "1-stack": must be a CloudFormation stack name'),
    ],
)
def test_each_bad_value_names_file_key_value_and_what_is_allowed(tmp_path, key, value, message):
    text = problems(tmp_path, {**STAGE_VALUES, key: value})
    assert text.startswith(f"{tmp_path / 'dev.json'}: ") or text.startswith("dev.json")
    assert message in text


def test_a_missing_required_key_is_named_with_what_is_allowed(tmp_path):
    values = {k: v for k, v in STAGE_VALUES.items() if k != "base_domain_name"}
    assert "base_domain_name is missing: " in problems(tmp_path, values)


def test_an_image_needs_a_registry_and_a_name_unless_the_stack_has_a_repository(tmp_path):
    values = {k: v for k, v in STAGE_VALUES.items() if k != "container_image_name"}
    assert (
        'container_registry_url = "ghcr.io/acme", container_image_name = "" (default): the '
        "image needs a registry and a name" in problems(tmp_path, values)
    )
    ecr = {**values, "ecr_repository": True}
    assert (
        'container_registry_url = "ghcr.io/acme", container_image_name = "" (default): with '
        "ecr_repository true the tasks run the image from the stack's own ECR repository"
        in problems(tmp_path, ecr)
    )
    del ecr["container_registry_url"]
    loaded = load(write(tmp_path, ecr), "dev", {})
    assert loaded.parameters["EcrRepository"] == "true"
    assert loaded.parameters["ContainerRegistryUrl"] == ""


def test_every_problem_is_reported_at_once(tmp_path):
    text = problems(tmp_path, {**STAGE_VALUES, "app_name": "Acme", "vpc_id": "vpc-1", "bogus": 1})
    assert len(text.splitlines()) == 3


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"container_cpu": 2048, "container_memory": 2048},
            "container_cpu = 2048, container_memory = 2048: with CPU 2048, memory must be one of 4096, 5120",
        ),
        (
            {"container_cpu": 256},
            "container_cpu = 256, container_memory = 4096 (default): with CPU 256, memory must be one of 512, 1024, 2048",
        ),
        (
            {"aurora_min_capacity": 4, "aurora_max_capacity": 2},
            "aurora_min_capacity = 4, aurora_max_capacity = 2: the minimum capacity 4 is above the maximum 2",
        ),
        (
            {"registry_username": "bot"},
            'registry_username = "bot": a registry username needs a password: set the PLANAR_REGISTRY_PASSWORD environment variable',
        ),
        (
            {
                "registry_username": "bot",
                "registry_credentials_secret_arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:planar/registry/x-AbC123",
            },
            "not both",
        ),
        (
            {"aurora_min_capacity": 0, "aurora_engine_version": "16.2"},
            'aurora_min_capacity = 0, aurora_engine_version = "16.2": a minimum capacity of 0 '
            "(auto-pause) needs Aurora PostgreSQL 16.3 or later, not 16.2",
        ),
        (
            {"aurora_min_capacity": 0},
            "",  # the default version, 16.11, can pause
        ),
    ],
)
def test_cross_field_rules_are_the_templates_rules(tmp_path, values, message):
    if message:
        assert message in problems(tmp_path, {**STAGE_VALUES, **values})
    else:
        assert load(write(tmp_path, {**STAGE_VALUES, **values}), "dev", {})


@pytest.mark.parametrize("version", ["16.02", "16.011"])
def test_an_engine_version_with_a_leading_zero_is_no_version(tmp_path, version):
    # It would slip past the auto-pause rule's list of versions that cannot pause.
    text = problems(tmp_path, {**STAGE_VALUES, "aurora_engine_version": version})
    assert f'aurora_engine_version = "{version}": must be an Aurora PostgreSQL 16' in text


def test_a_password_in_the_environment_without_a_username(tmp_path):
    text = problems(tmp_path, STAGE_VALUES, environ=PASSWORD)
    assert "a registry password needs a username: PLANAR_REGISTRY_PASSWORD is set" in text


def test_the_password_from_the_environment_meets_the_parameters_constraint(tmp_path):
    text = problems(
        tmp_path, {**STAGE_VALUES, "registry_username": "bot"}, environ={PASSWORD_ENV: 'p"w'}
    )
    assert (
        "PLANAR_REGISTRY_PASSWORD (environment): must be up to 4096 characters without double quotes, "
        "backslashes or control characters (the value is not shown)"
    ) in text
    assert 'p"w' not in text


def test_commands_that_send_no_parameters_do_not_need_the_password(tmp_path):
    path = write(tmp_path, {**STAGE_VALUES, "registry_username": "bot"})
    assert load(path, "dev", {}, needs_secrets=False).registry_password == ""


def test_prod_needs_an_availability_zone_per_database_instance(tmp_path):
    values = {**STAGE_VALUES, "database_availability_zones": ["us-east-1a"]}
    assert load(write(tmp_path, values), "dev", {})
    assert "prod runs a database writer and 1 reader(s), one per zone: give at least 2" in problems(
        tmp_path, values, stage="prod"
    )


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_a_database_zone_is_named_once(tmp_path, stage):
    """Named twice, prod's reader would go in the writer's zone."""
    values = {**STAGE_VALUES, "database_availability_zones": ["us-east-1a", "us-east-1a"]}
    assert (
        'database_availability_zones = ["us-east-1a", "us-east-1a"]: must be empty, or '
        "comma-separated values without spaces or empty items, each an Availability Zone name "
        "such as us-east-1a, no zone named twice"
    ) in problems(tmp_path, values, stage=stage)
    distinct = {**values, "database_availability_zones": ["us-east-1a", "us-east-1b"]}
    assert load(write(tmp_path, distinct), stage, {})


def test_stack_name_defaults_and_may_be_set(tmp_path):
    assert load(write(tmp_path, STAGE_VALUES), "staging", {}).stack_name == "planar-staging-acme"
    assert (
        load(write(tmp_path, {**STAGE_VALUES, "stack_name": "acme-qa"}), "staging", {}).stack_name
        == "acme-qa"
    )


def test_every_spec_can_be_written_in_a_stage_file_except_secrets():
    assert {s.key for s in SPECS if not s.secret} <= set(stage_file.ALLOWED_KEYS)
    assert SPECS_BY_KEY["registry_password"].key not in stage_file.ALLOWED_KEYS


# --- the application's environment and secrets -----------------------------------------

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:planar/dev/acme/openai-AbC123"


def test_environment_and_secrets_become_their_parameters(tmp_path):
    values = {
        **STAGE_VALUES,
        "region": "us-east-1",
        "environment": {"LOG_LEVEL": "info", "CALLBACK": "https://x.example/cb?a=b,c"},
        "secrets": {"OPENAI_API_KEY": SECRET, "STRIPE_KEY": SECRET.replace("openai", "s") + ":k::"},
    }
    loaded = load(write(tmp_path, values), "dev", {})
    parameters = loaded.cloudformation_parameters()
    # Sorted and compact: the same variables are the same value, and the same file.
    assert parameters["AppEnvironment"] == (
        '{"CALLBACK":"https://x.example/cb?a=b,c","LOG_LEVEL":"info"}'
    )
    assert parameters["AppSecrets"] == "OPENAI_API_KEY=openai-AbC123,STRIPE_KEY=s-AbC123:k::"
    assert loaded.secret_arns["OPENAI_API_KEY"] == SECRET


def test_without_them_the_parameters_keep_their_defaults(tmp_path):
    parameters = load(write(tmp_path, STAGE_VALUES), "dev", {}).cloudformation_parameters()
    assert (parameters["AppEnvironment"], parameters["AppSecrets"]) == ("{}", "")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"environment": ["A=1"]}, 'environment = ["A=1"]: must be a JSON object of NAME: value'),
        ({"environment": {"1A": "x"}}, 'environment["1A"]: the name must be letters, digits'),
        ({"environment": {"A-B": "x"}}, 'environment["A-B"]: the name must be letters'),
        ({"environment": {"DB_HOST": "x"}}, 'environment["DB_HOST"]: the stack sets DB_HOST'),
        ({"environment": {"A": 1}}, 'environment["A"] = 1: must be a JSON string'),
        ({"environment": {"A": "a\nb"}}, 'environment["A"]: must hold no control character'),
        (
            {"environment": {"A": "x" * 4100}},
            "environment: 4108 bytes as JSON; at most 4096 (CloudFormation's limit",
        ),
        (
            {"environment": {"KEY": "x"}, "secrets": {"KEY": SECRET}},
            'environment["KEY"]: KEY is in secrets too; a variable is plain or secret, not both',
        ),
        ({"secrets": {"A": "openai-AbC123"}}, 'secrets["A"] = "openai-AbC123": must be a complete'),
        ({"secrets": {"A": SECRET[:-7]}}, "with the 6-character suffix"),
        ({"secrets": {"DB_HOST": SECRET}}, 'secrets["DB_HOST"]: the stack sets DB_HOST itself'),
        (
            {"secrets": {"A": SECRET.replace("us-east-1", "eu-west-1")}},
            "the secret is in eu-west-1, the stack in us-east-1",
        ),
        (
            {"secrets": {"A": SECRET.replace("planar/dev/acme/", "prod/")}},
            "the secret must be named planar/dev/acme/... (the task may read only secrets "
            "created for this application); create it as planar/dev/acme/openai",
        ),
        (
            {"secrets": {"A": SECRET.replace("/dev/", "/prod/")}},
            "the secret must be named planar/dev/acme/...",
        ),
        (
            {"secrets": {f"V{i}": SECRET for i in range(11)}},
            "secrets: 11 variables; at most 10 (the template's slots)",
        ),
    ],
)
def test_bad_environment_or_secrets_name_the_key_the_value_and_what_is_allowed(
    tmp_path, values, message
):
    assert message in problems(tmp_path, {**STAGE_VALUES, "region": "us-east-1", **values})


def test_a_secret_in_another_account_is_refused_at_deploy_time():
    from planar_cfn.inputs.app_settings import account_problems

    other = SECRET.replace("123456789012", "999999999999")
    assert account_problems({"A": SECRET}, "123456789012", "us-east-1") == []
    (problem,) = account_problems({"A": other}, "123456789012", "us-east-1")
    assert problem.startswith(f'secrets["A"] = "{other}": the secret is in account 999999999999')


def test_the_strategy_and_the_alarms_default_to_the_stages(tmp_path):
    values = {k: v for k, v in STAGE_VALUES.items() if k not in ("deployment_strategy", "alarms")}
    path = write(tmp_path, values)
    dev, prod = load(path, "dev", {}), load(path, "prod", {})
    assert (dev.parameters["DeploymentStrategy"], dev.parameters["Alarms"]) == ("ROLLING", "false")
    assert (prod.parameters["DeploymentStrategy"], prod.parameters["Alarms"]) == ("CANARY", "true")
    assert load(path, "staging", {}).parameters["Alarms"] == "true"


def test_bake_times_past_cloudformations_33_hours_are_refused(tmp_path):
    path = write(
        tmp_path,
        {
            **STAGE_VALUES,
            "deployment_strategy": "LINEAR",
            "traffic_shift_percent": 3,
            "traffic_shift_bake_minutes": 60,
            "bake_time_minutes": 60,
        },
    )
    with pytest.raises(StageFileError) as error:
        load(path, "dev", {})
    # 33 steps of 3 percent, each baked 60 minutes, and 60 more: 2,040 minutes.
    assert "takes 2040 minutes; CloudFormation refuses more than 1980 (33 hours)" in str(
        error.value
    )
    assert "traffic_shift_percent = 3" in str(error.value)


def test_a_linear_step_below_3_percent_is_refused(tmp_path):
    path = write(
        tmp_path, {**STAGE_VALUES, "deployment_strategy": "LINEAR", "traffic_shift_percent": 2.5}
    )
    with pytest.raises(StageFileError, match=r"a LINEAR step of 2\.5 percent is below"):
        load(path, "dev", {})
