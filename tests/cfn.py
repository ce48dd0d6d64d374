"""Helpers to read a rendered template as a dict, and to evaluate it the way
CloudFormation does: parameter constraints, Rules, Conditions and the intrinsic
functions the templates use, over given parameter values."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# What Fn::If yields for AWS::NoValue: dropped from the list or object holding it.
NO_VALUE = object()


def resources_of_type(template: dict, kind: str) -> dict[str, dict]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def only(template: dict, kind: str) -> tuple[str, dict]:
    found = resources_of_type(template, kind)
    assert len(found) == 1, f"expected one {kind}, found {sorted(found)}"
    return next(iter(found.items()))


def props(template: dict, logical_id: str) -> dict:
    return template["Resources"][logical_id].get("Properties", {})


def tags(resource: dict) -> dict[str, Any]:
    return {t["Key"]: t["Value"] for t in resource.get("Properties", {}).get("Tags", [])}


def evaluate(node: Any, refs: dict[str, Any], conditions: dict[str, bool] | None = None) -> Any:
    """Evaluate Ref, Fn::Sub, Fn::Join, Fn::Split, Fn::Select, Fn::If, Fn::Equals,
    Fn::Contains, Fn::Not, Fn::And, Fn::Or against given parameter and attribute
    values, the way CloudFormation would."""
    conditions = conditions or {}
    if isinstance(node, list):
        return [evaluate(n, refs, conditions) for n in node]
    if not isinstance(node, dict):
        return node
    ev = lambda n: evaluate(n, refs, conditions)  # noqa: E731
    fn, arg = next(iter(node.items())) if len(node) == 1 else ("", None)
    if fn != "Ref" and not fn.startswith("Fn::") and fn != "Condition":
        return {key: ev(value) for key, value in node.items()}
    if fn == "Ref":
        return refs[arg]
    if fn == "Fn::GetAtt":
        return refs[".".join(arg)]
    if fn == "Fn::Sub":
        text, local = (arg, {}) if isinstance(arg, str) else (arg[0], {k: ev(v) for k, v in arg[1].items()})
        for name, value in {**refs, **local}.items():
            text = text.replace("${" + name + "}", str(value))
        return text
    if fn == "Fn::Join":
        return arg[0].join(ev(arg[1]))
    if fn == "Fn::Split":
        return ev(arg[1]).split(arg[0])
    if fn == "Fn::Select":
        return ev(arg[1])[int(ev(arg[0]))]
    if fn == "Fn::If":
        return ev(arg[1]) if conditions[arg[0]] else ev(arg[2])
    if fn == "Fn::Equals":
        return ev(arg[0]) == ev(arg[1])
    if fn == "Fn::Contains":
        return ev(arg[1]) in ev(arg[0])
    if fn == "Fn::Not":
        return not ev(arg[0])
    if fn == "Fn::And":
        return all(ev(a) for a in arg)
    if fn == "Fn::Or":
        return any(ev(a) for a in arg)
    if fn == "Fn::EachMemberEquals":
        return all(member == ev(arg[1]) for member in ev(arg[0]))
    if fn == "Fn::EachMemberIn":
        return all(member in ev(arg[1]) for member in ev(arg[0]))
    if fn == "Condition":
        return conditions[arg]
    raise NotImplementedError(fn)


def typed(template: dict, values: dict[str, str]) -> dict[str, Any]:
    """Parameter values as the template's functions see them: list types as lists
    (an empty CommaDelimitedList is [""]), everything else as the string given."""
    defaults = {n: str(p["Default"]) for n, p in template["Parameters"].items() if "Default" in p}
    result: dict[str, Any] = {}
    for name, value in {**defaults, **values}.items():
        kind = template["Parameters"].get(name, {}).get("Type", "String")
        is_list = kind == "CommaDelimitedList" or kind.startswith("List<")
        result[name] = [v.strip() for v in value.split(",")] if is_list else value
    return result


def failed_rules(template: dict, parameters: dict[str, str]) -> list[str]:
    """The AssertDescriptions of the template's Rules that fail for these values."""
    parameters = typed(template, parameters)
    failed = []
    for rule in template.get("Rules", {}).values():
        if "RuleCondition" in rule and not evaluate(rule["RuleCondition"], parameters):
            continue
        for assertion in rule["Assertions"]:
            if not evaluate(assertion["Assert"], parameters):
                failed.append(assertion["AssertDescription"])
    return failed
