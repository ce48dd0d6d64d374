"""The observability switches' effect on the resources (planar_cfn/inputs/
parameter_observability.py): GIVEN a stage's template, WHEN ContainerInsights,
LogRetentionDays, PerformanceInsights, DatabaseMonitoringInterval, AccessLogsPrefix or
WafManagedRuleGroups is set, THEN the resources CloudFormation would create (conditions
resolved, tests/template/resolve.py) change as said, and at the defaults they are as
the stack always made them."""

import json

import pytest

from planar_cfn import Sidecar, StackConfig, build_template, get_stage
from planar_cfn.inputs.parameter_observability import WAF_MANAGED_RULE_GROUPS
from tests.template.resolve import resolved


@pytest.mark.parametrize("mode", ["enhanced", "enabled", "disabled"])
def test_container_insights_sets_the_cluster(template, mode):
    cluster = resolved(template, ContainerInsights=mode)["Cluster"]
    assert cluster["ClusterSettings"] == [{"Name": "containerInsights", "Value": mode}]


@pytest.mark.parametrize("days", ["1", "14", "365", "3653"])
def test_log_retention_sets_the_service_and_sidecar_groups_only(template, days):
    created = resolved(template, LogRetentionDays=days)
    assert created["ServiceLogGroup"]["RetentionInDays"] == days
    # The web ACL's group (and the bucket emptier's) keep their fixed 14 days.
    assert (
        resolved(template, LogRetentionDays=days, WebAcl="create")["FirewallLogGroup"][
            "RetentionInDays"
        ]
        == 14
    )


def test_log_retention_covers_a_library_users_sidecars():
    config = StackConfig(
        stage=get_stage("dev"), sidecars=(Sidecar("otel", "public.ecr.aws/x/otel:1"),)
    )
    template = json.loads(build_template(config).to_json())
    created = resolved(template, LogRetentionDays="90")
    assert created["SidecarOtelLogGroup"]["RetentionInDays"] == "90"
    assert created["ServiceLogGroup"]["RetentionInDays"] == "90"


@pytest.mark.parametrize("on", [True, False])
def test_performance_insights_on_every_instance(template, on):
    created = resolved(template, PerformanceInsights=str(on).lower(), CustomerManagedKey="true")
    instances = [i for i in created if i.startswith(("DatabaseWriter", "DatabaseReader"))]
    assert instances
    for logical_id in instances:
        instance = created[logical_id]
        assert instance["EnablePerformanceInsights"] is on
        # Its key only while it is on: RDS takes no key for a feature that is off.
        assert ("PerformanceInsightsKMSKeyId" in instance) is on


@pytest.mark.parametrize("interval", ["1", "5", "10", "15", "30", "60"])
def test_enhanced_monitoring_interval_with_its_role(template, interval):
    created = resolved(template, DatabaseMonitoringInterval=interval)
    assert "DatabaseMonitoringRole" in created
    for logical_id in ("DatabaseWriter", *(i for i in created if i.startswith("DatabaseReader"))):
        assert created[logical_id]["MonitoringInterval"] == interval
        assert created[logical_id]["MonitoringRoleArn"] == "<DatabaseMonitoringRole.Arn>"


def test_enhanced_monitoring_off_leaves_no_role_and_no_role_arn(template):
    created = resolved(template, DatabaseMonitoringInterval="0")
    # RDS refuses a role ARN with an interval of 0; no role is left for RDS to assume.
    assert "DatabaseMonitoringRole" not in created
    for logical_id in ("DatabaseWriter", *(i for i in created if i.startswith("DatabaseReader"))):
        assert created[logical_id]["MonitoringInterval"] == "0"
        assert "MonitoringRoleArn" not in created[logical_id]


def _access_log_attributes(template, **values):
    attributes = resolved(template, AccessLogsBucket="logs", **values)["LoadBalancer"]
    return {a["Key"]: a["Value"] for a in attributes["LoadBalancerAttributes"]}


def test_access_logs_prefix_default_keeps_the_stacks_own(template, stage):
    attributes = _access_log_attributes(template)
    assert attributes["access_logs.s3.prefix"] == f"alb/planar-{stage}-shop"


def test_access_logs_prefix_given_is_used(template):
    attributes = _access_log_attributes(template, AccessLogsPrefix="central/alb")
    assert attributes["access_logs.s3.prefix"] == "central/alb"
    assert attributes["access_logs.s3.bucket"] == "logs"
    # Without a bucket, no prefix is sent at all (ELB refuses an empty one).
    created = resolved(template, AccessLogsPrefix="central/alb")["LoadBalancer"]
    keys = {a["Key"] for a in created["LoadBalancerAttributes"]}
    assert "access_logs.s3.prefix" not in keys


def _rules(template, groups):
    acl = resolved(template, WebAcl="create", WafManagedRuleGroups=groups)["FirewallWebAcl"]
    return {r["Name"]: r for r in acl["Rules"]}


def test_default_groups_are_the_four_the_stack_always_ran_at_their_priorities(template):
    rules = _rules(template, template["Parameters"]["WafManagedRuleGroups"]["Default"])
    assert {name: r["Priority"] for name, r in rules.items()} == {
        "RateLimitPerAddress": 0,
        "AWSManagedRulesAmazonIpReputationList": 1,
        "AWSManagedRulesCommonRuleSet": 2,
        "AWSManagedRulesKnownBadInputsRuleSet": 3,
        "AWSManagedRulesSQLiRuleSet": 4,
    }


def test_each_group_switches_alone_and_keeps_its_priority(template):
    everything = _rules(template, ",".join(WAF_MANAGED_RULE_GROUPS))
    assert set(everything) == {"RateLimitPerAddress", *WAF_MANAGED_RULE_GROUPS}
    for group, (priority, _) in WAF_MANAGED_RULE_GROUPS.items():
        alone = _rules(template, group)
        assert set(alone) == {"RateLimitPerAddress", group}
        assert alone[group] == everything[group]
        assert alone[group]["Priority"] == priority
        statement = alone[group]["Statement"]["ManagedRuleGroupStatement"]
        assert (statement["VendorName"], statement["Name"]) == ("AWS", group)
        # Common keeps its large-body rules counted, whichever groups run beside it.
        overrides = statement.get("RuleActionOverrides", [])
        assert bool(overrides) is (group == "AWSManagedRulesCommonRuleSet")
    # Dropping one group moves no other.
    without_sqli = _rules(template, ",".join(g for g in WAF_MANAGED_RULE_GROUPS if "SQLi" not in g))
    assert "AWSManagedRulesSQLiRuleSet" not in without_sqli
    assert all(without_sqli[n]["Priority"] == everything[n]["Priority"] for n in without_sqli)


def test_no_groups_leaves_the_rate_limit_alone(template):
    assert set(_rules(template, "")) == {"RateLimitPerAddress"}
