"""The WorkOS and telemetry inputs (planar_cfn/inputs/parameter_telemetry.py): each
refused alike by the launch form (the template's parameter constraints and Rules)
and by a stage file, with a message naming the input, the value and what is allowed.

GIVEN a value or a combination, WHEN the template or a stage file checks it, THEN
both accept it or both refuse it, saying why."""

import json

import pytest

from planar_cfn.inputs import parameter_telemetry as t
from planar_cfn.inputs.parameters import SPECS_BY_NAME, form_groups
from planar_cfn.inputs.stage_file import StageFileError, load
from tests.cfn import failed_rules, parameter_refusals
from tests.deploy_stubs import STAGE_VALUES

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:planar/telemetry/gateway-AbC123"
ON = {
    "telemetry": True,
    "telemetry_endpoint": "https://t.example.com",
    "telemetry_token_secret_arn": ARN,
}


def problems(tmp_path, values):
    path = tmp_path / "dev.json"
    path.write_text(json.dumps({**STAGE_VALUES, **values}))
    with pytest.raises(StageFileError) as error:
        load(path, "dev", {})
    return str(error.value)


def loads(tmp_path, values):
    path = tmp_path / "dev.json"
    path.write_text(json.dumps({**STAGE_VALUES, **values}))
    return load(path, "dev", {})


GOOD = [
    ("WorkosClientId", "client_01HZX3Y4ABCDEFGHJKMNPQRSTV"),
    ("WorkosClientId", "project_01EHZNVPK3SFK441A1RGBFSHRT"),
    ("WorkosOrgId", "org_01EHZNVPK3SFK441A1RGBFSHRT"),
    ("TelemetryEndpoint", "https://telemetry.example.com"),
    ("TelemetryEndpoint", "https://otel.example.com:4318/ingest/v2"),
    ("TelemetryTokenSecretArn", ARN),
    ("TelemetryCustomerName", "acme-corp.eu_1"),
    ("TelemetryLogRetentionDays", "3653"),
]
BAD = [
    ("WorkosClientId", "sk_live_secret", "WorkOS client id"),
    ("WorkosClientId", "client_01 HZX", "WorkOS client id"),
    ("WorkosOrgId", "org_", "WorkOS organization id"),
    ("WorkosOrgId", "org_1;rm", "WorkOS organization id"),
    ("TelemetryEndpoint", "http://telemetry.example.com", "https:// URL"),
    ("TelemetryEndpoint", "https://user:pw@telemetry.example.com", "https:// URL"),
    ("TelemetryEndpoint", "https://t.example.com/?token=x", "https:// URL"),
    ("TelemetryEndpoint", "https://t.example.com/" + "a" * 250, "https:// URL"),
    (
        "TelemetryTokenSecretArn",
        ARN.replace("planar/telemetry/", "planar/registry/"),
        "named planar/telemetry/",
    ),
    ("TelemetryTokenSecretArn", ARN.replace("-AbC123", ""), "6-character suffix"),
    (
        "TelemetryTokenSecretArn",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-1-AbC123",
        "no other secret",
    ),
    ("TelemetryCustomerName", "acme,corp=x", "letters, digits"),
    ("TelemetryCustomerName", "a" * 65, "letters, digits"),
    ("TelemetryLogRetentionDays", "10", "one of 1, 3, 5, 7, 14"),
    ("TelemetryContainerMetrics", "yes", "one of true, false"),
]


@pytest.mark.parametrize(("name", "value"), GOOD)
def test_good_values_pass_the_template_and_the_stage_file(templates, tmp_path, name, value):
    assert not [r for r in parameter_refusals(templates["dev"], {name: value}) if name in r]
    assert loads(tmp_path, {SPECS_BY_NAME[name].key: value}).parameters[name] == value


@pytest.mark.parametrize(("name", "value", "allowed"), BAD)
def test_bad_values_are_refused_by_both_naming_key_value_and_allowed(
    templates, tmp_path, name, value, allowed
):
    refusals = [r for r in parameter_refusals(templates["dev"], {name: value}) if name in r]
    assert refusals, f"{name} = {value!r} passed the template"
    assert allowed in refusals[0]
    key = SPECS_BY_NAME[name].key
    text = problems(tmp_path, {key: value})
    assert f"{key} = {json.dumps(value)}: must be " in text
    assert allowed in text


def test_the_inputs_sit_in_their_groups_with_labels_and_off_by_default():
    assert SPECS_BY_NAME["WorkosClientId"].group == "Application"
    assert SPECS_BY_NAME["WorkosOrgId"].group == "Application"
    for spec in t.SPECS[2:]:
        assert spec.group == "Observability", spec.name
    assert "Observability" in form_groups()
    assert all(spec.label and spec.default is not None for spec in t.SPECS)
    assert SPECS_BY_NAME["Telemetry"].default == "false"


def _launch_with_telemetry():
    """Launch values with the collector on, its endpoint and its token."""
    return {
        "AlbInternal": "true",
        # The image from a registry, as the ECR rules ask without EcrRepository.
        "ContainerRegistryUrl": "ghcr.io/acme",
        "ContainerImageName": "planar-app",
        "Telemetry": "true",
        "TelemetryEndpoint": ON["telemetry_endpoint"],
        "TelemetryTokenSecretArn": ARN,
    }


@pytest.mark.parametrize(
    ("missing", "template_says", "stage_file_says"),
    [
        (
            "TelemetryEndpoint",
            "Telemetry true needs TelemetryEndpoint",
            'telemetry = true, telemetry_endpoint = "" (default): the OpenTelemetry '
            "collector needs an endpoint",
        ),
        (
            "TelemetryTokenSecretArn",
            "Telemetry true needs TelemetryTokenSecretArn",
            'telemetry = true, telemetry_token_secret_arn = "" (default): the OpenTelemetry '
            "collector needs its token",
        ),
    ],
)
def test_telemetry_on_needs_the_endpoint_and_the_token(
    templates, tmp_path, missing, template_says, stage_file_says
):
    values = _launch_with_telemetry()
    del values[missing]
    (failed,) = failed_rules(templates["dev"], values)
    assert failed.startswith(template_says)
    given = {k: v for k, v in ON.items() if k != SPECS_BY_NAME[missing].key}
    assert stage_file_says in problems(tmp_path, given)


def test_telemetry_with_both_or_off_passes(templates, tmp_path):
    values = _launch_with_telemetry()
    assert failed_rules(templates["dev"], values) == []
    off = {**values, "Telemetry": "false", "TelemetryEndpoint": "", "TelemetryTokenSecretArn": ""}
    assert failed_rules(templates["dev"], off) == []
    assert loads(tmp_path, ON).parameters["Telemetry"] == "true"
    # Off, an endpoint or a secret given is simply unused.
    assert loads(tmp_path, {"telemetry_endpoint": ON["telemetry_endpoint"]})
