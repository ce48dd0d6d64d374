"""The optional WAF web ACL in front of the load balancer (parameter WebAcl)."""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import GetAtt, If, NoValue, Ref, Template, wafv2
from troposphere.elasticloadbalancingv2 import LoadBalancer

from ..inputs.parameters import Params
from .naming import Naming

# Rules of AWS's Common rule set that block large or free-form bodies: counted
# instead, so uploads to the application keep working.
COUNTED_COMMON_RULES = ("SizeRestrictions_BODY", "CrossSiteScripting_BODY", "GenericRFI_BODY")
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)


@dataclass(frozen=True)
class Firewall:
    """Handles to the optional web ACL and its association with the load balancer."""

    # Only under condition CreateWebAcl.
    web_acl: wafv2.WebACL
    # Only under condition AttachWebAcl.
    association: wafv2.WebACLAssociation


def _visibility(metric: str) -> wafv2.VisibilityConfig:
    return wafv2.VisibilityConfig(
        CloudWatchMetricsEnabled=True, MetricName=metric, SampledRequestsEnabled=True
    )


def add_firewall(
    template: Template, naming: Naming, params: Params, load_balancer: LoadBalancer
) -> Firewall:
    """Add the WAF web ACL (WebAcl create) and its association with the load balancer
    (WebAcl create or an existing ACL's ARN)."""
    rules = []
    for priority, group in enumerate(MANAGED_RULE_GROUPS):
        counted = COUNTED_COMMON_RULES if group == "AWSManagedRulesCommonRuleSet" else ()
        rules.append(
            wafv2.WebACLRule(
                Name=group,
                Priority=priority,
                OverrideAction=wafv2.OverrideAction(**{"None": {}}),
                Statement=wafv2.Statement(
                    ManagedRuleGroupStatement=wafv2.ManagedRuleGroupStatement(
                        VendorName="AWS",
                        Name=group,
                        RuleActionOverrides=[
                            wafv2.RuleActionOverride(
                                Name=rule, ActionToUse=wafv2.RuleAction(Count=wafv2.CountAction())
                            )
                            for rule in counted
                        ]
                        or NoValue,
                    )
                ),
                VisibilityConfig=_visibility(group),
            )
        )
    acl = template.add_resource(
        wafv2.WebACL(
            "FirewallWebAcl",
            Condition=params.create_web_acl,
            Name=naming.name("planar-waf"),
            Scope="REGIONAL",
            DefaultAction=wafv2.DefaultAction(Allow=wafv2.AllowAction()),
            Rules=rules,
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
    return Firewall(web_acl=acl, association=association)
