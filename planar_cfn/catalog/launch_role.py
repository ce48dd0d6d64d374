"""The IAM role AWS Service Catalog assumes to create, update and delete a Planar
stack: templates/planar-launch-role.json.

Its actions are derived, not guessed: cfn-lint ships the CloudFormation resource
provider schemas, and each schema lists the IAM permissions its handlers need to
create, read, update, delete and list a resource. The role grants the union of those
permissions over every resource type the stage templates hold (a template holds its
conditional resources too), less two explicit tables: services the stack never
touches (EXCLUDED_SERVICES) and schema entries that are no IAM action
(NOT_IAM_ACTIONS). Beyond the union it grants only what Service Catalog itself needs
(launch_grants.SERVICE_CATALOG_GRANTS), each grant with the AWS page it comes from.

Where a stack's resources have names the actions can be scoped to, they are
(launch_grants.SCOPES): the roles, secrets, bucket, log groups and function the stack names, or
that CloudFormation names after the stack (Service Catalog names its stacks `SC-...`).
The rest stays on `*`: the actions that create an unnamed resource, list, or describe
take no resource ARN.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from awacs.aws import Allow, Condition, PolicyDocument, Principal, Statement, StringEqualsIfExists
from awacs.sts import AssumeRole
from troposphere import GetAtt, Output, Parameter, Ref, Template, encode_to_dict
from troposphere.iam import ManagedPolicy, Role

from ..inputs.stages import DEFAULT_STAGES, Stage
from ..paths import TEMPLATES_DIR
from ..template.config import StackConfig
from ..template.render import Rendered, render, template_path
from . import launch_boundary, launch_grants, launch_records, resource_schemas

__all__ = [
    "EXCLUDED_SERVICES",
    "LAUNCH_ROLE",
    "LAUNCH_ROLE_FILE",
    "MANAGED_POLICY_LIMIT",
    "NOT_IAM_ACTIONS",
    "build_launch_role",
    "launch_role_body",
    "launch_role_path",
    "required_actions",
    "with_launch_role",
]

# Its name among the stage templates the command writes: no stage can take it (a
# stage's name has no hyphen), and template_path gives planar-launch-role.json.
LAUNCH_ROLE = "launch-role"
LAUNCH_ROLE_FILE = template_path(LAUNCH_ROLE, Path()).name
DEFAULT_ROLE_NAME = "planar-launch-role"
# "IAM and AWS STS quotas" (docs.aws.amazon.com/IAM/latest/UserGuide/
# reference_iam-quotas.html): a managed policy holds at most 6,144 characters, white
# space not counted; a role's inline policies 10,240 together, too few for this role,
# so its policies are managed ones. A role takes 10 managed policies by default.
MANAGED_POLICY_LIMIT = 6_144
MANAGED_POLICIES_PER_ROLE = 10

# Services whose actions some schema lists, for features this stack never uses. Each
# is a service the stage templates create no resource of (tests/catalog/test_launch_role.py).
EXCLUDED_SERVICES: Mapping[str, str] = MappingProxyType(
    {
        "acm-pca": "AWS::CertificateManager::Certificate issued by a private CA; the "
        "stack's certificate is public and validated through DNS",
        "amplify": "AWS::WAFv2::WebACLAssociation with an Amplify app; the stack "
        "associates its web ACL with its load balancer only",
        "apigateway": "AWS::WAFv2::WebACLAssociation with an API Gateway stage; the "
        "stack associates its web ACL with its load balancer only",
        "apprunner": "AWS::WAFv2::WebACLAssociation with an App Runner service; the "
        "stack associates its web ACL with its load balancer only",
        "appsync": "AWS::WAFv2::WebACLAssociation with an AppSync API; the stack "
        "associates its web ACL with its load balancer only",
        "bedrock-agentcore": "AWS::WAFv2::WebACLAssociation with an AgentCore gateway; "
        "the stack associates its web ACL with its load balancer only",
        "cognito-idp": "AWS::WAFv2::WebACLAssociation with a user pool, and a listener's "
        "authenticate-cognito action; the listeners forward and redirect only",
        "elasticfilesystem": "AWS::Lambda::Function with an EFS file system; the bucket "
        "emptier mounts none",
        "firehose": "AWS::Logs::LogGroup delivering to Firehose; the log groups deliver nowhere",
        "payments": "AWS::WAFv2::WebACL with paid rule groups; the web ACL uses AWS "
        "managed rule groups only",
        "s3files": "AWS::Lambda::Function mounting an S3 file system; the bucket emptier "
        "mounts none",
        "s3tables": "AWS::S3::Bucket with a metadata table configuration; the bucket has none",
    }
)

# Entries in the schemas' permission lists that are no IAM action (cfn-lint's own list
# of IAM actions, which its rule W3037 checks policies against, lacks them): API
# operation names whose permission is another action, granted under that name.
_PUT = "S3 authorizes this API operation with "
NOT_IAM_ACTIONS: Mapping[str, str] = MappingProxyType(
    {
        "iam:DescribeOrganization": "AWS::WAFv2::LoggingConfiguration lists it; IAM "
        "defines no such action (DescribeOrganization is an Organizations action)",
        "lambda:AssociateRuntimeAlias": "AWS::Lambda::Function lists it; IAM defines no "
        "such Lambda action",
        "s3:DeleteBucketAnalyticsConfiguration": _PUT + "s3:PutAnalyticsConfiguration",
        "s3:DeleteBucketCors": _PUT + "s3:PutBucketCORS",
        "s3:DeleteBucketEncryption": _PUT + "s3:PutEncryptionConfiguration",
        "s3:DeleteBucketLifecycle": _PUT + "s3:PutLifecycleConfiguration",
        "s3:DeleteBucketMetricsConfiguration": _PUT + "s3:PutMetricsConfiguration",
        "s3:DeleteBucketReplication": _PUT + "s3:PutReplicationConfiguration",
        "s3:PutBucketReplication": _PUT + "s3:PutReplicationConfiguration",
        "s3:PutObjectLockConfiguration": _PUT + "s3:PutBucketObjectLockConfiguration",
        "s3:REST.PUT.OBJECT": "AWS::Logs::LogGroup lists an S3 REST operation's name (as "
        "S3 server access logs write it), not an IAM action",
    }
)


# IfExists: no AWS page says Service Catalog sends aws:SourceAccount when it assumes a
# launch role; a plain StringEquals would then refuse every launch. When the key is
# sent, only this account passes (docs/publishing.md, "The launch role").
_SAME_ACCOUNT = Condition(StringEqualsIfExists("aws:SourceAccount", Ref("AWS::AccountId")))


def required_actions(types: Iterable[str]) -> frozenset[str]:
    """The union of the schemas' permissions over `types`, less the excluded services,
    the entries that are no IAM action and the actions withheld to keep the permissions
    boundary (launch_boundary.WITHHELD_ACTIONS)."""
    return frozenset(
        action
        for resource_type in types
        for action in resource_schemas.schema_permissions(resource_type)
        if launch_grants.service(action) not in EXCLUDED_SERVICES
        and action not in NOT_IAM_ACTIONS
        and action not in launch_boundary.WITHHELD_ACTIONS
    )


# checkov's checks of write and permissions-management actions on `*`, skipped where a
# policy holds such a statement: the actions the schemas list for creating resources
# CloudFormation names (security groups, load balancer, key, certificate, database
# instances, ...) or that take no resource ARN cannot name a resource before it
# exists. Whatever the stack names is scoped (launch_grants.SCOPES).
_UNCONSTRAINED_SKIPS = [
    {
        "id": check,
        "comment": f"{what} on *: the schemas' actions for resources CloudFormation names, "
        "or that take no resource ARN; the stack's named resources are scoped, and no IAM "
        "write is among them: every role the launch role creates or changes must carry the "
        "Planar permissions boundary (PermissionsBoundaryPolicy)",
    }
    for check, what in (("CKV_AWS_109", "Permissions management"), ("CKV_AWS_111", "Writes"))
]


def _unconstrained(statement: Statement) -> bool:
    return (
        statement.Effect == "Allow"
        and statement.Resource == ["*"]
        and "Condition" not in statement.properties
    )


def _size(statements: Sequence[Statement]) -> int:
    """A policy's size as IAM counts it (no white space), with every Fn::Sub left
    unresolved: ${AWS::Partition}, ${AWS::Region} and ${AWS::AccountId} are longer
    than any value they take, so the real policy is smaller."""
    document = PolicyDocument(Version="2012-10-17", Statement=list(statements))
    return len("".join(json.dumps(encode_to_dict(document)).split()))


def _policies(statements: Sequence[Statement]) -> list[list[Statement]]:
    """The statements packed, in order, into as few managed policies as fit the limit."""
    policies: list[list[Statement]] = [[]]
    for statement in statements:
        if policies[-1] and _size([*policies[-1], statement]) > MANAGED_POLICY_LIMIT:
            policies.append([])
        policies[-1].append(statement)
    return policies


def build_launch_role(stages: Sequence[Stage | StackConfig] = DEFAULT_STAGES) -> Template:
    """The launch-role template: an IAM role Service Catalog assumes to create, update
    and delete the stacks of `stages` (default: dev, staging and prod), with the
    permissions their resource types need. Its name is a parameter (default
    `planar-launch-role`), the same in every account it is deployed to, so that a
    launch constraint can name it by `LocalRoleName`; the outputs are `LaunchRoleArn`
    and `LaunchRoleName`."""
    if isinstance(stages, str) or not isinstance(stages, Sequence) or not stages:
        raise TypeError(
            f"build_launch_role: stages = {stages!r}: must be a non-empty sequence of "
            "Stage or StackConfig (DEFAULT_STAGES holds dev, staging and prod)"
        )
    for index, stage in enumerate(stages):
        if not isinstance(stage, Stage | StackConfig):
            raise TypeError(
                f"build_launch_role: stages[{index}] = {stage!r}: must be a Stage or a "
                "StackConfig (get_stage('prod') looks one up by name)"
            )
    configs = [s if isinstance(s, StackConfig) else StackConfig(stage=s) for s in stages]
    bodies = [render(config).body for config in configs]
    return _template([json.loads(body) for body in bodies])


def _template(stage_templates: Sequence[Mapping[str, Any]]) -> Template:
    types = resource_schemas.resource_types(stage_templates)
    required = required_actions(types)
    template = Template(
        Description="IAM role AWS Service Catalog assumes to launch, update and "
        "terminate Planar stacks (planar-cfn)"
    )
    name = template.add_parameter(
        Parameter(
            "LaunchRoleName",
            Type="String",
            Default=DEFAULT_ROLE_NAME,
            AllowedPattern=r"^[\w+=,.@-]{1,64}$",
            Description="The role's name, the same in every account (a launch "
            "constraint's LocalRoleName)",
        )
    )
    # "AWS Service Catalog launch constraints" (docs.aws.amazon.com/servicecatalog/
    # latest/adminguide/constraints-launch.html): the role trusts Service Catalog. The
    # aws:SourceAccount condition is IAM's confused-deputy guard (docs.aws.amazon.com/IAM/
    # latest/UserGuide/confused-deputy.html): Service Catalog may assume the role only
    # for launches in the account the role is in.
    role = template.add_resource(
        Role(
            "LaunchRole",
            RoleName=Ref(name),
            Description="Assumed by AWS Service Catalog to create, update and delete Planar stacks",
            AssumeRolePolicyDocument=PolicyDocument(
                Version="2012-10-17",
                Statement=[
                    Statement(
                        Effect=Allow,
                        Principal=Principal("Service", "servicecatalog.amazonaws.com"),
                        Action=[AssumeRole],
                        Condition=_SAME_ACCOUNT,
                    )
                ],
            ),
        )
    )
    boundary = launch_boundary.add_boundary(template, stage_templates)
    arns = launch_grants.managed_policy_arns(stage_templates)
    records = launch_records.record_patterns(stage_templates)
    policies = _policies(launch_grants.statements(required, types, arns, records))
    if len(policies) > MANAGED_POLICIES_PER_ROLE:
        raise ValueError(
            f"launch role: {len(policies)} managed policies, over the "
            f"{MANAGED_POLICIES_PER_ROLE} a role takes by default"
        )
    for number, statements in enumerate(policies, start=1):
        policy = ManagedPolicy(
            f"LaunchPolicy{number}",
            Description=f"Planar launch role, part {number} of {len(policies)}",
            Roles=[Ref(role)],
            PolicyDocument=PolicyDocument(Version="2012-10-17", Statement=statements),
            # The denials name the boundary policy: created first, deleted last.
            DependsOn=[boundary.title],
        )
        if any(_unconstrained(statement) for statement in statements):
            policy.Metadata = {"checkov": {"skip": _UNCONSTRAINED_SKIPS}}
        template.add_resource(policy)
    template.add_output(Output("LaunchRoleArn", Value=GetAtt(role, "Arn")))
    template.add_output(Output("LaunchRoleName", Value=Ref(role)))
    return template


def launch_role_body(stage_bodies: Iterable[str]) -> str:
    """The launch-role template as written to templates/, for stage templates given as
    the JSON text the command writes."""
    template = _template([json.loads(body) for body in stage_bodies])
    return json.dumps(template.to_dict(), indent=2, ensure_ascii=False) + "\n"


def launch_role_path(directory: Path = TEMPLATES_DIR) -> Path:
    """Where the launch-role template is written: {directory}/planar-launch-role.json."""
    return template_path(LAUNCH_ROLE, directory)


def with_launch_role(rendered: Mapping[str, Rendered]) -> dict[str, Rendered]:
    """The rendered stage templates and, after them, the launch role for their resource
    types, as `build.py --all-stages` writes, lints and checks them."""
    body = launch_role_body(r.body for r in rendered.values())
    return {**rendered, LAUNCH_ROLE: Rendered(stage=LAUNCH_ROLE, body=body)}
