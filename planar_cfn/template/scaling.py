"""Service autoscaling: an Application Auto Scaling target on the ECS service's
desired count, and target-tracking policies on average CPU and on load balancer
requests per task, all present only when the Autoscaling parameter is true."""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import GetAtt, Join, Ref, Template
from troposphere import applicationautoscaling as aas

from ..inputs.parameters import Params
from .load_balancer import LoadBalancer
from .naming import Naming
from .service import Service

# Application Auto Scaling names an ECS service service/CLUSTER/SERVICE and scales
# its desired count (Application Auto Scaling User Guide, "Amazon ECS and Application
# Auto Scaling"). With no RoleARN it uses its service-linked role
# AWSServiceRoleForApplicationAutoScaling_ECSService.
NAMESPACE = "ecs"
DIMENSION = "ecs:service:DesiredCount"
CPU_METRIC = "ECSServiceAverageCPUUtilization"
REQUESTS_METRIC = "ALBRequestCountPerTarget"
# Scale out after a minute, so a burst is met while it lasts; scale in after five, so
# a lull between bursts does not stop tasks that the next burst needs again.
SCALE_OUT_COOLDOWN_SECONDS = 60
SCALE_IN_COOLDOWN_SECONDS = 300


@dataclass(frozen=True)
class Scaling:
    """Handles to the scalable target and its two target-tracking policies."""

    target: aas.ScalableTarget
    cpu_policy: aas.ScalingPolicy
    requests_policy: aas.ScalingPolicy


def _tracking(
    metric: aas.PredefinedMetricSpecification, target: Ref
) -> aas.TargetTrackingScalingPolicyConfiguration:
    return aas.TargetTrackingScalingPolicyConfiguration(
        PredefinedMetricSpecification=metric,
        TargetValue=target,
        ScaleOutCooldown=SCALE_OUT_COOLDOWN_SECONDS,
        ScaleInCooldown=SCALE_IN_COOLDOWN_SECONDS,
    )


def add_scaling(
    template: Template,
    naming: Naming,
    params: Params,
    service: Service,
    load_balancer: LoadBalancer,
) -> Scaling:
    """Add the scalable target and the CPU and requests-per-task policies, under the
    Autoscaling condition."""
    target = template.add_resource(
        aas.ScalableTarget(
            "ServiceScalableTarget",
            Condition=params.autoscaling,
            ServiceNamespace=NAMESPACE,
            ScalableDimension=DIMENSION,
            ResourceId=Join("/", ["service", service.cluster, service.service_name]),
            MinCapacity=params["AutoscalingMinCount"],
            MaxCapacity=params["AutoscalingMaxCount"],
            Tags=naming.tags(service.task_family),
        )
    )
    cpu = template.add_resource(
        aas.ScalingPolicy(
            "ServiceCpuScalingPolicy",
            Condition=params.autoscaling,
            PolicyName="cpu-target-tracking",
            PolicyType="TargetTrackingScaling",
            ScalingTargetId=Ref(target),
            TargetTrackingScalingPolicyConfiguration=_tracking(
                aas.PredefinedMetricSpecification(PredefinedMetricType=CPU_METRIC),
                params["AutoscalingCpuTarget"],
            ),
        )
    )
    # The metric's label is app/LB-NAME/LB-ID/targetgroup/TG-NAME/TG-ID: the load
    # balancer's full name, then the target group's.
    label = Join(
        "/",
        [
            GetAtt(load_balancer.load_balancer, "LoadBalancerFullName"),
            GetAtt(load_balancer.target_group, "TargetGroupFullName"),
        ],
    )
    requests = template.add_resource(
        aas.ScalingPolicy(
            "ServiceRequestsScalingPolicy",
            Condition=params.autoscaling,
            PolicyName="requests-target-tracking",
            PolicyType="TargetTrackingScaling",
            ScalingTargetId=Ref(target),
            TargetTrackingScalingPolicyConfiguration=_tracking(
                aas.PredefinedMetricSpecification(
                    PredefinedMetricType=REQUESTS_METRIC, ResourceLabel=label
                ),
                params["AutoscalingRequestsPerTarget"],
            ),
        )
    )
    return Scaling(target=target, cpu_policy=cpu, requests_policy=requests)
