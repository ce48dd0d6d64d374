"""The cross-field rules: each declared once, its template Rule and its Python check
agree, evaluated independently (tests/cfn.py reads the rendered template's JSON)."""

import itertools
from decimal import Decimal

import pytest

from planar_cfn.inputs import constraints as c
from planar_cfn.inputs import rules
from planar_cfn.inputs.parameter_table import SPECS_BY_NAME
from planar_cfn.inputs.stages import get_stage
from tests.aws_limits import FARGATE_TASK_SIZES
from tests.cfn import evaluate, failed_rules

VALID = {
    "AlbInternal": "true",
    "AlbSubnets": "",
    "ContainerCpu": "2048",
    "ContainerMemory": "4096",
    "AuroraEngineVersion": "16.11",
    "AuroraMinCapacity": "0.5",
    "AuroraMaxCapacity": "2",
    "AutoscalingMinCount": "1",
    "AutoscalingMaxCount": "4",
    "FargateSpot": "false",
    "RegistryCredentialsSecretArn": "",
    "RegistryUsername": "",
    "RegistryPassword": "",
    "Telemetry": "false",
    "TelemetryEndpoint": "",
    "TelemetryTokenSecretArn": "",
    "EcrRepository": "false",
    "ContainerRegistryUrl": "ghcr.io/acme",
    "ContainerImageName": "planar-app",
    "DeploymentStrategy": "CANARY",
    "TrafficShiftPercent": "10",
}
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:planar/registry/x-AbC123"
# Values to try for the inputs that allow more than a list of values.
SAMPLES = {
    "AlbSubnets": ("", "subnet-0aaaaaaaaaaaaaaa1,subnet-0bbbbbbbbbbbbbbb2"),
    "RegistryCredentialsSecretArn": ("", SECRET_ARN),
    "RegistryUsername": ("", "bot"),
    "RegistryPassword": ("", "pw"),
    "AuroraEngineVersion": ("16.0", "16.1", "16.2", "16.3", "16.4", "16.11", "16.20"),
    "TelemetryEndpoint": ("", "https://telemetry.example.com"),
    "TelemetryTokenSecretArn": ("", SECRET_ARN.replace("planar/registry/", "planar/telemetry/")),
}


def python_problems(stage, values):
    values = {**VALID, **values}
    return [p for rule in rules.for_stage(get_stage(stage)) if (p := rule.problem(values))]


def template_failures(rule, values):
    """The AssertDescriptions of one rendered Rule that fail for these values."""
    if "RuleCondition" in rule and not evaluate(rule["RuleCondition"], values):
        return []
    return [a["AssertDescription"] for a in rule["Assertions"] if not evaluate(a["Assert"], values)]


def test_the_template_holds_each_rule_of_its_stage_in_order(template, stage):
    declared = rules.for_stage(get_stage(stage))
    assert list(template["Rules"]) == [rule.name for rule in declared]
    for rule in declared:
        assert template["Rules"][rule.name] == rule.template_rule(), rule.name


def test_only_a_protected_stage_keeps_the_service_off_spot():
    assert rules.protected_stage_rules(get_stage("dev")) == ()
    [no_spot] = rules.protected_stage_rules(get_stage("prod"))
    assert no_spot.name == "NoFargateSpotInProtectedStage"


def test_each_rules_python_check_agrees_with_its_template_rule(template, stage):
    """Over every combination of the values each related input allows (or samples of
    them), the Python check refuses exactly what the rendered Rule refuses."""
    for rule in rules.for_stage(get_stage(stage)):
        choices = [SAMPLES.get(n) or SPECS_BY_NAME[n].allowed for n in rule.parameters]
        for combination in itertools.product(*choices):
            values = {**VALID, **dict(zip(rule.parameters, combination, strict=True))}
            failures = template_failures(template["Rules"][rule.name], values)
            assert (rule.problem(values) is None) is (not failures), (rule.name, values)


def test_an_unknown_function_is_not_evaluated():
    with pytest.raises(ValueError, match="Fn::Select is not evaluated in Python"):
        rules.holds({"Fn::Select": [0, ["a"]]}, {})


@pytest.mark.parametrize("cpu", sorted(FARGATE_TASK_SIZES))
def test_fargate_rules_allow_exactly_the_fargate_task_sizes(template, stage, cpu):
    for memory in sorted({m for allowed in FARGATE_TASK_SIZES.values() for m in allowed}):
        values = {**VALID, "ContainerCpu": str(cpu), "ContainerMemory": str(memory)}
        fargate_ok = memory in FARGATE_TASK_SIZES[cpu]
        assert (not python_problems(stage, values)) is fargate_ok, (cpu, memory)
        assert (not failed_rules(template, values)) is fargate_ok, (cpu, memory)


def test_aurora_rules_match_the_python_table(template, stage):
    for low in c.AURORA_MIN_CAPACITY_VALUES:
        for high in c.AURORA_MAX_CAPACITY_VALUES:
            values = {**VALID, "AuroraMinCapacity": low, "AuroraMaxCapacity": high}
            python_ok = not python_problems(stage, values)
            assert python_ok == (Decimal(low) <= Decimal(high))
            assert (not failed_rules(template, values)) is python_ok, (low, high)


@pytest.mark.parametrize(
    ("version", "ok"),
    [("16.0", False), ("16.1", False), ("16.2", False), ("16.3", True), ("16.11", True)],
)
def test_auto_pause_needs_an_engine_that_can_pause(template, stage, version, ok):
    paused = {**VALID, "AuroraMinCapacity": "0", "AuroraEngineVersion": version}
    assert (not python_problems(stage, paused)) is ok, version
    assert (not failed_rules(template, paused)) is ok, version
    # Without auto-pause every version is allowed.
    running = {**paused, "AuroraMinCapacity": "0.5"}
    assert not python_problems(stage, running)
    assert not failed_rules(template, running)


@pytest.mark.parametrize(
    ("arn", "user", "password", "ok"),
    [
        ("", "", "", True),
        (SECRET_ARN, "", "", True),
        ("", "bot", "pw", True),
        (SECRET_ARN, "bot", "pw", False),
        ("", "bot", "", False),
        ("", "", "pw", False),
    ],
)
def test_registry_rules_match_python(template, stage, arn, user, password, ok):
    values = {
        **VALID,
        "RegistryCredentialsSecretArn": arn,
        "RegistryUsername": user,
        "RegistryPassword": password,
    }
    assert (not python_problems(stage, values)) is ok
    assert (not failed_rules(template, values)) is ok


@pytest.mark.parametrize(
    ("ecr", "registry", "name", "user", "ok"),
    [
        ("false", "ghcr.io/acme", "planar-app", "", True),
        ("false", "", "planar-app", "", False),
        ("false", "ghcr.io/acme", "", "", False),
        ("true", "", "", "", True),
        ("true", "ghcr.io/acme", "", "", False),
        ("true", "", "planar-app", "", False),
        ("true", "", "", "bot", False),
    ],
)
def test_the_image_comes_from_the_registry_or_the_stacks_repository_never_both(
    template, stage, ecr, registry, name, user, ok
):
    values = {
        **VALID,
        "EcrRepository": ecr,
        "ContainerRegistryUrl": registry,
        "ContainerImageName": name,
        "RegistryUsername": user,
        "RegistryPassword": "pw" if user else "",
    }
    assert (not python_problems(stage, values)) is ok
    assert (not failed_rules(template, values)) is ok


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        (
            {"ContainerCpu": "256", "ContainerMemory": "4096"},
            "with CPU 256, memory must be one of 512, 1024, 2048",
        ),
        (
            {"AuroraMinCapacity": "4", "AuroraMaxCapacity": "2"},
            "the minimum capacity 4 is above the maximum 2",
        ),
        (
            {"AutoscalingMinCount": "8", "AutoscalingMaxCount": "4"},
            "the minimum task count 8 is above the maximum 4",
        ),
        (
            {"RegistryUsername": "bot"},
            "a registry username needs a password: set the PLANAR_REGISTRY_PASSWORD "
            "environment variable",
        ),
        (
            {"RegistryPassword": "pw"},
            "a registry password needs a username: PLANAR_REGISTRY_PASSWORD is set; unset it "
            "or set registry_username",
        ),
        ({"FargateSpot": "true"}, "not allowed in prod, whose tasks run on on-demand Fargate"),
        (
            {"ContainerImageName": ""},
            "the image needs a registry and a name: set container_registry_url and "
            "container_image_name, or set ecr_repository to true",
        ),
        (
            {"EcrRepository": "true"},
            "with ecr_repository true the tasks run the image from the stack's own ECR "
            "repository (planar-app-{stage}-{app}), so container_registry_url and "
            "container_image_name must be empty",
        ),
        (
            {
                "EcrRepository": "true",
                "ContainerRegistryUrl": "",
                "ContainerImageName": "",
                "RegistryUsername": "bot",
                "RegistryPassword": "pw",
            },
            "with ecr_repository true the execution role pulls from ECR with its own "
            "permissions; registry_credentials_secret_arn and registry_username must be empty",
        ),
        (
            {"AuroraMinCapacity": "0", "AuroraEngineVersion": "16.2"},
            "a minimum capacity of 0 (auto-pause) needs Aurora PostgreSQL 16.3 or later, not "
            "16.2: set aurora_engine_version to 16.3 or later",
        ),
    ],
)
def test_the_python_check_says_what_the_stage_file_says(values, problem):
    [said] = python_problems("prod", values)
    assert said.startswith(problem)
