"""The rollout inputs of the parameter table: the target group's drain, ECS's deployment
strategy (rolling, canary, linear or blue/green) with its traffic steps and bake times,
and the alarms that page; the conditions the template switches them with, each stage's
defaults, and the checks no input's own constraint can make (docs/stack.md, Rollouts)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from troposphere import Equals, Not, Ref, Select

from .constraints import Pattern
from .notifications import KEY as TOPICS_KEY
from .notifications import MAX_TOPICS, TOPIC_ARN
from .parameter_spec import CONTAINER, OBSERVABILITY, ParameterSpec
from .stages import DEPLOYMENT_STRATEGIES, Stage

# ELB waits this long for a deregistering task's in-flight requests, and no longer: it
# completes at once when none are left (ELB User Guide, edit-target-group-attributes.html
# #deregistration-delay). 30 s outlasts the application's API requests; ELB's own default
# is 300 s, which every rolling update used to wait out.
DEREGISTRATION_DELAY_DEFAULT = "30"
# ELB's range for deregistration_delay.timeout_seconds (ELB API Reference, TargetGroupAttribute).
DEREGISTRATION_DELAY = Pattern(
    r"^(0|[1-9][0-9]{0,2}|[12][0-9]{3}|3[0-5][0-9]{2}|3600)$", "a whole number from 0 to 3600"
)
# The percentage of production traffic a canary takes, or a linear step shifts: ECS takes
# multiples of 0.1 from 0.1 to 100 (cfn-lint's schema of CanaryConfiguration.CanaryPercent).
# One written form per value (10, not 10.0 or 010), so that a Rule can list values.
TRAFFIC_SHIFT_PERCENT = Pattern(
    r"^(100|[1-9][0-9]?(\.[1-9])?|0\.[1-9])$",
    "a percentage from 0.1 to 100 in steps of 0.1, written without trailing zeros (10, 2.5)",
)
TRAFFIC_SHIFT_PERCENT_DEFAULT = "10"
# A linear step is at least 3 percent (LinearConfiguration.StepPercent's minimum).
LINEAR_MIN_STEP_PERCENT = Decimal(3)
LINEAR_TOO_SMALL = tuple(
    str(Decimal(n) / 10).removesuffix(".0") for n in range(1, int(LINEAR_MIN_STEP_PERCENT * 10))
)
# ECS's bake times are whole minutes from 0 to 1440 (BakeTimeInMinutes,
# CanaryBakeTimeInMinutes, StepBakeTimeInMinutes in cfn-lint's schema).
BAKE_MINUTES_MAX = 1440
BAKE_MINUTES = Pattern(
    r"^(0|[1-9][0-9]{0,2}|1[0-3][0-9]{2}|14[0-3][0-9]|1440)$",
    f"a whole number of minutes from 0 to {BAKE_MINUTES_MAX}",
)
# Five minutes of canary (or of each linear step) is five one-minute alarm periods: the
# rollback alarms (template/rollout.py) need three of them to go off.
TRAFFIC_SHIFT_BAKE_DEFAULT = "5"
# After all production traffic reached the new revision, the old one stands by this long,
# so that an alarm rolls back at once, without starting tasks.
BAKE_TIME_DEFAULT = "10"
# CloudFormation refuses a deployment whose bake times add up to more than 33 hours
# (cfn-lint's schema, CanaryConfiguration's and LinearConfiguration's descriptions).
MAX_DEPLOYMENT_MINUTES = 33 * 60
# The parameters that check reads.
TIMING_PARAMETERS = (
    "DeploymentStrategy",
    "TrafficShiftPercent",
    "TrafficShiftBakeMinutes",
    "BakeTimeMinutes",
)

# An SNS topic ARN as CloudFormation's (Java) AllowedPattern takes it: no named group.
_TOPIC = Pattern(
    "^" + TOPIC_ARN.pattern.replace("?P<region>", "") + "$",
    "an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)",
)

# The conditions the template takes (parameters.Params names them).
USES_TRAFFIC_SHIFT = "UsesTrafficShift"
IS_CANARY = "IsCanary"
IS_LINEAR = "IsLinear"
HAS_ALARMS = "HasAlarms"
HAS_ALARM_TOPICS = "HasAlarmTopics"

# The stage-file keys whose default is the stage's (stages.Stage), not the table's.
_STAGE_DEFAULTS: Mapping[str, Callable[[Stage], str]] = {
    "DeploymentStrategy": lambda stage: stage.deployment_strategy,
    "Alarms": lambda stage: str(stage.alarms).lower(),
}


def for_stage(spec: ParameterSpec, stage: Stage) -> ParameterSpec:
    """`spec` with `stage`'s default where the stage decides it (the strategy, the alarms)."""
    default = _STAGE_DEFAULTS.get(spec.name)
    return spec if default is None else replace(spec, default=default(stage))


def linear_steps(step_percent: Decimal) -> int:
    """The steps a linear deployment bakes after, as CloudFormation counts them for its
    33-hour check: 100/step - 1 when the step divides 100, else the whole part of it."""
    steps, rest = divmod(Decimal(100), step_percent)
    return int(steps) - 1 if rest == 0 else int(steps)


def deployment_minutes(values: Mapping[str, str]) -> int:
    """The bake minutes CloudFormation adds up for its 33-hour check, by parameter name."""
    strategy = values["DeploymentStrategy"]
    if strategy == "ROLLING":
        return 0
    bake, shift = int(values["BakeTimeMinutes"]), int(values["TrafficShiftBakeMinutes"])
    if strategy == "CANARY":
        return bake + shift
    if strategy == "LINEAR":
        return bake + shift * linear_steps(Decimal(values["TrafficShiftPercent"]))
    return bake


def duration_problem(values: Mapping[str, str]) -> str | None:
    """Why CloudFormation would refuse these bake times, or None."""
    minutes = deployment_minutes(values)
    if minutes <= MAX_DEPLOYMENT_MINUTES:
        return None
    return (
        f"a {values['DeploymentStrategy']} deployment of these bake times takes {minutes} minutes; "
        f"CloudFormation refuses more than {MAX_DEPLOYMENT_MINUTES} (33 hours): shorten "
        "bake_time_minutes or traffic_shift_bake_minutes"
        + (", or raise traffic_shift_percent" if values["DeploymentStrategy"] == "LINEAR" else "")
    )


def conditions(refs: Mapping[str, Ref]) -> dict[str, Any]:
    """The conditions of this module's inputs, by name (`refs`: the parameters' Refs)."""
    return {
        USES_TRAFFIC_SHIFT: Not(Equals(refs["DeploymentStrategy"], "ROLLING")),
        IS_CANARY: Equals(refs["DeploymentStrategy"], "CANARY"),
        IS_LINEAR: Equals(refs["DeploymentStrategy"], "LINEAR"),
        HAS_ALARMS: Equals(refs["Alarms"], "true"),
        # An empty list is [""]: its first item is empty only then (each item must be a
        # topic ARN or nothing).
        HAS_ALARM_TOPICS: Not(Equals(Select(0, refs["AlarmTopicArns"]), "")),
    }


SPECS: tuple[ParameterSpec, ...] = (
    ParameterSpec(
        "DeregistrationDelaySeconds",
        "deregistration_delay_seconds",
        CONTAINER,
        "Drain time (seconds)",
        "Seconds the load balancer lets a task that is being replaced finish its in-flight "
        "requests; it stops waiting as soon as none are left. Raise it when responses "
        "stream for longer.",
        default=DEREGISTRATION_DELAY_DEFAULT,
        pattern=DEREGISTRATION_DELAY,
        numeric=True,
    ),
    ParameterSpec(
        "DeploymentStrategy",
        "deployment_strategy",
        CONTAINER,
        "Deployment strategy",
        "How ECS replaces the tasks. ROLLING: new tasks join as old ones drain. CANARY: "
        "TrafficShiftPercent of the traffic, then the rest; LINEAR: steps of "
        "TrafficShiftPercent; BLUE_GREEN: all at once; these three start the new tasks "
        "beside the old ones and roll back when a rollback alarm goes off.",
        default="ROLLING",
        allowed=DEPLOYMENT_STRATEGIES,
    ),
    ParameterSpec(
        "TrafficShiftPercent",
        "traffic_shift_percent",
        CONTAINER,
        "Traffic shift (%)",
        "CANARY: the percentage of production traffic the canary takes; LINEAR: the "
        "percentage each step adds (at least 3). Ignored otherwise.",
        default=TRAFFIC_SHIFT_PERCENT_DEFAULT,
        pattern=TRAFFIC_SHIFT_PERCENT,
        numeric=True,
    ),
    ParameterSpec(
        "TrafficShiftBakeMinutes",
        "traffic_shift_bake_minutes",
        CONTAINER,
        "Traffic shift bake (minutes)",
        "CANARY: minutes the canary serves its share before the rest moves; LINEAR: "
        "minutes after each step. Ignored otherwise.",
        default=TRAFFIC_SHIFT_BAKE_DEFAULT,
        pattern=BAKE_MINUTES,
        numeric=True,
    ),
    ParameterSpec(
        "BakeTimeMinutes",
        "bake_time_minutes",
        CONTAINER,
        "Bake time (minutes)",
        "Not ROLLING: minutes the old tasks stand by after the new ones took all "
        "production traffic, so that a rollback needs no new task. Ignored with ROLLING.",
        default=BAKE_TIME_DEFAULT,
        pattern=BAKE_MINUTES,
        numeric=True,
    ),
    ParameterSpec(
        "Alarms",
        "alarms",
        OBSERVABILITY,
        "Paging alarms",
        "true: CloudWatch alarms on the load balancer's 5xx, unhealthy tasks, the "
        "service's CPU and memory and the database's capacity and CPU (docs/stack.md), "
        "each billed per alarm metric by CloudWatch.",
        default="false",
        allowed=("true", "false"),
    ),
    ParameterSpec(
        "AlarmTopicArns",
        TOPICS_KEY,
        OBSERVABILITY,
        "Alarm topics",
        "SNS topic ARNs the paging alarms notify, comma-separated; the deploy fills it "
        "from the stage file's notification_topic_arns. Empty: the alarms notify no one.",
        type="CommaDelimitedList",
        default="",
        is_list=True,
        max_items=MAX_TOPICS,
        pattern=_TOPIC.or_empty(),
    ),
)
