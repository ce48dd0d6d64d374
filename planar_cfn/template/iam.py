"""IAM roles of the service, scoped to the stack's own resources."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from awacs import bedrock, kms, secretsmanager, ssm
from awacs import s3 as awacs_s3
from awacs.aws import (
    Allow,
    ArnLike,
    ArnLikeIfExists,
    Deny,
    Statement,
    StringEquals,
    StringEqualsIfExists,
)
from troposphere import AccountId, GetAtt, If, Join, NoValue, Select, Split, Sub, Template
from troposphere.iam import Policy as RolePolicy
from troposphere.iam import Role

from ..inputs.app_settings import ENVIRONMENT_FILE_PREFIX
from ..inputs.constraints import MAX_BEDROCK_MODELS
from ..inputs.parameters import Params
from . import policies, telemetry
from .config import SECRETS_MANAGER_ARN, SSM_PARAMETER_ARN, StackConfig
from .encryption import encryption_key_policy
from .mantle import mantle_statements
from .naming import Naming

if TYPE_CHECKING:
    from .app_settings import AppSettings
    from .database import Database
    from .encryption import Encryption
    from .secrets import Secrets
    from .storage import Storage


@dataclass(frozen=True)
class Roles:
    """Handles to the service's two roles."""

    # What ECS itself does for the tasks: pull the image, write logs, read the secrets
    # the containers are given.
    execution_role: Role
    # What the application may do: its secrets, its bucket, Bedrock, and extensions.
    task_role: Role

    @property
    def execution_role_arn(self) -> GetAtt:
        """The execution role's ARN."""
        return GetAtt(self.execution_role, "Arn")

    @property
    def task_role_arn(self) -> GetAtt:
        """The task role's ARN."""
        return GetAtt(self.task_role, "Arn")


# The service that runs ECS tasks: both roles are assumed by it, on the tasks' behalf.
ECS_TASKS = "ecs-tasks.amazonaws.com"
# What ECS sends when it assumes a task role: a task of this account and region (the ECS
# Developer Guide's task IAM role page, on the confused deputy).
ECS_SOURCE_ARN = "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:*"
# The services that decrypt with the key for each role: Secrets Manager for the secrets,
# Systems Manager for SecureString parameters given to the container, S3 for the bucket.
# kms:ViaService takes {service}.{region}.amazonaws.com.
EXECUTION_KEY_SERVICES = ("secretsmanager", "ssm")
TASK_KEY_SERVICES = ("secretsmanager", "s3")
INVOKE = [bedrock.InvokeModel, bedrock.InvokeModelWithResponseStream]
READ_SECRET = [secretsmanager.GetSecretValue, secretsmanager.DescribeSecret]


# Per listed model: this account's inference profiles for it in any geography
# (us., eu., global., ...), the model in every region a profile routes to, and the
# region-less model ARN that global. profiles use.
MODEL_ARNS = (
    "arn:${AWS::Partition}:bedrock:${AWS::Region}:${AWS::AccountId}:inference-profile/*.${Model}",
    "arn:${AWS::Partition}:bedrock:*::foundation-model/${Model}",
    "arn:${AWS::Partition}:bedrock:::foundation-model/${Model}",
)


def _scoped_bedrock(params: Params) -> list[Statement]:
    # CloudFormation cannot map over a list without a Transform: fill a fixed
    # number of slots; a shorter list repeats its first id, which grants nothing more.
    listed = params["BedrockModelIds"]  # a String: its pattern caps the list's length
    first = Select(0, Split(",", listed))
    padded = Split(",", Join(",", [listed] + [first] * (MAX_BEDROCK_MODELS - 1)))
    arns = ",".join(
        arn.replace("${Model}", f"${{Model{i}}}")
        for i in range(MAX_BEDROCK_MODELS)
        for arn in MODEL_ARNS
    )
    slots = {f"Model{i}": Select(i, padded) for i in range(MAX_BEDROCK_MODELS)}
    return [
        Statement(
            Sid="InvokeListedModels",
            Effect=Allow,
            Action=[*INVOKE, bedrock.GetInferenceProfile, bedrock.GetFoundationModel],
            Resource=Split(",", Sub(arns, **slots)),
        ),
        # ListFoundationModels has no resource type: AWS cannot scope it.
        Statement(
            Sid="ListModels", Effect=Allow, Action=[bedrock.ListFoundationModels], Resource=["*"]
        ),
    ]


def _container_secret_values(config: StackConfig) -> list[object]:
    """The secrets the containers are given: the app container's extra ones, then each
    sidecar's."""
    return [
        *config.secrets.values(),
        *(value for sidecar in config.sidecars for value in sidecar.secrets.values()),
    ]


def _container_secrets_policy(config: StackConfig) -> RolePolicy:
    """The execution role reads exactly the extra secrets the containers are given."""
    secret_arns: list[object] = []
    parameter_arns: list[object] = []
    for value in _container_secret_values(config):
        if isinstance(value, str) and SSM_PARAMETER_ARN.fullmatch(value):
            parameter_arns.append(value)
        elif isinstance(value, str):
            # The secret itself, without a :json-key:version-stage:version-id choice.
            match = SECRETS_MANAGER_ARN.fullmatch(value)
            assert match is not None, "StackConfig checks every secret's ARN"
            secret_arns.append(match.group(1))
        else:
            secret_arns.append(value)
    statements = []
    if secret_arns:
        statements.append(
            Statement(Effect=Allow, Action=[secretsmanager.GetSecretValue], Resource=secret_arns)
        )
    if parameter_arns:
        statements.append(
            Statement(Effect=Allow, Action=[ssm.GetParameters], Resource=parameter_arns)
        )
    return RolePolicy(
        PolicyName="container-secrets", PolicyDocument=policies.policy_document(statements)
    )


def add_roles(
    template: Template,
    naming: Naming,
    params: Params,
    secrets: Secrets,
    storage: Storage,
    database: Database,
    encryption: Encryption,
    config: StackConfig,
    app: AppSettings,
) -> Roles:
    """Add the execution role and the task role, each scoped to the stack's own
    resources, with the configuration's extra secrets and task-role statements."""
    execution = _add_execution_role(
        template,
        naming,
        params,
        secrets,
        config,
        [
            encryption_key_policy(encryption, [kms.Decrypt], EXECUTION_KEY_SERVICES),
            *app.execution_policies,
        ],
    )
    task = template.add_resource(
        Role(
            "TaskRole",
            RoleName=naming.name("ecs-task-role"),
            # As the ECS task-role page's example sets them (docs/security.md).
            AssumeRolePolicyDocument=policies.assume_role_policy(
                ECS_TASKS,
                StringEquals("aws:SourceAccount", AccountId),
                ArnLike("aws:SourceArn", Sub(ECS_SOURCE_ARN)),
            ),
            Policies=[
                encryption_key_policy(
                    encryption, [kms.Decrypt, kms.GenerateDataKey], TASK_KEY_SERVICES
                ),
                _app_secrets_policy(secrets, database),
                _bucket_policy(storage),
                _bedrock_policy(params),
                If(
                    params.bedrock_mantle,
                    RolePolicy(
                        PolicyName="bedrock-mantle",
                        PolicyDocument=policies.policy_document(mantle_statements()),
                    ),
                    NoValue,
                ),
            ]
            + (
                [
                    RolePolicy(
                        PolicyName="extensions",
                        PolicyDocument=policies.policy_document(list(config.task_role_statements)),
                    )
                ]
                if config.task_role_statements
                else []
            ),
            Tags=naming.tags(naming.name("ecs-task-role")),
        )
    )
    return Roles(execution_role=execution, task_role=task)


def _add_execution_role(
    template: Template,
    naming: Naming,
    params: Params,
    secrets: Secrets,
    config: StackConfig,
    more: list[If],
) -> Role:
    """Add the role ECS uses for the tasks: the image's registry credentials, the
    telemetry token, the key, the application's environment file and secrets (`more`),
    and the container's extra secrets."""
    return template.add_resource(
        Role(
            "ExecutionRole",
            RoleName=naming.name("ecs-execution-role"),
            # IfExists: AWS documents the keys for task roles, not for the execution
            # role; a key ECS does not send here must not refuse every task start.
            AssumeRolePolicyDocument=policies.assume_role_policy(
                ECS_TASKS,
                StringEqualsIfExists("aws:SourceAccount", AccountId),
                ArnLikeIfExists("aws:SourceArn", Sub(ECS_SOURCE_ARN)),
            ),
            ManagedPolicyArns=[
                policies.managed_policy("service-role/AmazonECSTaskExecutionRolePolicy")
            ],
            Policies=[
                If(
                    params.use_registry_credentials,
                    RolePolicy(
                        PolicyName="registry-credentials",
                        PolicyDocument=policies.policy_document(
                            [
                                Statement(
                                    Effect=Allow,
                                    Action=READ_SECRET,
                                    Resource=[secrets.registry_secret_arn],
                                ),
                            ]
                        ),
                    ),
                    NoValue,
                ),
                telemetry.token_policy(params),
                *more,
            ]
            + ([_container_secrets_policy(config)] if _container_secret_values(config) else []),
            Tags=naming.tags(naming.name("ecs-execution-role")),
        )
    )


def _app_secrets_policy(secrets: Secrets, database: Database) -> RolePolicy:
    """The application reads the database's master user secret and its own secret."""
    return RolePolicy(
        PolicyName="secrets",
        PolicyDocument=policies.policy_document(
            [
                Statement(
                    Effect=Allow,
                    Action=READ_SECRET,
                    Resource=[
                        database.secret_arn,
                        secrets.custom_secret_arn,
                    ],
                ),
            ]
        ),
    )


def _bucket_policy(storage: Storage) -> RolePolicy:
    """The application reads, writes and lists its bucket's objects."""
    return RolePolicy(
        PolicyName="bucket",
        PolicyDocument=policies.policy_document(
            [
                Statement(
                    Effect=Allow,
                    Action=[
                        awacs_s3.GetObject,
                        awacs_s3.PutObject,
                        awacs_s3.DeleteObject,
                        awacs_s3.AbortMultipartUpload,
                        awacs_s3.ListMultipartUploadParts,
                    ],
                    Resource=[storage.bucket_arn, policies.objects_in(storage.bucket_arn)],
                ),
                Statement(
                    Effect=Allow,
                    Action=[awacs_s3.ListBucket],
                    Resource=[storage.bucket_arn],
                ),
                # The environment files are the stack's: what the next task starts with
                # is changed by a deploy, not by the application.
                Statement(
                    Sid="KeepEnvironmentFiles",
                    Effect=Deny,
                    Action=[awacs_s3.PutObject, awacs_s3.DeleteObject],
                    Resource=[
                        Sub(
                            "${Arn}/" + ENVIRONMENT_FILE_PREFIX + "*",
                            Arn=storage.bucket_arn,
                        )
                    ],
                ),
            ]
        ),
    )


def _bedrock_policy(params: Params) -> If:
    """The listed models, or every model when the parameters ask for all."""
    return If(
        params.all_bedrock_models,
        # The original module's behaviour, on request: every model.
        RolePolicy(
            PolicyName="bedrock",
            PolicyDocument=policies.policy_document(
                [
                    Statement(
                        Effect=Allow,
                        Action=[
                            *INVOKE,
                            bedrock.GetInferenceProfile,
                            bedrock.GetFoundationModel,
                            bedrock.ListFoundationModels,
                        ],
                        Resource=["*"],
                    ),
                ]
            ),
        ),
        RolePolicy(
            PolicyName="bedrock",
            PolicyDocument=policies.policy_document(_scoped_bedrock(params)),
        ),
    )
