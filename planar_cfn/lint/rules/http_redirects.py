"""E9103: plain HTTP only redirects to HTTPS."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from ._values import branches


def _redirects_to_https(action: Any) -> bool:
    if not isinstance(action, Mapping) or action.get("Type") != "redirect":
        return False
    config = action.get("RedirectConfig")
    return isinstance(config, Mapping) and config.get("Protocol") == "HTTPS"


class HttpOnlyRedirectsToHttps(CloudFormationLintRule):  # type: ignore[misc]
    """See `description`: what the rule checks and why."""

    id = "E9103"
    shortdesc = "Plain HTTP only redirects to HTTPS"
    description = (
        "Nothing is served over plain HTTP: a listener whose Protocol is HTTP has only "
        "redirect default actions, each to Protocol HTTPS, so a request on port 80 is sent "
        "to the TLS listener before it reaches the application."
    )
    source_url = "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-update-rules.html"
    tags: ClassVar[list[str]] = ["planar", "resources", "elasticloadbalancingv2", "tls"]

    def match(self, cfn: Any) -> list[Any]:
        """One match per resource (and attribute) that breaks the rule, in `cfn` (a
        cfnlint.template.Template)."""
        matches = []
        listeners = cfn.get_resources("AWS::ElasticLoadBalancingV2::Listener")
        for name, resource in listeners.items():
            properties = resource.get("Properties") or {}
            if "HTTP" not in branches(properties.get("Protocol")):
                continue
            actions = properties.get("DefaultActions")
            items = [a for v in branches(actions) for a in (v if isinstance(v, list) else [v])]
            every = [branch for item in items for branch in branches(item)]
            if every and all(_redirects_to_https(a) for a in every):
                continue
            kinds = sorted({str(a.get("Type")) for a in every if isinstance(a, Mapping)})
            matches.append(
                RuleMatch(
                    ["Resources", name, "Properties", "DefaultActions"],
                    f"HTTP listener {name}: DefaultActions are {kinds or 'missing'}; allowed: "
                    "only redirect actions whose RedirectConfig.Protocol is HTTPS",
                )
            )
        return matches
