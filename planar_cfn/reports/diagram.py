"""The architecture diagram: one Mermaid flowchart per stage, drawn from the rendered
template, and docs/architecture.md, the page that holds them.

Everything drawn comes from the template's JSON, not from the code that built it:

- a node per resource, by logical id, grouped by concern (`resource_graph.CONCERNS`: a
  resource type without a concern is an error, so a new type forces a decision); a
  resource with a `Condition` is drawn dashed and labelled with the condition;
- a dotted arrow A -.-> B for each reference from A to B
  (`resource_graph.reference_edges`): `Ref`, `Fn::GetAtt`, `Fn::Sub` and `DependsOn`, in
  either branch of an `Fn::If`;
- a thick arrow for each step of the traffic path, internet -> listeners -> target group
  -> tasks -> database, bucket and Bedrock (`traffic_path.traffic_edges`), each derived
  from a fact of the template that the legend quotes: a security group rule, a
  listener's forward action, a task-role permission. A reference between two resources
  that a traffic arrow joins (in either direction) is drawn once, as the traffic arrow.

Mermaid renders in GitHub's Markdown (https://mermaid.js.org/syntax/flowchart.html).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from ..paths import DOCS_DIR, TEMPLATES_DIR, shown
from ..template.render import Rendered, staleness, write_if_changed
from . import resource_graph, traffic_path

__all__ = [
    "ARCHITECTURE_FILE",
    "architecture_diagram",
    "architecture_markdown",
    "refresh_architecture",
]

# The page's name inside the docs directory.
ARCHITECTURE_FILE = "architecture.md"

# Short names of the services in node labels.
_SERVICES = {
    "ApplicationAutoScaling": "Auto Scaling",
    "CertificateManager": "ACM",
    "ElasticLoadBalancingV2": "ELB",
    "SecretsManager": "Secrets Manager",
    "Logs": "CloudWatch Logs",
}

# Words of Mermaid's flowchart grammar: a node id spelled so, in any case, gets a prefix
# (lowercase "end" breaks a flowchart: https://mermaid.js.org/syntax/flowchart.html).
_RESERVED = {"end", "graph", "flowchart", "subgraph", "style", "class", "classdef", "click"}


def _node_id(name: str) -> str:
    return f"res_{name}" if name.lower() in _RESERVED else name


def _short_type(resource_type: str) -> str:
    """AWS::ECS::Service -> "ECS Service"."""
    _, service, kind = resource_type.split("::")
    return f"{_SERVICES.get(service, service)} {kind}"


def architecture_diagram(template: Mapping[str, Any]) -> str:
    """`template` (a rendered template's dict) as a Mermaid flowchart: the same template
    gives the same text, byte for byte."""
    resources = template["Resources"]
    traffic = traffic_path.traffic_edges(template)
    joined = {frozenset((e.source, e.target)) for e in traffic}
    references = [
        e
        for e in resource_graph.reference_edges(template)
        if frozenset((e.source, e.target)) not in joined
    ]
    lines = ["flowchart LR"]
    for node, label in traffic_path.EXTERNAL.items():
        if any(node in (e.source, e.target) for e in traffic):
            lines.append(f'  {node}(["{label}"]):::external')
    by_group: dict[str, list[str]] = {group: [] for group in resource_graph.GROUPS}
    for name in sorted(resources):
        by_group[resource_graph.concern_of(resources[name]["Type"])].append(name)
    conditional = []
    for group, names in by_group.items():
        if not names:
            continue
        lines.append(f'  subgraph group_{group}["{resource_graph.GROUPS[group]}"]')
        for name in names:
            label = f"{name}<br/>{_short_type(resources[name]['Type'])}"
            condition = resources[name].get("Condition")
            if condition:
                label += f"<br/>if {condition}"
                conditional.append(_node_id(name))
            lines.append(f'    {_node_id(name)}["{label}"]')
        lines.append("  end")
    for t in traffic:
        lines.append(f'  {_node_id(t.source)} ==>|"{t.label}"| {_node_id(t.target)}')
    for e in references:
        lines.append(f"  {_node_id(e.source)} -.-> {_node_id(e.target)}")
    lines.append("  classDef external fill:#eef4ff,stroke:#4a6fa5")
    lines.append("  classDef conditional stroke-dasharray:6 4")
    if conditional:
        lines.append(f"  class {','.join(conditional)} conditional")
    return "\n".join(lines) + "\n"


_GUIDE = (
    "Read it from the left: requests come from the internet to the load balancer's "
    "listeners, which forward them to the target group and on to the ECS service's "
    "tasks; the tasks reach the database, the bucket and Amazon Bedrock. Thick arrows "
    "are that traffic; dotted arrows are the template's references, from the resource "
    "that refers to the one it names. Boxes are grouped by concern."
)


def _legend(template: Mapping[str, Any]) -> list[str]:
    resources = template["Resources"]
    conditions = sorted(
        {f"{name} (if {r['Condition']})" for name, r in resources.items() if "Condition" in r}
    )
    lines = [
        "| drawn as | means |",
        "|---|---|",
        "| `==>` thick arrow, labelled | traffic, from the template fact listed below |",
        "| `-.->` dotted arrow | A refers to B: `Ref`, `Fn::GetAtt`, `Fn::Sub` or `DependsOn`"
        " (a reference between two resources a traffic arrow joins is drawn once, as the"
        " traffic arrow) |",
        "| dashed box, `if Condition` | created only when the condition holds: "
        + (", ".join(conditions) or "none")
        + " |",
        "| rounded box, blue | outside the template |",
        "",
        "Where each traffic arrow comes from:",
        "",
    ]
    names = {**traffic_path.EXTERNAL}
    lines += [
        f"- {names.get(t.source, t.source)} → {names.get(t.target, t.target)}: {t.fact}."
        for t in traffic_path.traffic_edges(template)
    ]
    return lines


def architecture_markdown(rendered: Sequence[Rendered]) -> str:
    """docs/architecture.md for the stages in `rendered`: per stage a heading, a reading
    guide, the diagram and its legend."""
    lines = [
        "<!-- Generated by build.py --all-stages --no-deploy from the stage templates; "
        "do not edit. build.py --all-stages --check fails when it is stale. -->",
        "",
        "# Architecture",
        "",
        "One diagram per stage, drawn from the stage's template in `templates/`: every "
        "resource, every reference between resources, and the traffic path.",
    ]
    templates = {stage.stage: json.loads(stage.body) for stage in rendered}
    names = [set(t["Resources"]) for t in templates.values()]
    everywhere = set.intersection(*names) if names else set()
    for stage, template in templates.items():
        resources = template["Resources"]
        conditional = sum("Condition" in r for r in resources.values())
        # What the stage decides at build time, beside what conditions decide at deploy time.
        own = sorted(set(resources) - everywhere)
        only = f" Not in every stage: {', '.join(own)}." if own else ""
        lines += [
            "",
            f"## {stage}",
            "",
            f"`templates/planar-{stage}.json`: {len(resources)} resources, "
            f"{conditional} of them conditional.{only} {_GUIDE}",
            "",
            "```mermaid",
            architecture_diagram(template).rstrip("\n"),
            "```",
            "",
            *_legend(template),
        ]
    return "\n".join(lines) + "\n"


def refresh_architecture(
    rendered: Mapping[str, Rendered],
    *,
    docs_dir: Path | None,
    templates_dir: Path,
    check: bool,
    out: TextIO,
    prog: str = "build.py",
) -> bool:
    """Write docs_dir/architecture.md for `rendered` (every stage), or with `check`
    compare it and report it fresh or stale; False when stale. Without `docs_dir`, the
    page is the checkout's docs/ only when the templates are the checkout's templates/:
    a build into another directory leaves the committed page alone."""
    if docs_dir is None:
        if templates_dir != TEMPLATES_DIR:
            return True
        docs_dir = DOCS_DIR
    path = docs_dir / ARCHITECTURE_FILE
    text = architecture_markdown(list(rendered.values()))
    if not check:
        docs_dir.mkdir(parents=True, exist_ok=True)
        write_if_changed(path, text)
        print(f"architecture: {shown(path)} ({len(rendered)} diagrams)", file=out)
        return True
    why = staleness(path, text)
    if why is None:
        print(f"fresh: {shown(path)}", file=out)
        return True
    print(f"stale: {shown(path)} {why}; run {prog} --all-stages --no-deploy", file=out)
    return False
