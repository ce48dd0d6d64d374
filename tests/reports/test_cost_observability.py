"""The estimate follows each observability switch (planar_cfn/reports/
cost_observability.py, and cost_lines.py's logs and WAF lines), against cases worked by
hand: Container Insights by mode, Performance Insights' free 7 days, enhanced monitoring
by interval and instances, log retention, and the web ACL's managed rule groups."""

from decimal import Decimal

import pytest

from planar_cfn.inputs.parameter_observability import WAF_MANAGED_RULE_GROUPS
from tests.reports.estimates import TO, X, dev, line, prod


@pytest.mark.parametrize(
    ("mode", "low", "high"),
    [
        # 60-150 metrics x $0.30 a metric-month
        ("enhanced", Decimal("18.00"), Decimal("45.00")),
        # 30-45 metrics x $0.30
        ("enabled", Decimal("9.00"), Decimal("13.50")),
    ],
)
def test_container_insights_by_mode(mode, low, high):
    insights = line(dev(ContainerInsights=mode), "Container Insights")
    assert (insights.low, insights.high) == (low, high)
    assert insights.assumption.startswith(f"{mode}: ")
    assert "$0.30 a metric-month" in insights.assumption


def test_container_insights_disabled_costs_nothing():
    on, off = dev(), dev(ContainerInsights="disabled")
    assert off.line("Container Insights") is None
    assert on.low - off.low == Decimal("18.00")
    assert on.high - off.high == Decimal("45.00")


def test_performance_insights_is_free_for_its_7_days_and_gone_when_off():
    insights = line(prod(), "Performance Insights")
    assert insights.low == insights.high == 0
    # prod's writer and reader
    assert insights.assumption == f"2 instances {X} 7 days of history: AWS's free tier"
    assert prod(PerformanceInsights="false").line("Performance Insights") is None


@pytest.mark.parametrize(
    ("interval", "low"),
    [
        # 730 h x 3600 s / 60 s = 43,800 records x 2 KB = 0.0876 GB x ($0.50 + $0.03)
        ("60", Decimal("0.046428")),
        # 60 times as many records at 1 s
        ("1", Decimal("2.78568")),
        ("15", Decimal("0.185712")),
    ],
)
def test_enhanced_monitoring_follows_the_interval(interval, low):
    monitoring = line(dev(DatabaseMonitoringInterval=interval), "RDS enhanced monitoring")
    assert monitoring.low == low
    assert monitoring.high == 4 * low  # 8 KB a record high
    assert f"a sample every {interval} s" in monitoring.assumption
    assert f"2{TO}8 KB" in monitoring.assumption


def test_enhanced_monitoring_counts_each_instance_and_off_costs_nothing():
    assert line(prod(), "RDS enhanced monitoring").low == 2 * Decimal("0.046428")
    assert "2 instances" in line(prod(), "RDS enhanced monitoring").assumption
    off = dev(DatabaseMonitoringInterval="0")
    assert off.line("RDS enhanced monitoring") is None
    assert dev().low - off.low == Decimal("0.046428")


@pytest.mark.parametrize(
    ("days", "low"),
    [
        # The service's group and RDS's PostgreSQL group (counted at 30 days), 1 GB each:
        # 2 x $0.50 + (days + 30) / 30 GB kept x $0.03
        ("1", Decimal("1.031")),
        ("14", Decimal("1.044")),
        ("365", Decimal("1.395")),
    ],
)
def test_log_retention_moves_what_is_kept(days, low):
    logs = line(dev(LogRetentionDays=days), "CloudWatch Logs")
    assert logs.low == low
    assert logs.high == 10 * low
    assert f"kept {days} days" in logs.assumption


def _waf(groups):
    return line(dev(WebAcl="create", WafManagedRuleGroups=groups), "WAF")


def test_the_default_groups_cost_as_before_and_are_named():
    waf = _waf(",".join(list(WAF_MANAGED_RULE_GROUPS)[:4]))
    # $5 + 5 rules x $1 + 1 million requests x $0.60; 10 million high
    assert (waf.low, waf.high) == (Decimal("10.60"), Decimal("16.00"))
    assert (
        "the rate limit and the AWS managed rule groups AmazonIpReputationList, CommonRuleSet, "
        "KnownBadInputsRuleSet, SQLiRuleSet, no subscription fee; 1125 WCUs)"
    ) in waf.assumption


def test_each_group_adds_a_dollar_a_month():
    base = _waf("")
    assert (base.low, base.high) == (Decimal("6.60"), Decimal("12.00"))
    assert "groups none" in base.assumption
    for group in WAF_MANAGED_RULE_GROUPS:
        one = _waf(group)
        assert one.low - base.low == Decimal(1), group
        assert group.removeprefix("AWSManagedRules") in one.assumption


def test_past_1500_capacity_units_each_request_costs_more():
    waf = _waf(",".join(WAF_MANAGED_RULE_GROUPS))
    # 1,975 WCUs: one step of 500 past 1,500, $0.20 more a million requests:
    # $5 + 12 rules x $1 + 1 million x $0.80; 10 million high
    assert (waf.low, waf.high) == (Decimal("17.80"), Decimal("25.00"))
    assert f"1975 WCUs, 1 {X} 500 past the included 1,500" in waf.assumption
    assert "$0.80 a million" in waf.assumption


def test_without_a_created_web_acl_the_groups_cost_nothing():
    assert dev(WafManagedRuleGroups=",".join(WAF_MANAGED_RULE_GROUPS)).line("WAF") is None


def test_a_bad_value_is_refused_naming_it():
    with pytest.raises(ValueError, match=r"ContainerInsights = 'on': must be one of enhanced"):
        dev(ContainerInsights="on")
    with pytest.raises(ValueError, match=r"LogRetentionDays = '15': must be one of 1, 3, 5"):
        dev(LogRetentionDays="15")
