"""IAM roles of the service, scoped to the stack's own resources."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from awacs import bedrock, secretsmanager
from awacs import s3 as awacs_s3
from awacs.aws import Allow, Policy, Principal, Statement
from awacs.sts import AssumeRole
from troposphere import AWSHelperFn, GetAtt, If, Ref, Sub, Template
from troposphere.iam import Policy as RolePolicy
from troposphere.iam import Role

from .naming import Naming
from .parameters import Params

if TYPE_CHECKING:
    from .database import Database
    from .secrets import Secrets
    from .storage import Storage



@dataclass(frozen=True)
class Roles:
    execution_role_arn: AWSHelperFn
    task_role_arn: AWSHelperFn


def assume_role_policy(service: str) -> Policy:
    return Policy(Version="2012-10-17", Statement=[
        Statement(Effect=Allow, Principal=Principal("Service", [service]), Action=[AssumeRole]),
    ])  # fmt: skip


def managed_policy(path: str) -> Sub:
    return Sub(f"arn:${{AWS::Partition}}:iam::aws:policy/{path}")


def objects_in(bucket_arn: AWSHelperFn) -> Sub:
    return Sub("${Bucket}/*", Bucket=bucket_arn)


def add_roles(
    template: Template,
    naming: Naming,
    params: Params,
    secrets: Secrets,
    storage: Storage,
    database: Database,
) -> Roles:
    read_secret = [secretsmanager.GetSecretValue, secretsmanager.DescribeSecret]
    execution = template.add_resource(Role(
        "ExecutionRole",
        RoleName=naming.name("ecs-execution-role"),
        AssumeRolePolicyDocument=assume_role_policy("ecs-tasks.amazonaws.com"),
        ManagedPolicyArns=[managed_policy("service-role/AmazonECSTaskExecutionRolePolicy")],
        Policies=If(params.use_registry_credentials, [RolePolicy(
            PolicyName="registry-credentials",
            PolicyDocument=Policy(Version="2012-10-17", Statement=[
                Statement(Effect=Allow, Action=read_secret, Resource=[secrets.registry_secret]),
            ]),
        )], Ref("AWS::NoValue")),
        Tags=naming.tags(naming.name("ecs-execution-role")),
    ))  # fmt: skip
    task = template.add_resource(Role(
        "TaskRole",
        RoleName=naming.name("ecs-task-role"),
        AssumeRolePolicyDocument=assume_role_policy("ecs-tasks.amazonaws.com"),
        Policies=[
            RolePolicy(PolicyName="secrets", PolicyDocument=Policy(
                Version="2012-10-17",
                Statement=[Statement(Effect=Allow, Action=read_secret, Resource=[
                    database.secret_arn, secrets.custom_secret,
                ])],
            )),
            RolePolicy(PolicyName="bucket", PolicyDocument=Policy(
                Version="2012-10-17",
                Statement=[
                    Statement(Effect=Allow, Action=[
                        awacs_s3.GetObject, awacs_s3.PutObject, awacs_s3.DeleteObject,
                        awacs_s3.AbortMultipartUpload, awacs_s3.ListMultipartUploadParts,
                    ], Resource=[storage.bucket_arn, objects_in(storage.bucket_arn)]),
                    Statement(Effect=Allow, Action=[awacs_s3.ListBucket],
                              Resource=[storage.bucket_arn]),
                ],
            )),
            RolePolicy(PolicyName="bedrock", PolicyDocument=Policy(
                Version="2012-10-17",
                Statement=[Statement(Effect=Allow, Action=[
                    bedrock.InvokeModel, bedrock.InvokeModelWithResponseStream,
                    bedrock.ListFoundationModels, bedrock.GetFoundationModel,
                ], Resource=["*"])],
            )),
        ],
        Tags=naming.tags(naming.name("ecs-task-role")),
    ))  # fmt: skip
    return Roles(execution_role_arn=GetAtt(execution, "Arn"), task_role_arn=GetAtt(task, "Arn"))
