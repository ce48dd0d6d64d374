"""The ECS service's events and stopped tasks, shown beside the stack's while
CloudFormation creates or updates it (service_events.ServiceEvents), through the
command (cli.main) against Stubbers."""

import pytest

from planar_cfn.errors import ExitCode
from tests.deploy.scenarios import OUTPUTS, build_py, executed_update
from tests.deploy_stubs import (
    DEPLOYMENT_ID,
    event,
    service,
    service_outputs,
    stopped,
    task_definition,
    task_definition_arn,
)

SERVICE_ARN = (
    "arn:aws:ecs:us-east-1:123456789012:service/app-cluster-dev-acme/planar-service-dev-acme"
)
CRASH = "Essential container in task exited"
KINDS = ("SERVICE_EVENT", "TASK_STOPPED", "TASK_REPLACED", "DEPLOYMENT_FAILING", "APP_LOG")
# The deployment a rolling update replaces: its tasks stop as the new ones start.
OLD_DEPLOYMENT = "ecs-svc/0000000000000000000"
SCALED_IN = f"Scaling activity initiated by (deployment {DEPLOYMENT_ID})"


def service_read(h, events, stopped_tasks, new, failed=None, rollout="IN_PROGRESS"):
    """One poll of the service while the stack changes: its events (newest first), the
    STOPPED tasks' ARNs, and DescribeTasks of the `new` ones. The PRIMARY deployment's
    failedTasks is `failed`, else how many of `stopped_tasks` it started."""
    if failed is None:
        failed = sum(1 for t in stopped_tasks if t.get("startedBy") == DEPLOYMENT_ID)
    answer = service("dev", events=tuple(events), failed=failed, rollout=rollout)
    ecs = h.aws.stub("ecs")
    ecs.add_response(
        "describe_services",
        {"services": [answer], "failures": []},
        {"cluster": "app-cluster-dev-acme", "services": ["planar-service-dev-acme"]},
    )
    ecs.add_response(
        "list_tasks",
        {"taskArns": [t["taskArn"] for t in stopped_tasks]},
        {
            "cluster": "app-cluster-dev-acme",
            "serviceName": "planar-service-dev-acme",
            "desiredStatus": "STOPPED",
        },
    )
    if new:
        ecs.add_response(
            "describe_tasks",
            {"tasks": new, "failures": []},
            {"cluster": "app-cluster-dev-acme", "tasks": [t["taskArn"] for t in new]},
        )


def shown(h) -> list[str]:
    """The service's lines among the deploy's output: `KIND | text`."""
    return [
        line.split(None, 1)[1].split("  ", 1)[0] + " | " + line.rsplit("Service  ", 1)[-1]
        for line in h.out.getvalue().splitlines()
        if any(f" {kind} " in line for kind in KINDS)
    ]


def test_tasks_that_keep_stopping_show_beside_the_stack_events_and_warn_early(harness, tmp_path):
    # GIVEN an update whose new tasks exit 1 one after the other, until the stack rolls back
    h = harness("dev")
    cursor = executed_update(h, [])
    updating = event(
        "dev",
        "Service",
        "UPDATE_IN_PROGRESS",
        "AWS::ECS::Service",
        seconds=5,
        physical=SERVICE_ARN,
    )
    tasks = [stopped("dev", f"task{i}", CRASH, 1, 30 + 40 * i) for i in range(3)]
    started = [
        f"(service planar-service-dev-acme) has started 1 tasks: (task task{i})." for i in range(3)
    ]
    # and, from before the update, an event and a stopped task that are not news
    steady = ("(service planar-service-dev-acme) has reached a steady state.", -600)
    old = [stopped("dev", "old0", SCALED_IN, 0, -900, OLD_DEPLOYMENT)]
    h.progress("UPDATE_IN_PROGRESS", updating, cursor)
    service_read(h, [started[0], steady], tasks[:1] + old, tasks[:1] + old)
    h.progress("UPDATE_IN_PROGRESS")
    service_read(h, [*reversed(started[:2]), steady], tasks[1::-1] + old, tasks[1:2])
    h.progress("UPDATE_IN_PROGRESS")
    service_read(h, [*reversed(started), steady], tasks[::-1] + old, tasks[2:])
    h.aws.stub("ecs").add_response(
        "describe_task_definition",
        {"taskDefinition": task_definition("dev", 8)},
        {"taskDefinition": task_definition_arn("dev", 8)},
    )
    h.aws.stub("logs").add_response(
        "get_log_events",
        {"events": [{"timestamp": 0, "message": "KeyError: 'DATABASE_URL'"}]},
        {
            "logGroupName": "/ecs/planar-service-dev-acme",
            "logStreamName": "ecs/planar-app/task2",
            "limit": 20,
            "startFromHead": False,
        },
    )
    failed = event(
        "dev", "Service", "UPDATE_FAILED", "AWS::ECS::Service", "Service did not stabilize", 200
    )
    h.progress("UPDATE_ROLLBACK_COMPLETE", failed)
    service_read(h, reversed(started), tasks[::-1], [])

    # WHEN build.py deploys it
    code = build_py(h, tmp_path)

    # THEN exit 1 for the rollback, and while it waited, each service event and each
    # stopped task once, in order, then after the third stop the warning naming --timeout
    assert code == ExitCode.FAILED
    assert shown(h) == [
        f"SERVICE_EVENT | {started[0]}",
        f"TASK_STOPPED | task0: {CRASH} (planar-app exit 1)",
        f"SERVICE_EVENT | {started[1]}",
        f"TASK_STOPPED | task1: {CRASH} (planar-app exit 1)",
        f"SERVICE_EVENT | {started[2]}",
        f"TASK_STOPPED | task2: {CRASH} (planar-app exit 1)",
        f"DEPLOYMENT_FAILING | 3 tasks stopped, 3 of them: {CRASH}. The stack waits for the "
        "service up to --timeout (60 min); ECS's circuit breaker will roll the deployment back",
        "APP_LOG | KeyError: 'DATABASE_URL'",
    ]


def test_service_events_aws_refuses_are_said_once_and_the_stack_events_go_on(harness, tmp_path):
    # GIVEN a deployer policy without ecs:DescribeServices, and an update that rolls back
    h = harness("dev")
    cursor = executed_update(h, [])
    updating = event(
        "dev", "Service", "UPDATE_IN_PROGRESS", "AWS::ECS::Service", seconds=5, physical=SERVICE_ARN
    )
    h.progress("UPDATE_IN_PROGRESS", updating, cursor)
    h.aws.stub("ecs").add_client_error(
        "describe_services", "AccessDeniedException", "not authorized", 400
    )
    failed = event(
        "dev", "Service", "UPDATE_FAILED", "AWS::ECS::Service", "Service did not stabilize", 200
    )
    h.progress("UPDATE_ROLLBACK_COMPLETE", failed)

    # WHEN build.py deploys it
    code = build_py(h, tmp_path)

    # THEN one line says the service's events are not read; the stack's still show
    assert code == ExitCode.FAILED
    out = h.out.getvalue()
    assert out.count("SERVICE_EVENTS") == 1
    assert "not read: AccessDeniedException: not authorized" in out
    assert "UPDATE_FAILED" in out


@pytest.mark.parametrize(
    ("partition", "region"),
    [("aws", "us-east-1"), ("aws-cn", "cn-north-1"), ("aws-us-gov", "us-gov-west-1")],
)
def test_a_service_in_any_partition_has_its_events_and_stopped_tasks_shown(
    harness, tmp_path, partition, region
):
    # GIVEN an update whose service's ARN is of the `partition`, one task stopping
    h = harness("dev")
    cursor = executed_update(h, [])
    arn = SERVICE_ARN.replace("arn:aws:ecs:us-east-1:", f"arn:{partition}:ecs:{region}:")
    updating = event(
        "dev", "Service", "UPDATE_IN_PROGRESS", "AWS::ECS::Service", seconds=5, physical=arn
    )
    task = stopped("dev", "task0", CRASH, 1, 30)
    h.progress("UPDATE_IN_PROGRESS", updating, cursor)
    service_read(h, ["(service planar-service-dev-acme) has started 1 tasks."], [task], [task])
    failed = event(
        "dev", "Service", "UPDATE_FAILED", "AWS::ECS::Service", "Service did not stabilize", 200
    )
    h.progress("UPDATE_ROLLBACK_COMPLETE", failed)
    service_read(h, [], [task], [])

    # WHEN build.py deploys it
    assert build_py(h, tmp_path) == ExitCode.FAILED

    # THEN the service's event and its stopped task show beside the stack's
    assert shown(h) == [
        "SERVICE_EVENT | (service planar-service-dev-acme) has started 1 tasks.",
        f"TASK_STOPPED | task0: {CRASH} (planar-app exit 1)",
    ]


def draining(task: dict) -> dict:
    """`task` as ListTasks(desiredStatus=STOPPED) finds it while the load balancer still
    drains it: told to stop, still running, with no stop reason yet."""
    left = {k: v for k, v in task.items() if k not in ("stoppedReason", "stoppedAt")}
    return {**left, "lastStatus": "RUNNING", "containers": [{"name": "planar-app"}]}


def test_a_healthy_rolling_deploy_shows_old_tasks_replaced_and_warns_of_nothing(harness, tmp_path):
    # GIVEN an update of a service with 3 tasks: the new deployment starts 3 that run,
    # and ECS stops the old deployment's 3, first draining them (no reason yet)
    h = harness("dev")
    h.auto_service = False
    cursor = executed_update(h, [])
    updating = event(
        "dev", "Service", "UPDATE_IN_PROGRESS", "AWS::ECS::Service", seconds=5, physical=SERVICE_ARN
    )
    old = [stopped("dev", f"old{i}", SCALED_IN, 0, 60 + i, OLD_DEPLOYMENT) for i in range(3)]
    h.progress("UPDATE_IN_PROGRESS", updating, cursor)
    service_read(h, [], old, [draining(t) for t in old])
    h.progress("UPDATE_IN_PROGRESS")
    service_read(h, [], old, old)
    done = event("dev", "Service", "UPDATE_COMPLETE", "AWS::ECS::Service", seconds=120)
    complete = event("dev", h.name, "UPDATE_COMPLETE", seconds=130)
    h.progress("UPDATE_COMPLETE", complete, done, outputs={**OUTPUTS, **service_outputs("dev")})
    service_read(h, [], old, [])
    h.service_reading(service("dev"), 8)
    h.target_health(("healthy", ""))

    # WHEN build.py deploys it
    code = build_py(h, tmp_path)

    # THEN it succeeds; each old task shows once as replaced by the new deployment,
    # again with its reason once it has stopped, and nothing warns of a failing deployment
    assert code == ExitCode.OK, h.err.getvalue()
    assert shown(h) == [
        *(
            f"TASK_REPLACED | old{i}: stopping, replaced by deployment {DEPLOYMENT_ID}"
            for i in range(3)
        ),
        *(
            f"TASK_REPLACED | old{i}: replaced by deployment {DEPLOYMENT_ID}: {SCALED_IN} "
            "(planar-app exit 0)"
            for i in range(3)
        ),
    ]


def test_a_rollout_the_circuit_breaker_failed_warns_even_before_three_failed_tasks(
    harness, tmp_path
):
    # GIVEN an update whose new deployment's rollout is FAILED after one failed task
    # (a desired count of 1 with a task that never turns healthy, say)
    h = harness("dev")
    cursor = executed_update(h, [])
    updating = event(
        "dev", "Service", "UPDATE_IN_PROGRESS", "AWS::ECS::Service", seconds=5, physical=SERVICE_ARN
    )
    task = stopped("dev", "task0", CRASH, 1, 30)
    h.progress("UPDATE_IN_PROGRESS", updating, cursor)
    service_read(h, [], [task], [task], rollout="FAILED")
    h.aws.stub("ecs").add_response(
        "describe_task_definition",
        {"taskDefinition": task_definition("dev", 8)},
        {"taskDefinition": task_definition_arn("dev", 8)},
    )
    h.aws.stub("logs").add_response(
        "get_log_events",
        {"events": []},
        {
            "logGroupName": "/ecs/planar-service-dev-acme",
            "logStreamName": "ecs/planar-app/task0",
            "limit": 20,
            "startFromHead": False,
        },
    )
    failed = event(
        "dev", "Service", "UPDATE_FAILED", "AWS::ECS::Service", "Service did not stabilize", 200
    )
    h.progress("UPDATE_ROLLBACK_COMPLETE", failed)
    service_read(h, [], [task], [], rollout="FAILED")

    assert build_py(h, tmp_path) == ExitCode.FAILED
    assert shown(h) == [
        f"TASK_STOPPED | task0: {CRASH} (planar-app exit 1)",
        f"DEPLOYMENT_FAILING | 1 tasks stopped, 1 of them: {CRASH}. The stack waits for the "
        "service up to --timeout (60 min); ECS's circuit breaker will roll the deployment back",
    ]
