"""planar-cfn: the Planar application's AWS stack as CloudFormation.

The library's public face is the names in `__all__`:

- `Stage`, `DEFAULT_STAGES`, `get_stage`, `UnknownStageError`: what a stage decides;
- `StackConfig`, `Sidecar`: one stack's configuration and its extension points;
- `build_template`, `BuiltStack`: the template and handles to what was built in it;
- `override`: the escape hatch, one property of one built resource;
- `Rendered`: a stage's template as the text the command writes, from
  `planar_cfn.render.render(config)` (not re-exported here: the module of that name
  would shadow it once imported) or `Rendered(stage, built.to_json())`;
- `lint_body`, `lint_bodies`, `Finding`: cfn-lint, informational rules included;
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
    from .config import Sidecar, StackConfig
    from .cost import CostLine, Estimate, estimate
    from .diagram import architecture_diagram, architecture_markdown
    from .launch_role import build_launch_role
    from .lint import Finding, lint_bodies, lint_body
    from .overrides import override
    from .prices import PRICES, Price
    from .render import Rendered
    from .stack import BuiltStack, build_template
    from .stages import DEFAULT_STAGES, Stage, UnknownStageError, get_stage

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
    "DEFAULT_STAGES": "stages",
    "PRICES": "prices",
    "BuiltStack": "stack",
    "CostLine": "cost",
    "Estimate": "cost",
    "Finding": "lint",
    "Price": "prices",
    "Rendered": "render",
    "Sidecar": "config",
    "StackConfig": "config",
    "Stage": "stages",
    "UnknownStageError": "stages",
    "build_launch_role": "launch_role",
    "architecture_diagram": "diagram",
    "architecture_markdown": "diagram",
    "build_template": "stack",
    "estimate": "cost",
    "get_stage": "stages",
    "lint_bodies": "lint",
    "lint_body": "lint",
    "override": "overrides",
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
