"""A stage's monthly cost, estimated from its rendered template and its values.

`estimate(config_or_rendered, values)` reads what the template creates under those
values (the task size and count, Fargate Spot, the database's capacity and
instances, the load balancer, the secrets, log groups, keys and web ACL that the
template's conditions switch on) and prices it with the dated us-east-1 table in
prices.py. Low is the fewest tasks and the least capacity the values allow; high is
the most, running all month. Usage the template cannot know (requests, load balancer
capacity units, log volume, database storage and I/O) is a stated assumption, written
beside its number. Bedrock and data transfer are left out, as the Terraform module's
README leaves them out, and said to be.

The lines, one per service, are cost_lines.py's; the template under the values, which
they read, is resolved_template.py's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from ..template.config import StackConfig
from ..template.render import Rendered, render
from . import cost_lines, cost_observability
from .cost_lines import ASSUMPTIONS, CostLine
from .prices import AS_OF, REGION
from .resolved_template import ResolvedTemplate, check_rules, check_values

__all__ = [
    "ASSUMPTIONS",
    "RECOMMENDED",
    "CostLine",
    "Estimate",
    "estimate",
    "recommended_values",
    "stages_table",
    "summary_line",
]

# The values docs/scaling-and-cost.md recommends writing in each stage's file. A stage
# not named here is estimated at the template's defaults.
RECOMMENDED: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "dev": MappingProxyType(
            {
                "Autoscaling": "false",
                "DesiredCount": "1",
                "FargateSpot": "true",
                "AuroraMinCapacity": "0",
                "AuroraSecondsUntilAutoPause": "300",
            }
        ),
        "staging": MappingProxyType(
            {
                "Autoscaling": "true",
                "AutoscalingMinCount": "1",
                "AutoscalingMaxCount": "2",
                "FargateSpot": "true",
                "AuroraMinCapacity": "0",
                "AuroraSecondsUntilAutoPause": "1800",
            }
        ),
        "prod": MappingProxyType(
            {
                "Autoscaling": "true",
                "AutoscalingMinCount": "2",
                "AutoscalingMaxCount": "6",
                "FargateSpot": "false",
                "AuroraMinCapacity": "0.5",
            }
        ),
    }
)

_CENT = Decimal("0.01")


def _money(amount: Decimal) -> str:
    return f"${amount.quantize(_CENT, rounding=ROUND_HALF_UP):,}"


def recommended_values(stage: str) -> Mapping[str, str]:
    """The values docs/scaling-and-cost.md recommends for `stage`, by parameter name;
    empty (the template's defaults) for a stage it does not name."""
    return RECOMMENDED.get(stage, MappingProxyType({}))


@dataclass(frozen=True)
class Estimate:
    """A stage's monthly estimate by service, at us-east-1 list prices (prices.py)."""

    stage: str
    lines: tuple[CostLine, ...]
    # What the estimate leaves out, and why.
    excluded: tuple[str, ...]

    @property
    def low(self) -> Decimal:
        """The month's total at the least the values allow."""
        return sum((line.low for line in self.lines), Decimal(0))

    @property
    def high(self) -> Decimal:
        """The month's total at the most the values allow, running all month."""
        return sum((line.high for line in self.lines), Decimal(0))

    def line(self, service: str) -> CostLine | None:
        """The line for `service`, or None when the stack creates none of it."""
        return next((line for line in self.lines if line.service == service), None)

    def range(self) -> str:
        """The total as "$LOW to $HIGH", joined by an en dash."""
        return f"{_money(self.low)}{cost_lines.TO}{_money(self.high)}"

    def table(self) -> str:
        """The estimate as the `--cost` table: one row per service, its assumption
        beside it, the total, and what is left out."""
        width = max(len(line.service) for line in self.lines)
        rows = [
            f"{'service':<{width}}  {'low':>10}  {'high':>10}  assumption",
            *(
                f"{line.service:<{width}}  {_money(line.low):>10}  {_money(line.high):>10}  "
                f"{line.assumption}"
                for line in self.lines
            ),
            f"{'total':<{width}}  {_money(self.low):>10}  {_money(self.high):>10}  a month",
            "not included:",
            *(f"  - {item}" for item in self.excluded),
        ]
        return "\n".join(rows)


def estimate(
    config_or_rendered: StackConfig | Rendered, values: Mapping[str, str] | None = None
) -> Estimate:
    """The monthly estimate for a stack: a StackConfig (rendered here) or a Rendered
    template, under `values` (parameter name -> value as CloudFormation takes it, such
    as a stage file's `StageFile.parameters`; a parameter not given takes the template's
    default). A value its parameter does not allow raises ValueError naming it."""
    if isinstance(config_or_rendered, StackConfig):
        rendered = render(config_or_rendered)
    elif isinstance(config_or_rendered, Rendered):
        rendered = config_or_rendered
    else:
        raise TypeError(
            f"estimate: {config_or_rendered!r} is not a StackConfig or a Rendered template"
        )
    values = dict(values or {})
    check_values(values)
    body = json.loads(rendered.body)
    template = ResolvedTemplate(body, values)
    check_rules(template, body.get("Rules", {}))
    services = (*cost_lines.SERVICES, *cost_observability.SERVICES)
    lines = tuple(line for service in services for line in service(template))
    return Estimate(stage=rendered.stage, lines=lines, excluded=cost_lines.excluded(template))


def summary_line(result: Estimate, prog: str = "planar-cfn") -> str:
    """The build summary's line for a stage; `prog` is the command's name, as the
    user ran it, in the command it suggests."""
    return (
        f"cost: {result.range()} a month ({REGION} list prices, table of {AS_OF.isoformat()}; "
        f"excludes Bedrock and data transfer; {prog} --stage {result.stage} --cost "
        "for the table)"
    )


def stages_table(estimates: Mapping[str, Estimate], original: Mapping[str, str]) -> str:
    """docs/scaling-and-cost.md's cost table: a row per service and the total, a column per stage (low to
    high a month), and the Terraform module README's staging figure by service name
    ("total" for its total) where it gives one."""

    def cell(found: CostLine | None) -> str:
        if found is None:
            return "—"
        low, high = _money(found.low), _money(found.high)
        return low if low == high else f"{low}{cost_lines.TO}{high}"

    services = list(dict.fromkeys(x.service for e in estimates.values() for x in e.lines))
    rows = [
        "| service | " + " | ".join(estimates) + " | Terraform README, staging |",
        "|---|" + "---|" * len(estimates) + "---|",
    ]
    for service in services:
        cells = [cell(e.line(service)) for e in estimates.values()]
        rows.append(f"| {service} | {' | '.join(cells)} | {original.get(service, '—')} |")
    totals = [f"**{e.range()}**" for e in estimates.values()]
    rows.append(f"| total | {' | '.join(totals)} | **{original.get('total', '—')}** |")
    return "\n".join(rows)
