"""E9102: HTTPS listeners keep TLS 1.3."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from ._values import branches, parameter

PREFIX = "ELBSecurityPolicy-TLS13-"


def _policies(template: Mapping[str, Any], value: Any) -> list[Any]:
    """What SslPolicy can be: its literal branches, or a parameter's allowed values."""
    found: list[Any] = []
    for branch in branches(value):
        ref = parameter(template, branch)
        allowed = ref[1].get("AllowedValues") if ref else None
        found.extend(allowed if isinstance(allowed, list) and allowed else [branch])
    return found


class HttpsListenersKeepTls13(CloudFormationLintRule):  # type: ignore[misc]
    """See `description`: what the rule checks and why."""

    id = "E9102"
    shortdesc = "HTTPS listeners keep TLS 1.3"
    description = (
        "The load balancer's HTTPS listener negotiates TLS 1.3 (and 1.2 at most below it): "
        "an HTTPS listener's SslPolicy is one of the ELBSecurityPolicy-TLS13-* policies. "
        "Without SslPolicy, ELB takes ELBSecurityPolicy-2016-08, which allows TLS 1.0."
    )
    source_url = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html"
    tags: ClassVar[list[str]] = ["planar", "resources", "elasticloadbalancingv2", "tls"]

    def match(self, cfn: Any) -> list[Any]:
        """One match per resource (and attribute) that breaks the rule, in `cfn` (a
        cfnlint.template.Template)."""
        matches = []
        listeners = cfn.get_resources("AWS::ElasticLoadBalancingV2::Listener")
        for name, resource in listeners.items():
            properties = resource.get("Properties") or {}
            if "HTTPS" not in branches(properties.get("Protocol")):
                continue
            policy = properties.get("SslPolicy")
            policies = _policies(cfn.template, policy)
            if policy is not None and all(
                isinstance(p, str) and p.startswith(PREFIX) for p in policies
            ):
                continue
            path = ["Resources", name, "Properties"] + (["SslPolicy"] if policy else [])
            matches.append(
                RuleMatch(
                    path,
                    f"HTTPS listener {name}: SslPolicy is "
                    f"{'missing' if policy is None else repr(policy)}; allowed: a policy "
                    f"starting with {PREFIX} (such as ELBSecurityPolicy-TLS13-1-2-Res-2021-06)",
                )
            )
        return matches
