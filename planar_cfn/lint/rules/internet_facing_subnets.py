"""E9203: the template's Rules hold an internet-facing load balancer to its public subnets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from ._values import branches, references


def _condition_parameters(
    condition: Any, conditions: Mapping[str, Any], seen: set[str]
) -> set[str]:
    """The parameters a condition depends on, through the conditions it names."""
    found = set()
    for name in references(condition) | _named_conditions(condition):
        if name in conditions and name not in seen:
            seen.add(name)
            found |= _condition_parameters(conditions[name], conditions, seen)
        else:
            found.add(name)
    return found


def _named_conditions(value: Any) -> set[str]:
    if isinstance(value, Mapping):
        named = {value["Condition"]} if isinstance(value.get("Condition"), str) else set()
        return named.union(*(_named_conditions(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_named_conditions(v) for v in value))
    return set()


def _scheme_parameters(scheme: Any, conditions: Mapping[str, Any]) -> set[str] | None:
    """None when the load balancer is never internet-facing; else the parameters that
    decide it (empty when it always is)."""
    if scheme is None or scheme == "internet-facing":
        return set()
    if isinstance(scheme, Mapping) and set(scheme) == {"Fn::If"}:
        if "internet-facing" not in branches(scheme):
            return None
        condition = scheme["Fn::If"][0]
        return _condition_parameters({"Condition": condition}, conditions, set())
    if isinstance(scheme, Mapping):
        return references(scheme)
    return None


class InternetFacingSubnetsHeldByRules(CloudFormationLintRule):  # type: ignore[misc]
    """See `description`: what the rule checks and why."""

    id = "E9203"
    shortdesc = "Internet-facing load balancers are held to their public subnets by Rules"
    description = (
        "An internet-facing load balancer in subnets without an internet gateway route is "
        "refused or unreachable, which CloudFormation only finds out while deploying: when "
        "an internet-facing load balancer's subnets come from parameters, the template's "
        "Rules have an assertion on one of those parameters, under a RuleCondition on what "
        "makes the load balancer internet-facing when a parameter decides it."
    )
    source_url = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/rules-section-structure.html"
    tags: ClassVar[list[str]] = ["planar", "resources", "elasticloadbalancingv2", "rules", "limits"]

    def match(self, cfn: Any) -> list[Any]:
        """One match per resource (and attribute) that breaks the rule, in `cfn` (a
        cfnlint.template.Template)."""
        matches = []
        parameters = set(cfn.template.get("Parameters") or {})
        conditions = cfn.template.get("Conditions") or {}
        rules = cfn.template.get("Rules") or {}
        balancers = cfn.get_resources("AWS::ElasticLoadBalancingV2::LoadBalancer")
        for name, resource in balancers.items():
            properties = resource.get("Properties") or {}
            if properties.get("Type", "application") != "application":
                continue
            deciding = _scheme_parameters(properties.get("Scheme"), conditions)
            subnets = references(
                [properties.get("Subnets"), properties.get("SubnetMappings")]
            ) | _condition_parameters(
                [properties.get("Subnets"), properties.get("SubnetMappings")], conditions, set()
            )
            subnets &= parameters
            if deciding is None or not subnets:
                continue
            deciding &= parameters
            if any(_holds(rule, subnets, deciding) for rule in rules.values()):
                continue
            matches.append(
                RuleMatch(
                    ["Resources", name, "Properties"],
                    f"AWS::ElasticLoadBalancingV2::LoadBalancer {name}: Subnets come from "
                    f"{', '.join(sorted(subnets))} and no rule in Rules asserts on them"
                    + (
                        f" when {', '.join(sorted(deciding))} make it internet-facing"
                        if deciding
                        else ""
                    )
                    + "; allowed: a rule whose Assertions name one of those parameters"
                    + (
                        " and whose RuleCondition names what decides the scheme" if deciding else ""
                    ),
                )
            )
        return matches


def _holds(rule: Any, subnets: set[str], deciding: set[str]) -> bool:
    if not isinstance(rule, Mapping) or not references(rule.get("Assertions")) & subnets:
        return False
    return not deciding or bool(references(rule.get("RuleCondition")) & deciding)
