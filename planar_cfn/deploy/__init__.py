"""Deploying a stage as a reviewed change set: the plan decided offline, the account
look-ups and checks, the change set and its review, watching the stack, the
protections of a protected stage, drift, and the post-deploy health check.

`deploy(rendered, options)` is the entry point; `DeployResult` is what it returns,
with what was reviewed: the `ChangeSet` (each change's `PropertyValue`s), a --diff's
`TemplateDiff`, and the plan's JSON. `deploy_stack_set(rendered, options)` rolls a
stage out as a StackSet (options.targets); `StackSetResult` holds each operation's end
and each instance's preview."""

from .change_set import Change, ChangeSet
from .engine import DeployResult, Runtime, deploy
from .property_values import LiveDrift, PropertyValue
from .stack_set_follow import InstanceResult, OperationEnd
from .stack_set_preview import InstancePreview
from .stack_sets import StackSetResult, deploy_stack_set
from .template_diff import ResourceDiff, TemplateDiff

__all__ = [
    "Change",
    "ChangeSet",
    "DeployResult",
    "InstancePreview",
    "InstanceResult",
    "LiveDrift",
    "OperationEnd",
    "PropertyValue",
    "ResourceDiff",
    "Runtime",
    "StackSetResult",
    "TemplateDiff",
    "deploy",
    "deploy_stack_set",
]
