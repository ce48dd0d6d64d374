"""The OpenTelemetry collector beside the application, under condition UseTelemetry:
its container and the configuration it runs, the variables that point the application
at it, and the execution role's read of its token (docs/stack.md, "The OpenTelemetry
collector")."""

from __future__ import annotations

from collections.abc import Collection

from awacs import secretsmanager
from awacs.aws import Allow, Statement
from troposphere import AWSHelperFn, If, NoValue, Sub, ecs
from troposphere.iam import Policy as RolePolicy

from ..inputs.parameters import Params
from . import policies
from .config import TELEMETRY_COLLECTOR_NAME
from .secrets import own_account_secret

COLLECTOR_NAME = TELEMETRY_COLLECTOR_NAME
# AWS Distro for OpenTelemetry, from its public ECR gallery, at a pinned release: a new
# collector arrives with a new planar-cfn, reviewed, never by itself.
COLLECTOR_IMAGE = "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.3"
LOG_GROUP_ID = "TelemetryCollectorLogGroup"
# The collector reads its configuration from this variable (--config env:NAME), and the
# token from TOKEN_VARIABLE, which ECS fills from the secret when the task starts.
CONFIG_VARIABLE = "PLANAR_OTELCOL_CONFIG"
TOKEN_VARIABLE = "TELEMETRY_TOKEN"
# ECS restarts it when it exits after running at least this long (60 is ECS's least,
# 300 its default); one that fails sooner, as a bad configuration would, stays stopped.
RESTART_AFTER_SECONDS = 60
# Its share of the task: 64 MiB reserved and at most 256 MiB, so a collector that grows
# is stopped (and restarted) before it takes the application's memory; no CPU units
# reserved: it shares the task's CPU with the application, which sets none either.
MEMORY_RESERVATION_MIB = 64
MEMORY_LIMIT_MIB = 256
# The task's containers share one network namespace (awsvpc): the collector listens on
# the loopback address only, unreachable from the VPC whatever the security groups say.
# The application's OTLP exporter speaks gRPC to 4317, as the Terraform module had it.
APP_ENDPOINT = "http://127.0.0.1:4317"
# The task and container metrics the collector forwards with TelemetryContainerMetrics,
# of those the awsecscontainermetrics receiver reads from the task metadata endpoint.
_METRICS = (
    "cpu.reserved",
    "cpu.utilized",
    "cpu.usage.vcpu",
    "memory.reserved",
    "memory.utilized",
    "memory.usage",
    "memory.usage.limit",
    "network.rate.rx",
    "network.rate.tx",
    "network.io.usage.rx_bytes",
    "network.io.usage.tx_bytes",
    "storage.read_bytes",
    "storage.write_bytes",
)
ECS_METRICS = (
    *(f"{level}.{metric}" for level in ("ecs.task", "container") for metric in _METRICS),
    "ecs.task.ephemeral_storage.utilized",
    "ecs.task.ephemeral_storage.reserved",
)

# The collector's configuration, a Fn::Sub: ${!env:...} is the collector's own variable
# syntax, ${...} CloudFormation's. A receiver or processor no pipeline names is never
# started, so only the two optional pipelines depend on the switches.
CONFIG = (
    """extensions:
  health_check:
    endpoint: 127.0.0.1:13133
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:4317
      http:
        endpoint: 127.0.0.1:4318
  awsecscontainermetrics: {}
processors:
  batch: {}
  filter/ecs:
    metrics:
      include:
        match_type: strict
        metric_names: ["""
    + ", ".join(ECS_METRICS)
    + """]
  resource/ecs:
    attributes:
      - {key: service.name, value: "${AppName}", action: upsert}
      - {key: customer.name, value: "${CustomerName}", action: upsert}
      - {key: deployment.environment, value: "${Stage}", action: upsert}
exporters:
  otlphttp:
    endpoint: "${TelemetryEndpoint}"
    headers:
      authorization: "Bearer ${!env:"""
    + TOKEN_VARIABLE
    + """}"
service:
  extensions: [health_check]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlphttp]
    metrics:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlphttp]
${ContainerMetricsPipeline}${LogsPipeline}"""
)
CONTAINER_METRICS_PIPELINE = """    metrics/ecs:
      receivers: [awsecscontainermetrics]
      processors: [filter/ecs, resource/ecs, batch]
      exporters: [otlphttp]
"""
LOGS_PIPELINE = """    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlphttp]
"""


def customer_name(params: Params) -> If:
    """TelemetryCustomerName, or the application's name when it is empty."""
    return If(
        params.has_telemetry_customer_name, params["TelemetryCustomerName"], params["AppName"]
    )


def token_secret_arn(params: Params) -> Sub:
    """The token's secret, by name in the stack's own account and region."""
    return own_account_secret(params, "TelemetryTokenSecretArn")


def collector_config(params: Params, stage: str) -> Sub:
    """The collector's configuration for these parameters, as YAML."""
    return Sub(
        CONFIG,
        CustomerName=customer_name(params),
        Stage=stage,
        ContainerMetricsPipeline=If(
            params.telemetry_container_metrics, CONTAINER_METRICS_PIPELINE, ""
        ),
        LogsPipeline=If(params.telemetry_logs_pipeline, LOGS_PIPELINE, ""),
    )


def collector_container(
    params: Params, stage: str, logs: ecs.LogConfiguration
) -> ecs.ContainerDefinition:
    """The collector's container. Not essential: the application keeps serving when it
    stops, and ECS restarts it in place."""
    return ecs.ContainerDefinition(
        Name=COLLECTOR_NAME,
        Image=COLLECTOR_IMAGE,
        Essential=False,
        RestartPolicy=ecs.RestartPolicy(Enabled=True, RestartAttemptPeriod=RESTART_AFTER_SECONDS),
        MemoryReservation=MEMORY_RESERVATION_MIB,
        Memory=MEMORY_LIMIT_MIB,
        Command=["--config", f"env:{CONFIG_VARIABLE}"],
        Environment=[ecs.Environment(Name=CONFIG_VARIABLE, Value=collector_config(params, stage))],
        Secrets=[ecs.Secret(Name=TOKEN_VARIABLE, ValueFrom=token_secret_arn(params))],
        # The image's own probe of the health_check extension.
        HealthCheck=ecs.HealthCheck(
            Command=["CMD", "/healthcheck"], Interval=30, Timeout=5, Retries=3, StartPeriod=30
        ),
        LogConfiguration=logs,
    )


def app_environment(params: Params, stage: str, taken: Collection[str]) -> list[If]:
    """The variables that point the application's OpenTelemetry SDK at the collector,
    each only under UseTelemetry; a name the configuration sets itself (`taken`) keeps
    the configuration's value."""
    variables: dict[str, str | AWSHelperFn] = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": APP_ENDPOINT,
        "OTEL_SERVICE_NAME": params["AppName"],
        "OTEL_RESOURCE_ATTRIBUTES": Sub(
            f"deployment.environment={stage},customer.name=${{CustomerName}},"
            "service.name=${AppName}",
            CustomerName=customer_name(params),
        ),
    }
    return [
        If(params.telemetry, ecs.Environment(Name=name, Value=value), NoValue)
        for name, value in variables.items()
        if name not in taken
    ]


def token_policy(params: Params) -> If:
    """Under UseTelemetry, the execution role reads the token's secret, and only it."""
    return If(
        params.telemetry,
        RolePolicy(
            PolicyName="telemetry-token",
            PolicyDocument=policies.policy_document(
                [
                    Statement(
                        Effect=Allow,
                        Action=[secretsmanager.GetSecretValue],
                        Resource=[token_secret_arn(params)],
                    )
                ]
            ),
        ),
        NoValue,
    )
