"""The cross-field rules: what no input's own constraint can say (the memory that suits
the CPU, a minimum not above its maximum, registry credentials that go together).

Each rule is declared once, as the CloudFormation conditions of its template Rule;
the stage file's check evaluates those same conditions in Python (`Rule.problem`),
so the launch form and the stage file refuse the same values."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import constraints as c
from . import parameter_rollout, parameter_table, parameter_telemetry
from .stages import Stage

# A condition function in the template's JSON form, such as {"Fn::Equals": [...]}.
Condition = dict[str, Any]
# Parameter values by parameter name, as CloudFormation receives them.
Values = Mapping[str, str]


def _ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def _equals(name: str, value: str) -> Condition:
    return {"Fn::Equals": [_ref(name), value]}


def _blank(name: str) -> Condition:
    return _equals(name, "")


def _not(condition: Condition) -> Condition:
    return {"Fn::Not": [condition]}


def _and(*conditions: Condition) -> Condition:
    return {"Fn::And": list(conditions)}


def _or(*conditions: Condition) -> Condition:
    return {"Fn::Or": list(conditions)}


def _contains(values: list[str], name: str) -> Condition:
    return {"Fn::Contains": [values, _ref(name)]}


def holds(condition: Condition, values: Values) -> bool:
    """Whether `condition` holds for these parameter values, as CloudFormation
    evaluates it (only the functions the rules use)."""
    [(function, args)] = condition.items()
    if function == "Fn::Equals":
        return bool(values[args[0]["Ref"]] == args[1])
    if function == "Fn::Contains":
        return bool(values[args[1]["Ref"]] in args[0])
    if function == "Fn::Not":
        return not holds(args[0], values)
    if function == "Fn::And":
        return all(holds(arg, values) for arg in args)
    if function == "Fn::Or":
        return any(holds(arg, values) for arg in args)
    raise ValueError(f"{function} is not evaluated in Python")


@dataclass(frozen=True)
class Assertion:
    """One of a rule's assertions: its test, what the launch form says when it fails
    (AssertDescription) and what the stage file says, after the keys and values it
    names. The stage file's words are a format string over the values by parameter
    name, or a function of them when they depend on which value is missing."""

    test: Condition
    description: str
    problem: str | Callable[[Values], str]


@dataclass(frozen=True)
class Rule:
    """One template Rule, and the check a stage file makes with it."""

    name: str
    # The parameters the rule relates: a stage file checks it once each is valid.
    parameters: tuple[str, ...]
    assertions: tuple[Assertion, ...]
    # The rule applies only where this holds (RuleCondition).
    condition: Condition | None = None
    # The parameters a stage file names in its message, when not all of them.
    named: tuple[str, ...] = ()

    def template_rule(self) -> dict[str, Any]:
        """The Rule as the template holds it."""
        rule: dict[str, Any] = {} if self.condition is None else {"RuleCondition": self.condition}
        rule["Assertions"] = [
            {"Assert": a.test, "AssertDescription": a.description} for a in self.assertions
        ]
        return rule

    def problem(self, values: Values) -> str | None:
        """The stage file's words for the first assertion these values fail, or None
        when the rule does not apply or every assertion holds."""
        if self.condition is not None and not holds(self.condition, values):
            return None
        for assertion in self.assertions:
            if not holds(assertion.test, values):
                if isinstance(assertion.problem, str):
                    return assertion.problem.format_map(values)
                return assertion.problem(values)
        return None


def _fargate_memory(cpu: int, memories: tuple[int, ...]) -> Rule:
    allowed = [str(m) for m in memories]
    return Rule(
        f"FargateMemoryForCpu{cpu}",
        ("ContainerCpu", "ContainerMemory"),
        condition=_equals("ContainerCpu", str(cpu)),
        assertions=(
            Assertion(
                _contains(allowed, "ContainerMemory"),
                f"With {cpu} CPU units, ContainerMemory must be one of {', '.join(allowed)}.",
                f"with CPU {cpu}, memory must be one of {', '.join(allowed)}",
            ),
        ),
    )


def _not_above(
    prefix: str,
    low: str,
    high: str,
    low_values: tuple[str, ...],
    high_values: tuple[str, ...],
    problem: str,
) -> tuple[Rule, ...]:
    """ "low not above high", as one rule per maximum: Rules cannot compare numbers,
    only test membership. No rule for a maximum that no minimum is above."""
    rules = []
    for maximum in high_values:
        lows = [v for v in low_values if Decimal(v) <= Decimal(maximum)]
        highs = [v for v in low_values if v not in lows]
        if not highs:
            continue
        # Whichever list is shorter: the rules are a large part of the template.
        test = _not(_contains(highs, low)) if len(highs) < len(lows) else _contains(lows, low)
        rules.append(
            Rule(
                prefix + maximum.replace(".", "p"),
                (low, high),
                condition=_equals(high, maximum),
                assertions=(Assertion(test, f"{low} must not be above {maximum}.", problem),),
            )
        )
    return tuple(rules)


def _unpaired_registry_credentials(values: Values) -> str:
    if values["RegistryUsername"]:
        return (
            "a registry username needs a password: "
            f"set the {parameter_table.PASSWORD_ENV} environment variable"
        )
    return (
        f"a registry password needs a username: {parameter_table.PASSWORD_ENV} is set; "
        "unset it or set registry_username"
    )


REGISTRY_CREDENTIALS = Rule(
    "RegistryCredentials",
    ("RegistryCredentialsSecretArn", "RegistryUsername", "RegistryPassword"),
    # The password is never in the stage file: its message names the other two.
    named=("RegistryCredentialsSecretArn", "RegistryUsername"),
    assertions=(
        Assertion(
            _or(_blank("RegistryCredentialsSecretArn"), _blank("RegistryUsername")),
            "Give RegistryCredentialsSecretArn or RegistryUsername, not both.",
            "give either an existing secret ARN or a username and password, not both",
        ),
        Assertion(
            _or(
                _and(_blank("RegistryUsername"), _blank("RegistryPassword")),
                _and(_not(_blank("RegistryUsername")), _not(_blank("RegistryPassword"))),
            ),
            "RegistryUsername and RegistryPassword go together.",
            _unpaired_registry_credentials,
        ),
    ),
)
# Internet-facing in the private subnets is unreachable, or refused where the VPC has
# no internet gateway.
INTERNET_FACING_LOAD_BALANCER_SUBNETS = Rule(
    "InternetFacingLoadBalancerSubnets",
    ("AlbInternal", "AlbSubnets"),
    condition=_equals("AlbInternal", "false"),
    assertions=(
        Assertion(
            _not(_blank("AlbSubnets")),
            "An internet-facing load balancer (AlbInternal false) needs AlbSubnets: two or "
            "more public subnets in two or more Availability Zones.",
            "an internet-facing load balancer needs public subnets: set alb_subnets to two or "
            "more public subnets (in two or more Availability Zones, routing 0.0.0.0/0 to an "
            "internet gateway), or set alb_internal to true",
        ),
    ),
)

# RDS refuses a minimum of 0 ACUs on an engine without auto-pause, once the stack is
# already creating: refused here first.
AUTO_PAUSE_ENGINE_VERSION = Rule(
    "AutoPauseEngineVersion",
    ("AuroraMinCapacity", "AuroraEngineVersion"),
    condition=_equals("AuroraMinCapacity", "0"),
    assertions=(
        Assertion(
            _not(_contains(list(c.NO_AUTO_PAUSE_VERSIONS), "AuroraEngineVersion")),
            "AuroraMinCapacity 0 (auto-pause) needs AuroraEngineVersion "
            f"{c.AUTO_PAUSE_FIRST_VERSION} or later.",
            f"a minimum capacity of 0 (auto-pause) needs Aurora PostgreSQL "
            f"{c.AUTO_PAUSE_FIRST_VERSION} or later, not {{AuroraEngineVersion}}: set "
            f"aurora_engine_version to {c.AUTO_PAUSE_FIRST_VERSION} or later (default "
            f"{c.AURORA_ENGINE_VERSION_DEFAULT}), or aurora_min_capacity to 0.5 or more",
        ),
    ),
)

# The collector sends to the endpoint with the token: without either it has nothing to do.
TELEMETRY_ENDPOINT = Rule(
    "TelemetryEndpoint",
    ("Telemetry", "TelemetryEndpoint"),
    condition=_equals("Telemetry", "true"),
    assertions=(
        Assertion(
            _not(_blank("TelemetryEndpoint")),
            "Telemetry true needs TelemetryEndpoint: the https:// URL the collector sends to.",
            "the OpenTelemetry collector needs an endpoint: set telemetry_endpoint to the "
            "https:// URL it sends to, or set telemetry to false",
        ),
    ),
)
TELEMETRY_TOKEN = Rule(
    "TelemetryToken",
    ("Telemetry", "TelemetryTokenSecretArn"),
    condition=_equals("Telemetry", "true"),
    assertions=(
        Assertion(
            _not(_blank("TelemetryTokenSecretArn")),
            "Telemetry true needs TelemetryTokenSecretArn: the secret holding the collector's "
            "bearer token.",
            "the OpenTelemetry collector needs its token: set telemetry_token_secret_arn to "
            "the complete ARN of a secret named "
            f"{parameter_telemetry.TELEMETRY_SECRET_PREFIX}... holding it, or set telemetry "
            "to false",
        ),
    ),
)
# Where the image comes from: the registry the parameters name, or the stack's own ECR
# repository (EcrRepository), never both, so that no value is silently ignored.
IMAGE_FROM_REGISTRY = Rule(
    "ImageFromRegistry",
    ("EcrRepository", "ContainerRegistryUrl", "ContainerImageName"),
    condition=_equals("EcrRepository", "false"),
    named=("ContainerRegistryUrl", "ContainerImageName"),
    assertions=(
        Assertion(
            _and(_not(_blank("ContainerRegistryUrl")), _not(_blank("ContainerImageName"))),
            "Without the stack's ECR repository (EcrRepository false), ContainerRegistryUrl "
            "and ContainerImageName name the image: give both.",
            "the image needs a registry and a name: set container_registry_url and "
            "container_image_name, or set ecr_repository to true to run the image from the "
            "stack's own ECR repository",
        ),
    ),
)
IMAGE_FROM_STACK_REPOSITORY = Rule(
    "ImageFromStackRepository",
    ("EcrRepository", "ContainerRegistryUrl", "ContainerImageName"),
    condition=_equals("EcrRepository", "true"),
    named=("ContainerRegistryUrl", "ContainerImageName"),
    assertions=(
        Assertion(
            _and(_blank("ContainerRegistryUrl"), _blank("ContainerImageName")),
            "With EcrRepository true the image is planar-app-{stage}-{app} in the stack's "
            "own ECR repository: leave ContainerRegistryUrl and ContainerImageName empty.",
            "with ecr_repository true the tasks run the image from the stack's own ECR "
            "repository (planar-app-{{stage}}-{{app}}), so container_registry_url and "
            "container_image_name must be empty (left out)",
        ),
    ),
)
NO_CREDENTIALS_FOR_STACK_REPOSITORY = Rule(
    "NoCredentialsForStackRepository",
    ("EcrRepository", "RegistryCredentialsSecretArn", "RegistryUsername"),
    condition=_equals("EcrRepository", "true"),
    named=("RegistryCredentialsSecretArn", "RegistryUsername"),
    assertions=(
        Assertion(
            _and(_blank("RegistryCredentialsSecretArn"), _blank("RegistryUsername")),
            "With EcrRepository true the execution role pulls from ECR: leave "
            "RegistryCredentialsSecretArn and RegistryUsername empty.",
            "with ecr_repository true the execution role pulls from ECR with its own "
            "permissions; registry_credentials_secret_arn and registry_username must be "
            "empty (left out)",
        ),
    ),
)

# Every stage's rules, in template order.
LINEAR_STEP_PERCENT = Rule(
    "LinearStepPercent",
    ("DeploymentStrategy", "TrafficShiftPercent"),
    condition=_equals("DeploymentStrategy", "LINEAR"),
    assertions=(
        Assertion(
            _not(_contains(list(parameter_rollout.LINEAR_TOO_SMALL), "TrafficShiftPercent")),
            "With LINEAR, TrafficShiftPercent must be 3 or more (ECS's smallest linear step).",
            "a LINEAR step of {TrafficShiftPercent} percent is below ECS's smallest, "
            f"{parameter_rollout.LINEAR_MIN_STEP_PERCENT}",
        ),
    ),
)

RULES: tuple[Rule, ...] = (
    *(_fargate_memory(cpu, memories) for cpu, memories in c.FARGATE_MEMORY_BY_CPU.items()),
    *_not_above(
        "AuroraCapacityMax",
        "AuroraMinCapacity",
        "AuroraMaxCapacity",
        c.AURORA_MIN_CAPACITY_VALUES,
        c.AURORA_MAX_CAPACITY_VALUES,
        "the minimum capacity {AuroraMinCapacity} is above the maximum {AuroraMaxCapacity}",
    ),
    *_not_above(
        "AutoscalingCountMax",
        "AutoscalingMinCount",
        "AutoscalingMaxCount",
        c.TASK_COUNT_STEPS,
        c.TASK_COUNT_STEPS,
        "the minimum task count {AutoscalingMinCount} is above the maximum {AutoscalingMaxCount}",
    ),
    AUTO_PAUSE_ENGINE_VERSION,
    REGISTRY_CREDENTIALS,
    INTERNET_FACING_LOAD_BALANCER_SUBNETS,
    TELEMETRY_ENDPOINT,
    TELEMETRY_TOKEN,
    IMAGE_FROM_REGISTRY,
    IMAGE_FROM_STACK_REPOSITORY,
    NO_CREDENTIALS_FOR_STACK_REPOSITORY,
    LINEAR_STEP_PERCENT,
)


def protected_stage_rules(stage: Stage) -> tuple[Rule, ...]:
    """The rules only a protected stage's template holds, after every stage's."""
    if not stage.protected:
        return ()
    no_spot = Rule(
        "NoFargateSpotInProtectedStage",
        ("FargateSpot",),
        assertions=(
            Assertion(
                _equals("FargateSpot", "false"),
                f"FargateSpot must be false in {stage.name}: "
                "a Spot task can be stopped with two minutes' notice.",
                f"not allowed in {stage.name}, whose tasks run on on-demand Fargate (AWS may "
                "stop a Spot task with two minutes' notice); set it to false or leave it out",
            ),
        ),
    )
    return (no_spot,)


def for_stage(stage: Stage) -> tuple[Rule, ...]:
    """Every rule of `stage`'s template, in template order."""
    return RULES + protected_stage_rules(stage)
