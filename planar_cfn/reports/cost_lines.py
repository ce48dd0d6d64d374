"""The estimate's lines, one function per service: what the resolved template creates,
priced at the table of prices.py, each beside the usage the template cannot know
(ASSUMPTIONS) that its numbers rest on."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from ..inputs.parameter_observability import WAF_MANAGED_RULE_GROUPS
from ..template import telemetry
from .prices import HOURS_PER_MONTH, price
from .resolved_template import NO_VALUE, ResolvedTemplate

# Usage the template cannot know, each (low, high). Stated next to every number.
ASSUMPTIONS: Mapping[str, tuple[Decimal, Decimal]] = MappingProxyType(
    {
        # Load balancer capacity units averaged over the month. One LCU is 25 new
        # connections a second, 3,000 active connections, 1 GB an hour or 1,000 rule
        # evaluations a second, whichever is highest: a small app stays near one.
        "alb_lcu": (Decimal(1), Decimal(2)),
        # Requests a month, in millions, through the load balancer (a web ACL inspects each).
        "requests_million": (Decimal(1), Decimal(10)),
        # GB a month written to each of the stack's log groups.
        "log_gb_per_group": (Decimal(1), Decimal(10)),
        # Database storage, GB, and storage I/O requests a month, in millions (Aurora Standard).
        "aurora_storage_gb": (Decimal(10), Decimal(10)),
        "aurora_io_million": (Decimal(10), Decimal(100)),
        # An auto-pausing database's use: 8 hours on each of 22 working days, at 0.5 ACU,
        # and then AuroraSecondsUntilAutoPause without connections before it pauses;
        # paused, it bills 0 ACUs. Any open connection keeps it awake, and the app's pool
        # holds one while a task runs: the low figure assumes an idle app. High: never
        # paused, at its maximum.
        "in_use_days": (Decimal(22), Decimal(22)),
        "in_use_hours_a_day": (Decimal(8), Decimal(8)),
        # Secrets Manager API calls and KMS requests a month, in tens of thousands: the
        # tasks read their secrets when they start, and the services that use the key
        # call KMS as they encrypt and decrypt.
        "secret_calls_10k": (Decimal(1), Decimal(1)),
        "kms_requests_10k": (Decimal(2), Decimal(10)),
        # GB of WAF log records per million requests the web ACL logs: a record holds
        # the request's headers and the rules' verdicts, 1 to 2 KB.
        "waf_log_gb_per_million": (Decimal(1), Decimal(2)),
        # GB a month the OpenTelemetry collector writes to its own log group: its start-up
        # lines and export errors, not the telemetry itself.
        "collector_log_gb": (Decimal("0.1"), Decimal(1)),
        # GB of compressed image layers the stack's ECR repository holds: a few images of a
        # slim app, up to the lifecycle policy's 30 kept images sharing their base layers.
        "ecr_storage_gb": (Decimal(1), Decimal(10)),
    }
)
# The capacity an auto-pausing database bills while in use: its lowest non-zero step.
IN_USE_ACU = Decimal("0.5")
# Days CloudWatch Logs keeps a group with no retention set are counted as one month: it
# grows by a month's volume every month until a retention is set.
UNSET_RETENTION_DAYS = 30
DAYS_PER_MONTH = Decimal(30)
# Web ACL capacity units a web ACL's monthly price includes (WAF Developer Guide,
# aws-waf-capacity-units.html).
WAF_INCLUDED_WCU = 1500

_TENTH = Decimal("0.1")  # hours, as the assumptions show them
# Written by name: ruff takes the signs themselves for look-alikes of x and -.
_X = "\N{MULTIPLICATION SIGN}"
TO = "\N{EN DASH}"


def _n(number: Decimal) -> str:
    """A number as the assumptions write it: 2, 0.5, 1,000."""
    return f"{number.normalize():,f}"


@dataclass(frozen=True)
class CostLine:
    """One service's monthly cost: low and high, in US dollars, and the assumption
    behind the numbers."""

    service: str
    low: Decimal
    high: Decimal
    assumption: str


def _fargate(t: ResolvedTemplate) -> Iterator[CostLine]:
    ((_, task),) = t.of_type("AWS::ECS::TaskDefinition")
    vcpu = Decimal(t.prop(task, "Cpu")) / 1024
    memory_gb = Decimal(t.prop(task, "Memory")) / 1024
    task_hour = vcpu * price("fargate_vcpu_hour") + memory_gb * price("fargate_gb_hour")
    for _, service in t.of_type("AWS::ECS::Service"):
        desired = t.prop(service, "DesiredCount")
        if desired is NO_VALUE:  # autoscaling: the scalable target's range
            targets = [
                props
                for _, props in t.of_type("AWS::ApplicationAutoScaling::ScalableTarget")
                if props.get("ScalableDimension") == "ecs:service:DesiredCount"
            ]
            low = Decimal(t.prop(targets[0], "MinCapacity"))
            high = Decimal(t.prop(targets[0], "MaxCapacity"))
            count = f"{_n(low)}{TO}{_n(high)} tasks (autoscaling)"
        else:
            low = high = Decimal(desired)
            count = f"{_n(low)} task{'s' if low != 1 else ''}"
        strategy = t.prop(service, "CapacityProviderStrategy")
        weights = {} if strategy is NO_VALUE else _weights(strategy)
        spot_share = weights.get("FARGATE_SPOT", Decimal(0)) / (sum(weights.values()) or 1)
        factor = 1 - price("fargate_spot_discount") * spot_share
        spot = (
            f"; Fargate Spot at {_n(price('fargate_spot_discount') * 100)}% off (the most AWS "
            "quotes; the Spot price varies)"
            if spot_share
            else "; on-demand"
        )
        yield CostLine(
            "Fargate",
            low * HOURS_PER_MONTH * task_hour * factor,
            high * HOURS_PER_MONTH * task_hour * factor,
            f"{_n(vcpu)} vCPU {_X} ${price('fargate_vcpu_hour')} + {_n(memory_gb)} GB {_X} "
            f"${price('fargate_gb_hour')} = ${_n(task_hour)} a task-hour {_X} "
            f"{_n(HOURS_PER_MONTH)} h {_X} {count}{spot}",
        )


def _weights(strategy: list[dict[str, Any]]) -> dict[str, Decimal]:
    return {item["CapacityProvider"]: Decimal(item.get("Weight", 0)) for item in strategy}


def _aurora(t: ResolvedTemplate) -> Iterator[CostLine]:
    for cluster_id, cluster in t.of_type("AWS::RDS::DBCluster"):
        scaling = cluster.get("ServerlessV2ScalingConfiguration")
        if scaling is None:
            continue
        instances = sum(
            1
            for _, props in t.of_type("AWS::RDS::DBInstance")
            if props.get("DBClusterIdentifier") == {"Ref": cluster_id}
            and props.get("DBInstanceClass") == "db.serverless"
        )
        minimum = Decimal(t.prop(scaling, "MinCapacity"))
        maximum = Decimal(t.prop(scaling, "MaxCapacity"))
        acu_hour = price("aurora_acu_hour")
        who = f"{instances} instance{'s' if instances != 1 else ''}" + (
            " (writer and readers scale alike)" if instances > 1 else " (the writer)"
        )
        if minimum == 0:
            days, daily = ASSUMPTIONS["in_use_days"][0], ASSUMPTIONS["in_use_hours_a_day"][0]
            delay = Decimal(t.prop(scaling, "SecondsUntilAutoPause")) / 3600
            hours = days * (daily + delay)
            low = IN_USE_ACU * hours * acu_hour * instances
            low_text = (
                f"low: auto-pause, in use {_n(daily)} h on {_n(days)} days and "
                f"{_n(delay * 60)} min more each day before it pauses ({_n(hours.quantize(_TENTH))} "
                f"h) at {_n(IN_USE_ACU)} ACU, 0 ACU paused; any open connection keeps it "
                "awake and the app's pool holds one, so this assumes an idle app"
            )
        else:
            low = minimum * HOURS_PER_MONTH * acu_hour * instances
            low_text = f"low: {_n(minimum)} ACU all month"
        yield CostLine(
            "Aurora Serverless v2",
            low,
            maximum * HOURS_PER_MONTH * acu_hour * instances,
            f"${acu_hour} an ACU-hour {_X} {who}; {low_text}; high: {_n(maximum)} ACU {_X} "
            f"{_n(HOURS_PER_MONTH)} h",
        )
        storage, io = ASSUMPTIONS["aurora_storage_gb"], ASSUMPTIONS["aurora_io_million"]
        gb, per_io = price("aurora_storage_gb_month"), price("aurora_io_million")
        yield CostLine(
            "Aurora storage and I/O",
            storage[0] * gb + io[0] * per_io,
            storage[1] * gb + io[1] * per_io,
            f"{_n(storage[0])} GB {_X} ${gb} a GB-month; {_n(io[0])}{TO}{_n(io[1])} million I/O {_X} "
            f"${per_io} a million (Aurora Standard); backups within the retention period "
            "up to the database's size are free",
        )


def _load_balancer(t: ResolvedTemplate) -> Iterator[CostLine]:
    count = sum(
        1
        for _, props in t.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer")
        if props.get("Type", "application") == "application"
    )
    if not count:
        return
    lcu = ASSUMPTIONS["alb_lcu"]
    hour, lcu_hour = price("alb_hour"), price("alb_lcu_hour")

    def cost(lcus: Decimal) -> Decimal:
        return count * HOURS_PER_MONTH * (hour + lcus * lcu_hour)

    yield CostLine(
        "Application Load Balancer",
        cost(lcu[0]),
        cost(lcu[1]),
        f"{count} {_X} {_n(HOURS_PER_MONTH)} h {_X} (${hour} an hour + {_n(lcu[0])}{TO}{_n(lcu[1])} "
        f"LCU {_X} ${lcu_hour} an LCU-hour)",
    )


def _route53(t: ResolvedTemplate) -> Iterator[CostLine]:
    zones = {
        json.dumps(props.get("HostedZoneId"), sort_keys=True)
        for _, props in t.of_type("AWS::Route53::RecordSet")
    }
    zones.update(f"zone:{logical_id}" for logical_id, _ in t.of_type("AWS::Route53::HostedZone"))
    if not zones:
        return
    amount = len(zones) * price("route53_zone_month")
    yield CostLine(
        "Route 53",
        amount,
        amount,
        f"{len(zones)} hosted zone {_X} ${price('route53_zone_month')} a month: the base "
        "domain's public zone, which the stack adds its records to (yours, and shared "
        "with whatever else it serves); alias queries to the load balancer are free",
    )


def _secrets(t: ResolvedTemplate) -> Iterator[CostLine]:
    count = sum(1 for _ in t.of_type("AWS::SecretsManager::Secret"))
    # RDS creates and rotates the master user's secret itself.
    count += sum(
        1 for _, props in t.of_type("AWS::RDS::DBCluster") if props.get("ManageMasterUserPassword")
    )
    if not count:
        return
    calls = ASSUMPTIONS["secret_calls_10k"]
    per_secret, per_calls = price("secret_month"), price("secret_api_10k")
    yield CostLine(
        "Secrets Manager",
        count * per_secret + calls[0] * per_calls,
        count * per_secret + calls[1] * per_calls,
        f"{count} secrets (the stack's and the database's) {_X} ${per_secret} a month + "
        f"{_n(calls[0] * 10_000)} API calls {_X} ${per_calls} per 10,000 (an existing registry "
        "secret is not the stack's)",
    )


def _containers(t: ResolvedTemplate) -> Iterator[dict[str, Any]]:
    """The containers of the task definitions, as the values resolve them."""
    for _, props in t.of_type("AWS::ECS::TaskDefinition"):
        yield from t.prop(props, "ContainerDefinitions") or []


def _log_group_of(container: dict[str, Any]) -> str | None:
    options = container.get("LogConfiguration", {}).get("Options", {})
    group = options.get("awslogs-group") if isinstance(options, dict) else None
    return group.get("Ref") if isinstance(group, dict) else None


def _logs(t: ResolvedTemplate) -> Iterator[CostLine]:
    # The groups the containers write to carry the volume; another of the stack's groups
    # (the bucket emptier's, written once per stack delete) is counted at nothing. The
    # collector's group is on the collector's line.
    written = {
        _log_group_of(container)
        for container in _containers(t)
        if container.get("Name") != telemetry.COLLECTOR_NAME
    } - {None}
    retention = [
        int(days) if (days := t.prop(props, "RetentionInDays")) is not NO_VALUE else 0
        for logical_id, props in t.of_type("AWS::Logs::LogGroup")
        if logical_id in written
    ]
    ours = len(retention)
    # RDS creates a log group for each exported log type, with no retention set.
    for _, props in t.of_type("AWS::RDS::DBCluster"):
        retention += [0] * len(t.prop(props, "EnableCloudwatchLogsExports") or [])
    if not retention:
        return
    volume = ASSUMPTIONS["log_gb_per_group"]
    ingest, store = price("logs_ingest_gb"), price("logs_storage_gb_month")
    # Once a group's retention has filled, it holds `days` of volume: days / 30 months.
    kept = sum(Decimal(d or UNSET_RETENTION_DAYS) for d in retention)

    def cost(gb: Decimal) -> Decimal:
        return gb * (len(retention) * ingest + kept / DAYS_PER_MONTH * store)

    kept_days = sorted({d for d in retention if d})
    yield CostLine(
        "CloudWatch Logs",
        cost(volume[0]),
        cost(volume[1]),
        f"{len(retention)} log groups ({ours} the containers write to, kept "
        f"{', '.join(map(str, kept_days)) or 'no'} days; {len(retention) - ours} that RDS "
        f"creates for the exported PostgreSQL log, kept until you set a retention: counted at "
        f"a month's volume) {_X} {_n(volume[0])}{TO}{_n(volume[1])} GB a month each {_X} ${ingest} "
        f"a GB ingested + what is kept (once the retention is full) {_X} ${store} a GB-month; "
        "no free tier counted",
    )


def _kms(t: ResolvedTemplate) -> Iterator[CostLine]:
    count = sum(1 for _ in t.of_type("AWS::KMS::Key"))
    if not count:
        return
    requests = ASSUMPTIONS["kms_requests_10k"]
    key, per = price("kms_key_month"), price("kms_requests_10k")
    yield CostLine(
        "KMS",
        count * key + requests[0] * per,
        count * key + requests[1] * per,
        f"{count} customer-managed key {_X} ${key} a month (each yearly rotation adds "
        f"$1 a month) + {_n(requests[0] * 10_000)}{TO}{_n(requests[1] * 10_000)} requests {_X} "
        f"${per} per 10,000",
    )


def _waf(t: ResolvedTemplate) -> Iterator[CostLine]:
    acls = [props for _, props in t.of_type("AWS::WAFv2::WebACL")]
    if not acls:
        return
    listed = [r for props in acls for r in t.prop(props, "Rules") or []]
    groups = [r["Name"] for r in listed if r.get("Name") in WAF_MANAGED_RULE_GROUPS]
    rules = len(listed)
    requests = ASSUMPTIONS["requests_million"]
    acl, rule, per = (
        price("waf_web_acl_month"),
        price("waf_rule_month"),
        price("waf_requests_million"),
    )
    # Capacity past the 1,500 WCUs a web ACL's price includes is billed per request, in
    # steps of 500 (the rate limit's few WCUs are left out).
    wcu = sum(WAF_MANAGED_RULE_GROUPS[g][1] for g in groups)
    steps = max(0, -(-(wcu - WAF_INCLUDED_WCU) // 500))
    per += steps * price("waf_extra_wcu_500_million")
    fixed = len(acls) * acl + rules * rule
    names = ", ".join(g.removeprefix("AWSManagedRules") for g in groups) or "none"
    yield CostLine(
        "WAF",
        fixed + requests[0] * per,
        fixed + requests[1] * per,
        f"{len(acls)} web ACL {_X} ${acl} + {rules} rules {_X} ${rule} a month (the rate "
        f"limit and the AWS managed rule groups {names}, no subscription fee; {wcu} WCUs"
        + (f", {steps} {_X} 500 past the included 1,500" if steps else "")
        + f") + {_n(requests[0])}{TO}{_n(requests[1])} million requests {_X} ${per} a million",
    )


def _waf_logs(t: ResolvedTemplate) -> Iterator[CostLine]:
    # Every request the created web ACL inspects is logged to its log group.
    if not any(True for _ in t.of_type("AWS::WAFv2::LoggingConfiguration")):
        return
    # WAF logs only to a group named aws-waf-logs-* (an Fn::Sub of the app's name).
    days = [
        int(t.prop(props, "RetentionInDays"))
        for _, props in t.of_type("AWS::Logs::LogGroup")
        if json.dumps(props.get("LogGroupName")).startswith(
            ('"aws-waf-logs-', '{"Fn::Sub": "aws-waf-logs-')
        )
    ]
    kept = Decimal(min(days[0], 30) if days else UNSET_RETENTION_DAYS)
    requests, per_million = ASSUMPTIONS["requests_million"], ASSUMPTIONS["waf_log_gb_per_million"]
    ingest, store = price("logs_ingest_gb"), price("logs_storage_gb_month")
    volume = (requests[0] * per_million[0], requests[1] * per_million[1])

    def cost(gb: Decimal) -> Decimal:
        return gb * (ingest + kept / DAYS_PER_MONTH * store)

    yield CostLine(
        "WAF logs",
        cost(volume[0]),
        cost(volume[1]),
        f"{_n(requests[0])}{TO}{_n(requests[1])} million requests {_X} "
        f"{_n(per_million[0])}{TO}{_n(per_million[1])} GB of records a million, kept "
        f"{kept} days {_X} ${ingest} a GB ingested (WAF's logs are vended logs; their first "
        f"tier is counted at this price) + what is kept {_X} ${store} a GB-month",
    )


def _ecr(t: ResolvedTemplate) -> Iterator[CostLine]:
    count = sum(1 for _ in t.of_type("AWS::ECR::Repository"))
    if not count:
        return
    stored, per = ASSUMPTIONS["ecr_storage_gb"], price("ecr_storage_gb_month")
    yield CostLine(
        "ECR",
        count * stored[0] * per,
        count * stored[1] * per,
        f"{count} repository {_X} {_n(stored[0])}{TO}{_n(stored[1])} GB of images {_X} ${per} "
        "a GB-month; pulls in the same region and basic scanning on push cost nothing",
    )


SERVICES: tuple[Callable[[ResolvedTemplate], Iterator[CostLine]], ...] = (
    _fargate,
    _aurora,
    _load_balancer,
    _route53,
    _secrets,
    _logs,
    _kms,
    _waf,
    _waf_logs,
    _ecr,
)


def excluded(t: ResolvedTemplate) -> tuple[str, ...]:
    """What the estimate leaves out, and why: always Bedrock, data transfer and S3; an
    existing web ACL when the template uses one."""
    excluded = [
        "Bedrock: billed per token by model; it depends on the application's use",
        "data transfer, and the NAT gateway the tasks reach Bedrock and the registry "
        "through (the VPC is yours)",
        "S3: storage and requests depend on what the application keeps",
    ]
    if any(True for _ in t.of_type("AWS::WAFv2::WebACLAssociation")) and not any(
        True for _ in t.of_type("AWS::WAFv2::WebACL")
    ):
        excluded.append("the existing web ACL the load balancer is attached to (yours)")
    if any(c.get("Name") == telemetry.COLLECTOR_NAME for c in _containers(t)):
        excluded.append(
            "the telemetry endpoint's own charges (its operator's), and the telemetry's "
            "data transfer through the NAT gateway"
        )
    return tuple(excluded)
