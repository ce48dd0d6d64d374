"""The alarms that page (condition HasAlarms): the load balancer's own 5xx, unhealthy
tasks, the service's CPU and memory, and the database's capacity and CPU. Each notifies
the topics in AlarmTopicArns (the stage file's notification_topic_arns), on alarm and on
recovery. The rollback alarms (rollout.py) are ECS's, not these (docs/stack.md, Alarms)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from troposphere import AWSHelperFn, GetAtt, If, NoValue, Ref, Template, cloudwatch

from ..inputs.parameters import Params
from .database import Database
from .load_balancer import LoadBalancer
from .naming import Naming
from .rollout import Rollout
from .service import Service


@dataclass(frozen=True)
class PagingAlarm:
    """One paging alarm: what it watches and when it goes off (a value above
    `threshold` in `datapoints` of `periods` periods of `period` seconds)."""

    logical_id: str
    name: str
    namespace: str
    metric: str
    statistic: str
    threshold: float
    period: int
    periods: int
    datapoints: int
    description: str


# Five-minute periods for what moves slowly, one-minute ones for what ELB counts.
PAGING_ALARMS: tuple[PagingAlarm, ...] = (
    PagingAlarm(
        "LoadBalancer5xxAlarm",
        "alb-5xx",
        "AWS/ApplicationELB",
        "HTTPCode_ELB_5XX_Count",
        "Sum",
        # The load balancer's own 5xx (502/503/504: no healthy task, a task that hung
        # up, a timeout): 10 a minute in 3 of 5 minutes is an outage, not a blip.
        10,
        60,
        5,
        3,
        "The load balancer answered 5xx itself (no healthy task, a task that hung up, a "
        "timeout) more than 10 times a minute in 3 of 5 minutes.",
    ),
    PagingAlarm(
        "UnhealthyTargetsAlarm",
        "unhealthy-tasks",
        "AWS/ApplicationELB",
        "UnHealthyHostCount",
        "Maximum",
        # Any task failing its health checks for 5 minutes in a row: one bad task among
        # two halves the capacity.
        0,
        60,
        5,
        5,
        "A task failed the load balancer's health checks for 5 minutes in a row.",
    ),
    PagingAlarm(
        "ServiceCpuAlarm",
        "service-cpu",
        "AWS/ECS",
        "CPUUtilization",
        "Average",
        # Above 90 percent for 15 minutes: past what autoscaling (target 60 percent)
        # brings down, or autoscaling at its maximum.
        90,
        300,
        3,
        3,
        "The service's tasks used more than 90 percent of their CPU for 15 minutes.",
    ),
    PagingAlarm(
        "ServiceMemoryAlarm",
        "service-memory",
        "AWS/ECS",
        "MemoryUtilization",
        "Average",
        # A task at its memory limit is stopped (out of memory): 90 percent for 15 minutes.
        90,
        300,
        3,
        3,
        "The service's tasks used more than 90 percent of their memory for 15 minutes.",
    ),
    PagingAlarm(
        "DatabaseCapacityAlarm",
        "db-capacity",
        "AWS/RDS",
        "ACUUtilization",
        "Maximum",
        # ACUs at 95 percent of AuroraMaxCapacity for 15 minutes: the database cannot
        # grow further; raise AuroraMaxCapacity.
        95,
        300,
        3,
        3,
        "The database ran at over 95 percent of its maximum capacity (ACUs) for 15 minutes.",
    ),
    PagingAlarm(
        "DatabaseCpuAlarm",
        "db-cpu",
        "AWS/RDS",
        "CPUUtilization",
        "Maximum",
        # Serverless v2 CPU is against the CPU of the maximum ACUs: 90 percent for
        # 15 minutes is a database at its limit.
        90,
        300,
        3,
        3,
        "The database used more than 90 percent of the CPU of its maximum capacity for 15 minutes.",
    ),
)
PAGING_ALARMS_BY_ID: Mapping[str, PagingAlarm] = {a.logical_id: a for a in PAGING_ALARMS}


def _dimensions(
    alarm: PagingAlarm,
    load_balancer: LoadBalancer,
    service: Service,
    database: Database,
    target_group: AWSHelperFn | None = None,
) -> list[cloudwatch.MetricDimension]:
    lb = GetAtt(load_balancer.load_balancer, "LoadBalancerFullName")
    by_namespace: dict[str, list[tuple[str, object]]] = {
        "AWS/ApplicationELB": [("LoadBalancer", lb)],
        "AWS/ECS": [("ClusterName", service.cluster), ("ServiceName", service.service_name)],
        "AWS/RDS": [("DBClusterIdentifier", Ref(database.cluster))],
    }
    pairs = by_namespace[alarm.namespace]
    if target_group is not None:
        pairs = [("TargetGroup", target_group), *pairs]
    return [cloudwatch.MetricDimension(Name=name, Value=value) for name, value in pairs]


def _unhealthy_metrics(
    alarm: PagingAlarm,
    params: Params,
    load_balancer: LoadBalancer,
    service: Service,
    database: Database,
    rollout: Rollout,
) -> If:
    """UnHealthyHostCount has no load-balancer-wide figure: the target group's, and with
    a traffic shift the larger of both groups' (ECS alternates which one serves)."""
    groups = [load_balancer.target_group, rollout.alternate_target_group]

    def query(n: int, group: object) -> cloudwatch.MetricDataQuery:
        full_name = GetAtt(group, "TargetGroupFullName")
        return cloudwatch.MetricDataQuery(
            Id=f"u{n}",
            ReturnData=False,
            MetricStat=cloudwatch.MetricStat(
                Metric=cloudwatch.Metric(
                    Namespace=alarm.namespace,
                    MetricName=alarm.metric,
                    Dimensions=_dimensions(alarm, load_balancer, service, database, full_name),
                ),
                Period=alarm.period,
                Stat=alarm.statistic,
            ),
        )

    both = [query(n, g) for n, g in enumerate(groups, 1)]
    largest = cloudwatch.MetricDataQuery(
        Id="unhealthy", Expression="MAX([u1, u2])", Label="unhealthy tasks", ReturnData=True
    )
    primary = query(1, groups[0])
    primary.ReturnData = True
    return If(params.uses_traffic_shift, [*both, largest], [primary])


def add_alarms(
    template: Template,
    naming: Naming,
    params: Params,
    load_balancer: LoadBalancer,
    service: Service,
    database: Database,
) -> tuple[cloudwatch.Alarm, ...]:
    """Add the paging alarms, each under condition HasAlarms."""
    rollout = service.rollout
    topics = If(params.has_alarm_topics, params["AlarmTopicArns"], NoValue)
    added = []
    for alarm in PAGING_ALARMS:
        if alarm.metric == "UnHealthyHostCount":
            metric: dict[str, object] = {
                "Metrics": _unhealthy_metrics(
                    alarm, params, load_balancer, service, database, rollout
                )
            }
        else:
            metric = {
                "Namespace": alarm.namespace,
                "MetricName": alarm.metric,
                "Dimensions": _dimensions(alarm, load_balancer, service, database),
                "Statistic": alarm.statistic,
                "Period": alarm.period,
            }
        added.append(
            template.add_resource(
                cloudwatch.Alarm(
                    alarm.logical_id,
                    Condition=params.has_alarms,
                    AlarmName=naming.name(f"planar-{alarm.name}"),
                    AlarmDescription=alarm.description,
                    ComparisonOperator="GreaterThanThreshold",
                    Threshold=alarm.threshold,
                    EvaluationPeriods=alarm.periods,
                    DatapointsToAlarm=alarm.datapoints,
                    # No data (no requests, a paused database) is not a failure.
                    TreatMissingData="notBreaching",
                    AlarmActions=topics,
                    OKActions=topics,
                    Tags=naming.tags(),
                    **metric,
                )
            )
        )
    return tuple(added)
