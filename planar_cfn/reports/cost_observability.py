"""The estimate's observability lines: Container Insights, Performance Insights, RDS
enhanced monitoring and the CloudWatch alarms, each read from the resolved template, so each follows its
switch (ContainerInsights, PerformanceInsights, DatabaseMonitoringInterval); a switch
that is off brings no line."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from types import MappingProxyType

from ..template import telemetry
from .cost_lines import (
    ASSUMPTIONS,
    DAYS_PER_MONTH,
    TO,
    UNSET_RETENTION_DAYS,
    CostLine,
    _containers,
    _log_group_of,
)
from .prices import HOURS_PER_MONTH, price
from .resolved_template import NO_VALUE, ResolvedTemplate

# Metrics Container Insights publishes for this stack's one cluster and one service,
# (low, high). enabled: the cluster's and the service's (and the task family's) metrics,
# some 30 to 45. enhanced adds per-task and per-container metrics, so it grows with the
# tasks running: 60 to 150 for a handful of tasks. Inferred from the ECS Developer
# Guide's metric tables (Container Insights metrics for Amazon ECS), not measured.
CONTAINER_INSIGHTS_METRICS: Mapping[str, tuple[Decimal, Decimal]] = MappingProxyType(
    {"enabled": (Decimal(30), Decimal(45)), "enhanced": (Decimal(60), Decimal(150))}
)
# Performance Insights keeps 7 days of history unless PerformanceInsightsRetentionPeriod
# says otherwise (the stack does not set it); those 7 days are AWS's free tier.
PERFORMANCE_INSIGHTS_FREE_DAYS = 7
# KB of one enhanced-monitoring record (the OS metrics and the process list of one
# sample of one instance) written to CloudWatch Logs' RDSOSMetrics group, (low, high):
# an assumption, not measured. RDS keeps that group 30 days (RDS User Guide,
# USER_Monitoring.OS.html, "Retention of Enhanced Monitoring metrics"), so a month's
# volume is stored at any time.
MONITORING_RECORD_KB = (Decimal(2), Decimal(8))
_KB_PER_GB = Decimal(1_000_000)
_SECONDS_PER_HOUR = 3600
_X = "\N{MULTIPLICATION SIGN}"


def _n(number: Decimal) -> str:
    return f"{number.normalize():,f}"


def _container_insights(t: ResolvedTemplate) -> Iterator[CostLine]:
    for _, props in t.of_type("AWS::ECS::Cluster"):
        settings = {
            s.get("Name"): t.value(s.get("Value")) for s in t.prop(props, "ClusterSettings") or []
        }
        mode = settings.get("containerInsights")
        if not isinstance(mode, str) or mode not in CONTAINER_INSIGHTS_METRICS:
            continue  # disabled, or never set: no metrics, nothing billed
        low, high = CONTAINER_INSIGHTS_METRICS[mode]
        per = price("cloudwatch_metric_month")
        billing = (
            "enhanced is billed per observation on a tiered price; counted here at the "
            "custom-metric price, which is inferred"
            if mode == "enhanced"
            else "billed as custom metrics"
        )
        yield CostLine(
            "Container Insights",
            low * per,
            high * per,
            f"{mode}: {_n(low)}{TO}{_n(high)} metrics {_X} ${per} a metric-month ({billing}); "
            "the performance log events it writes are not counted",
        )


def _database_instances(t: ResolvedTemplate) -> list[dict[str, object]]:
    return [props for _, props in t.of_type("AWS::RDS::DBInstance")]


def _performance_insights(t: ResolvedTemplate) -> Iterator[CostLine]:
    instances = [
        props
        for props in _database_instances(t)
        if t.prop(props, "EnablePerformanceInsights") in (True, "true")
    ]
    if not instances:
        return
    retention = t.prop(instances[0], "PerformanceInsightsRetentionPeriod")
    days = PERFORMANCE_INSIGHTS_FREE_DAYS if retention is NO_VALUE else int(retention)
    if days > PERFORMANCE_INSIGHTS_FREE_DAYS:  # the stack never sets a longer one
        raise ValueError(f"Performance Insights kept {days} days: the estimate has no price")
    yield CostLine(
        "Performance Insights",
        Decimal(0),
        Decimal(0),
        f"{len(instances)} instance{'s' if len(instances) != 1 else ''} {_X} "
        f"{PERFORMANCE_INSIGHTS_FREE_DAYS} days of history: AWS's free tier",
    )


def _enhanced_monitoring(t: ResolvedTemplate) -> Iterator[CostLine]:
    intervals = [
        int(interval)
        for props in _database_instances(t)
        if (interval := t.prop(props, "MonitoringInterval")) is not NO_VALUE and int(interval)
    ]
    if not intervals:
        return
    records = sum((HOURS_PER_MONTH * _SECONDS_PER_HOUR / i for i in intervals), Decimal(0))
    ingest, store = price("logs_ingest_gb"), price("logs_storage_gb_month")

    def cost(kb: Decimal) -> Decimal:
        return records * kb / _KB_PER_GB * (ingest + store)

    low, high = MONITORING_RECORD_KB
    yield CostLine(
        "RDS enhanced monitoring",
        cost(low),
        cost(high),
        f"{len(intervals)} instance{'s' if len(intervals) != 1 else ''}, a sample every "
        f"{intervals[0]} s ({_n(records)} records a month) {_X} {_n(low)}{TO}{_n(high)} KB "
        f"to CloudWatch Logs (RDSOSMetrics) {_X} (${ingest} a GB ingested + ${store} a "
        "GB-month, kept 30 days); no free tier counted",
    )


def _collector(t: ResolvedTemplate) -> Iterator[CostLine]:
    # The collector runs inside the task's size, which the Fargate line prices: what it
    # adds is its log group and the token's secret. What it sends is priced by the
    # endpoint's operator, and leaves through the NAT gateway (data transfer).
    groups = [
        _log_group_of(container)
        for container in _containers(t)
        if container.get("Name") == telemetry.COLLECTOR_NAME
    ]
    if not groups:
        return
    days = [
        int(t.prop(props, "RetentionInDays"))
        for logical_id, props in t.of_type("AWS::Logs::LogGroup")
        if logical_id in groups
    ]
    kept = Decimal(min(days[0], 30) if days else UNSET_RETENTION_DAYS)
    volume = ASSUMPTIONS["collector_log_gb"]
    ingest, store, secret = (
        price("logs_ingest_gb"),
        price("logs_storage_gb_month"),
        price("secret_month"),
    )

    def cost(gb: Decimal) -> Decimal:
        return secret + gb * (ingest + kept / DAYS_PER_MONTH * store)

    yield CostLine(
        "OpenTelemetry collector",
        cost(volume[0]),
        cost(volume[1]),
        f"within the task's CPU and memory ({telemetry.MEMORY_RESERVATION_MIB} MiB reserved, "
        f"at most {telemetry.MEMORY_LIMIT_MIB} MiB; no Fargate charge of its own) + the "
        f"token's secret, ${secret} a month, + its log, {_n(volume[0])}{TO}{_n(volume[1])} GB "
        f"a month kept {kept} days {_X} ${ingest} a GB ingested + what is kept {_X} ${store} "
        "a GB-month",
    )


def alarm_metrics(t: ResolvedTemplate) -> int:
    """The metrics the template's alarms read, as CloudWatch bills alarms: one for an
    alarm on a metric, one per metric (not per expression) for a metric-math alarm."""
    count = 0
    for _, props in t.of_type("AWS::CloudWatch::Alarm"):
        queries = t.prop(props, "Metrics")
        if isinstance(queries, list):
            count += sum(1 for q in queries if isinstance(q, dict) and "MetricStat" in q)
        else:
            count += 1
    return count


def _alarms(t: ResolvedTemplate) -> Iterator[CostLine]:
    alarms = sum(1 for _ in t.of_type("AWS::CloudWatch::Alarm"))
    if not alarms:
        return
    metrics = Decimal(alarm_metrics(t))
    per = price("cloudwatch_alarm_metric_month")
    yield CostLine(
        "CloudWatch alarms",
        metrics * per,
        metrics * per,
        f"{alarms} alarms reading {_n(metrics)} metrics {_X} ${per} an alarm metric-month "
        "(the rollback alarms with a traffic-shifting strategy, the paging ones with Alarms)",
    )


SERVICES: tuple[Callable[[ResolvedTemplate], Iterator[CostLine]], ...] = (
    _container_insights,
    _performance_insights,
    _enhanced_monitoring,
    _collector,
    _alarms,
)
