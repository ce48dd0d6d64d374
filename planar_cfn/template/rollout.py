"""How ECS rolls out a new revision: its deployment configuration, and, unless the
strategy is ROLLING, what ECS's canary, linear and blue/green deployments need beside
the service: the alternate target group, the production listener rule whose weights ECS
moves, the role ECS moves them with, and the two alarms that roll a deployment back
(docs/stack.md, Rollouts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from awacs.aws import Action, Allow, Statement
from troposphere import GetAtt, If, NoValue, Ref, Template, cloudwatch, ecs
from troposphere import elasticloadbalancingv2 as elb
from troposphere.iam import Policy as RolePolicy
from troposphere.iam import Role

from ..inputs.parameters import Params
from ..inputs.stages import Stage
from . import policies
from .load_balancer import LoadBalancer, add_target_group
from .naming import Naming

# The principal of ECS's infrastructure role (ECS Developer Guide,
# AmazonECSInfrastructureRolePolicyForLoadBalancers.html).
ECS_SERVICE = "ecs.amazonaws.com"
# What ECS does with the load balancer while it shifts traffic: the actions of AWS's
# managed AmazonECSInfrastructureRolePolicyForLoadBalancers. ELB's Describe actions take
# no resource-level permissions, so they stay on "*"; the others are scoped to this
# stack's two target groups, its production rule and its HTTPS listener, where the
# managed policy allows every target group, rule and listener in the account.
DESCRIBE_ACTIONS = (
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
)
TARGET_ACTIONS = ("elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets")
RULE_ACTIONS = ("elasticloadbalancing:ModifyRule",)
# The managed policy grants it for a network load balancer's listener, which ECS moves
# when there is no rule; with an ALB rule ECS should not need it (inferred, not verified),
# and it is kept, on this one listener only, so that a deployment never stops half-way.
LISTENER_ACTIONS = ("elasticloadbalancing:ModifyListener",)
# The production rule takes every request (path /*) before the listener's default action,
# which stays as it is for a stack that switches back to ROLLING.
PRODUCTION_RULE_PRIORITY = 1
PRODUCTION_RULE_PATHS = ["/*"]
# The rule as the stack creates it: all traffic to the primary target group. ECS moves
# these weights in every deployment (deploy/drift.py expects it).
PRIMARY_WEIGHT = 100
ALTERNATE_WEIGHT = 0
# Rollback alarm periods: one minute, ELB's finest (it publishes its metrics every 60 s),
# so that a canary's 5 minutes hold 5 of them.
ROLLBACK_PERIOD_SECONDS = 60
ROLLBACK_EVALUATION_PERIODS = 3
# The new revision's 5xx rate: 5 percent of the requests of a target group in 2 of 3
# minutes. Below 10 requests a minute a target group's rate is not counted: one error
# in two requests is not a failed release.
ERROR_RATE_THRESHOLD_PERCENT = 5
ERROR_RATE_DATAPOINTS = 2
ERROR_RATE_MIN_REQUESTS = 10
# p95 response time of a target group above 30 s for 3 minutes in a row. Planar's
# requests include LLM calls that take seconds to tens of seconds, so the usual 1 s
# would roll back every release; 30 s is past what a healthy revision's slow tail takes,
# and inside the 60 s the load balancer waits for a response by default.
RESPONSE_TIME_THRESHOLD_SECONDS = 30
RESPONSE_TIME_STATISTIC = "p95"
RESPONSE_TIME_DATAPOINTS = 3


@dataclass(frozen=True)
class Rollout:
    """Handles to what a canary, linear or blue/green deployment needs (each under
    condition UsesTrafficShift) and the service's deployment settings."""

    alternate_target_group: elb.TargetGroup
    production_rule: elb.ListenerRule
    role: Role
    error_rate_alarm: cloudwatch.Alarm
    response_time_alarm: cloudwatch.Alarm
    params: Params

    def deployment_configuration(
        self, minimum_healthy: int, maximum: int
    ) -> ecs.DeploymentConfiguration:
        """The service's DeploymentConfiguration: the strategy, its steps and bake
        times where it takes them, the rollback alarms, and the circuit breaker."""
        p = self.params
        return ecs.DeploymentConfiguration(
            Strategy=p["DeploymentStrategy"],
            MinimumHealthyPercent=minimum_healthy,
            MaximumPercent=maximum,
            DeploymentCircuitBreaker=ecs.DeploymentCircuitBreaker(Enable=True, Rollback=True),
            BakeTimeInMinutes=If(p.uses_traffic_shift, p["BakeTimeMinutes"], NoValue),
            CanaryConfiguration=If(
                p.is_canary,
                ecs.CanaryConfiguration(
                    CanaryPercent=p["TrafficShiftPercent"],
                    CanaryBakeTimeInMinutes=p["TrafficShiftBakeMinutes"],
                ),
                NoValue,
            ),
            LinearConfiguration=If(
                p.is_linear,
                ecs.LinearConfiguration(
                    StepPercent=p["TrafficShiftPercent"],
                    StepBakeTimeInMinutes=p["TrafficShiftBakeMinutes"],
                ),
                NoValue,
            ),
            Alarms=If(
                p.uses_traffic_shift,
                ecs.DeploymentAlarms(
                    AlarmNames=[Ref(self.error_rate_alarm), Ref(self.response_time_alarm)],
                    Enable=True,
                    Rollback=True,
                ),
                NoValue,
            ),
        )

    def advanced_configuration(self) -> If:
        """The service's LoadBalancers[0].AdvancedConfiguration. Its Refs also make the
        service wait for the production rule: a target group needs a rule or listener
        on the load balancer before ECS may register tasks in it."""
        return If(
            self.params.uses_traffic_shift,
            ecs.AdvancedConfiguration(
                AlternateTargetGroupArn=Ref(self.alternate_target_group),
                ProductionListenerRule=Ref(self.production_rule),
                RoleArn=GetAtt(self.role, "Arn"),
            ),
            NoValue,
        )


def _actions(names: tuple[str, ...]) -> list[Action]:
    return [Action(*name.split(":")) for name in names]


def _production_rule(
    template: Template,
    naming: Naming,
    params: Params,
    load_balancer: LoadBalancer,
    alternate: elb.TargetGroup,
) -> elb.ListenerRule:
    return template.add_resource(
        elb.ListenerRule(
            "ProductionListenerRule",
            Condition=params.uses_traffic_shift,
            ListenerArn=Ref(load_balancer.https_listener),
            Priority=PRODUCTION_RULE_PRIORITY,
            Conditions=[
                elb.Condition(
                    Field="path-pattern",
                    PathPatternConfig=elb.PathPatternConfig(Values=PRODUCTION_RULE_PATHS),
                )
            ],
            Actions=[
                elb.ListenerRuleAction(
                    Type="forward",
                    ForwardConfig=elb.ForwardConfig(
                        TargetGroups=[
                            elb.TargetGroupTuple(
                                TargetGroupArn=Ref(load_balancer.target_group),
                                Weight=PRIMARY_WEIGHT,
                            ),
                            elb.TargetGroupTuple(
                                TargetGroupArn=Ref(alternate), Weight=ALTERNATE_WEIGHT
                            ),
                        ]
                    ),
                )
            ],
            # No app.version: ECS moves this rule's weights during a deployment, and an
            # --image-tag update that retagged it could have CloudFormation send the
            # template's weights back, the traffic to the idle target group.
            Tags=naming.tags(versioned=False),
        )
    )


def _role(
    template: Template,
    naming: Naming,
    params: Params,
    load_balancer: LoadBalancer,
    alternate: elb.TargetGroup,
    rule: elb.ListenerRule,
) -> Role:
    statements = [
        Statement(Effect=Allow, Action=_actions(DESCRIBE_ACTIONS), Resource=["*"]),
        Statement(
            Effect=Allow,
            Action=_actions(TARGET_ACTIONS),
            Resource=[Ref(load_balancer.target_group), Ref(alternate)],
        ),
        Statement(Effect=Allow, Action=_actions(RULE_ACTIONS), Resource=[Ref(rule)]),
        Statement(
            Effect=Allow,
            Action=_actions(LISTENER_ACTIONS),
            Resource=[Ref(load_balancer.https_listener)],
        ),
    ]
    return template.add_resource(
        Role(
            "DeploymentRole",
            Condition=params.uses_traffic_shift,
            RoleName=naming.name("ecs-deploy-role"),
            AssumeRolePolicyDocument=policies.assume_role_policy(ECS_SERVICE),
            Policies=[
                RolePolicy(
                    PolicyName="traffic-shift",
                    PolicyDocument=policies.policy_document(statements),
                )
            ],
            Tags=naming.tags(naming.name("ecs-deploy-role")),
        )
    )


def _target_group_metric(
    query_id: str, metric: str, stat: str, target_group: elb.TargetGroup, lb: elb.LoadBalancer
) -> cloudwatch.MetricDataQuery:
    return cloudwatch.MetricDataQuery(
        Id=query_id,
        ReturnData=False,
        MetricStat=cloudwatch.MetricStat(
            Metric=cloudwatch.Metric(
                Namespace="AWS/ApplicationELB",
                MetricName=metric,
                Dimensions=[
                    cloudwatch.MetricDimension(
                        Name="TargetGroup", Value=GetAtt(target_group, "TargetGroupFullName")
                    ),
                    cloudwatch.MetricDimension(
                        Name="LoadBalancer", Value=GetAtt(lb, "LoadBalancerFullName")
                    ),
                ],
            ),
            Period=ROLLBACK_PERIOD_SECONDS,
            Stat=stat,
        ),
    )


def _rollback_alarm(
    template: Template,
    logical_id: str,
    naming: Naming,
    params: Params,
    description: str,
    metrics: list[cloudwatch.MetricDataQuery],
    **props: Any,
) -> cloudwatch.Alarm:
    return template.add_resource(
        cloudwatch.Alarm(
            logical_id,
            Condition=params.uses_traffic_shift,
            AlarmDescription=description,
            Metrics=metrics,
            ComparisonOperator="GreaterThanThreshold",
            EvaluationPeriods=ROLLBACK_EVALUATION_PERIODS,
            # No requests, no ELB metrics: quiet is not a failure.
            TreatMissingData="notBreaching",
            Tags=naming.tags(),
            **props,
        )
    )


def add_rollout(
    template: Template, naming: Naming, stage: Stage, params: Params, load_balancer: LoadBalancer
) -> Rollout:
    """Add the alternate target group, the production rule, ECS's role and the rollback
    alarms, each under condition UsesTrafficShift."""
    lb = load_balancer.load_balancer
    alternate = add_target_group(
        template,
        "AlternateTargetGroup",
        "pta",
        naming,
        stage,
        params,
        lb,
        params.uses_traffic_shift,
    )
    rule = _production_rule(template, naming, params, load_balancer, alternate)
    role = _role(template, naming, params, load_balancer, alternate, rule)
    groups = ((load_balancer.target_group, "1"), (alternate, "2"))
    # Each target group's own rate and time: the new revision is in one of them, and a
    # 10 percent canary's errors would vanish in the load balancer's total.
    rate = ", ".join(
        f"IF(r{n} >= {ERROR_RATE_MIN_REQUESTS}, 100 * FILL(e{n}, 0) / r{n}, 0)" for _, n in groups
    )
    errors = _rollback_alarm(
        template,
        "ServiceErrorRateAlarm",
        naming,
        params,
        f"Rolls a deployment back: a target group's 5xx responses above "
        f"{ERROR_RATE_THRESHOLD_PERCENT} percent of its requests.",
        [
            *(
                _target_group_metric(f"{kind}{n}", metric, "Sum", group, lb)
                for group, n in groups
                for kind, metric in (("e", "HTTPCode_Target_5XX_Count"), ("r", "RequestCount"))
            ),
            cloudwatch.MetricDataQuery(
                Id="rate", Expression=f"MAX([{rate}])", Label="5xx percent", ReturnData=True
            ),
        ],
        AlarmName=naming.name("planar-rollback-5xx-rate"),
        Threshold=ERROR_RATE_THRESHOLD_PERCENT,
        DatapointsToAlarm=ERROR_RATE_DATAPOINTS,
    )
    latency = _rollback_alarm(
        template,
        "ServiceResponseTimeAlarm",
        naming,
        params,
        f"Rolls a deployment back: a target group's {RESPONSE_TIME_STATISTIC} response time "
        f"above {RESPONSE_TIME_THRESHOLD_SECONDS} s.",
        [
            *(
                _target_group_metric(f"t{n}", "TargetResponseTime", RESPONSE_TIME_STATISTIC, g, lb)
                for g, n in groups
            ),
            cloudwatch.MetricDataQuery(
                Id="slowest", Expression="MAX([t1, t2])", Label="seconds", ReturnData=True
            ),
        ],
        AlarmName=naming.name("planar-rollback-response-time"),
        Threshold=RESPONSE_TIME_THRESHOLD_SECONDS,
        DatapointsToAlarm=RESPONSE_TIME_DATAPOINTS,
    )
    return Rollout(alternate, rule, role, errors, latency, params)
