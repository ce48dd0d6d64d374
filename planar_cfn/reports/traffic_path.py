"""The traffic path through a template, internet -> listeners -> target group -> tasks
-> database, bucket and Bedrock: each step derived from a fact of the template (a
security group rule, a listener's forward action, a task-role permission), which the
step carries to be quoted."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .resource_graph import referenced

__all__ = ["BEDROCK", "EXTERNAL", "INTERNET", "TrafficEdge", "traffic_edges"]

# The nodes outside the template. Their ids hold "_", which no logical id may
# (logical ids are alphanumeric), so they never collide with a resource.
INTERNET = "ext_internet"
BEDROCK = "ext_bedrock"
EXTERNAL = {INTERNET: "Internet (users)", BEDROCK: "Amazon Bedrock (Anthropic Claude)"}


@dataclass(frozen=True, order=True)
class TrafficEdge:
    """A step of the traffic path, with the label drawn on it and the template fact it
    comes from."""

    source: str
    target: str
    label: str
    fact: str


def _ref(value: Any) -> str | None:
    """The resource name of a lone Ref or Fn::GetAtt, else None."""
    names = list(referenced(value)) if isinstance(value, dict) else []
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
    return set(referenced(value))


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
    balancer_groups: dict[str, set[str]] = {
        lb: _groups(props[lb].get("SecurityGroups", []))
        for lb in _of_type(resources, "ElasticLoadBalancingV2::LoadBalancer")
    }
    edges = [
        *_listener_edges(resources, props, rules, balancer_groups),
        *_service_edges(resources, props, rules, balancer_groups),
    ]
    # In the order a request takes: internet, listeners, target groups, services.
    steps = ["AWS::ElasticLoadBalancingV2::Listener", "AWS::ElasticLoadBalancingV2::TargetGroup"]

    def step(edge: TrafficEdge) -> int:
        if edge.source == INTERNET:
            return 0
        kind = resources[edge.source]["Type"]
        return 1 + (steps.index(kind) if kind in steps else len(steps))

    return sorted(set(edges), key=lambda edge: (step(edge), edge))


def _listener_edges(
    resources: Mapping[str, Any],
    props: Mapping[str, Any],
    rules: Sequence[tuple[str, int, int, str | None]],
    balancer_groups: Mapping[str, set[str]],
) -> Iterator[TrafficEdge]:
    """Internet => listener where its port is open to an address range, and listener =>
    target group where its default action forwards."""
    for listener in _of_type(resources, "ElasticLoadBalancingV2::Listener"):
        lb = _ref(props[listener].get("LoadBalancerArn"))
        port = _port(props[listener].get("Port"))
        protocol = _text(props[listener].get("Protocol"))
        if port is None:
            continue
        for group, source in _admits(rules, balancer_groups.get(lb or "", set()), port):
            if source is None:
                yield TrafficEdge(
                    INTERNET,
                    listener,
                    f"{protocol} {port}".strip(),
                    f"{group} admits port {port} from an address range (CidrIp); "
                    f"{listener} on {lb} listens on it",
                )
        for action in props[listener].get("DefaultActions", []):
            target_group = _ref(action.get("TargetGroupArn"))
            if action.get("Type") == "forward" and target_group and target_group in props:
                yield TrafficEdge(
                    listener,
                    target_group,
                    "forward",
                    f"{listener}'s default action forwards to {target_group}",
                )


def _service_edges(
    resources: Mapping[str, Any],
    props: Mapping[str, Any],
    rules: Sequence[tuple[str, int, int, str | None]],
    balancer_groups: Mapping[str, set[str]],
) -> Iterator[TrafficEdge]:
    """Target group => service where the load balancer's group may reach the tasks,
    then from each service to what it reaches."""
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
                yield TrafficEdge(
                    target_group,
                    service,
                    f"{_text(props[target_group].get('Protocol'))} {port}".strip(),
                    f"{service} registers its tasks in {target_group}; its security "
                    f"group admits port {port} from {', '.join(balancers)}'s",
                )
        yield from _database_edges(resources, props, rules, service, service_groups)
        yield from _task_role_edges(resources, props, service)


def _database_edges(
    resources: Mapping[str, Any],
    props: Mapping[str, Any],
    rules: Sequence[tuple[str, int, int, str | None]],
    service: str,
    service_groups: set[str],
) -> Iterator[TrafficEdge]:
    """Service => database cluster where the cluster's group admits its port from the
    service's."""
    for cluster in _of_type(resources, "RDS::DBCluster"):
        port = _port(props[cluster].get("Port"))
        engine = _text(props[cluster].get("Engine"))
        if port is None:
            continue
        groups = _groups(props[cluster].get("VpcSecurityGroupIds", []))
        opened = [g for g, source in _admits(rules, groups, port) if source in service_groups]
        if opened:
            yield TrafficEdge(
                service,
                cluster,
                f"{'PostgreSQL' if 'postgres' in engine else engine} {port}".strip(),
                f"{opened[0]} admits port {port} from {service}'s security group",
            )


def _task_role_edges(
    resources: Mapping[str, Any], props: Mapping[str, Any], service: str
) -> Iterator[TrafficEdge]:
    """Service => bucket and service => Bedrock, as its task role allows."""
    task_definition = _ref(props[service].get("TaskDefinition"))
    role = _ref(props.get(task_definition or "", {}).get("TaskRoleArn"))
    if role is None or role not in resources:
        return
    allowed = list(_allowed_actions(resources[role]))
    for bucket in _of_type(resources, "S3::Bucket"):
        if any(a == "s3:GetObject" and bucket in referenced(r) for a, r in allowed):
            yield TrafficEdge(service, bucket, "S3", f"{role} may s3:GetObject in {bucket}")
    if any(a == "bedrock:InvokeModel" for a, _ in allowed):
        yield TrafficEdge(service, BEDROCK, "InvokeModel", f"{role} may bedrock:InvokeModel")
