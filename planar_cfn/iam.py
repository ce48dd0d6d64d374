"""IAM roles of the service, scoped to the stack's own resources."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from awacs import bedrock, kms, secretsmanager
from awacs import s3 as awacs_s3
from awacs.aws import Allow, Statement
from troposphere import AWSHelperFn, GetAtt, If, Join, Ref, Select, Split, Sub, Template
from troposphere.iam import Policy as RolePolicy
from troposphere.iam import Role

from .constraints import MAX_BEDROCK_MODELS
from .naming import Naming
from .parameters import Params
from .policies import assume_role_policy, managed_policy, objects_in, policy_document

if TYPE_CHECKING:
    from .database import Database
    from .encryption import Encryption
    from .secrets import Secrets
    from .storage import Storage


@dataclass(frozen=True)
class Roles:
    execution_role_arn: AWSHelperFn
    task_role_arn: AWSHelperFn


# The service that runs ECS tasks: both roles are assumed by it, on the tasks' behalf.
ECS_TASKS = "ecs-tasks.amazonaws.com"
INVOKE = [bedrock.InvokeModel, bedrock.InvokeModelWithResponseStream]


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


def add_roles(
    template: Template,
    naming: Naming,
    params: Params,
    secrets: Secrets,
    storage: Storage,
    database: Database,
    encryption: Encryption,
) -> Roles:
    read_secret = [secretsmanager.GetSecretValue, secretsmanager.DescribeSecret]
    # With the customer-managed key, reading secrets and objects needs the key too.
    use_key = If(
        encryption.condition,
        RolePolicy(
            PolicyName="encryption-key",
            PolicyDocument=policy_document(
                [
                    Statement(
                        Effect=Allow,
                        Action=[kms.Decrypt, kms.GenerateDataKey],
                        Resource=[encryption.arn],
                    )
                ]
            ),
        ),
        Ref("AWS::NoValue"),
    )
    execution = template.add_resource(
        Role(
            "ExecutionRole",
            RoleName=naming.name("ecs-execution-role"),
            AssumeRolePolicyDocument=assume_role_policy(ECS_TASKS),
            ManagedPolicyArns=[managed_policy("service-role/AmazonECSTaskExecutionRolePolicy")],
            Policies=[
                If(
                    params.use_registry_credentials,
                    RolePolicy(
                        PolicyName="registry-credentials",
                        PolicyDocument=policy_document(
                            [
                                Statement(
                                    Effect=Allow,
                                    Action=read_secret,
                                    Resource=[secrets.registry_secret],
                                ),
                            ]
                        ),
                    ),
                    Ref("AWS::NoValue"),
                ),
                use_key,
            ],
            Tags=naming.tags(naming.name("ecs-execution-role")),
        )
    )
    task = template.add_resource(
        Role(
            "TaskRole",
            RoleName=naming.name("ecs-task-role"),
            AssumeRolePolicyDocument=assume_role_policy(ECS_TASKS),
            Policies=[
                use_key,
                RolePolicy(
                    PolicyName="secrets",
                    PolicyDocument=policy_document(
                        [
                            Statement(
                                Effect=Allow,
                                Action=read_secret,
                                Resource=[
                                    database.secret_arn,
                                    secrets.custom_secret,
                                ],
                            ),
                        ]
                    ),
                ),
                RolePolicy(
                    PolicyName="bucket",
                    PolicyDocument=policy_document(
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
                                Resource=[storage.bucket_arn, objects_in(storage.bucket_arn)],
                            ),
                            Statement(
                                Effect=Allow,
                                Action=[awacs_s3.ListBucket],
                                Resource=[storage.bucket_arn],
                            ),
                        ]
                    ),
                ),
                If(
                    params.all_bedrock_models,
                    # The original module's behaviour, on request: every model.
                    RolePolicy(
                        PolicyName="bedrock",
                        PolicyDocument=policy_document(
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
                        PolicyDocument=policy_document(_scoped_bedrock(params)),
                    ),
                ),
            ],
            Tags=naming.tags(naming.name("ecs-task-role")),
        )
    )
    return Roles(execution_role_arn=GetAtt(execution, "Arn"), task_role_arn=GetAtt(task, "Arn"))
