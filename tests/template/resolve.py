"""A rendered template under given parameter values, as CloudFormation would create it:
every condition decided from the values (the rest at their defaults), and the
resources that the values create with their properties evaluated (tests/cfn.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from tests.cfn import NO_VALUE, evaluate, typed
from tests.template.sample import SAMPLE


class _Refs(dict):
    """Parameter values, then the sample stack's; a resource's Ref or attribute that no
    value gives reads as <name>, and AWS::NoValue drops the key or item holding it."""

    def __missing__(self, key: str) -> Any:
        return NO_VALUE if key == "AWS::NoValue" else f"<{key}>"


def conditions(template: dict, values: dict[str, str]) -> dict[str, bool]:
    """Every condition of `template` under `values`, those another names decided first."""
    refs = _Refs({**SAMPLE, **typed(template, values)})
    pending = dict(template.get("Conditions", {}))
    decided: dict[str, bool] = {}
    while pending:
        for name, condition in list(pending.items()):
            try:
                decided[name] = bool(evaluate(condition, refs, decided))
            except KeyError:  # names a condition not yet decided
                continue
            del pending[name]
    return decided


class Resolved(Mapping):
    """The resources the values create, by logical id: each resource's Properties are
    evaluated when read (a resource may need values these tests do not give)."""

    def __init__(self, template: dict, values: dict[str, str]) -> None:
        self._refs = _Refs({**SAMPLE, **typed(template, values)})
        self.conditions = conditions(template, values)
        self._resources = {
            logical_id: resource
            for logical_id, resource in template["Resources"].items()
            if self.conditions.get(resource.get("Condition", ""), True)
        }

    def __getitem__(self, logical_id: str) -> dict[str, Any]:
        properties = self._resources[logical_id].get("Properties", {})
        return evaluate(properties, self._refs, self.conditions)

    def __iter__(self) -> Iterator[str]:
        return iter(self._resources)

    def __len__(self) -> int:
        return len(self._resources)


def resolved(template: dict, **values: str) -> Resolved:
    """The resources `values` (by parameter name; the rest at their defaults) create."""
    return Resolved(template, values)
