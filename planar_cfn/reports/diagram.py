"""The architecture diagram: one Mermaid flowchart per stage, drawn from the rendered
template, and docs/architecture.md, the page that holds them.

Everything drawn comes from the template's JSON, not from the code that built it:

- a node per resource, by logical id, grouped by concern (`CONCERNS`: a resource type
  without a concern is an error, so a new type forces a decision); a resource with a
  `Condition` is drawn dashed and labelled with the condition;
- a dotted arrow A -.-> B for each reference from A to B (`reference_edges`): `Ref`,
  `Fn::GetAtt`, `Fn::Sub` and `DependsOn`, in either branch of an `Fn::If`;
- a thick arrow for each step of the traffic path, internet -> listeners -> target group
  -> tasks -> database, bucket and Bedrock (`traffic_edges`), each derived from a fact
  of the template that the legend quotes: a security group rule, a listener's forward
  action, a task-role permission. A reference between two resources that a traffic
  arrow joins (in either direction) is drawn once, as the traffic arrow.

Mermaid renders in GitHub's Markdown (https://mermaid.js.org/syntax/flowchart.html).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ..inputs.stage_file import shown
from ..paths import DOCS_DIR, TEMPLATES_DIR
from ..template.render import Rendered, staleness, write_if_changed

__all__ = [
    "ARCHITECTURE_FILE",
    "CONCERNS",
    "GROUPS",
    "Edge",
    "TrafficEdge",
    "UnknownResourceTypeError",
    "architecture_diagram",
    "architecture_markdown",
    "concern_of",
    "reference_edges",
    "refresh_architecture",
    "traffic_edges",
]

# The page's name inside the docs directory.
ARCHITECTURE_FILE = "architecture.md"

# The groups in drawing order, with their titles.
GROUPS: dict[str, str] = {
    "edge": "Edge: load balancer, certificate, DNS, firewall",
    "compute": "Compute: ECS service and scaling",
    "data": "Data: database, bucket, secrets",
    "network": "Network: security groups",
    "identity": "Identity: IAM roles, encryption key",
    "observability": "Observability: logs",
}

# Each resource type's group. Security groups have a group of their own ("network")
# rather than sitting with the IAM roles: their rules are the traffic path's facts.
CONCERNS: dict[str, str] = {
    "AWS::CertificateManager::Certificate": "edge",
    "AWS::ElasticLoadBalancingV2::Listener": "edge",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "edge",
    "AWS::ElasticLoadBalancingV2::TargetGroup": "edge",
    "AWS::Route53::RecordSet": "edge",
    "AWS::WAFv2::WebACL": "edge",
    "AWS::WAFv2::WebACLAssociation": "edge",
    "AWS::ApplicationAutoScaling::ScalableTarget": "compute",
    "AWS::ApplicationAutoScaling::ScalingPolicy": "compute",
    "AWS::ECS::Cluster": "compute",
    "AWS::ECS::Service": "compute",
    "AWS::ECS::TaskDefinition": "compute",
    # The bucket emptier's function and custom resource belong with the bucket they empty.
    "AWS::Lambda::Function": "data",
    "AWS::CloudFormation::CustomResource": "data",
    "AWS::RDS::DBCluster": "data",
    "AWS::RDS::DBInstance": "data",
    "AWS::RDS::DBSubnetGroup": "data",
    "AWS::S3::Bucket": "data",
    "AWS::S3::BucketPolicy": "data",
    "AWS::SecretsManager::Secret": "data",
    "AWS::EC2::SecurityGroup": "network",
    "AWS::EC2::SecurityGroupEgress": "network",
    "AWS::EC2::SecurityGroupIngress": "network",
    "AWS::IAM::Role": "identity",
    "AWS::IAM::Policy": "identity",
    "AWS::KMS::Alias": "identity",
    "AWS::KMS::Key": "identity",
    "AWS::Logs::LogGroup": "observability",
}

# Short names of the services in node labels.
_SERVICES = {
    "ApplicationAutoScaling": "Auto Scaling",
    "CertificateManager": "ACM",
    "ElasticLoadBalancingV2": "ELB",
    "SecretsManager": "Secrets Manager",
    "Logs": "CloudWatch Logs",
}

# The nodes outside the template. Their ids hold "_", which no logical id may
# (logical ids are alphanumeric), so they never collide with a resource.
INTERNET = "ext_internet"
BEDROCK = "ext_bedrock"
_EXTERNAL = {INTERNET: "Internet (users)", BEDROCK: "Amazon Bedrock (Anthropic Claude)"}

# Words of Mermaid's flowchart grammar: a node id spelled so, in any case, gets a prefix
# (lowercase "end" breaks a flowchart: https://mermaid.js.org/syntax/flowchart.html).
_RESERVED = {"end", "graph", "flowchart", "subgraph", "style", "class", "classdef", "click"}
_SUB_NAME = re.compile(r"\$\{([^}!][^}]*)\}")


class UnknownResourceTypeError(ValueError):
    """A resource type with no group in `CONCERNS`."""


@dataclass(frozen=True, order=True)
class Edge:
    """A reference in the template: resource `source` refers to resource `target`."""

    source: str
    target: str


@dataclass(frozen=True, order=True)
class TrafficEdge:
    """A step of the traffic path, with the label drawn on it and the template fact it
    comes from."""

    source: str
    target: str
    label: str
    fact: str


def concern_of(resource_type: str) -> str:
    """The group a resource type is drawn in; `UnknownResourceTypeError` for a type
    `CONCERNS` does not name."""
    try:
        return CONCERNS[resource_type]
    except KeyError:
        raise UnknownResourceTypeError(
            f"resource type {resource_type!r} has no group in planar_cfn.diagram.CONCERNS; "
            f"add it to one of: {', '.join(GROUPS)}"
        ) from None


# --- references ----------------------------------------------------------------------


def _sub_names(text: str) -> Iterator[str]:
    """The names `${Name}` and `${Name.Attr}` in an Fn::Sub string; `${!Literal}` is text
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-sub.html)."""
    for match in _SUB_NAME.finditer(text):
        yield match.group(1).split(".")[0]


def _referenced(value: Any) -> Iterator[str]:
    """Every name that `value` refers to through Ref, Fn::GetAtt or Fn::Sub, at any depth
    (Fn::If branches included). Names may be parameters or pseudo-parameters."""
    if isinstance(value, list):
        for item in value:
            yield from _referenced(item)
    elif isinstance(value, dict):
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref" and isinstance(argument, str):
                yield argument
                return
            if key == "Fn::GetAtt":
                name = argument[0] if isinstance(argument, list) else str(argument).split(".")[0]
                yield name
                return
            if key == "Fn::Sub":
                text, variables = (argument, {}) if isinstance(argument, str) else argument
                yield from (n for n in _sub_names(text) if n not in variables)
                yield from _referenced(variables)
                return
        for item in value.values():
            yield from _referenced(item)


def reference_edges(template: Mapping[str, Any]) -> list[Edge]:
    """Every reference from one resource to another in `template` (a rendered
    template's dict): Ref, Fn::GetAtt and Fn::Sub in its properties, and DependsOn.
    References to parameters and pseudo-parameters are left out; sorted, no repeats."""
    resources = template["Resources"]
    edges: set[Edge] = set()
    for name, resource in resources.items():
        depends = resource.get("DependsOn", [])
        targets = [*_referenced(resource.get("Properties", {}))]
        targets += [depends] if isinstance(depends, str) else depends
        edges.update(Edge(name, t) for t in targets if t in resources and t != name)
    return sorted(edges)


# --- the traffic path ----------------------------------------------------------------


def _ref(value: Any) -> str | None:
    """The resource name of a lone Ref or Fn::GetAtt, else None."""
    names = list(_referenced(value)) if isinstance(value, dict) else []
    return names[0] if len(names) == 1 else None


def _port(value: Any) -> int | None:
    """A port written as a number; None for one a parameter or a function gives."""
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None


def _text(value: Any) -> str:
    """A label's word from the template: a plain word, else nothing (Mermaid-safe)."""
    return value if isinstance(value, str) and value.replace("-", "").isalnum() else ""


def _of_type(resources: Mapping[str, Any], kind: str) -> list[str]:
    return sorted(name for name, r in resources.items() if r["Type"] == f"AWS::{kind}")


def _ingress(resources: Mapping[str, Any]) -> list[tuple[str, int, int, str | None]]:
    """Every ingress rule as (security group, from port, to port, source security group
    or None for an address range), inline or as an AWS::EC2::SecurityGroupIngress."""
    rules = [
        (group, rule)
        for group in _of_type(resources, "EC2::SecurityGroup")
        for rule in resources[group]["Properties"].get("SecurityGroupIngress", [])
    ]
    for name in _of_type(resources, "EC2::SecurityGroupIngress"):
        rule = resources[name]["Properties"]
        group = _ref(rule.get("GroupId"))
        if group is not None:
            rules.append((group, rule))
    found = []
    for group, rule in rules:
        every = str(rule.get("IpProtocol")) == "-1"  # all protocols: every port
        low = 0 if every else _port(rule.get("FromPort"))
        high = 65535 if every else _port(rule.get("ToPort"))
        if low is not None and high is not None:
            found.append((group, low, high, _ref(rule.get("SourceSecurityGroupId"))))
    return found


def _admits(
    rules: Sequence[tuple[str, int, int, str | None]], groups: set[str], port: int
) -> list[tuple[str, str | None]]:
    """(group, source) of the rules that open `port` on any of `groups`."""
    return [(g, source) for g, low, high, source in rules if g in groups and low <= port <= high]


def _groups(value: Any) -> set[str]:
    """The security groups named in a list of GroupId references."""
    return set(_referenced(value))


def _allowed_actions(role: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """(action, resources) of each Allow statement of a role's inline policies, in
    every Fn::If branch."""

    def documents(value: Any) -> Iterator[Any]:
        if isinstance(value, dict):
            if "PolicyDocument" in value:
                yield value["PolicyDocument"]
            else:
                for item in value.values():
                    yield from documents(item)
        elif isinstance(value, list):
            for item in value:
                yield from documents(item)

    for document in documents(role.get("Properties", {}).get("Policies", [])):
        for statement in document.get("Statement", []):
            if statement.get("Effect") != "Allow":
                continue
            actions = statement.get("Action", [])
            for action in [actions] if isinstance(actions, str) else actions:
                yield action, statement.get("Resource")


def traffic_edges(template: Mapping[str, Any]) -> list[TrafficEdge]:
    """The traffic path through `template`, each step from a fact of the template:

    - internet => listener: the listener's port is open to an address range in a
      security group of its load balancer;
    - listener => target group: the listener's default action forwards there;
    - target group => service: the service registers its tasks in the target group, and
      its security group admits the container port from the load balancer's;
    - service => database cluster: the cluster's security group admits its port from
      the service's;
    - service => bucket: the task role may s3:GetObject on the bucket;
    - service => Bedrock: the task role may bedrock:InvokeModel.
    """
    resources = template["Resources"]
    props = {name: r.get("Properties", {}) for name, r in resources.items()}
    rules = _ingress(resources)
    edges: list[TrafficEdge] = []
    balancer_groups: dict[str, set[str]] = {
        lb: _groups(props[lb].get("SecurityGroups", []))
        for lb in _of_type(resources, "ElasticLoadBalancingV2::LoadBalancer")
    }
    for listener in _of_type(resources, "ElasticLoadBalancingV2::Listener"):
        lb = _ref(props[listener].get("LoadBalancerArn"))
        port = _port(props[listener].get("Port"))
        protocol = _text(props[listener].get("Protocol"))
        if port is None:
            continue
        for group, source in _admits(rules, balancer_groups.get(lb or "", set()), port):
            if source is None:
                edges.append(
                    TrafficEdge(
                        INTERNET,
                        listener,
                        f"{protocol} {port}".strip(),
                        f"{group} admits port {port} from an address range (CidrIp); "
                        f"{listener} on {lb} listens on it",
                    )
                )
        for action in props[listener].get("DefaultActions", []):
            target_group = _ref(action.get("TargetGroupArn"))
            if action.get("Type") == "forward" and target_group and target_group in props:
                edges.append(
                    TrafficEdge(
                        listener,
                        target_group,
                        "forward",
                        f"{listener}'s default action forwards to {target_group}",
                    )
                )
    for service in _of_type(resources, "ECS::Service"):
        network = props[service].get("NetworkConfiguration", {}).get("AwsvpcConfiguration", {})
        service_groups = _groups(network.get("SecurityGroups", []))
        for mapping in props[service].get("LoadBalancers", []):
            target_group = _ref(mapping.get("TargetGroupArn"))
            port = _port(mapping.get("ContainerPort"))
            if port is None:
                continue
            sources = {s for _, s in _admits(rules, service_groups, port)}
            balancers = sorted(lb for lb, gs in balancer_groups.items() if gs & sources)
            if target_group and target_group in props and balancers:
                edges.append(
                    TrafficEdge(
                        target_group,
                        service,
                        f"{_text(props[target_group].get('Protocol'))} {port}".strip(),
                        f"{service} registers its tasks in {target_group}; its security "
                        f"group admits port {port} from {', '.join(balancers)}'s",
                    )
                )
        for cluster in _of_type(resources, "RDS::DBCluster"):
            port = _port(props[cluster].get("Port"))
            engine = _text(props[cluster].get("Engine"))
            if port is None:
                continue
            groups = _groups(props[cluster].get("VpcSecurityGroupIds", []))
            opened = [g for g, source in _admits(rules, groups, port) if source in service_groups]
            if opened:
                edges.append(
                    TrafficEdge(
                        service,
                        cluster,
                        f"{'PostgreSQL' if 'postgres' in engine else engine} {port}".strip(),
                        f"{opened[0]} admits port {port} from {service}'s security group",
                    )
                )
        task_definition = _ref(props[service].get("TaskDefinition"))
        role = _ref(props.get(task_definition or "", {}).get("TaskRoleArn"))
        if role not in resources:
            continue
        allowed = list(_allowed_actions(resources[role]))
        for bucket in _of_type(resources, "S3::Bucket"):
            if any(a == "s3:GetObject" and bucket in _referenced(r) for a, r in allowed):
                edges.append(
                    TrafficEdge(service, bucket, "S3", f"{role} may s3:GetObject in {bucket}")
                )
        if any(a == "bedrock:InvokeModel" for a, _ in allowed):
            edges.append(
                TrafficEdge(service, BEDROCK, "InvokeModel", f"{role} may bedrock:InvokeModel")
            )
    # In the order a request takes: internet, listeners, target groups, services.
    steps = ["AWS::ElasticLoadBalancingV2::Listener", "AWS::ElasticLoadBalancingV2::TargetGroup"]

    def step(edge: TrafficEdge) -> int:
        if edge.source == INTERNET:
            return 0
        kind = resources[edge.source]["Type"]
        return 1 + (steps.index(kind) if kind in steps else len(steps))

    return sorted(set(edges), key=lambda edge: (step(edge), edge))


# --- Mermaid -------------------------------------------------------------------------


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
    traffic = traffic_edges(template)
    joined = {frozenset((e.source, e.target)) for e in traffic}
    references = [
        e for e in reference_edges(template) if frozenset((e.source, e.target)) not in joined
    ]
    lines = ["flowchart LR"]
    for node, label in _EXTERNAL.items():
        if any(node in (e.source, e.target) for e in traffic):
            lines.append(f'  {node}(["{label}"]):::external')
    by_group: dict[str, list[str]] = {group: [] for group in GROUPS}
    for name in sorted(resources):
        by_group[concern_of(resources[name]["Type"])].append(name)
    conditional = []
    for group, names in by_group.items():
        if not names:
            continue
        lines.append(f'  subgraph group_{group}["{GROUPS[group]}"]')
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
    names = {**_EXTERNAL}
    lines += [
        f"- {names.get(t.source, t.source)} → {names.get(t.target, t.target)}: {t.fact}."
        for t in traffic_edges(template)
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
