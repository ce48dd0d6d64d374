"""planar-cfn: the Planar application's AWS stack as CloudFormation.

The library's public face is the names in `__all__`:

- `Stage`, `DEFAULT_STAGES`, `get_stage`, `UnknownStageError`: what a stage decides;
- `StackConfig`, `Sidecar`: one stack's configuration and its extension points;
- `build_template`, `BuiltStack`: the template and handles to what was built in it;
- `override`: the escape hatch, one property of one built resource;
- `Rendered`: a stage's template as the text the command writes, from
  `planar_cfn.render.render(config)` (not re-exported here: the module of that name
  would shadow it once imported) or `Rendered(stage, built.to_json())`;
- `lint_body`, `lint_bodies`, `Finding`: cfn-lint, informational rules and the stack's
  own rule pack (planar_cfn.lint.rules) included;
- `build_launch_role`: the IAM role Service Catalog assumes to launch the stages'
  stacks (templates/planar-launch-role.json), its permissions derived from the
  resource types' schemas.
- `architecture_diagram`, `architecture_markdown`: a template as a Mermaid diagram, and
  docs/architecture.md.
- `estimate`, `Estimate`, `CostLine`: a stage's monthly cost by service, from its
  template and values, at the dated us-east-1 list prices of `PRICES` (`Price`).

The command is `planar_cfn.__main__.console(prog, stages=...)`.

Each name is imported on first use, so `import planar_cfn` loads nothing else: the
command turns the garbage collector off before the library loads, and cfn-lint loads
only when something is linted.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .catalog.launch_role import build_launch_role
    from .inputs.stages import DEFAULT_STAGES, Stage, UnknownStageError, get_stage
    from .lint.runner import Finding, lint_bodies, lint_body
    from .reports.cost import CostLine, Estimate, estimate
    from .reports.diagram import architecture_diagram, architecture_markdown
    from .reports.prices import PRICES, Price
    from .template.config import Sidecar, StackConfig
    from .template.overrides import override
    from .template.render import Rendered
    from .template.stack import BuiltStack, build_template

__all__ = [
    "DEFAULT_STAGES",
    "PRICES",
    "BuiltStack",
    "CostLine",
    "Estimate",
    "Finding",
    "Price",
    "Rendered",
    "Sidecar",
    "StackConfig",
    "Stage",
    "UnknownStageError",
    "__version__",
    "architecture_diagram",
    "architecture_markdown",
    "build_launch_role",
    "build_template",
    "estimate",
    "get_stage",
    "lint_bodies",
    "lint_body",
    "override",
]

# Where each public name is defined.
_MODULES = {
    "DEFAULT_STAGES": "inputs.stages",
    "PRICES": "reports.prices",
    "BuiltStack": "template.stack",
    "CostLine": "reports.cost",
    "Estimate": "reports.cost",
    "Finding": "lint.runner",
    "Price": "reports.prices",
    "Rendered": "template.render",
    "Sidecar": "template.config",
    "StackConfig": "template.config",
    "Stage": "inputs.stages",
    "UnknownStageError": "inputs.stages",
    "build_launch_role": "catalog.launch_role",
    "architecture_diagram": "reports.diagram",
    "architecture_markdown": "reports.diagram",
    "build_template": "template.stack",
    "estimate": "reports.cost",
    "get_stage": "inputs.stages",
    "lint_bodies": "lint.runner",
    "lint_body": "lint.runner",
    "override": "template.overrides",
}


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use."""
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
