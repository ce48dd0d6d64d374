"""The OpenTelemetry collector and the WorkOS ids (planar_cfn/template/telemetry.py,
service.py, iam.py), read from the rendered templates with the parameters' values
resolved as CloudFormation would: the collector, its log group, its token and the
application's variables exist only when switched on.

GIVEN a stage's template and launch values, WHEN its conditions are decided, THEN the
task holds exactly what those values ask for."""

import json
import re

import pytest
import yaml

from planar_cfn import Sidecar, StackConfig, build_template
from planar_cfn.reports.resolved_template import ResolvedTemplate
from planar_cfn.template import telemetry
from tests.cfn import NO_VALUE, evaluate, props, typed

# The row of docs/stack.md's components table these tests assert (test_components.py).
COMPONENTS = {
    "telemetry collector": (
        "test_switched_on_the_task_runs_the_pinned_collector_beside_the_app",
        "test_the_collectors_log_group_is_kept_and_encrypted_like_the_apps",
        "test_the_token_comes_from_the_secret_never_from_the_template",
        "test_the_execution_role_reads_exactly_the_token_secret_only_when_on",
    ),
}
ACCOUNT = "123456789012"
REGION = "us-east-1"
TOKEN_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:planar/telemetry/gateway-AbC123"
ENDPOINT = "https://telemetry.example.com"
ON = {
    "Telemetry": "true",
    "TelemetryEndpoint": ENDPOINT,
    "TelemetryTokenSecretArn": TOKEN_ARN,
}


def _resolved(template, values):
    # Prod's database zones have no default, and a condition reads them.
    zones = {"DatabaseAvailabilityZones": "us-east-1a,us-east-1b"}
    return ResolvedTemplate(template, {"AppName": "shop", **zones, **values})


def _refs(template, values):
    """Parameter values and pseudo parameters, for evaluating what ResolvedTemplate
    leaves as written (Fn::Sub, Fn::Select)."""
    return {
        **typed(template, {"AppName": "shop", **values}),
        "AWS::Partition": "aws",
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::NoValue": NO_VALUE,
    }


def _conditions(template, values):
    resolved = _resolved(template, values)
    return {name: resolved.condition(name) for name in template["Conditions"]}


def _containers(template, values):
    resolved = _resolved(template, values)
    return {
        c["Name"]: c
        for c in resolved.prop(props(template, "TaskDefinition"), "ContainerDefinitions")
    }


def _environment(container, template, values):
    """The container's variables by name; a value made of other resources' attributes
    (the database's endpoint) as written."""
    refs, conditions = _refs(template, values), _conditions(template, values)

    def item(node):
        try:
            return evaluate(node, refs, conditions)
        except KeyError:
            return node

    items = [item(node) for node in container["Environment"]]
    return {e["Name"]: e["Value"] for e in items if e is not NO_VALUE}


def _execution_policies(template, values):
    resolved = _resolved(template, values)
    return {
        p["PolicyName"]: p["PolicyDocument"]
        for p in resolved.prop(props(template, "ExecutionRole"), "Policies")
    }


def _created_log_groups(template, values):
    return {
        logical_id for logical_id, _ in _resolved(template, values).of_type("AWS::Logs::LogGroup")
    }


def test_with_the_defaults_there_is_no_collector_and_no_new_variable(template):
    containers = _containers(template, {})
    assert list(containers) == ["planar-app"]
    names = set(_environment(containers["planar-app"], template, {}))
    assert names == {
        "DB_SECRET_NAME",
        "DB_HOST",
        "S3_BUCKET_NAME",
        "STAGE",
        "APP_NAME",
        "CUSTOM_SECRET_NAME",
    }
    assert telemetry.LOG_GROUP_ID not in _created_log_groups(template, {})
    assert "telemetry-token" not in _execution_policies(template, {})


def test_switched_on_the_task_runs_the_pinned_collector_beside_the_app(template, stage):
    containers = _containers(template, ON)
    assert list(containers) == ["planar-app", telemetry.COLLECTOR_NAME]
    collector = containers[telemetry.COLLECTOR_NAME]
    # A released version, never a moving tag such as latest.
    assert re.fullmatch(
        r"public\.ecr\.aws/aws-observability/aws-otel-collector:v\d+\.\d+\.\d+", collector["Image"]
    )
    # The app keeps serving when the collector stops; ECS restarts the collector.
    assert collector["Essential"] is False
    assert collector["RestartPolicy"] == {"Enabled": True, "RestartAttemptPeriod": 60}
    assert (collector["MemoryReservation"], collector["Memory"]) == (64, 256)
    assert "Cpu" not in collector
    # Nothing reaches it from the network: no port is mapped, it listens on loopback.
    assert "PortMappings" not in collector
    assert collector["Command"] == ["--config", f"env:{telemetry.CONFIG_VARIABLE}"]
    log = collector["LogConfiguration"]["Options"]
    assert log["awslogs-group"] == {"Ref": telemetry.LOG_GROUP_ID}


def test_the_collectors_log_group_is_kept_and_encrypted_like_the_apps(template, stage):
    values = {**ON, "TelemetryLogRetentionDays": "30", "CustomerManagedKey": "true"}
    assert telemetry.LOG_GROUP_ID in _created_log_groups(template, values)
    group = template["Resources"][telemetry.LOG_GROUP_ID]
    app = template["Resources"]["ServiceLogGroup"]
    assert group["Condition"] == "UseTelemetry"
    assert (group["DeletionPolicy"], group["UpdateReplacePolicy"]) == (
        app["DeletionPolicy"],
        app["UpdateReplacePolicy"],
    )
    assert group["Properties"]["KmsKeyId"] == app["Properties"]["KmsKeyId"]
    resolved = _resolved(template, values)
    assert resolved.prop(group["Properties"], "RetentionInDays") == "30"
    name = evaluate(group["Properties"]["LogGroupName"], _refs(template, values))
    assert name == f"/ecs/planar-service-{stage}-shop/telemetry-collector"


def test_the_token_comes_from_the_secret_never_from_the_template(template, templates):
    collector = _containers(template, ON)[telemetry.COLLECTOR_NAME]
    (secret,) = collector["Secrets"]
    assert secret["Name"] == telemetry.TOKEN_VARIABLE
    assert evaluate(secret["ValueFrom"], _refs(template, ON)) == TOKEN_ARN
    assert telemetry.TOKEN_VARIABLE not in _environment(collector, template, ON)
    # No parameter can carry a token: only the secret's ARN is asked for.
    assert not any("Token" in name and "Arn" not in name for name in template["Parameters"])
    # The configuration names the variable, for the collector to read at start.
    config = _environment(collector, template, ON)[telemetry.CONFIG_VARIABLE]
    assert f'authorization: "Bearer ${{env:{telemetry.TOKEN_VARIABLE}}}"' in config


def test_the_execution_role_reads_exactly_the_token_secret_only_when_on(template):
    assert "telemetry-token" not in _execution_policies(template, {})
    document = _execution_policies(template, ON)["telemetry-token"]
    (statement,) = document["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == ["secretsmanager:GetSecretValue"]
    (resource,) = statement["Resource"]
    assert evaluate(resource, _refs(template, ON)) == TOKEN_ARN


def test_a_token_secret_in_another_account_is_read_in_the_stacks_own(template):
    other = TOKEN_ARN.replace(ACCOUNT, "999999999999").replace(REGION, "eu-west-1")
    values = {**ON, "TelemetryTokenSecretArn": other}
    (statement,) = _execution_policies(template, values)["telemetry-token"]["Statement"]
    assert evaluate(statement["Resource"][0], _refs(template, values)) == TOKEN_ARN
    collector = _containers(template, values)[telemetry.COLLECTOR_NAME]
    assert evaluate(collector["Secrets"][0]["ValueFrom"], _refs(template, values)) == TOKEN_ARN


@pytest.mark.parametrize("metrics", ["true", "false"])
@pytest.mark.parametrize("logs", ["true", "false"])
def test_the_collectors_configuration_follows_the_switches(template, stage, metrics, logs):
    values = {
        **ON,
        "TelemetryContainerMetrics": metrics,
        "TelemetryLogsPipeline": logs,
        "TelemetryCustomerName": "acme-corp",
    }
    collector = _containers(template, values)[telemetry.COLLECTOR_NAME]
    config = yaml.safe_load(_environment(collector, template, values)[telemetry.CONFIG_VARIABLE])
    pipelines = config["service"]["pipelines"]
    expected = {"traces", "metrics"} | ({"metrics/ecs"} if metrics == "true" else set())
    assert set(pipelines) == expected | ({"logs"} if logs == "true" else set())
    assert config["exporters"]["otlphttp"]["endpoint"] == ENDPOINT
    for pipeline in pipelines.values():
        assert pipeline["exporters"] == ["otlphttp"]
        # Every component a pipeline names is configured.
        assert set(pipeline["receivers"]) <= set(config["receivers"])
        assert set(pipeline["processors"]) <= set(config["processors"])
    for endpoint in (
        config["extensions"]["health_check"]["endpoint"],
        *(p["endpoint"] for p in config["receivers"]["otlp"]["protocols"].values()),
    ):
        assert endpoint.startswith("127.0.0.1:")
    attributes = {a["key"]: a["value"] for a in config["processors"]["resource/ecs"]["attributes"]}
    assert attributes == {
        "service.name": "shop",
        "customer.name": "acme-corp",
        "deployment.environment": stage,
    }


def test_the_app_is_pointed_at_the_collector_only_when_on(template, stage):
    off = _environment(_containers(template, {})["planar-app"], template, {})
    assert not any(name.startswith("OTEL_") for name in off)
    on = _environment(_containers(template, ON)["planar-app"], template, ON)
    assert on["OTEL_EXPORTER_OTLP_ENDPOINT"] == telemetry.APP_ENDPOINT
    assert on["OTEL_SERVICE_NAME"] == "shop"
    # Without a customer name, the application's name stands in.
    assert on["OTEL_RESOURCE_ATTRIBUTES"] == (
        f"deployment.environment={stage},customer.name=shop,service.name=shop"
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, {}),
        ({"WorkosClientId": "client_01ABC"}, {"WORKOS_CLIENT_ID": "client_01ABC"}),
        ({"WorkosOrgId": "org_01XYZ"}, {"WORKOS_ORG_ID": "org_01XYZ"}),
        (
            {"WorkosClientId": "client_01ABC", "WorkosOrgId": "org_01XYZ"},
            {"WORKOS_CLIENT_ID": "client_01ABC", "WORKOS_ORG_ID": "org_01XYZ"},
        ),
    ],
)
def test_workos_variables_are_set_only_when_given(template, values, expected):
    environment = _environment(_containers(template, values)["planar-app"], template, values)
    assert {k: v for k, v in environment.items() if k.startswith("WORKOS_")} == expected


def test_a_configured_otel_variable_keeps_the_configurations_value():
    config = StackConfig(
        stage=StackConfig.for_stage("dev").stage,
        environment={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9999"},
    )
    body = build_template(config).to_dict()
    environment = props(body, "TaskDefinition")["ContainerDefinitions"][0]["Environment"]
    text = json.dumps(environment)
    assert text.count('"OTEL_EXPORTER_OTLP_ENDPOINT"') == 1
    assert "http://127.0.0.1:9999" in text


def test_no_extension_takes_the_collectors_or_workos_names():
    stage = StackConfig.for_stage("dev").stage
    with pytest.raises(ValueError, match="'telemetry-collector': the telemetry collector's"):
        Sidecar(telemetry.COLLECTOR_NAME, "x:1")
    with pytest.raises(ValueError, match="'WORKOS_ORG_ID' is set by the stack"):
        StackConfig(stage=stage, environment={"WORKOS_ORG_ID": "org_1"})
