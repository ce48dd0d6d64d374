"""Shapes of the ECS answers beside the one tests/deploy_stubs.py gives (one PRIMARY
deployment, one load balancer, the app container alone and logging to awslogs, a
service always found): a service with no deployment or no load balancer, a sidecar
listed before the app container, an app container logging through FireLens, and the
stubbed reads of a service verified with them."""

from __future__ import annotations

from typing import Any

from tests.deploy_stubs import REGION, service_outputs, task_definition

SIDECAR_IMAGE = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"


def without_deployments(answer: dict) -> dict:
    """The service with no deployment at all."""
    return {**answer, "deployments": []}


def without_load_balancer(answer: dict) -> dict:
    """The service with no load balancer (and so no target group)."""
    return {key: value for key, value in answer.items() if key != "loadBalancers"}


def sidecar_first(definition: dict) -> dict:
    """The task definition with an essential sidecar listed before the app container,
    running another image and logging to its own stream."""
    sidecar = {
        "name": "log-router",
        "image": SIDECAR_IMAGE,
        "essential": True,
        "firelensConfiguration": {"type": "fluentbit"},
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": "/ecs/log-router",
                "awslogs-region": REGION,
                "awslogs-stream-prefix": "router",
            },
        },
    }
    return {**definition, "containerDefinitions": [sidecar, *definition["containerDefinitions"]]}


def logging_through(definition: dict, driver: str, options: dict[str, str] | None) -> dict:
    """The task definition, its app container logging through `driver` (awsfirelens,
    splunk, ...) with `options` (None: none)."""
    containers = []
    for container in definition["containerDefinitions"]:
        if container["name"] == "planar-app":
            config: dict[str, Any] = {"logDriver": driver}
            if options is not None:
                config["options"] = options
            container = {**container, "logConfiguration": config}
        containers.append(container)
    return {**definition, "containerDefinitions": containers}


def firelens(definition: dict) -> dict:
    """The task definition with a FireLens router first, the app logging through it."""
    routed = logging_through(definition, "awsfirelens", {"Name": "cloudwatch_logs"})
    return sidecar_first(routed)


def service_reading(h, answer: dict, definition: dict | None = None, first: bool = True) -> None:
    """DescribeServices' `answer`, and on the `first` reading DescribeTaskDefinition's
    `definition` (default: the stack's revision 8)."""
    names = service_outputs(h.stage)
    ecs = h.aws.stub("ecs")
    ecs.add_response(
        "describe_services",
        {"services": [answer], "failures": []},
        {"cluster": names["EcsClusterName"], "services": [names["EcsServiceName"]]},
    )
    if first:
        ecs.add_response(
            "describe_task_definition",
            {"taskDefinition": definition or task_definition(h.stage, 8)},
            {"taskDefinition": names["TaskDefinitionFamily"]},
        )


def service_missing(h, reason: str = "MISSING") -> None:
    """DescribeServices finds no such service: one failure with `reason`."""
    names = service_outputs(h.stage)
    arn = f"arn:aws:ecs:{REGION}:123456789012:service/{names['EcsClusterName']}/{names['EcsServiceName']}"
    h.aws.stub("ecs").add_response(
        "describe_services",
        {"services": [], "failures": [{"arn": arn, "reason": reason}]},
        {"cluster": names["EcsClusterName"], "services": [names["EcsServiceName"]]},
    )


def stopped_tasks_only(h, *tasks: dict) -> None:
    """ListTasks (STOPPED) and DescribeTasks, with no log read after them."""
    h.stopped_tasks(*tasks, read_log=False)
