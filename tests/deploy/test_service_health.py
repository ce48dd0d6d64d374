"""After a create or update ends complete, the deploy checks that the ECS service runs
what was deployed (planar_cfn.service_health): the verdict on AWS's answers as plain
unit tests, then each failure through build.py itself (cli.main) against Stubbers,
with its exit code and what it prints."""

import json
from datetime import timedelta

import boto3
import pytest
from botocore.stub import Stubber

from planar_cfn.deploy import service_health
from planar_cfn.deploy.service_health import (
    FAILED,
    VERIFIED,
    VERIFY_SECONDS,
    WAITING,
    Expected,
    judge,
    log_stream,
    stopped_task,
)
from planar_cfn.errors import ExitCode
from tests import deploy_stubs as stubs
from tests.deploy import service_shapes as shapes
from tests.deploy.scenarios import build_py, updated_to_complete
from tests.deploy_stubs import (
    IMAGE,
    service,
    service_outputs,
    stopped,
    task_definition,
    task_definition_arn,
)

EXPECTED = Expected.from_outputs(service_outputs("dev"))
ROLLED_BACK = (
    "(service planar-service-dev-acme) (deployment ecs-svc/2222222222222222222) "
    "deployment failed: tasks failed to start.",
    "(service planar-service-dev-acme) rolling back to deployment ecs-svc/1111111111111111111.",
)
OOM = "OutOfMemoryError: Container killed due to memory usage"


def health(*states: str) -> list[dict]:
    return [
        {"Target": {"Id": f"10.0.1.{i}", "Port": 8000}, "TargetHealth": {"State": s}}
        for i, s in enumerate(states)
    ]


# --- the verdict, without AWS ------------------------------------------------------


def test_a_service_running_the_stacks_task_definition_and_image_with_healthy_targets_is_verified():
    verdict = judge(EXPECTED, service("dev"), task_definition("dev", 8), health("healthy"))
    assert verdict.state == VERIFIED
    assert verdict.ok
    assert verdict.problems == ()
    assert verdict.outputs() == {
        "ServiceRolloutState": "COMPLETED",
        "ServiceTaskDefinition": task_definition_arn("dev", 8),
        "ServiceImage": IMAGE,
        "ServiceHealthyTargets": "1/1",
    }


def test_an_older_task_definition_with_a_rollback_event_is_a_circuit_breaker_rollback():
    answer = service("dev", revision=7, events=tuple(reversed(ROLLED_BACK)))
    verdict = judge(EXPECTED, answer, task_definition("dev", 8), health("healthy"))
    assert verdict.state == FAILED
    assert verdict.problems == (
        "the service runs task definition planar-service-dev-acme:7, rolled back by the "
        "circuit breaker: the stack's is planar-service-dev-acme:8",
    )
    assert "rolling back to deployment" in verdict.rolled_back


def test_a_failed_rollout_fails_with_its_reason():
    answer = service("dev", rollout="FAILED", reason="ECS deployment circuit breaker: tasks failed")
    verdict = judge(EXPECTED, answer, task_definition("dev", 8), health())
    assert verdict.problems == (
        "the deployment's rollout FAILED: ECS deployment circuit breaker: tasks failed",
    )


def test_an_image_other_than_the_stacks_fails():
    verdict = judge(
        EXPECTED, service("dev"), task_definition("dev", 8, "ghcr.io/acme/planar-app:1.4.1"), []
    )
    assert verdict.problems == (
        "the stack's task definition runs image ghcr.io/acme/planar-app:1.4.1, "
        "not ghcr.io/acme/planar-app:1.4.2 as the stack asks",
    )


@pytest.mark.parametrize(
    ("answer", "states", "expected"),
    [
        (service("dev", rollout="IN_PROGRESS"), ("healthy",), WAITING),
        (service("dev"), ("initial",), WAITING),
        (service("dev"), ("unhealthy", "healthy"), WAITING),
        (service("dev"), (), WAITING),  # a running service with no target yet
        (service("dev"), ("healthy", "draining"), VERIFIED),  # an old task leaving
        (service("dev", desired=0), (), VERIFIED),  # scaled to zero: nothing to serve
        # no desired count given: nothing it must serve either
        ({k: v for k, v in service("dev").items() if k != "desiredCount"}, (), VERIFIED),
    ],
)
def test_what_may_still_settle_waits(answer, states, expected):
    assert judge(EXPECTED, answer, task_definition("dev", 8), health(*states)).state == expected


def test_each_target_not_healthy_is_named_with_what_elb_gives_of_why():
    # ELB's model makes every part of a description optional but the target's Id
    targets = [
        *health("healthy"),
        {"Target": {"Id": "10.0.1.7", "Port": 8000}, "TargetHealth": {"State": "initial"}},
        {
            "Target": {"Id": "10.0.1.8", "Port": 8000},
            "TargetHealth": {"State": "unhealthy", "Reason": "Target.Timeout"},
        },
        {"Target": {"Id": "10.0.1.9"}, "TargetHealth": {}},
        {},
    ]
    verdict = judge(EXPECTED, service("dev"), task_definition("dev", 8), targets)
    assert (verdict.state, verdict.healthy, verdict.targets) == (WAITING, 1, 5)
    assert (verdict.rollout, verdict.task_definition, verdict.image) == (
        "COMPLETED",
        task_definition_arn("dev", 8),
        IMAGE,
    )
    assert verdict.problems == (
        "1 of 5 target(s) healthy; target 10.0.1.7:8000 is initial; "
        "target 10.0.1.8:8000 is unhealthy (Target.Timeout); target 10.0.1.9:? is ?; "
        "target ?:? is ?",
    )


def test_a_stopped_task_gives_its_reason_and_exit_codes_and_its_log_stream():
    task = stopped_task(stopped("dev", "abc123", "Essential container in task exited", 137, 90))
    assert (task.id, task.reason, task.exits, task.stopped_at) == (
        "abc123",
        "Essential container in task exited",
        (("planar-app", "exit 137"),),
        "10:01:30",
    )
    assert log_stream(task_definition("dev", 8), "planar-app", task.id) == (
        "/ecs/planar-service-dev-acme",
        "ecs/planar-app/abc123",
    )


def test_the_bound_covers_a_start_the_grace_and_the_health_checks():
    # 2 min to start, 60 s grace, 2 passing or 10 failing checks 30 s apart
    assert VERIFY_SECONDS == 9 * 60


# --- through build.py --------------------------------------------------------------


def test_a_rollback_under_a_green_stack_fails_the_deploy_with_the_stopped_tasks_and_logs(
    harness, tmp_path
):
    # GIVEN an update that ends UPDATE_COMPLETE while the circuit breaker rolled the
    # service back to the previous task definition: its new tasks exit 137
    h = harness("dev")
    updated_to_complete(h)
    h.service_reading(service("dev", revision=7, events=tuple(reversed(ROLLED_BACK))), 8)
    h.target_health(("healthy", ""))
    h.stopped_tasks(
        stopped("dev", "aaa111", "Essential container in task exited", 137, 70),
        stopped("dev", "bbb222", "Essential container in task exited", 137, 130),
        logs=["Starting planar on :8000", OOM],
    )
    outputs = tmp_path / "outputs.json"

    # WHEN build.py deploys it
    code = build_py(h, tmp_path, "--outputs-json", str(outputs))

    # THEN exit 1: the stack is complete but the service is not what was deployed
    assert code == ExitCode.FAILED
    assert "Stack planar-dev-acme: UPDATE_COMPLETE." in h.out.getvalue()
    assert h.err.getvalue().splitlines() == [
        "build.py: error: service planar-service-dev-acme does not run what was deployed:",
        "  the service runs task definition planar-service-dev-acme:7, rolled back by the "
        "circuit breaker: the stack's is planar-service-dev-acme:8",
        f"  service event: {ROLLED_BACK[1]}",
        "Stopped tasks (newest first):",
        "  10:02:10  bbb222  Essential container in task exited (planar-app exit 137)",
        "  10:01:10  aaa111  Essential container in task exited (planar-app exit 137)",
        "Last log lines (/ecs/planar-service-dev-acme ecs/planar-app/bbb222):",
        "  Starting planar on :8000",
        f"  {OOM}",
        "The stack is complete, but the service is not: fix the image or its settings and "
        "deploy again; build.py --stage dev --watch checks the service again.",
    ]
    # and no outputs file says it worked
    assert not outputs.exists()


def test_targets_that_stay_unhealthy_fail_the_deploy_once_the_bound_runs_out(harness, tmp_path):
    # GIVEN an update whose service runs the new task definition, its target unhealthy
    # at every reading of the one-minute bound (--timeout 1: a reading every 5 s)
    h = harness("dev")
    updated_to_complete(h)
    for reading in range(13):
        h.service_reading(service("dev"), 8, first=reading == 0)
        h.target_health(("unhealthy", "Target.ResponseCodeMismatch"))
    h.stopped_tasks()

    # WHEN build.py deploys it
    code = build_py(h, tmp_path, "--timeout", "1")

    # THEN exit 1, naming the target and why it fails its checks
    assert code == ExitCode.FAILED
    assert h.err.getvalue().splitlines()[:3] == [
        "build.py: error: service planar-service-dev-acme does not run what was deployed:",
        "  not healthy after 1 minute(s):",
        "  0 of 1 target(s) healthy; target 10.0.1.10:8000 is unhealthy "
        "(Health checks failed with these codes: [502])",
    ]


def test_targets_that_turn_healthy_within_the_bound_pass(harness, tmp_path):
    # GIVEN a target still registering at the first reading, healthy at the second
    h = harness("dev")
    updated_to_complete(h)
    h.service_reading(service("dev"), 8)
    h.target_health(("initial", "Elb.RegistrationInProgress"))
    h.service_reading(service("dev"), 8, first=False)
    h.target_health(("healthy", ""))
    outputs = tmp_path / "outputs.json"

    code = build_py(h, tmp_path, "--outputs-json", str(outputs))

    assert code == ExitCode.OK, h.err.getvalue()
    assert json.loads(outputs.read_text())["ServiceHealthyTargets"] == "1/1"


def test_an_image_tag_other_than_the_stacks_fails_the_deploy(harness, tmp_path):
    # GIVEN an update whose stack asks for 1.4.2, its task definition running 1.4.1
    h = harness("dev")
    updated_to_complete(h)
    h.service_reading(service("dev"), 8, image="ghcr.io/acme/planar-app:1.4.1")
    h.target_health(("healthy", ""))
    h.stopped_tasks()

    code = build_py(h, tmp_path)

    assert code == ExitCode.FAILED
    assert h.err.getvalue().splitlines()[1] == (
        "  the stack's task definition runs image ghcr.io/acme/planar-app:1.4.1, "
        "not ghcr.io/acme/planar-app:1.4.2 as the stack asks"
    )
    # no stopped task, so no log to show
    assert "Last log lines" not in h.err.getvalue()


# --- the other shapes of AWS's answers -------------------------------------------------


@pytest.mark.parametrize("listed", [True, False])
def test_a_service_with_no_deployment_at_all_fails(listed):
    # an empty list of deployments, or none listed at all
    answer = shapes.without_deployments(service("dev"))
    if not listed:
        del answer["deployments"]
    verdict = judge(EXPECTED, answer, task_definition("dev", 8), health("healthy"))
    assert verdict.state == FAILED
    assert verdict.problems == ("service planar-service-dev-acme has no PRIMARY deployment",)


@pytest.mark.parametrize("balanced", [True, False])
def test_the_app_container_is_judged_by_its_name_not_its_place(balanced):
    # GIVEN a task definition whose first container is a sidecar with another image,
    # with and without a load balancer naming the app container
    answer = service("dev") if balanced else shapes.without_load_balancer(service("dev"))
    definition = shapes.sidecar_first(task_definition("dev", 8))
    # THEN the app container's image is the one judged
    verdict = judge(EXPECTED, answer, definition, health("healthy") if balanced else None)
    assert (verdict.state, verdict.image) == (VERIFIED, IMAGE)
    # and its log stream is the app's, not the sidecar's
    assert log_stream(definition, "planar-app", "abc123") == (
        "/ecs/planar-service-dev-acme",
        "ecs/planar-app/abc123",
    )


def test_a_service_without_a_load_balancer_is_verified_without_targets():
    answer = shapes.without_load_balancer(service("dev"))
    assert service_health.target_group(answer) == ("", None)
    verdict = judge(EXPECTED, answer, task_definition("dev", 8), None)
    assert (verdict.state, verdict.healthy, verdict.targets) == (VERIFIED, 0, 0)


@pytest.mark.parametrize(
    ("driver", "options"),
    [
        ("awsfirelens", {"Name": "cloudwatch_logs"}),
        ("splunk", {"splunk-url": "x"}),
        ("json-file", None),
    ],
)
def test_an_app_container_logging_elsewhere_has_no_awslogs_stream(driver, options):
    definition = shapes.logging_through(task_definition("dev", 8), driver, options)
    assert log_stream(definition, "planar-app", "abc123") == ("", "")


def test_a_service_that_is_missing_fails_the_deploy_saying_so(harness, tmp_path):
    # GIVEN an update that ends complete, its service not found (deleted meanwhile)
    h = harness("dev")
    updated_to_complete(h)
    shapes.service_missing(h)

    # WHEN build.py deploys it
    code = build_py(h, tmp_path)

    # THEN exit 1, naming the service, its cluster and ECS's reason; no task is listed
    assert code == ExitCode.FAILED
    assert h.err.getvalue().splitlines()[:2] == [
        "build.py: error: service planar-service-dev-acme does not run what was deployed:",
        "  service planar-service-dev-acme not found in cluster app-cluster-dev-acme (MISSING)",
    ]


def test_a_sidecar_first_and_no_load_balancer_still_verifies_the_app(harness, tmp_path):
    h = harness("dev")
    updated_to_complete(h)
    answer = shapes.without_load_balancer(service("dev"))
    shapes.service_reading(h, answer, shapes.sidecar_first(task_definition("dev", 8)))
    outputs = tmp_path / "outputs.json"

    code = build_py(h, tmp_path, "--outputs-json", str(outputs))

    assert code == ExitCode.OK, h.err.getvalue()
    recorded = json.loads(outputs.read_text())
    assert (recorded["ServiceImage"], recorded["ServiceHealthyTargets"]) == (IMAGE, "0/0")


def test_a_failure_with_the_app_logging_through_firelens_is_reported_without_logs(
    harness, tmp_path
):
    # GIVEN a rolled-back update whose app container logs through a FireLens router
    h = harness("dev")
    updated_to_complete(h)
    answer = service("dev", revision=7, events=tuple(reversed(ROLLED_BACK)))
    shapes.service_reading(h, answer, shapes.firelens(task_definition("dev", 8)))
    h.target_health(("healthy", ""))
    shapes.stopped_tasks_only(
        h, stopped("dev", "aaa111", "Essential container in task exited", 1, 70)
    )

    # WHEN build.py deploys it
    code = build_py(h, tmp_path)

    # THEN exit 1 with the stopped task, and no log read (none is in CloudWatch Logs)
    assert code == ExitCode.FAILED
    err = h.err.getvalue()
    assert "  10:01:10  aaa111  Essential container in task exited (planar-app exit 1)" in err
    assert "Last log lines" not in err


def test_a_refused_log_read_is_said_in_the_failure_report(harness, tmp_path):
    # GIVEN a rolled-back update, and a deployer that may not read the app's log
    h = harness("dev")
    updated_to_complete(h)
    h.service_reading(service("dev", revision=7, events=tuple(reversed(ROLLED_BACK))), 8)
    h.target_health(("healthy", ""))
    shapes.stopped_tasks_only(
        h, stopped("dev", "aaa111", "Essential container in task exited", 1, 70)
    )
    h.aws.stub("logs").add_client_error(
        "get_log_events",
        "AccessDeniedException",
        "not authorized to perform logs:GetLogEvents",
        400,
    )

    # WHEN build.py deploys it
    code = build_py(h, tmp_path)

    # THEN exit 1, the report whole, its log section saying why there are no lines
    assert code == ExitCode.FAILED
    lines = h.err.getvalue().splitlines()
    assert lines[0].endswith("does not run what was deployed:")
    start = lines.index("Last log lines (/ecs/planar-service-dev-acme ecs/planar-app/aaa111):")
    assert lines[start + 1] == (
        "  (not read: AccessDeniedException: not authorized to perform logs:GetLogEvents)"
    )


def test_the_app_container_name_is_the_templates():
    from planar_cfn.template.config import APP_CONTAINER_NAME

    assert service_health.APP_CONTAINER == APP_CONTAINER_NAME


# --- what the verdict and the failure report say, answer by answer ---------------------


def test_an_older_task_definition_without_a_rollback_event_is_named_not_the_stacks():
    # GIVEN a service that runs revision 7, its newest event unrelated, none a rollback
    answer = service("dev", revision=7, events=("has reached a steady state.",))
    verdict = judge(EXPECTED, answer, task_definition("dev", 8), health("healthy"))
    assert verdict.problems == (
        "the service runs task definition planar-service-dev-acme:7, not the stack's: "
        "the stack's is planar-service-dev-acme:8",
    )
    assert verdict.rolled_back == ""
    # and the failed verdict still records what the service was found running
    assert (verdict.rollout, verdict.task_definition, verdict.image) == (
        "COMPLETED",
        task_definition_arn("dev", 7),
        IMAGE,
    )


def test_the_rollback_event_is_the_newest_that_says_so_and_events_may_be_missing():
    events = ("has reached a steady state.", *reversed(ROLLED_BACK))
    answer = service("dev", revision=7, events=events)
    assert judge(EXPECTED, answer, task_definition("dev", 8), []).rolled_back == ROLLED_BACK[1]
    unlisted = {k: v for k, v in service("dev", revision=7).items() if k != "events"}
    assert "not the stack's" in judge(EXPECTED, unlisted, task_definition("dev", 8), []).problems[0]


def test_a_rollout_in_progress_is_waited_for():
    answer = service("dev", rollout="IN_PROGRESS")
    verdict = judge(EXPECTED, answer, task_definition("dev", 8), health("healthy"))
    assert verdict.problems == ("the deployment's rollout is IN_PROGRESS",)


def test_a_failed_rollout_without_a_reason_says_so():
    answer = service("dev", rollout="FAILED")
    del answer["deployments"][0]["rolloutStateReason"]
    verdict = judge(EXPECTED, answer, task_definition("dev", 8), health("healthy"))
    assert verdict.problems == ("the deployment's rollout FAILED: no reason given",)


def test_a_deployment_without_a_rollout_state_is_judged_by_its_targets():
    # ECS gives no rolloutState behind a Classic Load Balancer or for other deployment types
    answer = service("dev")
    del answer["deployments"][0]["rolloutState"]
    verdict = judge(EXPECTED, answer, task_definition("dev", 8), health("healthy"))
    assert (verdict.state, verdict.rollout) == (VERIFIED, "")


def test_a_reading_without_the_stacks_task_definition_arn_compares_no_revisions():
    definition = {k: v for k, v in task_definition("dev", 8).items() if k != "taskDefinitionArn"}
    verdict = judge(EXPECTED, service("dev", revision=7), definition, health("healthy"))
    assert verdict.state == VERIFIED


@pytest.mark.parametrize("listed", [True, False])
def test_a_task_definition_without_the_app_container_runs_no_image(listed):
    definition = {**task_definition("dev", 8), "containerDefinitions": []}
    if not listed:
        del definition["containerDefinitions"]
    verdict = judge(EXPECTED, service("dev"), definition, health("healthy"))
    assert verdict.problems == (
        "the stack's task definition runs image (none), not ghcr.io/acme/planar-app:1.4.2 "
        "as the stack asks",
    )


def renamed_app(definition: dict, name: str) -> dict:
    """The task definition with its app container named `name`, and a container named
    planar-app beside it running another image."""
    app = {**definition["containerDefinitions"][0], "name": name}
    other = {"name": "planar-app", "image": "busybox:latest"}
    return {**definition, "containerDefinitions": [other, app]}


def test_the_container_the_load_balancer_names_is_the_app():
    answer = service("dev")
    answer["loadBalancers"][0]["containerName"] = "web"
    definition = renamed_app(task_definition("dev", 8), "web")
    assert service_health.target_group(answer)[1] == "web"
    verdict = judge(EXPECTED, answer, definition, health("healthy"))
    assert (verdict.state, verdict.image) == (VERIFIED, IMAGE)
    # and its log stream is the one a failure's report reads
    assert log_stream(definition, "web", "abc123") == (
        "/ecs/planar-service-dev-acme",
        "ecs/web/abc123",
    )


def test_a_container_not_in_the_task_definition_falls_back_to_the_app_containers_stream():
    assert log_stream(task_definition("dev", 8), "web", "abc123") == (
        "/ecs/planar-service-dev-acme",
        "ecs/planar-app/abc123",
    )


@pytest.mark.parametrize(
    ("configuration", "expected"),
    [
        (None, ("", "")),  # no logConfiguration at all
        ({"logDriver": "awslogs"}, ("", "")),
        ({"logDriver": "awslogs", "options": {"awslogs-region": "us-east-1"}}, ("", "")),
        # with no stream prefix, awslogs names the stream by the task's id alone
        ({"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/app"}}, ("/ecs/app", "abc")),
    ],
)
def test_the_awslogs_stream_needs_a_group_and_a_prefix_names_it(configuration, expected):
    container = {"name": "planar-app", "image": IMAGE}
    if configuration is not None:
        container["logConfiguration"] = configuration
    definition = {"containerDefinitions": [container]}
    assert log_stream(definition, "planar-app", "abc") == expected


def test_a_task_that_never_started_gives_each_containers_reason():
    task = stopped_task(
        {
            "containers": [
                {"name": "planar-app", "reason": "CannotPullContainerError: not found"},
                {"name": "log-router"},
                {"reason": "unnamed"},
            ]
        }
    )
    assert (task.arn, task.reason, task.stopped_at) == ("", "no reason given", "")
    assert task.exits == (
        ("planar-app", "CannotPullContainerError: not found"),
        ("log-router", "no exit code"),
        ("", "unnamed"),
    )
    assert stopped_task({}).exits == ()


# --- the reads, against Stubbers -----------------------------------------------------------


@pytest.fixture
def reader():
    """A Reader of dev's service, its clients stubbed (the Stubbers as reader.stubs)."""
    clients = {
        name: boto3.client(name, region_name=stubs.REGION) for name in ("ecs", "elbv2", "logs")
    }
    stubbers = {name: Stubber(client) for name, client in clients.items()}
    for stubber in stubbers.values():
        stubber.activate()
    made = service_health.Reader(clients["ecs"], clients["elbv2"], clients["logs"], EXPECTED)
    made.stubs = stubbers
    yield made
    for stubber in stubbers.values():
        stubber.assert_no_pending_responses()


def test_a_classic_load_balancer_has_no_targets_to_read(reader):
    answer = service("dev")
    answer["loadBalancers"] = [{"loadBalancerName": "classic", "containerName": "planar-app"}]
    assert reader.targets(answer) is None  # and no DescribeTargetHealth


def test_a_target_group_answer_without_descriptions_has_no_targets(reader):
    arn = stubs.target_group_arn("dev")
    reader.stubs["elbv2"].add_response("describe_target_health", {}, {"TargetGroupArn": arn})
    descriptions = reader.targets(service("dev"))
    assert descriptions == []
    verdict = judge(EXPECTED, service("dev"), task_definition("dev", 8), descriptions)
    assert verdict.problems == ("0 of 0 target(s) healthy",)


def listed(reader, *arns: str) -> None:
    reader.stubs["ecs"].add_response(
        "list_tasks",
        {"taskArns": list(arns)},
        {
            "cluster": EXPECTED.cluster,
            "serviceName": EXPECTED.service,
            "desiredStatus": "STOPPED",
            "maxResults": 5,
        },
    )


def test_tasks_gone_between_the_list_and_the_describe_are_none(reader):
    arn = stopped("dev", "aaa111", "Essential container in task exited", 1, 70)["taskArn"]
    listed(reader, arn)
    failure = {"arn": arn, "reason": "MISSING"}
    reader.stubs["ecs"].add_response(
        "describe_tasks", {"failures": [failure]}, {"cluster": EXPECTED.cluster, "tasks": [arn]}
    )
    assert reader.stopped_tasks() == []


def test_a_task_still_stopping_is_placed_by_its_start(reader):
    # GIVEN a task stopped at 10:01:10, and one started at 10:02:00 and still stopping
    done = stopped("dev", "aaa111", "Essential container in task exited", 1, 70)
    stopping = {**stopped("dev", "bbb222", "Scaling activity", None, 0), "lastStatus": "STOPPING"}
    del stopping["stoppedAt"]
    stopping["createdAt"] = stubs.T0 + timedelta(seconds=120)
    listed(reader, done["taskArn"], stopping["taskArn"])
    reader.stubs["ecs"].add_response(
        "describe_tasks",
        {"tasks": [done, stopping]},
        {"cluster": EXPECTED.cluster, "tasks": [done["taskArn"], stopping["taskArn"]]},
    )
    # THEN newest first: the stopping one
    assert [t.id for t in reader.stopped_tasks()] == ["bbb222", "aaa111"]


def test_log_events_without_a_message_are_blank_lines(reader):
    reader._stack_task_definition = task_definition("dev", 8)
    task = stopped_task(stopped("dev", "aaa111", "Essential container in task exited", 1, 70))
    where = {
        "logGroupName": "/ecs/planar-service-dev-acme",
        "logStreamName": "ecs/planar-app/aaa111",
        "limit": 20,
        "startFromHead": False,
    }
    events = {"events": [{"timestamp": 1}, {"timestamp": 2, "message": "up"}]}
    reader.stubs["logs"].add_response("get_log_events", events, where)
    reader.stubs["logs"].add_response("get_log_events", {}, where)
    name = "/ecs/planar-service-dev-acme ecs/planar-app/aaa111"
    assert reader.log_lines(task, None) == (name, ["", "up"])
    assert reader.log_lines(task, "planar-app") == (name, [])


@pytest.mark.parametrize(
    "failures", [[], [{"arn": "arn:aws:ecs:us-east-1:123456789012:service/x"}]]
)
def test_a_service_ecs_gives_no_reason_for_is_not_found(reader, failures):
    reader.stubs["ecs"].add_response(
        "describe_services",
        {"services": [], "failures": failures},
        {"cluster": EXPECTED.cluster, "services": [EXPECTED.service]},
    )
    assert reader.service() == {"missing": "not found"}


def test_the_log_read_is_the_load_balanced_containers(reader):
    reader._stack_task_definition = renamed_app(task_definition("dev", 8), "web")
    task = stopped_task(stopped("dev", "aaa111", "Essential container in task exited", 1, 70))
    where = {
        "logGroupName": "/ecs/planar-service-dev-acme",
        "logStreamName": "ecs/web/aaa111",
        "limit": 20,
        "startFromHead": False,
    }
    reader.stubs["logs"].add_response("get_log_events", {"events": []}, where)
    assert reader.log_lines(task, "web") == ("/ecs/planar-service-dev-acme ecs/web/aaa111", [])


def described(reader, answer: dict, definition: dict) -> None:
    reader.stubs["ecs"].add_response(
        "describe_services",
        {"services": [answer], "failures": []},
        {"cluster": EXPECTED.cluster, "services": [EXPECTED.service]},
    )
    reader.stubs["ecs"].add_response(
        "describe_task_definition",
        {"taskDefinition": definition},
        {"taskDefinition": EXPECTED.family},
    )


def test_a_verification_that_runs_out_fails_and_reads_the_load_balanced_containers_log(reader):
    # GIVEN a service whose load balancer routes to container web, its target unhealthy
    answer = service("dev")
    answer["loadBalancers"][0]["containerName"] = "web"
    described(reader, answer, renamed_app(task_definition("dev", 8), "web"))
    arn = stubs.target_group_arn("dev")
    reader.stubs["elbv2"].add_response(
        "describe_target_health",
        {"TargetHealthDescriptions": health("unhealthy")},
        {"TargetGroupArn": arn},
    )
    task = stopped("dev", "aaa111", "Essential container in task exited", 1, 70)
    listed(reader, task["taskArn"])
    reader.stubs["ecs"].add_response(
        "describe_tasks",
        {"tasks": [task]},
        {"cluster": EXPECTED.cluster, "tasks": [task["taskArn"]]},
    )
    where = {
        "logGroupName": "/ecs/planar-service-dev-acme",
        "logStreamName": "ecs/web/aaa111",
        "limit": 20,
        "startFromHead": False,
    }
    reader.stubs["logs"].add_response("get_log_events", {"events": []}, where)

    # WHEN the bound runs out at the first reading
    report = service_health.verify(reader, stubs.FakeClock().clock(), 0)

    # THEN it failed, and the log read is web's
    assert report.verdict.state == FAILED
    assert report.verdict.problems[0] == "not healthy after 0 minute(s):"
    assert report.log_name == "/ecs/planar-service-dev-acme ecs/web/aaa111"


def test_a_missing_service_fails_the_verification(reader):
    reader.stubs["ecs"].add_response(
        "describe_services",
        {"services": [], "failures": [{"arn": "x", "reason": "MISSING"}]},
        {"cluster": EXPECTED.cluster, "services": [EXPECTED.service]},
    )
    report = service_health.verify(reader, stubs.FakeClock().clock(), 60)
    assert (report.verdict.state, report.stopped) == (FAILED, ())


def blue_green(alternate: str) -> dict:
    """A service whose load balancer has an alternate target group."""
    answer = service("dev")
    balancer = {**answer["loadBalancers"][0]}
    balancer["advancedConfiguration"] = {"alternateTargetGroupArn": alternate}
    return {**answer, "loadBalancers": [balancer]}


def target_healths(reader, arn: str, *states: str) -> None:
    targets = [
        {"Target": {"Id": f"10.0.1.{10 + i}", "Port": 8000}, "TargetHealth": {"State": s}}
        for i, s in enumerate(states)
    ]
    reader.stubs["elbv2"].add_response(
        "describe_target_health", {"TargetHealthDescriptions": targets}, {"TargetGroupArn": arn}
    )


ALTERNATE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/atg-dev-acme/1a2b3c"


def test_tasks_moved_to_the_alternate_target_group_are_the_ones_judged(reader):
    # the service's own group only drains the old revision; the alternate serves
    target_healths(reader, stubs.target_group_arn("dev"), "draining")
    target_healths(reader, ALTERNATE, "healthy")
    assert [t["TargetHealth"]["State"] for t in reader.targets(blue_green(ALTERNATE))] == [
        "healthy"
    ]


def test_the_services_own_group_is_judged_while_it_holds_tasks_that_stay(reader):
    # one read only: the alternate group is not read
    target_healths(reader, stubs.target_group_arn("dev"), "unhealthy", "draining")
    states = [t["TargetHealth"]["State"] for t in reader.targets(blue_green(ALTERNATE))]
    assert states == ["unhealthy", "draining"]


def test_without_an_alternate_group_a_group_that_only_drains_is_what_is_judged(reader):
    target_healths(reader, stubs.target_group_arn("dev"), "draining")
    descriptions = reader.targets(service("dev"))
    verdict = judge(EXPECTED, service("dev"), task_definition("dev", 8), descriptions)
    assert verdict.problems == ("0 of 0 target(s) healthy",)
