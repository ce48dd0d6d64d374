"""Deploy-time inputs: typed parameters with the defaults and constraints of
docs/stages-and-parameters.md, from the same table the Python validation reads, and the
launch form's groups and labels."""

import re

from planar_cfn.inputs.parameters import form_groups

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
    # Empty only with the stack's own repository (rules.IMAGE_FROM_REGISTRY).
    "ContainerRegistryUrl": "",
    "ContainerImageName": "",
    "EcrRepository": "false",
    "BedrockMantle": "false",
}
REQUIRED = {
    "AppName",
    "VpcId",
    "VpcCidr",
    "Subnets",
    "BaseDomainName",
    "HostedZoneId",
}


def test_spec_defaults_and_required_inputs(template, stage):
    parameters = template["Parameters"]
    # A stage with readers needs one database zone per instance (the defaults: prod).
    zones = {"DatabaseAvailabilityZones"} if stage == "prod" else set()
    for name, default in DEFAULTS.items():
        if name not in zones:
            assert str(parameters[name]["Default"]) == default, name
    assert {n for n, p in parameters.items() if "Default" not in p} == REQUIRED | zones


def test_typed_parameters(template, stage):
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
    # (Prod's database zones may not be empty: one per instance, test_launch_matrix.py.)
    may_be_empty = {"AlbSubnets", "CorsAllowedOrigins", "DatabaseAvailabilityZones"}
    for name in may_be_empty - ({"DatabaseAvailabilityZones"} if stage == "prod" else set()):
        assert types[name] == "String", name
        pattern = re.compile(template["Parameters"][name]["AllowedPattern"])
        assert pattern.fullmatch("")
        assert not pattern.fullmatch(",")
        assert not pattern.fullmatch(" ")


def test_launch_form_groups_and_labels_every_parameter(template):
    interface = template["Metadata"]["AWS::CloudFormation::Interface"]
    grouped = [p for group in interface["ParameterGroups"] for p in group["Parameters"]]
    assert sorted(grouped) == sorted(template["Parameters"])
    assert len(grouped) == len(set(grouped))
    assert [g["Label"]["default"] for g in interface["ParameterGroups"]] == list(form_groups())
    assert set(interface["ParameterLabels"]) == set(template["Parameters"])
