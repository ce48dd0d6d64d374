"""How ECS rolls out a new revision (template/rollout.py, docs/stack.md, Rollouts): the
target groups' drain, the strategy and its steps, what a traffic-shifting strategy adds
(the alternate target group, the production rule, ECS's role, the rollback alarms), and
that switching strategies updates the service in place.

GIVEN each stage's rendered template, WHEN it is launched offline (tests/cfn.Launch)
with each strategy, THEN exactly the resources and settings that strategy needs exist."""

from __future__ import annotations

import pytest

from planar_cfn.lint.schemas import replacement, resource_schema
from planar_cfn.template import rollout
from planar_cfn.template.load_balancer import (
    HEALTH_CHECK_INTERVAL_SECONDS,
    HEALTHY_THRESHOLD_COUNT,
)
from tests.cfn import Launch
from tests.template.test_launch_matrix import ACCOUNT, BASE, REGION

SHIFT_ONLY = (
    "AlternateTargetGroup",
    "ProductionListenerRule",
    "DeploymentRole",
    "ServiceErrorRateAlarm",
    "ServiceResponseTimeAlarm",
)
# AWS's managed AmazonECSInfrastructureRolePolicyForLoadBalancers (ECS Developer Guide,
# AmazonECSInfrastructureRolePolicyForLoadBalancers.html): its actions and resources.
MANAGED_POLICY = {
    "elasticloadbalancing:DescribeListeners": "*",
    "elasticloadbalancing:DescribeRules": "*",
    "elasticloadbalancing:DescribeTargetGroups": "*",
    "elasticloadbalancing:DescribeTargetHealth": "*",
    "elasticloadbalancing:RegisterTargets": "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
    "elasticloadbalancing:DeregisterTargets": "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
    "elasticloadbalancing:ModifyListener": "arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*",
    "elasticloadbalancing:ModifyRule": "arn:aws:elasticloadbalancing:*:*:listener-rule/app/*/*/*/*",
}


def launched(template: dict, **values: str) -> Launch:
    launch = Launch(
        template, {**BASE, **values}, region=REGION, account=ACCOUNT, stack_name="planar-x-acme"
    )
    assert launch.refusals == []
    assert launch.failures == []
    return launch


def _service_schema() -> dict:
    return dict(resource_schema("AWS::ECS::Service"))


def test_switching_the_strategy_is_no_replacement_in_the_schema():
    # What a strategy switch changes on the service: none is create-only, so
    # CloudFormation updates the service in place (the deploy refuses a replacement:
    # tests/deploy/test_plan.py).
    schema = _service_schema()
    create_only = set(schema["createOnlyProperties"]) | set(
        schema.get("conditionalCreateOnlyProperties", [])
    )
    for prop in ("DeploymentConfiguration", "LoadBalancers", "DeploymentController"):
        assert f"/properties/{prop}" not in create_only, prop
        assert replacement("AWS::ECS::Service", prop) == "False", prop
    # What would replace it is none of what the stack's strategies set.
    assert create_only == {
        "/properties/Cluster",
        "/properties/Role",
        "/properties/SchedulingStrategy",
        "/properties/ServiceName",
        "/properties/LaunchType",
    }
    strategies = schema["definitions"]["DeploymentConfiguration"]["properties"]["Strategy"]
    assert set(strategies["enum"]) == {"ROLLING", "CANARY", "LINEAR", "BLUE_GREEN"}


def test_the_parameters_ranges_are_the_schemas():
    definitions = _service_schema()["definitions"]
    canary = definitions["CanaryConfiguration"]["properties"]
    linear = definitions["LinearConfiguration"]["properties"]
    bake = definitions["DeploymentConfiguration"]["properties"]["BakeTimeInMinutes"]
    assert (canary["CanaryPercent"]["minimum"], canary["CanaryPercent"]["maximum"]) == (0.1, 100)
    assert canary["CanaryPercent"]["multipleOf"] == 0.1
    assert linear["StepPercent"]["minimum"] == 3
    assert (bake["minimum"], bake["maximum"]) == (0, 1440)
    assert canary["CanaryBakeTimeInMinutes"]["maximum"] == 1440
    assert linear["StepBakeTimeInMinutes"]["maximum"] == 1440


def test_rolling_adds_nothing(template):
    launch = launched(template, DeploymentStrategy="ROLLING")
    assert not set(SHIFT_ONLY) & set(launch.resources)
    service = launch.resources["Service"]
    deployment = service["DeploymentConfiguration"]
    assert deployment == {
        "Strategy": "ROLLING",
        "MinimumHealthyPercent": 50,
        "MaximumPercent": 200,
        "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
    }
    assert "AdvancedConfiguration" not in service["LoadBalancers"][0]


@pytest.mark.parametrize("strategy", ["CANARY", "LINEAR", "BLUE_GREEN"])
def test_a_traffic_shift_adds_what_ecs_needs_and_keeps_the_circuit_breaker(template, strategy):
    launch = launched(
        template,
        DeploymentStrategy=strategy,
        TrafficShiftPercent="20",
        TrafficShiftBakeMinutes="7",
        BakeTimeMinutes="12",
    )
    assert set(SHIFT_ONLY) <= set(launch.resources)
    deployment = launch.resources["Service"]["DeploymentConfiguration"]
    assert deployment["Strategy"] == strategy
    # Parameter values, as CloudFormation passes them (the schema's types convert them).
    assert deployment["BakeTimeInMinutes"] == "12"
    assert deployment["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert deployment.get("CanaryConfiguration") == (
        {"CanaryPercent": "20", "CanaryBakeTimeInMinutes": "7"} if strategy == "CANARY" else None
    )
    assert deployment.get("LinearConfiguration") == (
        {"StepPercent": "20", "StepBakeTimeInMinutes": "7"} if strategy == "LINEAR" else None
    )
    alarms = template["Resources"]["Service"]["Properties"]["DeploymentConfiguration"]["Alarms"]
    assert alarms["Fn::If"][1] == {
        "AlarmNames": [{"Ref": "ServiceErrorRateAlarm"}, {"Ref": "ServiceResponseTimeAlarm"}],
        "Enable": True,
        "Rollback": True,
    }
    assert deployment["Alarms"]["Enable"]
    assert deployment["Alarms"]["Rollback"]
    assert len(deployment["Alarms"]["AlarmNames"]) == 2
    advanced = template["Resources"]["Service"]["Properties"]["LoadBalancers"][0]
    assert advanced["AdvancedConfiguration"]["Fn::If"][1] == {
        "AlternateTargetGroupArn": {"Ref": "AlternateTargetGroup"},
        "ProductionListenerRule": {"Ref": "ProductionListenerRule"},
        "RoleArn": {"Fn::GetAtt": ["DeploymentRole", "Arn"]},
    }
    assert set(launch.resources["Service"]["LoadBalancers"][0]["AdvancedConfiguration"]) == {
        "AlternateTargetGroupArn",
        "ProductionListenerRule",
        "RoleArn",
    }


def test_the_production_rule_sends_everything_to_the_primary_group(template):
    rule = template["Resources"]["ProductionListenerRule"]
    assert rule["Condition"] == "UsesTrafficShift"
    p = rule["Properties"]
    assert p["ListenerArn"] == {"Ref": "HttpsListener"}
    assert p["Priority"] == 1
    assert p["Conditions"] == [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}]
    assert p["Actions"] == [
        {
            "Type": "forward",
            "ForwardConfig": {
                "TargetGroups": [
                    {"TargetGroupArn": {"Ref": "TargetGroup"}, "Weight": 100},
                    {"TargetGroupArn": {"Ref": "AlternateTargetGroup"}, "Weight": 0},
                ]
            },
        }
    ]


def test_both_target_groups_drain_in_deregistration_delay_seconds_with_the_seeds_checks(
    template,
):
    primary = template["Resources"]["TargetGroup"]["Properties"]
    alternate = template["Resources"]["AlternateTargetGroup"]["Properties"]
    for group in (primary, alternate):
        assert group["TargetGroupAttributes"] == [
            {
                "Key": "deregistration_delay.timeout_seconds",
                "Value": {"Ref": "DeregistrationDelaySeconds"},
            }
        ]
        assert group["HealthCheckIntervalSeconds"] == HEALTH_CHECK_INTERVAL_SECONDS == 30
        assert group["HealthyThresholdCount"] == HEALTHY_THRESHOLD_COUNT == 2
        assert group["TargetType"] == "ip"
    # The same group but for its name and tags (ECS needs matching health checks).
    differs = {k for k in primary if primary[k] != alternate[k]}
    assert differs == {"Name", "Tags"}
    assert template["Parameters"]["DeregistrationDelaySeconds"]["Default"] == "30"


def _role_statements(template: dict) -> list[dict]:
    (policy,) = template["Resources"]["DeploymentRole"]["Properties"]["Policies"]
    return list(policy["PolicyDocument"]["Statement"])


def test_the_deployment_role_is_ecs_and_no_wider_than_the_managed_policy(template):
    role = template["Resources"]["DeploymentRole"]
    assert role["Condition"] == "UsesTrafficShift"
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": ["ecs.amazonaws.com"]}
    assert trust["Action"] == ["sts:AssumeRole"]
    assert "ManagedPolicyArns" not in role["Properties"]
    granted = {}
    for statement in _role_statements(template):
        assert statement["Effect"] == "Allow"
        assert "Condition" not in statement
        for action in statement["Action"]:
            granted[action] = statement["Resource"]
    # The managed policy's actions, none more ...
    assert set(granted) == set(MANAGED_POLICY)
    # ... where the managed policy has a wildcard ARN, this stack's own resources only.
    own = {
        "elasticloadbalancing:RegisterTargets": [
            {"Ref": "TargetGroup"},
            {"Ref": "AlternateTargetGroup"},
        ],
        "elasticloadbalancing:DeregisterTargets": [
            {"Ref": "TargetGroup"},
            {"Ref": "AlternateTargetGroup"},
        ],
        "elasticloadbalancing:ModifyRule": [{"Ref": "ProductionListenerRule"}],
        "elasticloadbalancing:ModifyListener": [{"Ref": "HttpsListener"}],
    }
    for action, resources in granted.items():
        if MANAGED_POLICY[action] == "*":
            # ELB's Describe actions take no resource-level permissions.
            assert action.split(":")[1].startswith("Describe")
            assert resources == ["*"]
        else:
            assert resources == own[action], action


def _alarm(template: dict, logical_id: str) -> dict:
    return dict(template["Resources"][logical_id]["Properties"])


def test_the_rollback_alarms_watch_each_target_group_and_page_no_one(template):
    errors = _alarm(template, "ServiceErrorRateAlarm")
    latency = _alarm(template, "ServiceResponseTimeAlarm")
    for alarm in (errors, latency):
        assert alarm["TreatMissingData"] == "notBreaching"
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        # ECS rolls back: the paging alarms are the ones that notify.
        assert "AlarmActions" not in alarm
        assert "OKActions" not in alarm
        queries = {q["Id"]: q for q in alarm["Metrics"]}
        returned = [q for q in alarm["Metrics"] if q["ReturnData"]]
        assert len(returned) == 1
        assert "Expression" in returned[0]
        groups = {
            next(d["Value"]["Fn::GetAtt"][0] for d in q["MetricStat"]["Metric"]["Dimensions"])
            for q in queries.values()
            if "MetricStat" in q
        }
        assert groups == {"TargetGroup", "AlternateTargetGroup"}
    assert errors["Threshold"] == rollout.ERROR_RATE_THRESHOLD_PERCENT == 5
    metrics = {
        q["MetricStat"]["Metric"]["MetricName"] for q in errors["Metrics"] if "MetricStat" in q
    }
    assert metrics == {"HTTPCode_Target_5XX_Count", "RequestCount"}
    (rate,) = [q for q in errors["Metrics"] if q["ReturnData"]]
    assert rate["Expression"] == (
        "MAX([IF(r1 >= 10, 100 * FILL(e1, 0) / r1, 0), IF(r2 >= 10, 100 * FILL(e2, 0) / r2, 0)])"
    )
    assert latency["Threshold"] == rollout.RESPONSE_TIME_THRESHOLD_SECONDS == 30
    stats = {q["MetricStat"]["Stat"] for q in latency["Metrics"] if "MetricStat" in q}
    assert stats == {"p95"}


@pytest.mark.parametrize("alarms", ["true", "false"])
def test_the_paging_alarms_follow_the_alarms_parameter_and_notify_the_topics(template, alarms):
    topic = "arn:aws:sns:us-east-1:123456789012:acme-alarms"
    launch = launched(template, Alarms=alarms, AlarmTopicArns=topic)
    paging = {
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource.get("Condition") == "HasAlarms"
    }
    assert paging == {
        "LoadBalancer5xxAlarm",
        "UnhealthyTargetsAlarm",
        "ServiceCpuAlarm",
        "ServiceMemoryAlarm",
        "DatabaseCapacityAlarm",
        "DatabaseCpuAlarm",
    }
    assert (paging <= set(launch.resources)) is (alarms == "true")
    for logical_id in paging & set(launch.resources):
        alarm = launch.resources[logical_id]
        assert alarm["AlarmActions"] == alarm["OKActions"] == [topic]
        assert alarm["TreatMissingData"] == "notBreaching"


def test_paging_alarms_without_topics_notify_no_one(template):
    launch = launched(template, Alarms="true")
    assert "AlarmActions" not in launch.resources["ServiceCpuAlarm"]
    assert "OKActions" not in launch.resources["ServiceCpuAlarm"]


def test_the_paging_alarms_metrics_and_thresholds(template):
    def metric(logical_id: str) -> tuple[str, str, float]:
        alarm = _alarm(template, logical_id)
        return alarm["Namespace"], alarm["MetricName"], alarm["Threshold"]

    assert metric("LoadBalancer5xxAlarm") == ("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", 10)
    assert metric("ServiceCpuAlarm") == ("AWS/ECS", "CPUUtilization", 90)
    assert metric("ServiceMemoryAlarm") == ("AWS/ECS", "MemoryUtilization", 90)
    assert metric("DatabaseCapacityAlarm") == ("AWS/RDS", "ACUUtilization", 95)
    assert metric("DatabaseCpuAlarm") == ("AWS/RDS", "CPUUtilization", 90)
    service = {d["Name"] for d in _alarm(template, "ServiceCpuAlarm")["Dimensions"]}
    assert service == {"ClusterName", "ServiceName"}
    unhealthy = _alarm(template, "UnhealthyTargetsAlarm")["Metrics"]["Fn::If"]
    assert unhealthy[0] == "UsesTrafficShift"
    assert [q["Id"] for q in unhealthy[1]] == ["u1", "u2", "unhealthy"]
    assert [q["Id"] for q in unhealthy[2]] == ["u1"]


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [("ROLLING", set()), ("CANARY", set(SHIFT_ONLY)), ("BLUE_GREEN", set(SHIFT_ONLY))],
)
def test_the_stage_default_strategy_decides_what_exists(templates, strategy, expected):
    prod = templates["prod"]
    assert prod["Parameters"]["DeploymentStrategy"]["Default"] == "CANARY"
    assert templates["dev"]["Parameters"]["DeploymentStrategy"]["Default"] == "ROLLING"
    launch = launched(prod, DeploymentStrategy=strategy)
    assert set(SHIFT_ONLY) & set(launch.resources) == expected
