"""The rendered template under given parameter values, as the cost estimate reads it:
the values checked against their parameters and the template's Rules, conditions
decided, and the few intrinsic functions the priced properties and the conditions use
resolved."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ..inputs.parameters import SPECS_BY_NAME

# What a property left out (Ref AWS::NoValue) resolves to.
NO_VALUE = object()


class ResolvedTemplate:
    """The rendered template under given parameter values: conditions and the few
    intrinsic functions the priced properties use."""

    def __init__(self, template: dict[str, Any], values: Mapping[str, str]) -> None:
        self.resources: dict[str, dict[str, Any]] = template["Resources"]
        self.conditions: dict[str, Any] = template.get("Conditions", {})
        self.params = {
            name: values.get(name, spec.get("Default"))
            for name, spec in template["Parameters"].items()
        }

    def condition(self, name: str) -> bool:
        """Whether the template's condition `name` holds under the values."""
        return bool(self.value(self.conditions[name]))

    def value(self, node: Any) -> Any:
        """`node` under the values: Refs to parameters, Fn::If and the condition
        functions resolved; AWS::NoValue as NO_VALUE, dropped from lists; the rest as
        written."""
        if isinstance(node, list):
            return [v for v in map(self.value, node) if v is not NO_VALUE]
        if not isinstance(node, dict) or len(node) != 1:
            return node
        ((fn, arg),) = node.items()
        if fn == "Ref":
            if arg == "AWS::NoValue":
                return NO_VALUE
            if arg not in self.params:
                return node  # a resource: its id is not priced
            if self.params[arg] is None:
                raise ValueError(f"{arg}: the estimate needs a value; it has no default")
            return self.params[arg]
        if fn == "Condition":
            return self.condition(arg)
        if fn == "Fn::If":
            return self.value(arg[1] if self.condition(arg[0]) else arg[2])
        if fn == "Fn::Equals":
            return self.value(arg[0]) == self.value(arg[1])
        if fn == "Fn::Not":
            return not self.value(arg[0])
        if fn == "Fn::And":
            return all(self.value(a) for a in arg)
        if fn == "Fn::Or":
            return any(self.value(a) for a in arg)
        if fn == "Fn::Contains":
            return self.value(arg[1]) in self.value(arg[0])
        return self._text_function(node, fn, arg)

    def _text_function(self, node: dict[str, Any], fn: str, arg: Any) -> Any:
        """Fn::Sub of parameters, Fn::Join, Fn::Split and Fn::Select when what they take
        resolves to text (the list conditions use them); `node` as written otherwise."""
        if fn == "Fn::Sub" and isinstance(arg, str):
            names = re.findall(r"\$\{([^}!]+)\}", arg)
            if not all(isinstance(self.params.get(name), str) for name in names):
                return node
            return re.sub(r"\$\{([^}!]+)\}", lambda m: str(self.params[m.group(1)]), arg)
        if fn == "Fn::Join":
            parts = self.value(arg[1])
            if isinstance(parts, str):  # a CommaDelimitedList parameter's value
                parts = parts.split(",")
            if isinstance(parts, list) and all(isinstance(p, str) for p in parts):
                return str(arg[0]).join(parts)
        if fn == "Fn::Split":
            text = self.value(arg[1])
            if isinstance(text, str):
                return text.split(arg[0])
        if fn == "Fn::Select":
            items = self.value(arg[1])
            if isinstance(items, list):
                return items[int(arg[0])]
        return node

    def of_type(self, kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """The resources of `kind` that the values create, with their properties."""
        for logical_id, resource in self.resources.items():
            if resource["Type"] != kind:
                continue
            if "Condition" in resource and not self.condition(resource["Condition"]):
                continue
            yield logical_id, resource.get("Properties", {})

    def prop(self, properties: dict[str, Any], name: str) -> Any:
        """Property `name` under the values; NO_VALUE when it is left out."""
        return self.value(properties.get(name, {"Ref": "AWS::NoValue"}))


def check_values(values: Mapping[str, str]) -> None:
    """Each value against its parameter's own constraint: ValueError naming the
    parameter, the value and what is allowed."""
    for name, value in values.items():
        spec = SPECS_BY_NAME.get(name)
        if spec is None:
            raise ValueError(
                f"{name}: not a template parameter; allowed: {', '.join(SPECS_BY_NAME)}"
            )
        if not isinstance(value, str):
            raise TypeError(f"{name} = {value!r}: give the value as CloudFormation takes it, a str")
        allowed = spec.check(value)
        if allowed is not None:
            raise ValueError(f"{name} = {value!r}: must be {allowed}")


# The parameters the estimate reads. The template's Rules over these alone (memory for
# the CPU, minimum not above maximum, no Spot in prod) are checked as CloudFormation
# would; the others (subnets, registry credentials) do not change the estimate.
_PRICED = frozenset(
    {
        "ContainerCpu",
        "ContainerMemory",
        "DesiredCount",
        "Autoscaling",
        "AutoscalingMinCount",
        "AutoscalingMaxCount",
        "FargateSpot",
        "AuroraMinCapacity",
        "AuroraMaxCapacity",
        "AuroraSecondsUntilAutoPause",
        "CustomerManagedKey",
        "WebAcl",
        "WafManagedRuleGroups",
        "ContainerInsights",
        "LogRetentionDays",
        "PerformanceInsights",
        "DatabaseMonitoringInterval",
        "RegistryUsername",
        "RegistryCredentialsSecretArn",
        "Telemetry",
        "TelemetryLogRetentionDays",
    }
)


def _refs(node: Any) -> set[str]:
    if isinstance(node, list):
        return set().union(*map(_refs, node)) if node else set()
    if isinstance(node, dict):
        found = {node["Ref"]} if isinstance(node.get("Ref"), str) else set()
        return found.union(*map(_refs, node.values()))
    return set()


def check_rules(t: ResolvedTemplate, rules: dict[str, Any]) -> None:
    """The template's Rules over the priced parameters: ValueError naming the values
    and the rule's own description when one fails."""
    for rule in rules.values():
        names = _refs(rule)
        if not names <= _PRICED:
            continue
        if "RuleCondition" in rule and not t.value(rule["RuleCondition"]):
            continue
        for assertion in rule["Assertions"]:
            if not t.value(assertion["Assert"]):
                shown = ", ".join(f"{name} = {t.params[name]!r}" for name in sorted(names))
                raise ValueError(f"{shown}: {assertion['AssertDescription']}")
