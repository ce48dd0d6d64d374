"""Deploying a stage as a reviewed change set: the plan decided offline, the account
look-ups and checks, the change set and its review, watching the stack, the
protections of a protected stage, drift, and the post-deploy health check.

`deploy(rendered, options)` is the entry point; `DeployResult` is what it returns,
with what was reviewed: the `ChangeSet` (each change's `PropertyValue`s), a --diff's
`TemplateDiff`, and the plan's JSON."""

from .change_set import Change, ChangeSet
from .engine import DeployResult, Runtime, deploy
from .property_values import LiveDrift, PropertyValue
from .template_diff import ResourceDiff, TemplateDiff

__all__ = [
    "Change",
    "ChangeSet",
    "DeployResult",
    "LiveDrift",
    "PropertyValue",
    "ResourceDiff",
    "Runtime",
    "TemplateDiff",
    "deploy",
]
