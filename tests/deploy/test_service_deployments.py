"""A traffic-shifting deployment (CANARY, LINEAR, BLUE_GREEN) followed while the stack
waits: its lifecycle stages with the traffic split, and an alarm rollback as the
failure's root cause (service_deployments.DeploymentStages), through the command
(cli.main) against Stubbers."""

from datetime import timedelta

from planar_cfn.errors import ExitCode
from tests.deploy.scenarios import (
    OUTPUTS,
    build_py,
    executed_image_tag,
    executed_update,
)
from tests.deploy_stubs import T0, event, service, service_outputs, target_group_arn

CLUSTER, NAME = "app-cluster-dev-acme", "planar-service-dev-acme"
SERVICE_ARN = f"arn:aws:ecs:us-east-1:123456789012:service/{CLUSTER}/{NAME}"
DEPLOYMENT_ARN = f"arn:aws:ecs:us-east-1:123456789012:service-deployment/{CLUSTER}/{NAME}/abc"
NEW = f"arn:aws:ecs:us-east-1:123456789012:service-revision/{CLUSTER}/{NAME}/2"
OLD = f"arn:aws:ecs:us-east-1:123456789012:service-revision/{CLUSTER}/{NAME}/1"
ALARM = "planar-dev-acme-ServiceErrorRateAlarm"
KINDS = ("DEPLOYMENT_STAGE", "DEPLOYMENT_ROLLBACK", "SERVICE_EVENT")


def names(stage: str) -> tuple[str, str]:
    return f"app-cluster-{stage}-acme", f"planar-service-{stage}-acme"


def shifting(strategy: str = "CANARY", stage: str = "dev") -> dict:
    """DescribeServices' service under a traffic-shifting `strategy`."""
    return {**service(stage), "deploymentConfiguration": {"strategy": strategy}}


def deployment(stage: str, new: float, status: str = "IN_PROGRESS", fired=()) -> dict:
    """DescribeServiceDeployments' deployment at `stage`, `new`% to the new revision."""
    answer = {
        "serviceDeploymentArn": DEPLOYMENT_ARN,
        "serviceArn": SERVICE_ARN,
        "status": status,
        "lifecycleStage": stage,
        "targetServiceRevision": {"arn": NEW, "requestedProductionTrafficWeight": new},
        "sourceServiceRevisions": [{"arn": OLD, "requestedProductionTrafficWeight": 100 - new}],
    }
    if fired:
        answer["alarms"] = {"status": "TRIGGERED", "triggeredAlarmNames": list(fired)}
    return answer


def poll(h, answer: dict | None, strategy: str = "CANARY", stage: str = "dev") -> None:
    """One poll of the service: DescribeServices, its newest service deployment
    (`answer`; None when ECS refuses to list them), and no stopped task."""
    cluster, name = names(stage)
    ecs = h.aws.stub("ecs")
    ecs.add_response(
        "describe_services",
        {"services": [shifting(strategy, stage)], "failures": []},
        {"cluster": cluster, "services": [name]},
    )
    after = {"after": T0 + timedelta(seconds=5)}
    listing = {"cluster": cluster, "service": name, "createdAt": after}
    if answer is None:
        ecs.add_client_error("list_service_deployments", "AccessDeniedException", "not authorized")
    else:
        brief = {"serviceDeploymentArn": DEPLOYMENT_ARN, "createdAt": T0 + timedelta(seconds=6)}
        ecs.add_response("list_service_deployments", {"serviceDeployments": [brief]}, listing)
        ecs.add_response(
            "describe_service_deployments",
            {"serviceDeployments": [answer], "failures": []},
            {"serviceDeploymentArns": [DEPLOYMENT_ARN]},
        )
    ecs.add_response(
        "list_tasks",
        {"taskArns": []},
        {"cluster": cluster, "serviceName": name, "desiredStatus": "STOPPED"},
    )


def service_read(h, answer: dict) -> None:
    """The service's events as the wait reads them, and no stopped task."""
    ecs = h.aws.stub("ecs")
    ecs.add_response(
        "describe_services",
        {"services": [answer], "failures": []},
        {"cluster": CLUSTER, "services": [NAME]},
    )
    ecs.add_response(
        "list_tasks",
        {"taskArns": []},
        {"cluster": CLUSTER, "serviceName": NAME, "desiredStatus": "STOPPED"},
    )


def updating(stage: str = "dev") -> dict:
    arn = SERVICE_ARN.replace("-dev-", f"-{stage}-")
    return event(
        stage, "Service", "UPDATE_IN_PROGRESS", "AWS::ECS::Service", seconds=5, physical=arn
    )


def shown(h) -> list[str]:
    """The service's lines among the deploy's output: `KIND | text`."""
    return [
        line.split(None, 1)[1].split("  ", 1)[0] + " | " + line.rsplit("Service  ", 1)[-1]
        for line in h.out.getvalue().splitlines()
        if any(f" {kind} " in line for kind in KINDS)
    ]


CANARY_STAGES = [
    ("SCALE_UP", 0),
    ("PRODUCTION_TRAFFIC_SHIFT", 10),
    ("PRODUCTION_TRAFFIC_SHIFT", 10),  # the canary bakes: nothing new to say
    ("PRODUCTION_TRAFFIC_SHIFT", 100),
    ("BAKE_TIME", 100),
    ("CLEAN_UP", 100),
]


def test_a_canary_that_bakes_and_completes_shows_its_stages_in_order_with_the_split(
    harness, tmp_path
):
    # GIVEN an update of a service under CANARY: scale up, 10% to the new revision,
    # the canary bakes, 100%, the bake time, the old revision cleaned up
    h = harness("dev")
    h.auto_service = False
    cursor = executed_update(h, [])
    h.progress("UPDATE_IN_PROGRESS", updating(), cursor)
    for stage, new in CANARY_STAGES[:-1]:
        poll(h, deployment(stage, new))
        h.progress("UPDATE_IN_PROGRESS")
    poll(h, deployment(*CANARY_STAGES[-1]))
    done = event("dev", "Service", "UPDATE_COMPLETE", "AWS::ECS::Service", seconds=900)
    complete = event("dev", h.name, "UPDATE_COMPLETE", seconds=910)
    h.progress("UPDATE_COMPLETE", complete, done, outputs={**OUTPUTS, **service_outputs("dev")})
    poll(h, deployment("CLEAN_UP", 100, "SUCCESSFUL"))
    h.service_reading(service("dev"), 8)
    h.target_health(("healthy", ""))

    # WHEN build.py deploys it
    code = build_py(h, tmp_path)

    # THEN it succeeds, each stage shown once as it changes, with the production split
    assert code == ExitCode.OK, h.err.getvalue()
    assert shown(h) == [
        "DEPLOYMENT_STAGE | SCALE_UP: 0% new, 100% old",
        "DEPLOYMENT_STAGE | PRODUCTION_TRAFFIC_SHIFT: 10% new, 90% old",
        "DEPLOYMENT_STAGE | PRODUCTION_TRAFFIC_SHIFT: 100% new, 0% old",
        "DEPLOYMENT_STAGE | BAKE_TIME: 100% new, 0% old",
        "DEPLOYMENT_STAGE | CLEAN_UP: 100% new, 0% old",
        "DEPLOYMENT_STAGE | SUCCESSFUL CLEAN_UP: 100% new, 0% old",
    ]


def test_an_alarm_rollback_during_a_canary_fails_naming_the_alarm_and_its_reason(harness, tmp_path):
    # GIVEN a canary whose error-rate alarm fires at 10%: ECS rolls back, the stack too
    h = harness("dev")
    cursor = executed_update(h, [])
    h.progress("UPDATE_IN_PROGRESS", updating(), cursor)
    poll(h, deployment("PRODUCTION_TRAFFIC_SHIFT", 10))
    h.progress("UPDATE_IN_PROGRESS")
    poll(h, deployment("PRODUCTION_TRAFFIC_SHIFT", 0, "ROLLBACK_IN_PROGRESS", [ALARM]))
    reason = "Threshold Crossed: 1 datapoint [12.5] was greater than the threshold (5.0)."
    h.aws.stub("cloudwatch").add_response(
        "describe_alarms",
        {"MetricAlarms": [{"AlarmName": ALARM, "StateValue": "ALARM", "StateReason": reason}]},
        {"AlarmNames": [ALARM]},
    )
    failed = event(
        "dev",
        "Service",
        "UPDATE_FAILED",
        "AWS::ECS::Service",
        "Service deployment rolled back",
        200,
    )
    h.progress("UPDATE_ROLLBACK_COMPLETE", failed)
    poll(h, deployment("PRODUCTION_TRAFFIC_SHIFT", 0, "ROLLBACK_SUCCESSFUL", [ALARM]))

    # WHEN build.py deploys it
    code = build_py(h, tmp_path)

    # THEN exit 1; the rollback shows while it waits, and the root cause names the alarm
    assert code == ExitCode.FAILED
    cause = f"the deployment was rolled back by alarm {ALARM} (ALARM): {reason}"
    assert shown(h) == [
        "DEPLOYMENT_STAGE | PRODUCTION_TRAFFIC_SHIFT: 10% new, 90% old",
        "DEPLOYMENT_STAGE | ROLLBACK_IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT: 0% new, 100% old",
        f"DEPLOYMENT_ROLLBACK | {cause}",
        "DEPLOYMENT_STAGE | ROLLBACK_SUCCESSFUL PRODUCTION_TRAFFIC_SHIFT: 0% new, 100% old",
    ]
    err = h.err.getvalue()
    assert f"Root cause:\n  {cause}\n" in err
    assert "Service deployment rolled back" in err


def test_a_rolling_deployment_reads_no_service_deployment(harness, tmp_path):
    # GIVEN an update of a ROLLING service (no ListServiceDeployments queued: a call fails)
    h = harness("dev")
    cursor = executed_update(h, [])
    h.progress("UPDATE_IN_PROGRESS", updating(), cursor)
    rolling = {**service("dev"), "deploymentConfiguration": {"strategy": "ROLLING"}}
    service_read(h, rolling)
    failed = event("dev", "Service", "UPDATE_FAILED", "AWS::ECS::Service", "no", 200)
    h.progress("UPDATE_ROLLBACK_COMPLETE", failed)
    service_read(h, rolling)

    # WHEN build.py deploys it THEN it fails as before, with no stage shown
    assert build_py(h, tmp_path) == ExitCode.FAILED
    assert "DEPLOYMENT_STAGE" not in h.out.getvalue()


def test_stages_aws_refuses_are_said_once_and_the_service_events_go_on(harness, tmp_path):
    # GIVEN a deployer policy without ecs:ListServiceDeployments, a BLUE_GREEN update
    h = harness("dev")
    cursor = executed_update(h, [])
    h.progress("UPDATE_IN_PROGRESS", updating(), cursor)
    poll(h, None, "BLUE_GREEN")
    failed = event("dev", "Service", "UPDATE_FAILED", "AWS::ECS::Service", "no", 200)
    h.progress("UPDATE_ROLLBACK_COMPLETE", failed)
    service_read(h, shifting("BLUE_GREEN"))

    # WHEN build.py deploys it
    assert build_py(h, tmp_path) == ExitCode.FAILED

    # THEN one line says why; the service is still read, the stack's failure reported
    assert shown(h) == [
        "DEPLOYMENT_STAGE | not read: AccessDeniedException: not authorized",
    ]
    assert "UPDATE_FAILED" in h.err.getvalue()


ALTERNATE = target_group_arn("dev").replace("ptg-dev-acme/6d0ecf831eec9f09", "atg-dev-acme/1a2b3c")


def test_after_a_blue_green_deployment_the_check_finds_the_tasks_in_the_alternate_group(
    harness, tmp_path
):
    # GIVEN a BLUE_GREEN update after which ECS serves production from the alternate
    # target group: the service's own group only drains the old revision's task
    h = harness("dev")
    h.auto_service = False
    cursor = executed_update(h, [])
    h.progress("UPDATE_IN_PROGRESS", updating(), cursor)
    poll(h, deployment("PRODUCTION_TRAFFIC_SHIFT", 100), "BLUE_GREEN")
    done = event("dev", "Service", "UPDATE_COMPLETE", "AWS::ECS::Service", seconds=900)
    complete = event("dev", h.name, "UPDATE_COMPLETE", seconds=910)
    h.progress("UPDATE_COMPLETE", complete, done, outputs={**OUTPUTS, **service_outputs("dev")})
    poll(h, deployment("CLEAN_UP", 100, "SUCCESSFUL"), "BLUE_GREEN")
    answer = shifting("BLUE_GREEN")
    answer["loadBalancers"] = [
        {
            **answer["loadBalancers"][0],
            "advancedConfiguration": {"alternateTargetGroupArn": ALTERNATE},
        }
    ]
    h.service_reading(answer, 8)
    h.target_health(("draining", "Target.DeregistrationInProgress"))
    h.aws.stub("elbv2").add_response(
        "describe_target_health",
        {
            "TargetHealthDescriptions": [
                {"Target": {"Id": "10.0.2.20", "Port": 8000}, "TargetHealth": {"State": "healthy"}}
            ]
        },
        {"TargetGroupArn": ALTERNATE},
    )

    # WHEN build.py deploys it
    code = build_py(h, tmp_path)

    # THEN the check judges the alternate group's healthy target, and the deploy succeeds
    assert code == ExitCode.OK, h.err.getvalue()
    assert "1 of 1 target(s) healthy" not in h.err.getvalue()
    assert "DEPLOYMENT_STAGE | SUCCESSFUL CLEAN_UP: 100% new, 0% old" in shown(h)


def test_an_image_tag_update_in_prod_follows_the_canary(harness, templates):
    # GIVEN prod's service under CANARY, and --image-tag v42: the new task definition
    # is the service's new revision, rolled out through the same canary
    h = harness("prod")
    h.auto_service = False
    cursor = executed_image_tag(h, templates["prod"])
    h.progress("UPDATE_IN_PROGRESS", updating("prod"), cursor)
    for stage, new in CANARY_STAGES[:-1]:
        poll(h, deployment(stage, new), stage="prod")
        h.progress("UPDATE_IN_PROGRESS")
    poll(h, deployment(*CANARY_STAGES[-1]), stage="prod")
    done = event("prod", "Service", "UPDATE_COMPLETE", "AWS::ECS::Service", seconds=900)
    complete = event("prod", h.name, "UPDATE_COMPLETE", seconds=910)
    h.progress("UPDATE_COMPLETE", complete, done, outputs={**OUTPUTS, **service_outputs("prod")})
    poll(h, deployment("CLEAN_UP", 100, "SUCCESSFUL"), stage="prod")
    h.protected()
    h.service_healthy(image=service_outputs("prod")["ContainerImage"])

    # WHEN the tag is deployed
    assert h.run("--image-tag", "v42", "--yes") == ExitCode.OK, h.err.getvalue()

    # THEN the canary's stages show, 10% first, then all of it
    assert shown(h) == [
        "DEPLOYMENT_STAGE | SCALE_UP: 0% new, 100% old",
        "DEPLOYMENT_STAGE | PRODUCTION_TRAFFIC_SHIFT: 10% new, 90% old",
        "DEPLOYMENT_STAGE | PRODUCTION_TRAFFIC_SHIFT: 100% new, 0% old",
        "DEPLOYMENT_STAGE | BAKE_TIME: 100% new, 0% old",
        "DEPLOYMENT_STAGE | CLEAN_UP: 100% new, 0% old",
        "DEPLOYMENT_STAGE | SUCCESSFUL CLEAN_UP: 100% new, 0% old",
    ]


def test_a_stack_complete_while_an_alarm_rolled_the_service_back_fails_naming_the_alarm(
    harness, tmp_path
):
    # GIVEN a canary that an alarm rolled back, under a stack that ends UPDATE_COMPLETE
    h = harness("dev")
    h.auto_service = False
    cursor = executed_update(h, [])
    h.progress("UPDATE_IN_PROGRESS", updating(), cursor)
    poll(h, deployment("PRODUCTION_TRAFFIC_SHIFT", 0, "ROLLBACK_SUCCESSFUL", [ALARM]))
    h.aws.stub("cloudwatch").add_response(
        "describe_alarms", {"MetricAlarms": []}, {"AlarmNames": [ALARM]}
    )
    complete = event("dev", h.name, "UPDATE_COMPLETE", seconds=910)
    h.progress("UPDATE_COMPLETE", complete, outputs={**OUTPUTS, **service_outputs("dev")})
    poll(h, deployment("PRODUCTION_TRAFFIC_SHIFT", 0, "ROLLBACK_SUCCESSFUL", [ALARM]))

    # WHEN build.py deploys it
    code = build_py(h, tmp_path)

    # THEN exit 1: the service runs its previous revision, the alarm named (its state
    # unknown: the alarm is gone)
    assert code == ExitCode.FAILED
    assert (
        f"update failed: the deployment was rolled back by alarm {ALARM}; service of stack "
        "planar-dev-acme runs its previous revision"
    ) in h.err.getvalue()
