"""Deploy-time inputs: typed parameters with the defaults and constraints of
docs/stages-and-parameters.md, from the same table the Python validation reads, and the
launch form's groups and labels."""

import re
from decimal import Decimal

import pytest

from planar_cfn.inputs import constraints as c
from planar_cfn.inputs.parameter_table import GROUPS, SPECS, SPECS_BY_NAME
from tests.aws_limits import FARGATE_TASK_SIZES

DEFAULTS = {
    "AlbInternal": "false",
    "ContainerImageTag": "latest",
    "ContainerCpu": "2048",
    "ContainerMemory": "4096",
    "DesiredCount": "1",
    "AuroraMinCapacity": "0.5",
    "AuroraMaxCapacity": "2",
    "BackupRetentionDays": "7",
    "AlbSubnets": "",
    "CorsAllowedOrigins": "",
    "RegistryCredentialsSecretArn": "",
    "RegistryUsername": "",
    "RegistryPassword": "",
}
REQUIRED = {
    "AppName",
    "VpcId",
    "VpcCidr",
    "Subnets",
    "BaseDomainName",
    "HostedZoneId",
    "ContainerRegistryUrl",
    "ContainerImageName",
}


def test_spec_defaults_and_required_inputs(template):
    parameters = template["Parameters"]
    for name, default in DEFAULTS.items():
        assert str(parameters[name]["Default"]) == default, name
    assert {n for n, p in parameters.items() if "Default" not in p} == REQUIRED


def test_typed_parameters(template):
    types = {name: p["Type"] for name, p in template["Parameters"].items()}
    assert types["VpcId"] == "AWS::EC2::VPC::Id"
    assert types["Subnets"] == "List<AWS::EC2::Subnet::Id>"
    assert types["HostedZoneId"] == "AWS::Route53::HostedZone::Id"
    # Strings with a whole-number pattern: a Number parameter would also take 1.5.
    assert types["DesiredCount"] == types["BackupRetentionDays"] == "String"
    assert template["Parameters"]["RegistryPassword"]["NoEcho"] is True
    retention = re.compile(template["Parameters"]["BackupRetentionDays"]["AllowedPattern"])
    assert [n for n in range(-1, 40) if retention.fullmatch(str(n))] == list(range(1, 36))
    assert not retention.fullmatch("1.5")
    assert not retention.fullmatch("07")
    # Lists that may be empty are Strings matched whole: no empty item gets through.
    for name in ("AlbSubnets", "CorsAllowedOrigins", "DatabaseAvailabilityZones"):
        assert types[name] == "String", name
        pattern = re.compile(template["Parameters"][name]["AllowedPattern"])
        assert pattern.fullmatch("")
        assert not pattern.fullmatch(",")
        assert not pattern.fullmatch(" ")


def test_every_constraint_has_a_readable_description(template):
    for name, parameter in template["Parameters"].items():
        assert parameter["Description"], name
        constrained = {"AllowedPattern", "AllowedValues", "MinValue"} & set(parameter)
        if constrained:
            assert parameter["ConstraintDescription"].startswith("Must be "), name


def test_patterns_agree_between_python_and_the_template(template):
    for spec in SPECS:
        parameter = template["Parameters"][spec.name]
        if spec.type.startswith(("AWS::", "List<AWS::")):
            # AWS documents AllowedPattern for String and CommaDelimitedList only.
            assert "AllowedPattern" not in parameter, spec.name
        elif spec.pattern:
            expected = (spec.template_pattern or spec.pattern).regex
            assert parameter["AllowedPattern"] == expected
            re.compile(expected)


MODEL_SLOTS = 4  # the task role's policy has 4 model slots (docs/aws-limits.md, "at most 4")


@pytest.mark.parametrize("count", range(0, MODEL_SLOTS + 3))
def test_the_model_list_pattern_refuses_what_the_stage_file_refuses(template, count):
    """The launch form sees the whole list: a longer one than the policy's slots is
    refused there, as in a stage file, instead of silently granting only the first."""
    value = ",".join(f"anthropic.model-{i}-v1:0" for i in range(count))
    pattern = template["Parameters"]["BedrockModelIds"]["AllowedPattern"]
    template_ok = re.fullmatch(pattern, value) is not None
    assert template_ok is (1 <= count <= MODEL_SLOTS)
    assert (SPECS_BY_NAME["BedrockModelIds"].check(value) is None) is template_ok


def test_launch_form_groups_and_labels_every_parameter(template):
    interface = template["Metadata"]["AWS::CloudFormation::Interface"]
    grouped = [p for group in interface["ParameterGroups"] for p in group["Parameters"]]
    assert sorted(grouped) == sorted(template["Parameters"])
    assert len(grouped) == len(set(grouped))
    assert [g["Label"]["default"] for g in interface["ParameterGroups"]] == list(GROUPS)
    assert set(interface["ParameterLabels"]) == set(template["Parameters"])


def test_cpu_and_memory_values_are_the_fargate_task_sizes(template):
    sizes = FARGATE_TASK_SIZES
    memories = sorted({m for allowed in sizes.values() for m in allowed})
    assert template["Parameters"]["ContainerCpu"]["AllowedValues"] == [str(cpu) for cpu in sizes]
    assert template["Parameters"]["ContainerMemory"]["AllowedValues"] == [str(m) for m in memories]


def test_capacity_ladder_is_half_acu_aligned_and_in_range():
    for value in c.AURORA_CAPACITY_STEPS:
        number = Decimal(value)
        assert number % Decimal("0.5") == 0
        assert 0 <= number <= 256
    assert all(Decimal(v) >= 1 for v in c.AURORA_MAX_CAPACITY_VALUES)


def test_the_docs_document_every_parameter_with_its_key_and_default():
    from pathlib import Path

    page = Path(__file__).resolve().parents[2] / "docs" / "stages-and-parameters.md"
    table = page.read_text().split("## Parameters", 1)[1].split("\n## ", 1)[0]
    rows = {
        line.split("|")[1].strip(" `"): line
        for line in table.splitlines()
        if line.startswith("| `")
    }
    assert set(rows) == {spec.name for spec in SPECS}
    for spec in SPECS:
        row = rows[spec.name]
        key = "(environment only)" if spec.secret else f"`{spec.key}`"
        assert key in row, spec.name
        if spec.default not in (None, "") and spec.name != "BedrockModelIds":
            assert f"`{spec.default}`" in row, spec.name
