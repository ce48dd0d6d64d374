"""Scaling and capacity: the autoscaling target and its two policies, the task count a
deploy leaves alone, Fargate Spot outside prod and Aurora auto-pause, evaluated under
their parameters the way CloudFormation would (tests/cfn.py); the Rules and the stage
file over the same values; and an update through the change-set flow."""

from __future__ import annotations

import json
import re

import pytest

from planar_cfn.errors import ExitCode
from planar_cfn.inputs.constraints import TASK_COUNT_STEPS
from planar_cfn.inputs.stage_file import StageFileError, load
from tests.cfn import Launch, failed_rules
from tests.deploy.scenarios import previous_parameters, update_request
from tests.deploy_stubs import STAGE_VALUES, change, event, expected_parameters

BASE = {
    "AppName": "acme",
    "VpcId": "vpc-0123456789abcdef0",
    "VpcCidr": "10.0.0.0/16",
    "Subnets": "subnet-0aaaaaaaaaaaaaaa1,subnet-0bbbbbbbbbbbbbbb2",
    "AlbInternal": "true",
    "BaseDomainName": "example.com",
    "HostedZoneId": "Z0123456789ABCDEFGHIJ",
    "ContainerRegistryUrl": "ghcr.io/acme",
    "ContainerImageName": "planar-app",
    "DatabaseAvailabilityZones": "us-east-1a,us-east-1b",
}
SCALING_IDS = {"ServiceScalableTarget", "ServiceCpuScalingPolicy", "ServiceRequestsScalingPolicy"}


def launch(template: dict, stage: str, **values: str) -> Launch:
    result = Launch(template, {**BASE, **values}, stack_name=f"planar-{stage}-acme")
    assert (result.refusals, result.failures) == ([], []), (result.refusals, result.failures)
    return result


def test_autoscaling_on_builds_a_target_on_the_services_count_and_two_policies(template, stage):
    # GIVEN autoscaling between 2 and 10 tasks
    # WHEN the stack is launched
    running = launch(
        template,
        stage,
        Autoscaling="true",
        AutoscalingMinCount="2",
        AutoscalingMaxCount="10",
        AutoscalingCpuTarget="70",
        AutoscalingRequestsPerTarget="500",
    )
    # THEN the target names the service as Application Auto Scaling does
    target = running.resources["ServiceScalableTarget"]
    assert target["ServiceNamespace"] == "ecs"
    assert target["ScalableDimension"] == "ecs:service:DesiredCount"
    assert target["ResourceId"] == f"service/app-cluster-{stage}-acme/planar-service-{stage}-acme"
    assert (target["MinCapacity"], target["MaxCapacity"]) == ("2", "10")
    # no RoleARN: the service-linked role AWSServiceRoleForApplicationAutoScaling_ECSService
    assert "RoleARN" not in target
    cpu = running.resources["ServiceCpuScalingPolicy"]
    requests = running.resources["ServiceRequestsScalingPolicy"]
    for policy in (cpu, requests):
        assert policy["PolicyType"] == "TargetTrackingScaling"
        assert policy["ScalingTargetId"] == running._physical("ServiceScalableTarget", "Ref")
    cpu_config = cpu["TargetTrackingScalingPolicyConfiguration"]
    assert cpu_config["PredefinedMetricSpecification"] == {
        "PredefinedMetricType": "ECSServiceAverageCPUUtilization"
    }
    assert cpu_config["TargetValue"] == "70"
    # Scale out fast, in slowly.
    assert (cpu_config["ScaleOutCooldown"], cpu_config["ScaleInCooldown"]) == (60, 300)
    config = requests["TargetTrackingScalingPolicyConfiguration"]
    metric = config["PredefinedMetricSpecification"]
    assert metric["PredefinedMetricType"] == "ALBRequestCountPerTarget"
    # app/LB-NAME/LB-ID/targetgroup/TG-NAME/TG-ID, of this stack's load balancer and group
    assert re.fullmatch(r"app/[^/]+/[0-9a-f]+/targetgroup/[^/]+/[0-9a-f]+", metric["ResourceLabel"])
    assert f"/targetgroup/{running.resources['TargetGroup']['Name']}/" in metric["ResourceLabel"]
    assert config["TargetValue"] == "500"
    # AND the service's count is left to the target
    assert "DesiredCount" not in running.resources["Service"]


@pytest.mark.parametrize("autoscaling", ["true", "false"])
def test_desired_count_is_omitted_exactly_when_autoscaling_is_on(template, stage, autoscaling):
    running = launch(template, stage, Autoscaling=autoscaling, DesiredCount="3")
    service = running.resources["Service"]
    if autoscaling == "true":
        assert "DesiredCount" not in service
        assert running.active >= SCALING_IDS
    else:
        assert service["DesiredCount"] == "3"
        assert not running.active & SCALING_IDS


def test_the_defaults_run_one_on_demand_task_without_scaling(template, stage):
    running = launch(template, stage)
    service = running.resources["Service"]
    assert service["DesiredCount"] == "1"
    # On-demand Fargate as a strategy, not a launch type: an update that turns Spot off
    # must name the strategy to move to (docs/scaling-and-cost.md).
    assert "LaunchType" not in service
    assert service["CapacityProviderStrategy"] == [{"CapacityProvider": "FARGATE", "Weight": 1}]
    assert not running.active & SCALING_IDS


@pytest.mark.parametrize("spot", ["true", "false"])
def test_the_service_always_names_its_strategy_and_never_a_launch_type(template, stage, spot):
    # AWS::NoValue on CapacityProviderStrategy leaves a service's strategy as it is, and
    # UpdateService takes no launch type: either way, the template must say the strategy.
    if stage == "prod" and spot == "true":
        return
    service = launch(template, stage, FargateSpot=spot).resources["Service"]
    assert "LaunchType" not in service
    provider = "FARGATE_SPOT" if spot == "true" else "FARGATE"
    assert service["CapacityProviderStrategy"] == [{"CapacityProvider": provider, "Weight": 1}]
    # Both providers are the cluster's, so either strategy is accepted.
    assert provider in launch(template, stage).resources["Cluster"]["CapacityProviders"]


def test_spot_is_a_capacity_provider_strategy_and_refused_in_prod(template, stage):
    values = {**BASE, "FargateSpot": "true"}
    if stage == "prod":
        assert failed_rules(template, values) == [
            "FargateSpot must be false in prod: a Spot task can be stopped with two "
            "minutes' notice."
        ]
        return
    service = launch(template, stage, FargateSpot="true").resources["Service"]
    assert "LaunchType" not in service
    assert service["CapacityProviderStrategy"] == [
        {"CapacityProvider": "FARGATE_SPOT", "Weight": 1}
    ]


@pytest.mark.parametrize(("minimum", "pause"), [("0", "900"), ("0.5", "900")])
def test_auto_pause_delay_is_sent_only_with_a_minimum_of_zero(template, stage, minimum, pause):
    running = launch(template, stage, AuroraMinCapacity=minimum, AuroraSecondsUntilAutoPause=pause)
    scaling = running.resources["DatabaseCluster"]["ServerlessV2ScalingConfiguration"]
    if minimum == "0":
        assert scaling["SecondsUntilAutoPause"] == pause
    else:
        assert "SecondsUntilAutoPause" not in scaling


def test_the_rules_refuse_a_minimum_above_the_maximum_for_every_pair(template):
    for low in TASK_COUNT_STEPS:
        for high in TASK_COUNT_STEPS:
            values = {
                **BASE,
                "Autoscaling": "true",
                "AutoscalingMinCount": low,
                "AutoscalingMaxCount": high,
            }
            expected = (
                [f"AutoscalingMinCount must not be above {high}."] if int(low) > int(high) else []
            )
            assert failed_rules(template, values) == expected, (low, high)


def _stage_file(tmp_path, **values):
    path = tmp_path / "stage.json"
    path.write_text(json.dumps({**STAGE_VALUES, **values}))
    return path


@pytest.mark.parametrize(
    ("stage", "values", "message"),
    [
        (
            "dev",
            {"autoscaling": True, "autoscaling_min_count": 8, "autoscaling_max_count": 4},
            "autoscaling_min_count = 8, autoscaling_max_count = 4: the minimum task count 8 "
            "is above the maximum 4",
        ),
        (
            "dev",
            {"autoscaling_min_count": 8},
            "autoscaling_min_count = 8, autoscaling_max_count = 4 (default): the minimum task "
            "count 8 is above the maximum 4",
        ),
        (
            "dev",
            {"autoscaling_max_count": 7},
            "autoscaling_max_count = 7: must be one of 1, 2, 3, 4, 5, 6, 8, 10,",
        ),
        (
            "dev",
            {"autoscaling_cpu_target": 95},
            "autoscaling_cpu_target = 95: must be a whole number from 10 to 90",
        ),
        (
            "dev",
            {"autoscaling_requests_per_target": 5},
            "autoscaling_requests_per_target = 5: must be a whole number of requests per task "
            "per minute from 10 to 99999",
        ),
        (
            "dev",
            {"aurora_seconds_until_auto_pause": 60},
            "aurora_seconds_until_auto_pause = 60: must be a whole number of seconds from 300",
        ),
        ("dev", {"fargate_spot": "yes"}, 'fargate_spot = "yes": must be one of true, false'),
        (
            "prod",
            {"fargate_spot": True},
            "fargate_spot = true: not allowed in prod, whose tasks run on on-demand Fargate",
        ),
    ],
)
def test_the_stage_file_names_the_key_the_value_and_what_is_allowed(
    tmp_path, stage, values, message
):
    with pytest.raises(StageFileError) as raised:
        load(_stage_file(tmp_path, **values), stage, {})
    assert message in str(raised.value)


def test_spot_and_auto_pause_load_outside_prod(tmp_path):
    loaded = load(
        _stage_file(
            tmp_path,
            fargate_spot=True,
            aurora_min_capacity=0,
            aurora_seconds_until_auto_pause=1800,
        ),
        "staging",
        {},
    )
    assert loaded.parameters["FargateSpot"] == "true"
    assert loaded.parameters["AuroraSecondsUntilAutoPause"] == "1800"


def test_an_update_with_autoscaling_on_sends_no_count_and_claims_no_count_change(harness):
    # GIVEN a dev stack running with autoscaling on, whose count autoscaling has moved
    # (the stack knows nothing of it: its DesiredCount parameter is still the default)
    values = {
        **STAGE_VALUES,
        "autoscaling": True,
        "autoscaling_max_count": 10,
        "container_image_tag": "1.4.3",
    }
    h = harness("dev", values)
    before = previous_parameters(
        h, Autoscaling="true", AutoscalingMaxCount="10", ContainerImageTag="1.4.2"
    )
    h.stack("UPDATE_COMPLETE", parameters=before)
    h.created(**update_request(h, Parameters=expected_parameters(values)))
    after = [
        {"ParameterKey": k, "ParameterValue": v}
        for k, v in {**before, "ContainerImageTag": "1.4.3"}.items()
    ]
    h.ready(
        [
            change("Modify", "TaskDefinition", "AWS::ECS::TaskDefinition", "True"),
            change("Modify", "Service", "AWS::ECS::Service", "False"),
        ],
        parameters=after,
    )
    cursor = event("dev", "planar-dev-acme", "UPDATE_COMPLETE")
    h.events(cursor)
    h.executed()
    done = event("dev", "planar-dev-acme", "UPDATE_COMPLETE", seconds=40)
    h.progress("UPDATE_COMPLETE", done, cursor)

    # WHEN the update is deployed
    code = h.run("--yes")

    # THEN it runs, and the review names only the image tag among the parameters
    assert code == ExitCode.OK, h.err.getvalue()
    out = h.out.getvalue()
    assert "Parameters changed:\n  ContainerImageTag: 1.4.2 -> 1.4.3" in out
    assert "DesiredCount" not in out
    assert "AutoscalingM" not in out
    # AND the template it sent, with the parameters it sent, gives the service no
    # DesiredCount: CloudFormation leaves an omitted count out of UpdateService, so the
    # count autoscaling set stays.
    template = json.loads(h.rendered.body)
    sent = {p["ParameterKey"]: p["ParameterValue"] for p in expected_parameters(values)}
    updated = Launch(template, sent, stack_name="planar-dev-acme")
    assert (updated.refusals, updated.failures) == ([], [])
    assert "DesiredCount" not in updated.resources["Service"]
    assert updated.active >= SCALING_IDS


@pytest.mark.parametrize("allow", [(), ("--allow-replacement",)])
def test_an_update_that_replaces_the_named_service_is_blocked(harness, allow):
    # GIVEN a dev stack on on-demand Fargate, switched to Spot in the stage file, and a
    # CloudFormation that answers with a replacement of the service
    values = {**STAGE_VALUES, "fargate_spot": True}
    h = harness("dev", values)
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h, Parameters=expected_parameters(values)))
    h.ready(
        [
            change(
                "Modify",
                "Service",
                "AWS::ECS::Service",
                "True",
                causes=("LaunchType", "CapacityProviderStrategy"),
            )
        ]
    )
    h.deleted_change_set()

    # WHEN deploying, even with --allow-replacement
    code = h.run("--yes", *allow)

    # THEN nothing runs: the replacement of a named service could only fail
    assert code == ExitCode.BLOCKED
    out = h.out.getvalue()
    assert "Blocked: the update replaces the ECS service Service, whose name is fixed" in out
    assert "switching fargate_spot on a running stack can be one" in out
