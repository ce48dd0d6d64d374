"""The optional WAF web ACL in front of the load balancer (parameter WebAcl): a
per-address rate limit, AWS's IP reputation list and managed rule groups, and its
logs."""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import GetAtt, If, NoValue, Ref, Sub, Template, wafv2
from troposphere.elasticloadbalancingv2 import LoadBalancer
from troposphere.logs import LogGroup

from ..inputs.parameter_observability import WAF_MANAGED_RULE_GROUPS
from ..inputs.parameters import Params
from ..inputs.stages import Stage
from .encryption import Encryption
from .naming import Naming

# Rules of AWS's Common rule set that block large or free-form bodies: counted
# instead, so uploads to the application keep working.
COUNTED_COMMON_RULES = ("SizeRestrictions_BODY", "CrossSiteScripting_BODY", "GenericRFI_BODY")
# The managed rule groups are parameter_observability.WAF_MANAGED_RULE_GROUPS, each
# present under its own condition at a fixed priority: evaluated in priority order after
# the rate limit, addresses AWS's threat intelligence lists as bots or attackers first,
# then the rule groups that inspect the request.


RATE_LIMIT_RULE = "RateLimitPerAddress"
# The rate limit counts each address's requests over the last 5 minutes (WAF's default
# window), and blocks an address over the limit until its rate falls below it.
RATE_LIMIT_WINDOW_SECONDS = 300
# WAF sends a web ACL's logs only to a log group whose name starts with this.
WAF_LOG_GROUP_PREFIX = "aws-waf-logs-"
# As long as the service's own logs by default; fixed, as LogRetentionDays is the
# application's and the sidecars' retention.
WAF_LOG_RETENTION_DAYS = 14
# Request headers the logs never hold: the credentials a request carries.
REDACTED_HEADERS = ("authorization", "cookie")


@dataclass(frozen=True)
class Firewall:
    """Handles to the optional web ACL, its association with the load balancer, and
    its logs."""

    # Only under condition CreateWebAcl, like the log group and logging configuration.
    web_acl: wafv2.WebACL
    # Only under condition AttachWebAcl.
    association: wafv2.WebACLAssociation
    log_group: LogGroup
    logging: wafv2.LoggingConfiguration


def _visibility(metric: str) -> wafv2.VisibilityConfig:
    return wafv2.VisibilityConfig(
        CloudWatchMetricsEnabled=True, MetricName=metric, SampledRequestsEnabled=True
    )


def _rate_limit(params: Params) -> wafv2.WebACLRule:
    """Block an address that sends more than WafRateLimit requests in 5 minutes."""
    return wafv2.WebACLRule(
        Name=RATE_LIMIT_RULE,
        Priority=0,
        Action=wafv2.RuleAction(Block=wafv2.BlockAction()),
        Statement=wafv2.Statement(
            RateBasedStatement=wafv2.RateBasedStatement(
                Limit=params["WafRateLimit"],
                AggregateKeyType="IP",
                EvaluationWindowSec=RATE_LIMIT_WINDOW_SECONDS,
            )
        ),
        VisibilityConfig=_visibility(RATE_LIMIT_RULE),
    )


def _managed_rules(params: Params) -> list[If]:
    """AWS's managed rule groups that WafManagedRuleGroups names, after the rate limit,
    each at its fixed priority, large-body rules counted."""
    rules = []
    for group, (priority, _) in WAF_MANAGED_RULE_GROUPS.items():
        counted = COUNTED_COMMON_RULES if group == "AWSManagedRulesCommonRuleSet" else ()
        rule = wafv2.WebACLRule(
            Name=group,
            Priority=priority,
            OverrideAction=wafv2.OverrideAction(**{"None": {}}),
            Statement=wafv2.Statement(
                ManagedRuleGroupStatement=wafv2.ManagedRuleGroupStatement(
                    VendorName="AWS",
                    Name=group,
                    RuleActionOverrides=[
                        wafv2.RuleActionOverride(
                            Name=name, ActionToUse=wafv2.RuleAction(Count=wafv2.CountAction())
                        )
                        for name in counted
                    ]
                    or NoValue,
                )
            ),
            VisibilityConfig=_visibility(group),
        )
        rules.append(If(params.waf_group(group), rule, NoValue))
    return rules


def add_firewall(
    template: Template,
    naming: Naming,
    stage: Stage,
    params: Params,
    encryption: Encryption,
    load_balancer: LoadBalancer,
) -> Firewall:
    """Add the WAF web ACL and its logs (WebAcl create) and its association with the
    load balancer (WebAcl create or an existing ACL's ARN)."""
    acl = template.add_resource(
        wafv2.WebACL(
            "FirewallWebAcl",
            Condition=params.create_web_acl,
            Name=naming.name("planar-waf"),
            Scope="REGIONAL",
            DefaultAction=wafv2.DefaultAction(Allow=wafv2.AllowAction()),
            Rules=[_rate_limit(params), *_managed_rules(params)],
            VisibilityConfig=_visibility("planar"),
            Tags=naming.tags(naming.name("planar-waf")),
        )
    )
    association = template.add_resource(
        wafv2.WebACLAssociation(
            "FirewallWebAclAssociation",
            Condition=params.attach_web_acl,
            ResourceArn=Ref(load_balancer),
            WebACLArn=If(params.create_web_acl, GetAtt(acl, "Arn"), params["WebAcl"]),
        )
    )
    log_group, logging = _add_logging(template, naming, stage, params, encryption, acl)
    return Firewall(web_acl=acl, association=association, log_group=log_group, logging=logging)


def _add_logging(
    template: Template,
    naming: Naming,
    stage: Stage,
    params: Params,
    encryption: Encryption,
    acl: wafv2.WebACL,
) -> tuple[LogGroup, wafv2.LoggingConfiguration]:
    """Add the created web ACL's log group, kept and encrypted like the service's, and
    the logging configuration that sends it every request's record, credentials
    redacted."""
    name = naming.name(WAF_LOG_GROUP_PREFIX + "planar")
    log_group = template.add_resource(
        LogGroup(
            "FirewallLogGroup",
            Condition=params.create_web_acl,
            LogGroupName=name,
            RetentionInDays=WAF_LOG_RETENTION_DAYS,
            KmsKeyId=encryption.arn_or_no_value,
            Tags=naming.tags(name),
            DeletionPolicy=stage.deletion_policy,
            UpdateReplacePolicy=stage.log_replacement_policy,
        )
    )
    logging = template.add_resource(
        wafv2.LoggingConfiguration(
            "FirewallLogging",
            Condition=params.create_web_acl,
            ResourceArn=GetAtt(acl, "Arn"),
            # The log group's ARN without the ":*" its Arn attribute ends in, as WAF wants it.
            LogDestinationConfigs=[
                Sub(
                    "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Group}",
                    Group=Ref(log_group),
                )
            ],
            RedactedFields=[
                wafv2.LoggingConfigurationFieldToMatch(SingleHeader=wafv2.SingleHeader(Name=header))
                for header in REDACTED_HEADERS
            ],
        )
    )
    return log_group, logging
