"""The launch role's grants: what Service Catalog itself needs of the role, and the
scopes that confine the schemas' actions to the resources the stack names.

A scope grants only those of its actions the resource schemas require
(launch_role.required_actions); the required actions no grant places are granted on
`*`, one statement per service: they create an unnamed resource, list, or describe,
and take no resource ARN.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from awacs.aws import ArnEquals, Condition, Statement, StringEquals
from troposphere import Sub

from . import launch_boundary, launch_records, launch_registry
from .launch_grant import Grant, service

__all__ = [
    "SCOPES",
    "SERVICE_CATALOG_GRANTS",
    "Grant",
    "managed_policy_arns",
    "service",
    "statements",
]


_ARN = "arn:${AWS::Partition}"
_ACCOUNT = "${AWS::Region}:${AWS::AccountId}"
# Service Catalog names a provisioned product's stack SC-{account}-pp-{id}, and
# CloudFormation names a resource the template leaves unnamed {stack}-{logical id}-{id}.
_SC = "SC-*"

# The stack tag every Planar launch carries: the product's TagOptions become stack tags
# (docs/publishing.md, Tag options), framework=planar among them (naming.py).
_PLANAR_REQUEST = Condition(StringEquals("aws:RequestTag/framework", "planar"))
_PLANAR_RESOURCE = Condition(StringEquals("aws:ResourceTag/framework", "planar"))

# Service Catalog tags the template objects in its own bucket (the page below).
_TEMPLATE_OBJECTS = Condition(
    StringEquals("s3:ExistingObjectTag/servicecatalog:provisioning", "true")
)

# What Service Catalog itself does with the launch role, beyond the stack's resources:
# "Step 6: Add a launch constraint to assign an IAM role" (docs.aws.amazon.com/
# servicecatalog/latest/adminguide/getstarted-launchconstraint.html) and "AWS Service
# Catalog launch constraints" (.../constraints-launch.html): CloudFormation's stack
# calls, and reading the template Service Catalog keeps in its own S3 bucket.
SERVICE_CATALOG_GRANTS: tuple[Grant, ...] = (
    Grant(
        "ServiceCatalogCreateStacks",
        ("cloudformation:CreateStack", "cloudformation:TagResource"),
        (f"{_ARN}:cloudformation:{_ACCOUNT}:stack/{_SC}/*",),
        "getstarted-launchconstraint.html: Service Catalog creates the provisioned "
        "product's stack (SC-*) with the launch role, tagged with the product's TagOptions, "
        "framework=planar among them. TagResource: the Service Authorization Reference "
        "(docs.aws.amazon.com/service-authorization/latest/reference/"
        "list_awscloudformation.html) gives cloudformation:TagResource the "
        "cloudformation:CreateAction key: stack tags given at create or update are "
        "authorized as TagResource on the stack. Both take aws:RequestTag",
        _PLANAR_REQUEST,
    ),
    Grant(
        "ServiceCatalogStacks",
        (
            "cloudformation:DeleteStack",
            "cloudformation:ExecuteChangeSet",
            "cloudformation:SetStackPolicy",
            "cloudformation:UpdateStack",
        ),
        (f"{_ARN}:cloudformation:{_ACCOUNT}:stack/{_SC}/*",),
        "getstarted-launchconstraint.html: Service Catalog updates and deletes the stack; "
        "only a stack tagged framework=planar (a stack resource takes aws:ResourceTag)",
        _PLANAR_RESOURCE,
    ),
    Grant(
        "ServiceCatalogStackReads",
        (
            "cloudformation:CreateChangeSet",
            "cloudformation:DeleteChangeSet",
            "cloudformation:DescribeChangeSet",
            "cloudformation:DescribeStackEvents",
            "cloudformation:DescribeStacks",
            "cloudformation:ListChangeSets",
        ),
        (f"{_ARN}:cloudformation:{_ACCOUNT}:stack/{_SC}/*",),
        "getstarted-launchconstraint.html: reading the stack, and the change sets of update "
        "plans, which change nothing until ExecuteChangeSet (tag-scoped above)",
    ),
    Grant(
        "ServiceCatalogTemplates",
        ("cloudformation:GetTemplateSummary", "cloudformation:ValidateTemplate"),
        ("*",),
        "getstarted-launchconstraint.html: reading a template's parameters; these two "
        "actions take no resource ARN",
    ),
    Grant(
        "ServiceCatalogTemplateObject",
        ("s3:GetObject",),
        ("*",),
        "getstarted-launchconstraint.html: read access to the template in Service "
        "Catalog's own bucket, which tags its objects servicecatalog:provisioning=true",
        _TEMPLATE_OBJECTS,
    ),
    Grant(
        "BucketEmptierInvoke",
        ("lambda:InvokeFunction",),
        (f"{_ARN}:lambda:{_ACCOUNT}:function:{_SC}",),
        "AWS::CloudFormation::CustomResource has no schema handlers: CloudFormation "
        "invokes its Lambda functions (the bucket emptier, dev and staging; the environment "
        "file's writer, with AppEnvironment) with the stack's credentials "
        "(docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-custom-resources-lambda.html)",
        only_with="AWS::CloudFormation::CustomResource",
    ),
)

# Services the stack's roles are passed to, with the resource type that passes one (None: always).
_PASSED_TO: Mapping[str, str | None] = MappingProxyType(
    {
        "ecs-tasks.amazonaws.com": None,
        "ecs.amazonaws.com": None,  # the DeploymentRole (a traffic-shifting strategy)
        "lambda.amazonaws.com": "AWS::Lambda::Function",
        "monitoring.rds.amazonaws.com": None,
        "rds.amazonaws.com": None,
    }
)


def _passed_to(types: frozenset[str] | None) -> Condition:
    """PassStackRoles' condition: the services of _PASSED_TO that `types` (None: any
    resource types) pass a role to."""
    return Condition(
        StringEquals(
            "iam:PassedToService",
            [s for s, needs in _PASSED_TO.items() if types is None or needs in (None, *types)],
        )
    )


_PASS = "PassStackRoles"
_RECORDS = "route53:changeresourcerecordsets"
_ATTACH = "AttachStackPolicies"
_ROLES = tuple(
    f"{_ARN}:iam::${{AWS::AccountId}}:role/{name}"
    for name in (
        "bucket-emptier-role-*",
        "env-file-role-*",
        "ecs-execution-role-*",
        "ecs-task-role-*",
        "rds-monitoring-role-*",
        "ecs-deploy-role-*",
    )
)

# Schema actions scoped to the stack's resources, by the names naming.py gives them (or
# CloudFormation gives them after an SC-* stack). A scope grants only those of its
# actions that the schemas require; the required actions no scope names are granted on
# `*`, by service. Each scope's resources are checked against the actions by parliament
# (tests/catalog/test_launch_role.py).
SCOPES: tuple[Grant, ...] = (
    Grant(
        _ATTACH,
        ("iam:AttachRolePolicy", "iam:DetachRolePolicy"),
        _ROLES,
        "only the managed policies the stage templates attach (ManagedPolicyArns), so "
        "the role cannot give the stack's roles any other policy",
    ),
    Grant(
        "BoundedStackRoles",
        (
            "iam:CreateRole",
            "iam:DeleteRolePolicy",
            "iam:PutRolePermissionsBoundary",
            "iam:PutRolePolicy",
        ),
        _ROLES,
        "the stack's roles (naming.py), each carrying the Planar permissions boundary: "
        "created with it, and their policies changed only while they carry it",
        launch_boundary.bounded(),
    ),
    Grant(
        "StackRoles",
        (
            "iam:DeleteRole",
            "iam:GetRolePolicy",
            "iam:ListAttachedRolePolicies",
            "iam:ListRolePolicies",
            "iam:TagRole",
            "iam:UntagRole",
            "iam:UpdateAssumeRolePolicy",
            "iam:UpdateRole",
            "iam:UpdateRoleDescription",
        ),
        _ROLES,
        "the stack's roles by name ({purpose}-role-*, naming.py); these actions take no "
        "iam:PermissionsBoundary key",
    ),
    Grant(
        _PASS,
        ("iam:PassRole",),
        _ROLES,
        "only the stack's roles, only to the services that use them: ECS and its tasks, "
        "the bucket emptier's Lambda function, RDS enhanced monitoring",
        _passed_to(None),
    ),
    Grant(
        "ServiceLinkedRoles",
        ("iam:CreateServiceLinkedRole",),
        (f"{_ARN}:iam::${{AWS::AccountId}}:role/aws-service-role/*",),
        "the service-linked roles a new account lacks (docs/deploying.md, IAM "
        "permissions of the deployer): ECS, RDS, Elastic Load Balancing and ECS "
        "autoscaling",
        Condition(
            StringEquals(
                "iam:AWSServiceName",
                [
                    "ecs.amazonaws.com",
                    "ecs.application-autoscaling.amazonaws.com",
                    "elasticloadbalancing.amazonaws.com",
                    "rds.amazonaws.com",
                ],
            )
        ),
    ),
    Grant(
        "StackSecrets",
        (
            "secretsmanager:CreateSecret",
            "secretsmanager:DeleteSecret",
            "secretsmanager:DescribeSecret",
            "secretsmanager:GetSecretValue",
            "secretsmanager:RemoveRegionsFromReplication",
            "secretsmanager:ReplicateSecretToRegions",
            "secretsmanager:TagResource",
            "secretsmanager:UntagResource",
            "secretsmanager:UpdateSecret",
        ),
        tuple(
            f"{_ARN}:secretsmanager:{_ACCOUNT}:secret:{name}"
            for name in ("custom-secret-*", "registry-credentials-*")
        ),
        "the stack's AWS::SecretsManager::Secret resources (naming.py), whose schema lists "
        "every one of these actions, GetSecretValue included",
    ),
    Grant(
        "DatabaseSecret",
        ("secretsmanager:CreateSecret", "secretsmanager:TagResource"),
        (f"{_ARN}:secretsmanager:{_ACCOUNT}:secret:rds!cluster-*",),
        "the database's master-user secret, which RDS names rds!cluster-*: only the "
        "secretsmanager actions AWS::RDS::DBCluster's schema lists, so never its value",
    ),
    Grant(
        "FunctionCodeObjects",
        ("s3:GetObject", "s3:GetObjectVersion"),
        ("*",),
        "AWS::Lambda::Function reads a function's code from S3; the bucket emptier's "
        "code is inline, so only Service Catalog's template objects are readable",
        _TEMPLATE_OBJECTS,
    ),
    Grant(
        "ListBuckets",
        ("s3:ListAllMyBuckets",),
        ("*",),
        "listing buckets takes no resource ARN",
    ),
    Grant(
        "StackBucketObjects",
        ("s3:DeleteObject", "s3:PutObjectAcl"),
        (f"{_ARN}:s3:::planar-*/*",),
        "objects in the application bucket",
    ),
    Grant(
        "StackBucket",
        (),
        (f"{_ARN}:s3:::planar-*",),
        "the application bucket, planar-{stage}-{app}-{8} (naming.py): every other "
        "S3 action the schemas list",
        rest_of="s3",
    ),
    Grant(
        "StackLogGroups",
        (
            "logs:AssociateKmsKey",
            "logs:CreateLogGroup",
            "logs:DeleteDataProtectionPolicy",
            "logs:DeleteLogGroup",
            "logs:DeleteRetentionPolicy",
            "logs:DisassociateKmsKey",
            "logs:GetDataProtectionPolicy",
            "logs:ListTagsForResource",
            "logs:PutDataProtectionPolicy",
            "logs:PutRetentionPolicy",
            "logs:TagResource",
            "logs:UntagResource",
        ),
        tuple(
            f"{_ARN}:logs:{_ACCOUNT}:log-group:{name}" for name in ("/ecs/planar-service-*", _SC)
        ),
        "the service's log group, /ecs/planar-service-* (naming.py), and the bucket "
        "emptier's and the environment file writer's, named after the SC-* stack",
    ),
    Grant(
        "StackFunction",
        (
            "lambda:CreateFunction",
            "lambda:DeleteFunction",
            "lambda:DeleteFunctionCodeSigningConfig",
            "lambda:DeleteFunctionConcurrency",
            "lambda:GetFunction",
            "lambda:GetFunctionCodeSigningConfig",
            "lambda:GetFunctionRecursionConfig",
            "lambda:GetRuntimeManagementConfig",
            "lambda:PublishVersion",
            "lambda:PutFunctionConcurrency",
            "lambda:PutFunctionRecursionConfig",
            "lambda:PutRuntimeManagementConfig",
            "lambda:TagResource",
            "lambda:UntagResource",
            "lambda:UpdateFunctionCode",
            "lambda:UpdateFunctionConfiguration",
        ),
        (f"{_ARN}:lambda:{_ACCOUNT}:function:{_SC}",),
        "the bucket emptier (dev, staging) and the environment file's writer, after the SC-* stack",
    ),
    *launch_registry.SCOPES,
)


def managed_policy_arns(templates: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """Every ManagedPolicyArns entry of the templates' roles, as Fn::Sub strings, sorted
    and without repeats."""
    arns: set[str] = set()
    for template in templates:
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] != "AWS::IAM::Role":
                continue
            for arn in resource.get("Properties", {}).get("ManagedPolicyArns", ()):
                value = arn.get("Fn::Sub") if isinstance(arn, dict) and len(arn) == 1 else arn
                if not isinstance(value, str):
                    # Only a literal or Fn::Sub names a policy the role can be limited to.
                    raise ValueError(
                        f"{logical_id}: ManagedPolicyArns entry {arn!r}: must be a string or "
                        "an Fn::Sub string for the launch role to allow attaching it"
                    )
                arns.add(value)
    return tuple(sorted(arns))


def _attachable(policy_arns: Sequence[str]) -> Condition:
    """AttachStackPolicies' condition: the policy attached or detached is one of these,
    and the role carries the Planar permissions boundary."""
    return Condition(
        ArnEquals(
            {
                "iam:PolicyARN": [Sub(arn) for arn in policy_arns],
                "iam:PermissionsBoundary": launch_boundary.boundary_arn(),
            }
        )
    )


def _scope(grant: Grant, types: frozenset[str], policy_arns: Sequence[str]) -> Grant:
    if grant.sid == _PASS:
        return replace(grant, condition=_passed_to(types))
    if grant.sid == _ATTACH:
        return replace(grant, condition=_attachable(policy_arns))
    return grant


def statements(
    required: frozenset[str],
    types: frozenset[str],
    policy_arns: Sequence[str] = (),
    records: Sequence[str] = (),
) -> list[Statement]:
    """Service Catalog's grants, then each scope's required actions, then the remaining
    required actions on `*`, one statement per service; a grant `only_with` a resource
    type `types` lacks is left out. Attaching and detaching is allowed for `policy_arns`
    only, and not at all when there are none; changing records for `records` (name
    patterns) only. The launch boundary's denials end the list."""
    by_lower = {a.lower(): a for a in required}
    grants = [g for g in SERVICE_CATALOG_GRANTS if g.only_with in (None, *types)]
    statements = [grant.statement() for grant in grants]
    placed = {a.lower() for grant in grants for a in grant.actions}
    by_service_catalog = frozenset(placed)
    for grant in SCOPES:
        if grant.sid == _ATTACH and not policy_arns:
            # Nothing to attach: the actions are withheld, not granted on `*`.
            placed.update(a.lower() for a in grant.actions)
            continue
        scope = _scope(grant, types, policy_arns)
        # A scope's own actions, on its own resources, even when an earlier scope grants
        # them on others (the stack's secrets and the database's); not again what a
        # Service Catalog grant already holds.
        names = [
            by_lower[a.lower()]
            for a in scope.actions
            if a.lower() in by_lower and a.lower() not in by_service_catalog
        ]
        if scope.rest_of:
            names += [
                a
                for a in sorted(by_lower.values())
                if service(a) == scope.rest_of and a.lower() not in placed
            ]
        names = list(dict.fromkeys(names))
        if names:
            statements.append(scope.statement(names))
            placed.update(a.lower() for a in names)
    if _RECORDS in by_lower:
        statements += launch_records.statements(records)
        placed.add(_RECORDS)
    rest: dict[str, list[str]] = {}
    for lower, action in sorted(by_lower.items()):
        if lower not in placed:
            rest.setdefault(service(action), []).append(action)
    for prefix, actions in sorted(rest.items()):
        sid = "".join(part.capitalize() for part in prefix.split("-"))
        statements.append(Grant(sid, tuple(actions), ("*",), "no resource ARN").statement())
    return statements + launch_boundary.denials()
