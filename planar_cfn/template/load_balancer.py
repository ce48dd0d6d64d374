"""Application Load Balancer: HTTPS to the tasks, HTTP redirected to HTTPS."""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import If, NoValue, Ref, Select, Split, Sub, Template
from troposphere import elasticloadbalancingv2 as elb

from ..inputs.parameters import Params
from ..inputs.stages import Stage
from .dns import Domain
from .naming import Naming
from .network import APP_PORT, HTTP_PORT, HTTPS_PORT, Network

# TLS 1.3 and 1.2 with forward-secret AEAD ciphers only.
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
# Health checks of the tasks, as the original module set them (docs/stack.md, Components).
HEALTH_CHECK_PATH = "/planar/v1/health"
# A check every 30 s, each given 5 s to answer before it counts as failed.
HEALTH_CHECK_INTERVAL_SECONDS = 30
HEALTH_CHECK_TIMEOUT_SECONDS = 5
# A new task gets traffic after 2 passing checks in a row (about a minute) ...
HEALTHY_THRESHOLD_COUNT = 2
# ... and loses it after 10 failing ones in a row (about five minutes): a slow
# moment does not take a task out of service.
UNHEALTHY_THRESHOLD_COUNT = 10
# Any answer below 500 counts as healthy: a task that answers at all, even 401 or
# 404, is up; only server errors, timeouts and refused connections fail the check.
HEALTH_CHECK_MATCHER = "200-499"
# The load balancer's id, the last part of its ARN
# (arn:...:loadbalancer/app/NAME/ID, split on "/").
LOAD_BALANCER_ARN_ID_PART = 3
# HTTP requests are redirected permanently (301, which browsers remember), keeping
# host, path and query (ALB's #{...} placeholders).
REDIRECT_STATUS = "HTTP_301"
# Response headers the HTTPS listener sets (ELB API Reference, ListenerAttribute):
# browsers that saw HTTPS once keep to it for a year, for the application's domain and
# any name under it (nothing else lives under {app}-{stage}.{base domain}); not
# preloaded, which would bind the base domain too.
HSTS_HEADER = "max-age=31536000; includeSubDomains"
HTTPS_LISTENER_ATTRIBUTES = (
    ("routing.http.response.strict_transport_security.header_value", HSTS_HEADER),
    # No "Server: awselb/2.0" on the load balancer's own answers.
    ("routing.http.response.server.enabled", "false"),
)


@dataclass(frozen=True)
class LoadBalancer:
    """Handles to the load balancer, its target group and its two listeners."""

    load_balancer: elb.LoadBalancer
    target_group: elb.TargetGroup
    https_listener: elb.Listener
    # Answers HTTP with a redirect to HTTPS.
    http_listener: elb.Listener


def add_load_balancer(
    template: Template,
    naming: Naming,
    stage: Stage,
    params: Params,
    network: Network,
    domain: Domain,
) -> LoadBalancer:
    """Add the Application Load Balancer, the tasks' target group, the HTTPS listener
    and the HTTP listener that redirects to it."""
    attributes = _load_balancer_attributes(stage, params)
    # The load balancer's name is left to CloudFormation (the Name tag carries
    # plb-...): a named one blocks the replacement that switching AlbInternal or
    # the VPC needs.
    alb = template.add_resource(
        elb.LoadBalancer(
            "LoadBalancer",
            Type="application",
            Scheme=If(params.alb_internal, "internal", "internet-facing"),
            Subnets=If(params.has_alb_subnets, Split(",", params["AlbSubnets"]), params["Subnets"]),
            SecurityGroups=[network.alb_security_group],
            LoadBalancerAttributes=attributes,
            Tags=naming.tags(naming.name("plb")),
            Metadata={
                "checkov": {
                    "skip": [
                        {
                            "id": "CKV_AWS_91",
                            "comment": "Access logs are switched on by the AccessLogsBucket "
                            "parameter; checkov cannot evaluate the Fn::If that does it.",
                        },
                    ]
                }
            },
        )
    )
    target_group = add_target_group(template, "TargetGroup", "ptg", naming, stage, params, alb)
    https, http = _add_listeners(template, naming, domain, alb, target_group)
    return LoadBalancer(
        load_balancer=alb, target_group=target_group, https_listener=https, http_listener=http
    )


def _load_balancer_attributes(stage: Stage, params: Params) -> list[object]:
    """Deletion protection as the stage decides, invalid headers dropped, and access
    logs when a bucket is given."""
    return [
        elb.LoadBalancerAttributes(
            Key="deletion_protection.enabled", Value=str(stage.deletion_protection).lower()
        ),
        elb.LoadBalancerAttributes(
            Key="routing.http.drop_invalid_header_fields.enabled", Value="true"
        ),
        elb.LoadBalancerAttributes(
            Key="access_logs.s3.enabled", Value=If(params.has_access_logs, "true", "false")
        ),
    ] + [
        # Without access logs these keys must be absent: an empty value is refused.
        If(
            params.has_access_logs,
            elb.LoadBalancerAttributes(Key=key, Value=value),
            NoValue,
        )
        for key, value in (
            ("access_logs.s3.bucket", params["AccessLogsBucket"]),
            (
                "access_logs.s3.prefix",
                # AccessLogsPrefix, or the stack's own prefix when it is empty.
                If(
                    params.has_access_logs_prefix,
                    params["AccessLogsPrefix"],
                    Sub(f"alb/planar-{stage.name}-${{AppName}}"),
                ),
            ),
        )
    ]


def add_target_group(
    template: Template,
    logical_id: str,
    prefix: str,
    naming: Naming,
    stage: Stage,
    params: Params,
    alb: elb.LoadBalancer,
    condition: str | None = None,
) -> elb.TargetGroup:
    """Add a target group of the tasks (`prefix`-{stage}-{load balancer id}) with their
    health check and drain time; the alternate one (rollout.py) is the same but for its
    name and condition."""
    return template.add_resource(
        elb.TargetGroup(
            logical_id,
            **({"Condition": condition} if condition else {}),
            # Named after the load balancer's id, so a new load balancer brings a new
            # target group: one target group cannot serve two load balancers while
            # CloudFormation swaps them.
            Name=Sub(
                f"{prefix}-{stage.name}-${{Id}}",
                Id=Select(LOAD_BALANCER_ARN_ID_PART, Split("/", Ref(alb))),
            ),
            TargetType="ip",
            Port=APP_PORT,
            Protocol="HTTP",
            VpcId=params["VpcId"],
            HealthCheckPath=HEALTH_CHECK_PATH,
            HealthCheckPort="traffic-port",
            HealthCheckProtocol="HTTP",
            HealthCheckIntervalSeconds=HEALTH_CHECK_INTERVAL_SECONDS,
            HealthCheckTimeoutSeconds=HEALTH_CHECK_TIMEOUT_SECONDS,
            HealthyThresholdCount=HEALTHY_THRESHOLD_COUNT,
            UnhealthyThresholdCount=UNHEALTHY_THRESHOLD_COUNT,
            Matcher=elb.Matcher(HttpCode=HEALTH_CHECK_MATCHER),
            # A replaced task's in-flight requests get DeregistrationDelaySeconds (30 s
            # unless set), not ELB's 300 s (docs/stack.md, Rollouts).
            TargetGroupAttributes=[
                elb.TargetGroupAttribute(
                    Key="deregistration_delay.timeout_seconds",
                    Value=params["DeregistrationDelaySeconds"],
                )
            ],
            Tags=naming.tags(naming.name(prefix)),
        )
    )


def _add_listeners(
    template: Template,
    naming: Naming,
    domain: Domain,
    alb: elb.LoadBalancer,
    target_group: elb.TargetGroup,
) -> tuple[elb.Listener, elb.Listener]:
    """Add the HTTPS listener that forwards to the tasks and the HTTP one that redirects."""
    https = template.add_resource(
        elb.Listener(
            "HttpsListener",
            LoadBalancerArn=Ref(alb),
            Port=HTTPS_PORT,
            Protocol="HTTPS",
            SslPolicy=TLS_POLICY,
            Certificates=[elb.Certificate(CertificateArn=domain.certificate_arn)],
            DefaultActions=[elb.Action(Type="forward", TargetGroupArn=Ref(target_group))],
            ListenerAttributes=[
                elb.ListenerAttribute(Key=key, Value=value)
                for key, value in HTTPS_LISTENER_ATTRIBUTES
            ],
            Tags=naming.tags(),
        )
    )
    http = template.add_resource(
        elb.Listener(
            "HttpRedirectListener",
            LoadBalancerArn=Ref(alb),
            Port=HTTP_PORT,
            Protocol="HTTP",
            DefaultActions=[
                elb.Action(
                    Type="redirect",
                    RedirectConfig=elb.RedirectConfig(
                        Protocol="HTTPS",
                        Port=str(HTTPS_PORT),
                        Host="#{host}",
                        Path="/#{path}",
                        Query="#{query}",
                        StatusCode=REDIRECT_STATUS,
                    ),
                )
            ],
            Tags=naming.tags(),
        )
    )
    return https, http
