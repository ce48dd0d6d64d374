"""The IAM role AWS Service Catalog assumes to create, update and delete a Planar
stack: templates/planar-launch-role.json.

Its actions are derived, not guessed: cfn-lint ships the CloudFormation resource
provider schemas, and each schema lists the IAM permissions its handlers need to
create, read, update, delete and list a resource. The role grants the union of those
permissions over every resource type the stage templates hold (a template holds its
conditional resources too), less two explicit tables: services the stack never
touches (EXCLUDED_SERVICES) and schema entries that are no IAM action
(NOT_IAM_ACTIONS). Beyond the union it grants only what Service Catalog itself needs
(SERVICE_CATALOG_GRANTS), each grant with the AWS page it comes from.

Where a stack's resources have names the actions can be scoped to, they are
(SCOPES): the roles, secrets, bucket, log groups and function the stack names, or
that CloudFormation names after the stack (Service Catalog names its stacks `SC-...`).
The rest stays on `*`: the actions that create an unnamed resource, list, or describe
take no resource ARN.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from awacs.aws import Action as AwacsAction
from awacs.aws import Allow, Condition, PolicyDocument, Principal, Statement, StringEquals
from awacs.sts import AssumeRole
from troposphere import GetAtt, Output, Parameter, Ref, Sub, Template, encode_to_dict
from troposphere.iam import ManagedPolicy, Role

from ..inputs.stages import DEFAULT_STAGES, Stage
from ..lint.runner import HOME_REGION
from ..paths import TEMPLATES_DIR
from ..template.config import StackConfig
from ..template.render import Rendered, render, template_path

__all__ = [
    "EXCLUDED_SERVICES",
    "LAUNCH_ROLE",
    "LAUNCH_ROLE_FILE",
    "MANAGED_POLICY_LIMIT",
    "NOT_IAM_ACTIONS",
    "SCOPES",
    "SERVICE_CATALOG_GRANTS",
    "Grant",
    "build_launch_role",
    "launch_role_body",
    "launch_role_path",
    "required_actions",
    "resource_types",
    "schema_permissions",
    "with_launch_role",
]

# Its name among the stage templates the command writes: no stage can take it (a
# stage's name has no hyphen), and template_path gives planar-launch-role.json.
LAUNCH_ROLE = "launch-role"
LAUNCH_ROLE_FILE = template_path(LAUNCH_ROLE, Path()).name
DEFAULT_ROLE_NAME = "planar-launch-role"
# The region whose schemas the role is derived from: the one cfn-lint always checks.
SCHEMA_REGION = HOME_REGION
HANDLERS = ("create", "read", "update", "delete", "list")
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


@dataclass(frozen=True)
class Grant:
    """Actions on resources, under an optional condition, and why."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]  # Fn::Sub strings
    reason: str
    condition: Condition | None = None
    # In SCOPES: also every required action of this service no earlier grant placed.
    rest_of: str | None = None
    # Granted only when the stages' templates hold a resource of this type.
    only_with: str | None = None

    def statement(self, actions: Iterable[str] | None = None) -> Statement:
        """The grant as an awacs statement, for `actions` (default: all of its own)."""
        chosen = self.actions if actions is None else tuple(actions)
        return Statement(
            Sid=self.sid,
            Effect=Allow,
            Action=[_action(a) for a in sorted(chosen, key=str.lower)],
            Resource=[r if r == "*" else Sub(r) for r in self.resources],
            **({"Condition": self.condition} if self.condition else {}),
        )


def _action(name: str) -> AwacsAction:
    prefix, action = name.split(":", 1)
    return AwacsAction(prefix, action)


_ARN = "arn:${AWS::Partition}"
_ACCOUNT = "${AWS::Region}:${AWS::AccountId}"
# Service Catalog names a provisioned product's stack SC-{account}-pp-{id}, and
# CloudFormation names a resource the template leaves unnamed {stack}-{logical id}-{id}.
_SC = "SC-*"

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
        "ServiceCatalogStacks",
        (
            "cloudformation:CreateStack",
            "cloudformation:DeleteStack",
            "cloudformation:DescribeStackEvents",
            "cloudformation:DescribeStacks",
            "cloudformation:SetStackPolicy",
            "cloudformation:UpdateStack",
            # Update plans and updates through change sets (the same page's policy).
            "cloudformation:CreateChangeSet",
            "cloudformation:DeleteChangeSet",
            "cloudformation:DescribeChangeSet",
            "cloudformation:ExecuteChangeSet",
            "cloudformation:ListChangeSets",
        ),
        (f"{_ARN}:cloudformation:{_ACCOUNT}:stack/{_SC}/*",),
        "getstarted-launchconstraint.html: Service Catalog creates, updates and deletes "
        "the provisioned product's stack with the launch role; its stacks are SC-*",
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
        "invokes its Lambda function (the bucket emptier, dev and staging) with the "
        "stack's credentials (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/"
        "template-custom-resources-lambda.html)",
        only_with="AWS::CloudFormation::CustomResource",
    ),
)

# The services the stack's roles are passed to, each with the resource type that
# passes one (None: always): no Lambda function, no role passed to Lambda.
_PASSED_TO: Mapping[str, str | None] = MappingProxyType(
    {
        "ecs-tasks.amazonaws.com": None,
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
_ROLES = tuple(
    f"{_ARN}:iam::${{AWS::AccountId}}:role/{name}"
    for name in ("ecs-execution-role-*", "ecs-task-role-*", "rds-monitoring-role-*", _SC)
)

# Schema actions scoped to the stack's resources, by the names naming.py gives them (or
# CloudFormation gives them after an SC-* stack). A scope grants only those of its
# actions that the schemas require; the required actions no scope names are granted on
# `*`, by service. Each scope's resources are checked against the actions by parliament
# (tests/catalog/test_launch_role.py).
SCOPES: tuple[Grant, ...] = (
    Grant(
        "StackRoles",
        (
            "iam:AttachRolePolicy",
            "iam:CreateRole",
            "iam:DeleteRole",
            "iam:DeleteRolePermissionsBoundary",
            "iam:DeleteRolePolicy",
            "iam:DetachRolePolicy",
            "iam:GetRolePolicy",
            "iam:ListAttachedRolePolicies",
            "iam:ListRolePolicies",
            "iam:PutRolePermissionsBoundary",
            "iam:PutRolePolicy",
            "iam:TagRole",
            "iam:UntagRole",
            "iam:UpdateAssumeRolePolicy",
            "iam:UpdateRole",
            "iam:UpdateRoleDescription",
        ),
        _ROLES,
        "the stack's roles: ecs-execution-role-*, ecs-task-role-*, rds-monitoring-role-* "
        "(naming.py) and the bucket emptier's, named after the SC-* stack",
    ),
    Grant(
        _PASS,
        ("iam:PassRole",),
        _ROLES,
        "only the stack's roles, only to the services that use them: ECS tasks, the "
        "bucket emptier's Lambda function, RDS enhanced monitoring",
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
            for name in ("custom-secret-*", "registry-credentials-*", "rds!cluster-*")
        ),
        "the stack's secrets (naming.py) and the database's master-user secret, which "
        "RDS names rds!cluster-*",
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
        "emptier's, named after the SC-* stack",
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
        "the bucket emptier (dev and staging), named after the SC-* stack",
    ),
)


def resource_types(templates: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """Every resource type in the templates, conditional resources included."""
    return frozenset(
        resource["Type"] for template in templates for resource in template["Resources"].values()
    )


@cache
def _schema_index() -> tuple[Path, Mapping[str, str]]:
    """cfn-lint's bundled schemas: their folder, and the us-east-1 index of resource type
    to the content hash that names its schema file. Read from the installed package's
    data, without importing cfn-lint (0.4 s, which an unchanged rebuild does not pay),
    and never from a schema cache `cfn-lint --update-specs` may have downloaded: the
    role follows the pinned cfn-lint, the same on every machine
    (tests/catalog/test_launch_role.py checks the files against cfn-lint's own schema API)."""
    spec = importlib.util.find_spec("cfnlint")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("cfn-lint is not installed: pip install -r requirements.txt")
    schemas = Path(next(iter(spec.submodule_search_locations))) / "data" / "schemas"
    index = json.loads((schemas / "providers" / f"{SCHEMA_REGION}.json").read_text())
    return schemas, MappingProxyType(index)


def schema_permissions(resource_type: str) -> frozenset[str]:
    """The IAM permissions cfn-lint's schema for `resource_type` lists under its
    create, read, update, delete and list handlers (none for a custom resource)."""
    schemas, index = _schema_index()
    if resource_type not in index:
        raise ValueError(
            f"resource type {resource_type!r}: cfn-lint's {SCHEMA_REGION} schemas have no "
            "such type, so no launch role can be derived for it"
        )
    schema = json.loads((schemas / "resources" / f"{index[resource_type]}.json").read_text())
    handlers = schema.get("handlers", {})
    return frozenset(
        permission
        for handler in HANDLERS
        for permission in handlers.get(handler, {}).get("permissions", ())
    )


def _service(action: str) -> str:
    return action.split(":", 1)[0].lower()


def required_actions(types: Iterable[str]) -> frozenset[str]:
    """The union of the schemas' permissions over `types`, less the excluded services
    and the entries that are no IAM action."""
    return frozenset(
        action
        for resource_type in types
        for action in schema_permissions(resource_type)
        if _service(action) not in EXCLUDED_SERVICES and action not in NOT_IAM_ACTIONS
    )


def _statements(required: frozenset[str], types: frozenset[str]) -> list[Statement]:
    """Service Catalog's grants, then each scope's required actions, then the remaining
    required actions on `*`, one statement per service; a grant `only_with` a resource
    type `types` lacks is left out."""
    by_lower = {a.lower(): a for a in required}
    grants = [g for g in SERVICE_CATALOG_GRANTS if g.only_with in (None, *types)]
    statements = [grant.statement() for grant in grants]
    placed = {a.lower() for grant in grants for a in grant.actions}
    for grant in SCOPES:
        scope = replace(grant, condition=_passed_to(types)) if grant.sid == _PASS else grant
        names = [by_lower[a.lower()] for a in scope.actions if a.lower() in by_lower]
        if scope.rest_of:
            names += [a for a in sorted(by_lower.values()) if _service(a) == scope.rest_of]
        names = list(dict.fromkeys(a for a in names if a.lower() not in placed))
        if names:
            statements.append(scope.statement(names))
            placed.update(a.lower() for a in names)
    rest: dict[str, list[str]] = {}
    for lower, action in sorted(by_lower.items()):
        if lower not in placed:
            rest.setdefault(_service(action), []).append(action)
    for service, actions in sorted(rest.items()):
        sid = "".join(part.capitalize() for part in service.split("-"))
        statements.append(Grant(sid, tuple(actions), ("*",), "no resource ARN").statement())
    return statements


# checkov's checks of write and permissions-management actions on `*`, skipped where a
# policy holds such a statement: the actions the schemas list for creating resources
# CloudFormation names (security groups, load balancer, key, certificate, database
# instances, ...) or that take no resource ARN cannot name a resource before it
# exists. Whatever the stack names is scoped (SCOPES).
_UNCONSTRAINED_SKIPS = [
    {
        "id": check,
        "comment": f"{what} on *: the schemas' actions for resources CloudFormation names, "
        "or that take no resource ARN; the stack's named resources are scoped",
    }
    for check, what in (("CKV_AWS_109", "Permissions management"), ("CKV_AWS_111", "Writes"))
]


def _unconstrained(statement: Statement) -> bool:
    return statement.Resource == ["*"] and "Condition" not in statement.properties


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
    types = resource_types(stage_templates)
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
    # latest/adminguide/constraints-launch.html): the role trusts Service Catalog. AWS
    # documents no aws:SourceAccount or aws:SourceArn for this assumption, and a
    # condition on a key the request lacks would refuse every launch.
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
                    )
                ],
            ),
        )
    )
    policies = _policies(_statements(required, types))
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
