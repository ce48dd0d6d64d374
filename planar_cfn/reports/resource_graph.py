"""The template as a graph: each resource's group by concern, and the references from
one resource to another (Ref, Fn::GetAtt, Fn::Sub and DependsOn, in either branch of an
Fn::If)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CONCERNS",
    "GROUPS",
    "Edge",
    "UnknownResourceTypeError",
    "concern_of",
    "reference_edges",
    "referenced",
]

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
    "AWS::ElasticLoadBalancingV2::ListenerRule": "edge",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "edge",
    "AWS::ElasticLoadBalancingV2::TargetGroup": "edge",
    "AWS::Route53::RecordSet": "edge",
    "AWS::WAFv2::WebACL": "edge",
    "AWS::WAFv2::WebACLAssociation": "edge",
    # The web ACL's logs go with the other logs.
    "AWS::WAFv2::LoggingConfiguration": "observability",
    "AWS::ApplicationAutoScaling::ScalableTarget": "compute",
    "AWS::ApplicationAutoScaling::ScalingPolicy": "compute",
    "AWS::ECS::Cluster": "compute",
    "AWS::ECS::Service": "compute",
    "AWS::ECS::TaskDefinition": "compute",
    # The image's repository, which the task definition pulls from.
    "AWS::ECR::Repository": "compute",
    # The custom resources and their functions (the bucket emptier, the environment
    # file's writer) belong with the bucket they work on.
    "AWS::Lambda::Function": "data",
    "AWS::CloudFormation::CustomResource": "data",
    "AWS::RDS::DBCluster": "data",
    "AWS::RDS::DBClusterParameterGroup": "data",
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
    "AWS::CloudWatch::Alarm": "observability",
}

_SUB_NAME = re.compile(r"\$\{([^}!][^}]*)\}")


class UnknownResourceTypeError(ValueError):
    """A resource type with no group in `CONCERNS`."""


@dataclass(frozen=True, order=True)
class Edge:
    """A reference in the template: resource `source` refers to resource `target`."""

    source: str
    target: str


def concern_of(resource_type: str) -> str:
    """The group a resource type is drawn in; `UnknownResourceTypeError` for a type
    `CONCERNS` does not name."""
    try:
        return CONCERNS[resource_type]
    except KeyError:
        raise UnknownResourceTypeError(
            f"resource type {resource_type!r} has no group in planar_cfn.reports.resource_graph.CONCERNS; "
            f"add it to one of: {', '.join(GROUPS)}"
        ) from None


def _sub_names(text: str) -> Iterator[str]:
    """The names `${Name}` and `${Name.Attr}` in an Fn::Sub string; `${!Literal}` is text
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-sub.html)."""
    for match in _SUB_NAME.finditer(text):
        yield match.group(1).split(".")[0]


def referenced(value: Any) -> Iterator[str]:
    """Every name that `value` refers to through Ref, Fn::GetAtt or Fn::Sub, at any depth
    (Fn::If branches included). Names may be parameters or pseudo-parameters."""
    if isinstance(value, list):
        for item in value:
            yield from referenced(item)
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
                yield from referenced(variables)
                return
        for item in value.values():
            yield from referenced(item)


def reference_edges(template: Mapping[str, Any]) -> list[Edge]:
    """Every reference from one resource to another in `template` (a rendered
    template's dict): Ref, Fn::GetAtt and Fn::Sub in its properties, and DependsOn.
    References to parameters and pseudo-parameters are left out; sorted, no repeats."""
    resources = template["Resources"]
    edges: set[Edge] = set()
    for name, resource in resources.items():
        depends = resource.get("DependsOn", [])
        targets = [*referenced(resource.get("Properties", {}))]
        targets += [depends] if isinstance(depends, str) else depends
        edges.update(Edge(name, t) for t in targets if t in resources and t != name)
    return sorted(edges)
