"""The Planar permissions boundary: a managed policy of the launch-role template that
every role a Planar stack creates must carry, and the launch role's conditions and
denials that make it so (docs/security.md, "The launch role and the boundary").

A permissions boundary caps what a role's own policies can grant ("Permissions
boundaries for IAM entities", docs.aws.amazon.com/IAM/latest/UserGuide/
access_policies_boundaries.html). The boundary allows the actions the stage templates'
roles are given, their inline policies and the AWS managed policies they attach, and
nothing else: no IAM, no STS. The launch role creates a role, and adds to or removes
from its policies, only when the role carries this boundary (`iam:PermissionsBoundary`,
which the Service Authorization Reference gives CreateRole, PutRolePolicy,
DeleteRolePolicy, AttachRolePolicy, DetachRolePolicy and PutRolePermissionsBoundary:
docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html),
never removes a boundary, and never changes the boundary policy itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

from awacs.aws import (
    Action,
    Allow,
    ArnEquals,
    ArnNotEquals,
    Condition,
    Deny,
    PolicyDocument,
    Statement,
)
from troposphere import Parameter, Ref, Sub, Template
from troposphere.iam import ManagedPolicy

__all__ = [
    "BOUNDARY_NAME",
    "BOUNDED_ACTIONS",
    "MANAGED_POLICY_ACTIONS",
    "WITHHELD_ACTIONS",
    "add_boundary",
    "boundary_arn",
    "bounded",
    "denials",
    "role_actions",
]

BOUNDARY_NAME = "planar-permissions-boundary"
_PARAMETER = "PermissionsBoundaryName"

# The role-changing actions that take the iam:PermissionsBoundary key (the Service
# Authorization Reference): each is allowed only for a role that carries the boundary;
# for CreateRole and PutRolePermissionsBoundary, the boundary the request sets.
BOUNDED_ACTIONS = (
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
)
# Actions the resource schemas list that the launch role never gets, with why.
WITHHELD_ACTIONS: Mapping[str, str] = MappingProxyType(
    {
        "iam:DeleteRolePermissionsBoundary": "AWS::IAM::Role lists it to remove a boundary; "
        "a role of a Planar stack keeps the Planar boundary",
    }
)
# The boundary policy's own versions and the policy itself: never changed by the role.
_POLICY_CHANGES = (
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
)

# What the AWS managed policies the stage templates attach allow (their documents in
# the AWS Managed Policy Reference, docs.aws.amazon.com/aws-managed-policy/latest/
# reference/): the boundary must allow them too, or the role loses them.
MANAGED_POLICY_ACTIONS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy": (
            "ecr:BatchCheckLayerAvailability",
            "ecr:BatchGetImage",
            "ecr:GetAuthorizationToken",
            "ecr:GetDownloadUrlForLayer",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
        ),
        "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole": (
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:DescribeLogStreams",
            "logs:GetLogEvents",
            "logs:PutLogEvents",
            "logs:PutRetentionPolicy",
        ),
    }
)


def boundary_arn() -> Sub:
    """The boundary policy's ARN, in the launch role's account."""
    return Sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:policy/${{{_PARAMETER}}}")


def bounded() -> Condition:
    """The condition on every action of BOUNDED_ACTIONS: the role carries the boundary."""
    return Condition(ArnEquals("iam:PermissionsBoundary", boundary_arn()))


def denials() -> list[Statement]:
    """Explicit denials, which no other policy given to the launch role can override:
    no role change without the boundary, no boundary removed, no boundary policy
    changed."""
    return [
        Statement(
            Sid="DenyRolesWithoutBoundary",
            Effect=Deny,
            Action=[_action(a) for a in BOUNDED_ACTIONS],
            Resource=["*"],
            Condition=Condition(ArnNotEquals("iam:PermissionsBoundary", boundary_arn())),
        ),
        Statement(
            Sid="DenyBoundaryRemoval",
            Effect=Deny,
            Action=[_action(a) for a in WITHHELD_ACTIONS],
            Resource=["*"],
        ),
        Statement(
            Sid="DenyBoundaryPolicyChanges",
            Effect=Deny,
            Action=[_action(a) for a in _POLICY_CHANGES],
            Resource=[boundary_arn()],
        ),
    ]


def _action(name: str) -> Action:
    prefix, action = name.split(":", 1)
    return Action(prefix, action)


def _allowed(node: Any) -> Iterator[str]:
    """Every action of an Allow statement anywhere in `node` (both branches of an Fn::If)."""
    if isinstance(node, list):
        for item in node:
            yield from _allowed(item)
    elif isinstance(node, dict):
        if node.get("Effect") == "Allow" and "Action" in node:
            actions = node["Action"]
            yield from [actions] if isinstance(actions, str) else actions
        for value in node.values():
            yield from _allowed(value)


def role_actions(templates: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """Every action the templates' roles are allowed: their inline policies' and their
    managed policies' (MANAGED_POLICY_ACTIONS; a managed policy not in it is refused)."""
    actions: set[str] = set()
    for template in templates:
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] != "AWS::IAM::Role":
                continue
            properties = resource.get("Properties", {})
            actions.update(_allowed(properties.get("Policies", [])))
            for arn in properties.get("ManagedPolicyArns", ()):
                value = arn.get("Fn::Sub") if isinstance(arn, dict) else arn
                if not isinstance(value, str) or value not in MANAGED_POLICY_ACTIONS:
                    raise ValueError(
                        f"{logical_id}: ManagedPolicyArns entry {arn!r}: the permissions "
                        "boundary knows the actions of "
                        f"{', '.join(MANAGED_POLICY_ACTIONS)} only; add its actions to "
                        "launch_boundary.MANAGED_POLICY_ACTIONS"
                    )
                actions.update(MANAGED_POLICY_ACTIONS[value])
    return frozenset(actions)


# checkov reads an Allow on `*` in any managed policy as a grant; a boundary grants
# nothing, it caps what the role's own policies (each scoped) grant.
_BOUNDARY_SKIPS = [
    {
        "id": check,
        "comment": f"{what}: this policy is a permissions boundary, which grants nothing; it "
        "caps the stack's roles, whose own policies name their resources",
    }
    for check, what in (
        ("CKV_AWS_108", "Data exfiltration"),
        ("CKV_AWS_109", "Permissions management on *"),
        ("CKV_AWS_111", "Writes on *"),
    )
]


def add_boundary(template: Template, templates: Iterable[Mapping[str, Any]]) -> ManagedPolicy:
    """Add the boundary's name parameter and the boundary policy, allowing every action
    the stage templates' roles are given, on any resource."""
    name = template.add_parameter(
        Parameter(
            _PARAMETER,
            Type="String",
            Default=BOUNDARY_NAME,
            AllowedPattern=r"^[\w+=,.@-]{1,128}$",
            Description="The Planar permissions boundary's name, the same in every account "
            "(each stack's PermissionsBoundary parameter)",
        )
    )
    actions = sorted(role_actions(templates), key=str.lower)
    return template.add_resource(
        ManagedPolicy(
            "PermissionsBoundaryPolicy",
            ManagedPolicyName=Ref(name),
            Description="Planar permissions boundary: the most any role of a Planar stack "
            "may be allowed",
            PolicyDocument=PolicyDocument(
                Version="2012-10-17",
                Statement=[
                    Statement(
                        Sid="StackRoleActions",
                        Effect=Allow,
                        Action=[_action(a) for a in actions],
                        Resource=["*"],
                    )
                ],
            ),
            Metadata={"checkov": {"skip": _BOUNDARY_SKIPS}},
        )
    )
