"""An OpenTelemetry collector beside the application, with logs of its own."""

from awacs import xray
from awacs.aws import Allow, Statement

from planar_cfn import Sidecar, StackConfig, build_template, get_stage

collector = Sidecar(
    name="otel-collector",
    image="public.ecr.aws/aws-observability/aws-otel-collector:v0.41.1",
    # Receives OTLP on 4317 (gRPC) and 4318 (HTTP), sends traces to X-Ray.
    command=("--config=/etc/ecs/ecs-xray.yaml",),
    port_mappings=(4317, 4318),
    cpu=256,
    memory=512,
)
config = StackConfig(
    stage=get_stage("prod"),
    sidecars=(collector,),
    # The app and the collector share the task's network.
    environment={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4317"},
    # X-Ray's write actions take no resource ARN.
    task_role_statements=(
        Statement(
            Effect=Allow,
            Action=[xray.PutTraceSegments, xray.PutTelemetryRecords],
            Resource=["*"],
        ),
    ),
)
built = build_template(config)

containers = built.to_dict()["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"]
# The built-in OpenTelemetry collector is an Fn::If on the Telemetry parameter: leave
# Telemetry false when bringing your own, which listens on the same ports.
print("containers:", [container["Name"] for container in containers if "Name" in container])
log_group = built.sidecar_log_groups["otel-collector"]
print("collector logs:", log_group.title, log_group.to_dict()["Properties"]["LogGroupName"])
