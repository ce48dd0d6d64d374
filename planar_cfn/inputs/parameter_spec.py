"""One deploy-time input: its constraint, checked in Python for a stage file and
written as the template's Parameter for a launch form, from the same fields."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from troposphere import Parameter

from . import constraints as c

# The launch form's parameter groups, in the form's order.
APPLICATION, NETWORK, DOMAIN, CONTAINER, SCALING, DATABASE, STORAGE, SECURITY, OBSERVABILITY = (
    "Application",
    "Network",
    "Domain and certificate",
    "Container",
    "Scaling and capacity",
    "Database",
    "Storage",
    "Security",
    "Observability",
)
GROUPS = (
    APPLICATION,
    NETWORK,
    DOMAIN,
    CONTAINER,
    SCALING,
    DATABASE,
    STORAGE,
    SECURITY,
    OBSERVABILITY,
)


@dataclass(frozen=True)
class StageConverter:
    """How a stage file's value that no plain JSON type fits (an object) becomes its
    parameter's text."""

    # What the file must give, as an error message says it.
    expected: str
    # (the whole file, the stage) -> the text, or None and every problem found.
    convert: Callable[[Mapping[str, Any], str], tuple[str | None, list[str]]]


@dataclass(frozen=True)
class ParameterSpec:
    """One input: its CloudFormation parameter and its key in a stage file."""

    name: str
    key: str
    group: str
    label: str
    description: str
    type: str = "String"
    default: str | None = None
    pattern: c.Pattern | None = None
    allowed: tuple[str, ...] = ()
    min_value: int | None = None
    max_value: int | None = None
    max_length: int | None = None
    no_echo: bool = False
    is_list: bool = False
    max_items: int | None = None
    # May not be written in a stage file (passwords come from the environment).
    secret: bool = False
    constraint_description: str = field(default="")
    # The template's AllowedPattern when it differs from the per-item `pattern`.
    template_pattern: c.Pattern | None = None
    # A stage file gives a structured value that this converts; None: a plain value.
    stage_converter: StageConverter | None = None
    # A String whose pattern takes numbers only: a stage file may give a JSON number.
    numeric: bool = False

    @property
    def required(self) -> bool:
        """True when the input has no default."""
        return self.default is None

    def allowed_text(self) -> str:
        """What the input allows, as the end of a sentence ("one of true, false")."""
        if self.constraint_description:
            return self.constraint_description
        if self.allowed:
            return "one of " + ", ".join(self.allowed)
        if self.pattern:
            return self.pattern.allowed
        if self.min_value is not None:
            return f"a whole number from {self.min_value} to {self.max_value}"
        return "any value"

    def constraint_sentence(self) -> str:
        """What the launch form says when a value is refused. A list is checked item by
        item, so the sentence says so rather than asking for a single value."""
        if self.template_pattern:
            return "Must be " + self.template_pattern.allowed + "."
        text = self.allowed_text()
        if self.is_list:
            item = text.removeprefix("empty, or ")
            text = ("empty, or " if self.default == "" else "one or more ") + (
                "comma-separated values, each " + item
            )
        return "Must be " + text + "."

    def check(self, value: str) -> str | None:
        """Return what is allowed when `value` breaks this input's own constraint."""
        # Not stripped: the value goes to AWS as written, and " subnet-..." is no subnet.
        items = value.split(",") if self.is_list else [value]
        if self.is_list and value == "":
            items = [] if self.default == "" else [""]
        if self.max_length is not None and len(value) > self.max_length:
            return self.allowed_text()
        if self.max_items is not None and len(items) > self.max_items:
            return f"at most {self.max_items} values, each {self.allowed_text()}"
        # The template matches this against the whole value as sent, spaces included: a
        # list with * among models, or a space after a comma, is refused there too.
        if self.template_pattern and not self.template_pattern.matches(value):
            return self.template_pattern.allowed
        for item in items:
            if self.allowed and item not in self.allowed:
                return self.allowed_text()
            if self.pattern and not self.pattern.matches(item):
                return self.allowed_text()
            if self.min_value is not None and (
                not item.lstrip("-").isdigit()
                or not self.min_value <= int(item) <= (self.max_value or 0)
            ):
                return self.allowed_text()
        return None

    def parameter(self) -> Parameter:
        """The template's Parameter for this input."""
        props: dict[str, Any] = {"Type": self.type, "Description": self.description}
        if self.default is not None:
            props["Default"] = self.default
        if self.allowed:
            props["AllowedValues"] = list(self.allowed)
        # AWS documents AllowedPattern for String and CommaDelimitedList only; AWS-specific
        # types are checked against the account instead (the stage file checks the form).
        pattern = self.template_pattern or self.pattern
        aws_typed = self.type.startswith(("AWS::", "List<AWS::"))
        if pattern and not aws_typed:
            props["AllowedPattern"] = pattern.regex
        if self.min_value is not None and self.type == "Number":
            props["MinValue"] = self.min_value
            props["MaxValue"] = self.max_value
        if self.max_length is not None:
            props["MaxLength"] = self.max_length
        if self.no_echo:
            props["NoEcho"] = True
        constrained = self.allowed or (pattern and not aws_typed) or self.max_length is not None
        if constrained or self.min_value is not None:
            props["ConstraintDescription"] = self.constraint_sentence()
        return Parameter(self.name, **props)
