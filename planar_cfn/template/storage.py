"""The application's S3 bucket, its TLS-only policy, and, outside prod, the
custom resource that empties it on stack delete."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from awacs import cloudformation as awacs_cfn
from awacs import s3 as awacs_s3
from awacs.aws import Allow, Bool, Condition, Deny, Principal, Statement
from troposphere import AWSHelperFn, GetAtt, If, NoValue, Ref, Split, StackId, Sub, Template
from troposphere.cloudformation import CustomResource
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
from .inline_function import InlineFunction, add_inline_function
from .naming import Naming

EMPTIER_SOURCE = (Path(__file__).with_name("bucket_emptier.py")).read_text()
EMPTIER_TIMEOUT_SECONDS = 900  # Lambda's maximum
# The function's memory, which also sets its CPU share: listing and deleting up to
# 1,000 keys a request needs little of either. Twice Lambda's 128 MiB minimum.
EMPTIER_MEMORY_MB = 256
# CloudFormation waits for the emptier's answer this much longer than the function
# may run: the function answers by itself (bucket_emptier.RESERVE_MS), and one that
# never answers fails the delete about 16 minutes in, not after an hour.
EMPTIER_RESPONSE_MARGIN_SECONDS = 60
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


EMPTIER = InlineFunction(
    logical_id="BucketEmptier",
    role_name="bucket-emptier-role",
    policy_name="empty-bucket-on-stack-delete",
    description="Empties the Planar bucket when the stack is deleted (non-prod stages)",
    source=EMPTIER_SOURCE,
    timeout_seconds=EMPTIER_TIMEOUT_SECONDS,
    memory_mb=EMPTIER_MEMORY_MB,
    response_margin_seconds=EMPTIER_RESPONSE_MARGIN_SECONDS,
    calls="CloudFormation, S3",
    runs_once_per="stack delete",
    could_hang="deletes",
)


def _add_emptier(
    template: Template,
    naming: Naming,
    encryption: Encryption,
    bucket: Bucket,
    bucket_arn: AWSHelperFn,
) -> CustomResource:
    """Add the function that empties the bucket, its role (list and delete the bucket's
    versions, read the stack's status) and logs, and the custom resource whose delete
    runs it."""
    return add_inline_function(
        template,
        naming,
        encryption,
        EMPTIER,
        [
            Statement(Effect=Allow, Action=[awacs_s3.ListBucketVersions], Resource=[bucket_arn]),
            Statement(
                Effect=Allow,
                Action=[awacs_s3.DeleteObject, awacs_s3.DeleteObjectVersion],
                Resource=[policies.objects_in(bucket_arn)],
            ),
            Statement(Effect=Allow, Action=[awacs_cfn.DescribeStacks], Resource=[StackId]),
        ],
        {"BucketName": Ref(bucket)},
    )
