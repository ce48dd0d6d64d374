"""E9201: a certificate's first name fits ACM's 64 octets."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from ._values import branches

LIMIT = 64
# A pattern that bounds its whole match: ^(?=.{1,N}$) in front, as BaseDomainName's does.
_BOUNDED = re.compile(r"^\^\(\?=\.\{(?:\d+,)?(\d+)\}\$\)")


def _parameter_bound(definition: Mapping[str, Any]) -> int | None:
    """The longest value a parameter takes, in octets, when its definition bounds it."""
    bounds = []
    if str(definition.get("MaxLength", "")).isdigit():
        bounds.append(int(definition["MaxLength"]))
    allowed = definition.get("AllowedValues")
    if isinstance(allowed, list) and allowed:
        bounds.append(max(len(str(v).encode()) for v in allowed))
    pattern = definition.get("AllowedPattern")
    # The look-ahead counts characters; a DNS name pattern admits only ASCII (one
    # octet each), so characters are octets there.
    found = _BOUNDED.match(pattern) if isinstance(pattern, str) else None
    if found and isinstance(pattern, str) and pattern.isascii():
        bounds.append(int(found.group(1)))
    return min(bounds) if bounds else None


class CertificateFirstNameFits(CloudFormationLintRule):  # type: ignore[misc]
    """See `description`: what the rule checks and why."""

    id = "E9201"
    shortdesc = "A certificate's first name is at most 64 octets"
    description = (
        "ACM refuses a certificate whose DomainName (its first name) is over 64 octets, "
        "only once the stack is deployed: a literal DomainName is at most 64 octets, and a "
        "parameter that gives it (alone or in an Fn::Sub) has a MaxLength, AllowedValues or "
        "an AllowedPattern starting ^(?=.{1,N}$) that keeps it within 64."
    )
    source_url = "https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html"
    tags: ClassVar[list[str]] = ["planar", "resources", "certificatemanager", "limits"]

    def match(self, cfn: Any) -> list[Any]:
        """One match per resource (and attribute) that breaks the rule, in `cfn` (a
        cfnlint.template.Template)."""
        matches = []
        resources = cfn.get_resources("AWS::CertificateManager::Certificate")
        for name, resource in resources.items():
            value = (resource.get("Properties") or {}).get("DomainName")
            for branch in branches(value):
                problem = self._problem(cfn.template, branch)
                if problem:
                    matches.append(
                        RuleMatch(
                            ["Resources", name, "Properties", "DomainName"],
                            f"AWS::CertificateManager::Certificate {name}: DomainName "
                            f"{problem}; allowed: at most {LIMIT} octets",
                        )
                    )
        return matches

    @staticmethod
    def _problem(template: Mapping[str, Any], value: Any) -> str | None:
        """Why `value` may exceed the limit, or None when it cannot (or is unknown)."""
        if isinstance(value, str):
            size = len(value.encode())
            return f"is {size} octets" if size > LIMIT else None
        if not isinstance(value, Mapping) or len(value) != 1:
            return None
        if "Ref" in value:
            text, names = "", [value["Ref"]]
        elif "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
            text = value["Fn::Sub"]
            names = re.findall(r"\$\{([A-Za-z0-9]+)\}", text)
            text = re.sub(r"\$\{[^}]*\}", "", text)
        else:
            return None  # an attribute or a function of one: nothing to measure
        parameters = template.get("Parameters") or {}
        size = len(text.encode())
        for parameter in names:
            definition = parameters.get(parameter)
            if not isinstance(definition, Mapping):
                continue  # a resource or pseudo parameter: not the template's to bound
            bound = _parameter_bound(definition)
            if bound is None:
                return f"comes from parameter {parameter}, which has no MaxLength, AllowedValues or length-bounding AllowedPattern"
            size += bound
        return f"can be {size} octets" if size > LIMIT else None
