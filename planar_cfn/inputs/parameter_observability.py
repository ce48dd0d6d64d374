"""The observability inputs of the parameter table: Container Insights, log retention,
Performance Insights, enhanced monitoring, the access logs' prefix and the web ACL's
managed rule groups, which the Terraform module took as variables; and the conditions
the template switches them with. Each default is the value the stack hard-coded before,
so a stack that leaves them alone keeps its resources as they were."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from troposphere import Equals, Not, Ref, Select, Split, Sub

from .constraints import Pattern
from .parameter_spec import OBSERVABILITY, SECURITY, ParameterSpec

# ECS cluster setting containerInsights: "enhanced" adds task- and container-level
# metrics to "enabled"'s cluster- and service-level ones (ECS Developer Guide,
# cloudwatch-container-insights.html).
CONTAINER_INSIGHTS_VALUES = ("enhanced", "enabled", "disabled")
CONTAINER_INSIGHTS_DEFAULT = "enhanced"
# What AWS::Logs::LogGroup RetentionInDays accepts (CloudWatch Logs API Reference,
# PutRetentionPolicy; the same list as cfn-lint's schema).
LOG_RETENTION_DAYS = (
    "1",
    "3",
    "5",
    "7",
    "14",
    "30",
    "60",
    "90",
    "120",
    "150",
    "180",
    "365",
    "400",
    "545",
    "731",
    "1096",
    "1827",
    "2192",
    "2557",
    "2922",
    "3288",
    "3653",
)
LOG_RETENTION_DAYS_DEFAULT = "14"
# RDS MonitoringInterval, seconds between enhanced-monitoring samples; 0 turns it off
# (RDS API Reference, CreateDBInstance). 60, the longest, is what the stack always set.
MONITORING_INTERVALS = ("0", "1", "5", "10", "15", "30", "60")
MONITORING_INTERVAL_DEFAULT = "60"
# A prefix ELB accepts for access logs: ELB writes under {prefix}/AWSLogs/..., so the
# prefix may not hold "AWSLogs" itself (ELB User Guide, load-balancer-access-logs.html),
# and an S3 key's path with no leading, trailing or doubled "/". The characters are S3's
# "safe" key characters (S3 User Guide, object-keys.html); the length cap is ours and
# leaves the ~150 characters ELB appends well inside S3's 1,024-byte key.
ACCESS_LOGS_PREFIX_MAX_LENGTH = 200
_SEGMENT = r"[A-Za-z0-9!_.*'()-]+"
ACCESS_LOGS_PREFIX = Pattern(
    rf"^$|^(?!.*AWSLogs){_SEGMENT}(/{_SEGMENT})*$",
    f"empty (the stack's own prefix, alb/planar-{{stage}}-{{app}}), or up to "
    f"{ACCESS_LOGS_PREFIX_MAX_LENGTH} characters: letters, digits and ! _ . * ' ( ) - in "
    "parts separated by single '/', not starting or ending with '/', and not containing "
    "AWSLogs",
)

# AWS managed rule groups the created web ACL may run, with their fixed priority (after
# the rate limit, 0) and web ACL capacity units (WAF Developer Guide,
# aws-managed-rule-groups-baseline.html, -ip-rep.html, -use-case.html). None of these
# carries a subscription fee: each costs what any rule costs. The first four are the
# groups the stack always ran, at the priorities they always had, so a default stack's
# web ACL is unchanged; a priority never moves when another group is added or dropped.
WAF_MANAGED_RULE_GROUPS: Mapping[str, tuple[int, int]] = {
    "AWSManagedRulesAmazonIpReputationList": (1, 25),
    "AWSManagedRulesCommonRuleSet": (2, 700),
    "AWSManagedRulesKnownBadInputsRuleSet": (3, 200),
    "AWSManagedRulesSQLiRuleSet": (4, 200),
    "AWSManagedRulesAnonymousIpList": (5, 50),
    "AWSManagedRulesAdminProtectionRuleSet": (6, 100),
    "AWSManagedRulesLinuxRuleSet": (7, 200),
    "AWSManagedRulesUnixRuleSet": (8, 100),
    "AWSManagedRulesWindowsRuleSet": (9, 200),
    "AWSManagedRulesPHPRuleSet": (10, 100),
    "AWSManagedRulesWordPressRuleSet": (11, 100),
}
WAF_MANAGED_RULE_GROUPS_DEFAULT = tuple(WAF_MANAGED_RULE_GROUPS)[:4]
WAF_MANAGED_RULE_GROUP = Pattern(
    "^(" + "|".join(WAF_MANAGED_RULE_GROUPS) + ")$",
    "one of " + ", ".join(WAF_MANAGED_RULE_GROUPS),
)

# The conditions the template takes (parameters.Params names them).
PERFORMANCE_INSIGHTS = "UsePerformanceInsights"
ENHANCED_MONITORING = "UseEnhancedMonitoring"
HAS_ACCESS_LOGS_PREFIX = "HasAccessLogsPrefix"


def waf_group_condition(group: str) -> str:
    """The condition under which the created web ACL runs managed rule group `group`."""
    return "Use" + group


def conditions(refs: Mapping[str, Ref]) -> dict[str, Any]:
    """The conditions of this module's inputs, by name (`refs`: the parameters' Refs)."""
    # Commas on both sides of the list and of the name: ",Name," is found only as a
    # whole item, never as the start of a longer name. Split leaves the list whole
    # (its first part equal to it) only when the name is absent.
    listed = Sub(",${WafManagedRuleGroups},")
    groups = {
        waf_group_condition(group): Not(Equals(Select(0, Split(f",{group},", listed)), listed))
        for group in WAF_MANAGED_RULE_GROUPS
    }
    return {
        PERFORMANCE_INSIGHTS: Equals(refs["PerformanceInsights"], "true"),
        ENHANCED_MONITORING: Not(Equals(refs["DatabaseMonitoringInterval"], "0")),
        HAS_ACCESS_LOGS_PREFIX: Not(Equals(refs["AccessLogsPrefix"], "")),
        **groups,
    }


SPECS: tuple[ParameterSpec, ...] = (
    ParameterSpec(
        "AccessLogsPrefix",
        "access_logs_prefix",
        SECURITY,
        "Access logs prefix",
        "With AccessLogsBucket: the key prefix the load balancer writes its access logs "
        "under (ELB adds /AWSLogs/{account}/... after it). Empty: the stack's own, "
        "alb/planar-{stage}-{app}, which keeps stacks that share a bucket apart.",
        default="",
        pattern=ACCESS_LOGS_PREFIX,
        max_length=ACCESS_LOGS_PREFIX_MAX_LENGTH,
    ),
    ParameterSpec(
        "WafManagedRuleGroups",
        "waf_managed_rule_groups",
        SECURITY,
        "WAF managed rule groups",
        "With WebAcl create: the AWS managed rule groups the web ACL runs after the rate "
        "limit, comma-separated, each at a fixed priority (Common's large-body rules "
        "counted, not blocked). Each costs 1 USD a month; past 1,500 capacity units in "
        "all, WAF bills more per request. Empty: the rate limit alone.",
        default=",".join(WAF_MANAGED_RULE_GROUPS_DEFAULT),
        is_list=True,
        pattern=WAF_MANAGED_RULE_GROUP.or_empty(),
        # A String, so that the pattern sees the whole list and an empty list is allowed.
        template_pattern=WAF_MANAGED_RULE_GROUP.list_of(),
    ),
    ParameterSpec(
        "ContainerInsights",
        "container_insights",
        OBSERVABILITY,
        "Container Insights",
        "CloudWatch Container Insights on the ECS cluster. enhanced: cluster, service, task "
        "and container metrics; enabled: cluster and service metrics only; disabled: none "
        "(ECS's own CPU and memory metrics remain, free). Billed by CloudWatch per metric "
        "or observation.",
        default=CONTAINER_INSIGHTS_DEFAULT,
        allowed=CONTAINER_INSIGHTS_VALUES,
    ),
    ParameterSpec(
        "LogRetentionDays",
        "log_retention_days",
        OBSERVABILITY,
        "Log retention (days)",
        "Days CloudWatch Logs keeps the application's and the sidecars' log events; each "
        "GB kept costs storage every month it is kept.",
        default=LOG_RETENTION_DAYS_DEFAULT,
        allowed=LOG_RETENTION_DAYS,
    ),
    ParameterSpec(
        "PerformanceInsights",
        "performance_insights",
        OBSERVABILITY,
        "Performance Insights",
        "true: Performance Insights on every database instance, 7 days of history (AWS's "
        "free tier), encrypted with the stack's key when CustomerManagedKey is true; "
        "false: off.",
        default="true",
        allowed=("true", "false"),
    ),
    ParameterSpec(
        "DatabaseMonitoringInterval",
        "database_monitoring_interval",
        OBSERVABILITY,
        "Enhanced monitoring interval (seconds)",
        "Seconds between RDS enhanced-monitoring samples of each database instance's "
        "operating system, written to CloudWatch Logs (RDSOSMetrics) and billed as log "
        "ingestion: shorter costs more. 0: off, and the stack creates no monitoring role.",
        default=MONITORING_INTERVAL_DEFAULT,
        allowed=MONITORING_INTERVALS,
    ),
)
