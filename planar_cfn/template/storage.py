"""The application's S3 bucket, its TLS-only policy, and, outside prod, the
custom resource that empties it on stack delete."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from awacs import cloudformation as awacs_cfn
from awacs import logs as awacs_logs
from awacs import s3 as awacs_s3
from awacs.aws import Allow, Bool, Condition, Deny, Principal, Statement
from troposphere import AWSHelperFn, GetAtt, If, NoValue, Ref, Split, StackId, Sub, Template
from troposphere.awslambda import Code, Function, LoggingConfig
from troposphere.cloudformation import CustomResource
from troposphere.iam import Policy as RolePolicy
from troposphere.iam import Role
from troposphere.logs import LogGroup
from troposphere.s3 import (
    Bucket,
    BucketEncryption,
    BucketPolicy,
    CorsConfiguration,
    CorsRules,
    LoggingConfiguration,
    OwnershipControls,
    OwnershipControlsRule,
    PublicAccessBlockConfiguration,
    ServerSideEncryptionByDefault,
    ServerSideEncryptionRule,
    VersioningConfiguration,
)

from ..inputs.parameters import Params
from ..inputs.stages import Stage
from . import policies
from .encryption import Encryption
from .naming import Naming

EMPTIER_SOURCE = (Path(__file__).with_name("bucket_emptier.py")).read_text()
LAMBDA_RUNTIME = "python3.13"
# CloudFormation writes inline code (ZipFile) to index.py: the handler is index.handler.
EMPTIER_HANDLER = "index.handler"
EMPTIER_TIMEOUT_SECONDS = 900  # Lambda's maximum
# The function's memory, which also sets its CPU share: listing and deleting up to
# 1,000 keys a request needs little of either. Twice Lambda's 128 MiB minimum.
EMPTIER_MEMORY_MB = 256
# CloudFormation waits for the emptier's answer this much longer than the function
# may run: the function answers by itself (bucket_emptier.RESERVE_MS), and one that
# never answers fails the delete about 16 minutes in, not after an hour.
EMPTIER_RESPONSE_MARGIN_SECONDS = 60
# As long as the service's own logs by default (LogRetentionDays); a group written
# once per stack delete needs no parameter of its own.
EMPTIER_LOG_RETENTION_DAYS = 14
# How long browsers may cache the answer to a CORS preflight (docs/stack.md, Components: max age 3000).
CORS_MAX_AGE_SECONDS = 3000


@dataclass(frozen=True)
class Storage:
    """Handles to the application's bucket."""

    bucket: Bucket
    bucket_policy: BucketPolicy
    # The custom resource that empties the bucket on stack delete (unprotected stages only).
    emptier: CustomResource | None

    @property
    def bucket_name(self) -> Ref:
        """The bucket's name."""
        return Ref(self.bucket)

    @property
    def bucket_arn(self) -> GetAtt:
        """The bucket's ARN."""
        return GetAtt(self.bucket, "Arn")


def add_storage(
    template: Template, naming: Naming, stage: Stage, params: Params, encryption: Encryption
) -> Storage:
    """Add the bucket and its TLS-only policy and, when the stage deletes the bucket with
    the stack, the custom resource that empties it first."""
    bucket = _add_bucket(template, naming, stage, params, encryption)
    bucket_arn = GetAtt(bucket, "Arn")
    policy = template.add_resource(
        BucketPolicy(
            "AppBucketPolicy",
            Bucket=Ref(bucket),
            PolicyDocument=policies.policy_document(
                [
                    Statement(
                        Sid="DenyInsecureConnections",
                        Effect=Deny,
                        Principal=Principal("*"),
                        Action=[awacs_s3.Action("*")],
                        Resource=[bucket_arn, policies.objects_in(bucket_arn)],
                        Condition=Condition(Bool("aws:SecureTransport", "false")),
                    )
                ]
            ),
        )
    )
    emptier = (
        _add_emptier(template, naming, encryption, bucket, bucket_arn)
        if stage.empties_bucket
        else None
    )
    return Storage(bucket=bucket, bucket_policy=policy, emptier=emptier)


def _add_bucket(
    template: Template, naming: Naming, stage: Stage, params: Params, encryption: Encryption
) -> Bucket:
    """Add the versioned, encrypted, private bucket, its CORS rule and access logs."""
    return template.add_resource(
        Bucket(
            "AppBucket",
            BucketName=naming.bucket_name,
            VersioningConfiguration=VersioningConfiguration(Status="Enabled"),
            BucketEncryption=BucketEncryption(
                ServerSideEncryptionConfiguration=[
                    If(
                        encryption.condition,
                        ServerSideEncryptionRule(
                            ServerSideEncryptionByDefault=ServerSideEncryptionByDefault(
                                SSEAlgorithm="aws:kms",
                                KMSMasterKeyID=encryption.arn,
                            ),
                            # One data key per bucket, not per object: fewer KMS calls.
                            BucketKeyEnabled=True,
                        ),
                        ServerSideEncryptionRule(
                            ServerSideEncryptionByDefault=ServerSideEncryptionByDefault(
                                SSEAlgorithm="AES256"
                            ),
                        ),
                    )
                ]
            ),
            LoggingConfiguration=If(
                params.has_access_logs,
                LoggingConfiguration(
                    DestinationBucketName=params["AccessLogsBucket"],
                    LogFilePrefix=Sub(f"s3/planar-{stage.name}-${{AppName}}/"),
                ),
                NoValue,
            ),
            PublicAccessBlockConfiguration=PublicAccessBlockConfiguration(
                BlockPublicAcls=True,
                BlockPublicPolicy=True,
                IgnorePublicAcls=True,
                RestrictPublicBuckets=True,
            ),
            # Browsers of the listed origins only ("null" among them only when listed):
            # with none, no CORS rule at all.
            CorsConfiguration=If(
                params.has_cors_origins,
                CorsConfiguration(
                    CorsRules=[
                        CorsRules(
                            AllowedMethods=["GET"],
                            AllowedHeaders=["*"],
                            AllowedOrigins=Split(",", params["CorsAllowedOrigins"]),
                            MaxAge=CORS_MAX_AGE_SECONDS,
                        )
                    ]
                ),
                NoValue,
            ),
            # ACLs off, every object the bucket owner's: S3's default for new buckets
            # since April 2023, written out so that an older bucket gets it too.
            OwnershipControls=OwnershipControls(
                Rules=[OwnershipControlsRule(ObjectOwnership="BucketOwnerEnforced")]
            ),
            Tags=naming.tags(naming.name("planar")),
            DeletionPolicy=stage.deletion_policy,
            # A replacement (a new AppName) keeps the old bucket and its objects.
            UpdateReplacePolicy="Retain",
        )
    )


def _add_emptier(
    template: Template,
    naming: Naming,
    encryption: Encryption,
    bucket: Bucket,
    bucket_arn: AWSHelperFn,
) -> CustomResource:
    """Add the function that empties the bucket, its role and logs, and the custom
    resource whose delete runs it."""
    logs = template.add_resource(
        LogGroup(
            "BucketEmptierLogGroup",
            RetentionInDays=EMPTIER_LOG_RETENTION_DAYS,
            KmsKeyId=encryption.arn_or_no_value,
            Tags=naming.tags(),
            DeletionPolicy="Delete",
            UpdateReplacePolicy="Delete",
        )
    )
    role = _add_emptier_role(template, naming, bucket_arn, logs)
    function = _add_emptier_function(template, naming, role, logs)
    return template.add_resource(
        CustomResource(
            "BucketEmptier",
            ServiceToken=GetAtt(function, "Arn"),
            # Fail a stuck delete after the function's own limit, not CloudFormation's hour.
            ServiceTimeout=EMPTIER_TIMEOUT_SECONDS + EMPTIER_RESPONSE_MARGIN_SECONDS,
            BucketName=Ref(bucket),
            DeletionPolicy="Delete",
            UpdateReplacePolicy="Delete",
        )
    )


def _add_emptier_role(
    template: Template, naming: Naming, bucket_arn: AWSHelperFn, logs: LogGroup
) -> Role:
    """Add the emptier's role: list and delete the bucket's versions, read the stack's
    status, write its own logs."""
    return template.add_resource(
        Role(
            "BucketEmptierRole",
            # A fixed name, like the stack's other roles: the launch role manages roles of
            # these names only (docs/security.md).
            RoleName=naming.name("bucket-emptier-role"),
            AssumeRolePolicyDocument=policies.assume_role_policy("lambda.amazonaws.com"),
            Policies=[
                RolePolicy(
                    PolicyName="empty-bucket-on-stack-delete",
                    PolicyDocument=policies.policy_document(
                        [
                            Statement(
                                Effect=Allow,
                                Action=[awacs_s3.ListBucketVersions],
                                Resource=[bucket_arn],
                            ),
                            Statement(
                                Effect=Allow,
                                Action=[awacs_s3.DeleteObject, awacs_s3.DeleteObjectVersion],
                                Resource=[policies.objects_in(bucket_arn)],
                            ),
                            Statement(
                                Effect=Allow, Action=[awacs_cfn.DescribeStacks], Resource=[StackId]
                            ),
                            Statement(
                                Effect=Allow,
                                Action=[awacs_logs.CreateLogStream, awacs_logs.PutLogEvents],
                                Resource=[GetAtt(logs, "Arn")],
                            ),
                        ]
                    ),
                )
            ],
            Tags=naming.tags(),
        )
    )


def _add_emptier_function(
    template: Template, naming: Naming, role: Role, logs: LogGroup
) -> Function:
    """Add the emptier's function, its source inline."""
    return template.add_resource(
        Function(
            "BucketEmptierFunction",
            Description="Empties the Planar bucket when the stack is deleted (non-prod stages)",
            Runtime=LAMBDA_RUNTIME,
            Handler=EMPTIER_HANDLER,
            Code=Code(ZipFile=EMPTIER_SOURCE),
            Role=GetAtt(role, "Arn"),
            Timeout=EMPTIER_TIMEOUT_SECONDS,
            MemorySize=EMPTIER_MEMORY_MB,
            LoggingConfig=LoggingConfig(LogGroup=Ref(logs)),
            Tags=naming.tags(),
            Metadata={
                "checkov": {
                    "skip": [
                        {
                            "id": "CKV_AWS_116",
                            "comment": "A custom-resource handler reports its own "
                            "failures to CloudFormation; a dead-letter queue would hold nothing to act on.",
                        },
                        {
                            "id": "CKV_AWS_117",
                            "comment": "It calls only CloudFormation, S3 and the response "
                            "URL; inside the VPC it would need NAT or endpoints, or stack deletes could hang.",
                        },
                        {
                            "id": "CKV_AWS_115",
                            "comment": "It runs once per stack delete; reserving "
                            "concurrency fails stack creation on accounts with a low concurrency quota.",
                        },
                    ]
                }
            },
        )
    )
