"""How long an image rollout takes, modelled from a stage's template and its values.

`rollout(template, values)` reads the ECS service's deployment strategy and the
target group it serves through, under the parameter values (the template's defaults
where a value is not given), and returns the rollout as named phases:

- task start: `TASK_START_SECONDS`, a stated constant (inferred, not measured);
- health checks: the target group's HealthyThresholdCount x HealthCheckIntervalSeconds,
  the time a new task needs to be marked healthy;
- drain: the target group's `deregistration_delay.timeout_seconds` (ELB's default, 300 s,
  when the template sets none), taken in full: ELB may finish sooner when the old task
  has no request in flight and no connection open;
- canary: CANARY's one bake at its canary percentage;
- linear: LINEAR's step bakes, one per step before 100% (the last step has none);
- bake: BakeTimeInMinutes after all production traffic reached the new revision, for
  every strategy but ROLLING.

New tasks start together (the service's MaximumPercent of 200 lets every replacement
run beside its old task), so the count of tasks does not change the time. Sources and
what is inferred: docs/rollout-time.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from .resolved_template import NO_VALUE, ResolvedTemplate

__all__ = [
    "ELB_DEFAULT_DRAIN_SECONDS",
    "PHASES",
    "TASK_START_SECONDS",
    "Phase",
    "Rollout",
    "compare",
    "linear_steps",
    "rollout",
    "summary_line",
]

# A Fargate task pulling a ~1 GB image: Fargate caches no image, so every task pulls
# all of it (ECS Developer Guide, "Fargate pull behavior"); 60 s is our inference for an
# image of that size from ECR in the task's region, not a measurement.
TASK_START_SECONDS = 60
# ELB's deregistration delay when the target group sets none (ALB User Guide).
ELB_DEFAULT_DRAIN_SECONDS = 300
# ELB's health-check defaults (CreateTargetGroup), for a target group that sets none.
_ELB_DEFAULT_INTERVAL = 30
_ELB_DEFAULT_HEALTHY_THRESHOLD = 5
# ECS's defaults for what a traffic-shifting strategy leaves out (AWS::ECS::Service schema).
_ECS_DEFAULT_BAKE_MINUTES = 15
_ECS_DEFAULT_CANARY = (Fraction(5), 10)  # CanaryPercent, CanaryBakeTimeInMinutes
_ECS_DEFAULT_LINEAR = (Fraction(10), 6)  # StepPercent, StepBakeTimeInMinutes
_DRAIN_KEY = "deregistration_delay.timeout_seconds"
STRATEGIES = ("ROLLING", "CANARY", "LINEAR", "BLUE_GREEN")
PHASES = ("task start", "health checks", "drain", "canary", "linear", "bake")


@dataclass(frozen=True)
class Phase:
    """One phase of the rollout and its modelled seconds (0 when it does not apply)."""

    name: str
    seconds: int


@dataclass(frozen=True)
class Rollout:
    """An image rollout's phases, in the order they run, under one strategy."""

    strategy: str
    phases: tuple[Phase, ...]
    shift_percent: Fraction | None = None  # the canary's or each linear step's share

    @property
    def total(self) -> int:
        """The whole rollout, in seconds."""
        return sum(phase.seconds for phase in self.phases)

    def seconds(self, name: str) -> int:
        """Phase `name`'s seconds; KeyError naming the phases for any other name."""
        for phase in self.phases:
            if phase.name == name:
                return phase.seconds
        raise KeyError(f"{name}: not a phase; the phases: {', '.join(PHASES)}")

    @property
    def shift_price(self) -> int:
        """What the strategy adds to a rolling update, in seconds: its traffic-shift
        bakes and the bake after them."""
        return self.seconds("canary") + self.seconds("linear") + self.seconds("bake")


def linear_steps(step_percent: Fraction) -> int:
    """The step bakes of a LINEAR rollout: one per step before 100%, so
    (100 / StepPercent) - 1 when it divides evenly, else floor(100 / StepPercent)."""
    return math.ceil(Fraction(100) / step_percent) - 1


def rollout(
    template: Mapping[str, Any],
    values: Mapping[str, str] | None = None,
    *,
    drain_seconds: int | None = None,
) -> Rollout:
    """The image rollout `template` makes under `values` (its defaults where a value is
    not given); `drain_seconds` in place of the target group's delay, to compare.
    ValueError naming the input, its value and what is allowed for a value that is
    not a template parameter or not a number, or a template with no ECS service."""
    values = dict(values or {})
    parameters = template.get("Parameters", {})
    for name, value in values.items():
        if name not in parameters:
            raise ValueError(
                f"{name}: not a parameter of this template; allowed: {', '.join(parameters)}"
            )
        _check_value(name, value, parameters[name])
    # CloudFormation passes every parameter as text, a Number's default included.
    defaults = {
        name: str(parameter["Default"])
        for name, parameter in parameters.items()
        if "Default" in parameter and not isinstance(parameter["Default"], (list, dict))
    }
    resolved = ResolvedTemplate(dict(template), {**defaults, **values})
    service, group = _service_and_target_group(resolved)
    config = _deep(resolved, service.get("DeploymentConfiguration", {}))
    strategy = str(config.get("Strategy", "ROLLING"))
    if strategy not in STRATEGIES:
        raise ValueError(
            f"DeploymentConfiguration.Strategy = {strategy!r}: must be one of "
            f"{', '.join(STRATEGIES)}"
        )
    interval = _number(resolved, group, "HealthCheckIntervalSeconds", _ELB_DEFAULT_INTERVAL)
    threshold = _number(resolved, group, "HealthyThresholdCount", _ELB_DEFAULT_HEALTHY_THRESHOLD)
    drain = _drain(resolved, group) if drain_seconds is None else drain_seconds
    canary = linear = bake = 0
    percent: Fraction | None = None
    if strategy == "CANARY":
        shape = config.get("CanaryConfiguration", {})
        percent = _fraction(shape, "CanaryPercent", _ECS_DEFAULT_CANARY[0])
        canary = 60 * int(_fraction(shape, "CanaryBakeTimeInMinutes", _ECS_DEFAULT_CANARY[1]))
    elif strategy == "LINEAR":
        shape = config.get("LinearConfiguration", {})
        percent = _fraction(shape, "StepPercent", _ECS_DEFAULT_LINEAR[0])
        if not 0 < percent <= 100:
            raise ValueError(f"StepPercent = {percent}: must be more than 0 and at most 100")
        step_bake = int(_fraction(shape, "StepBakeTimeInMinutes", _ECS_DEFAULT_LINEAR[1]))
        linear = 60 * step_bake * linear_steps(percent)
    if strategy != "ROLLING":
        bake = 60 * int(_fraction(config, "BakeTimeInMinutes", _ECS_DEFAULT_BAKE_MINUTES))
    phases = (
        Phase("task start", TASK_START_SECONDS),
        Phase("health checks", interval * threshold),
        # Blue/green and its kin stop the old revision after the bake, so its drain
        # comes last; a rolling update drains as soon as the new task is healthy.
        Phase("drain", drain),
        Phase("canary", canary),
        Phase("linear", linear),
        Phase("bake", bake),
    )
    if strategy != "ROLLING":
        phases = (*phases[:2], *phases[3:], phases[2])
    return Rollout(strategy, phases, percent)


def compare(
    template: Mapping[str, Any], values: Mapping[str, str] | None = None
) -> tuple[Rollout, Rollout]:
    """The modelled rollout, and the same rollout with ELB's default drain (300 s)."""
    return (
        rollout(template, values),
        rollout(template, values, drain_seconds=ELB_DEFAULT_DRAIN_SECONDS),
    )


def minutes(seconds: int) -> str:
    """Seconds as the summary writes them: minutes to a tenth."""
    return f"{seconds / 60:.1f} min"


def summary_line(template: Mapping[str, Any], values: Mapping[str, str] | None = None) -> str:
    """The build summary's line: the modelled rollout beside ELB's default drain, and
    for a traffic-shifting strategy what its bakes add to the time (its price)."""
    modelled, default = compare(template, values)
    line = (
        f"image rollout \N{ALMOST EQUAL TO} {minutes(modelled.total)} "
        f"(ELB default drain: {minutes(default.total)})"
    )
    if modelled.strategy == "ROLLING":
        return line
    return f"{line}; {_price(modelled)}"


def _price(modelled: Rollout) -> str:
    share = f"{float(modelled.shift_percent):g}%" if modelled.shift_percent is not None else ""
    bake = minutes(modelled.seconds("bake"))
    if modelled.strategy == "CANARY":
        steps = f"{minutes(modelled.seconds('canary'))} at {share}, then {bake} at 100%"
        kind = "the canary's"
    elif modelled.strategy == "LINEAR":
        steps = f"{minutes(modelled.seconds('linear'))} in steps of {share}, then {bake} at 100%"
        kind = "the linear shift's"
    else:
        steps = f"{bake} at 100% beside the old revision"
        kind = "blue/green's"
    return f"{minutes(modelled.shift_price)} of it {kind} price ({steps})"


def _check_value(name: str, value: str, parameter: Mapping[str, Any]) -> None:
    """`value` against the template's own constraints on parameter `name`, as
    CloudFormation would check it: ValueError naming both and what is allowed."""
    if not isinstance(value, str):
        raise TypeError(f"{name} = {value!r}: give the value as CloudFormation takes it, a str")
    allowed = parameter.get("ConstraintDescription")
    choices = parameter.get("AllowedValues")
    if choices is not None and value not in [str(c) for c in choices]:
        raise ValueError(f"{name} = {value!r}: must be one of {', '.join(map(str, choices))}")
    pattern = parameter.get("AllowedPattern")
    if pattern is not None and not re.fullmatch(pattern, value):
        raise ValueError(f"{name} = {value!r}: {allowed or f'must match {pattern}'}")
    if parameter.get("Type") == "Number":
        low, high = parameter.get("MinValue"), parameter.get("MaxValue")
        try:
            number = Fraction(value)
        except ValueError:
            raise ValueError(f"{name} = {value!r}: must be a number") from None
        if (low is not None and number < Fraction(str(low))) or (
            high is not None and number > Fraction(str(high))
        ):
            raise ValueError(f"{name} = {value!r}: must be from {low} to {high}")


def _service_and_target_group(
    resolved: ResolvedTemplate,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ECS service's properties and those of the target group it serves through."""
    services = list(resolved.of_type("AWS::ECS::Service"))
    if len(services) != 1:
        raise ValueError(
            f"the template has {len(services)} ECS services: the model needs exactly one"
        )
    _, service = services[0]
    groups = dict(resolved.of_type("AWS::ElasticLoadBalancingV2::TargetGroup"))
    for balancer in resolved.value(service.get("LoadBalancers", [])):
        arn = balancer.get("TargetGroupArn") if isinstance(balancer, dict) else None
        if isinstance(arn, dict) and arn.get("Ref") in groups:
            return service, groups[arn["Ref"]]
    raise ValueError("the ECS service serves through no target group of the template")


def _deep(resolved: ResolvedTemplate, node: Any) -> Any:
    """`node` under the values, nested properties included (properties left out by
    AWS::NoValue dropped)."""
    value = resolved.value(node)
    if isinstance(value, dict):
        return {
            key: _deep(resolved, item)
            for key, item in value.items()
            if resolved.value(item) is not NO_VALUE
        }
    if isinstance(value, list):
        return [_deep(resolved, item) for item in value]
    return value


def _whole(name: str, raw: Any) -> int:
    try:
        number = Fraction(str(raw))
    except ValueError:
        number = Fraction(-1)
    if number < 0 or number.denominator != 1:
        raise ValueError(f"{name} = {raw!r}: must be a whole number of 0 or more")
    return int(number)


def _fraction(properties: Mapping[str, Any], name: str, default: Fraction | int) -> Fraction:
    raw = properties.get(name, default)
    try:
        number = Fraction(str(raw))
    except ValueError:
        raise ValueError(f"{name} = {raw!r}: must be a number of 0 or more") from None
    if number < 0:
        raise ValueError(f"{name} = {raw!r}: must be a number of 0 or more")
    return number


def _number(resolved: ResolvedTemplate, group: dict[str, Any], name: str, default: int) -> int:
    raw = resolved.prop(group, name)
    return default if raw is NO_VALUE else _whole(_named(group.get(name), name), raw)


def _drain(resolved: ResolvedTemplate, group: dict[str, Any]) -> int:
    for attribute in resolved.value(group.get("TargetGroupAttributes", [])):
        if isinstance(attribute, dict) and resolved.value(attribute.get("Key")) == _DRAIN_KEY:
            raw = resolved.value(attribute.get("Value"))
            if raw is not NO_VALUE:
                return _whole(_named(attribute.get("Value"), _DRAIN_KEY), raw)
    return ELB_DEFAULT_DRAIN_SECONDS


def _named(node: Any, what: str) -> str:
    """A value's name in a message: the parameter it came from, else the property."""
    if isinstance(node, dict) and isinstance(node.get("Ref"), str):
        return str(node["Ref"])
    return what
