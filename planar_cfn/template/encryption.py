"""The optional customer-managed KMS key (parameter CustomerManagedKey) for the
secrets, logs, database, Performance Insights and bucket."""

from __future__ import annotations

from dataclasses import dataclass

from awacs import kms
from awacs.aws import Allow, ArnLike, Condition, Principal, Statement, StringEquals
from troposphere import AWSHelperFn, GetAtt, If, NoValue, Ref, Sub, Template
from troposphere.iam import Policy as RolePolicy
from troposphere.kms import Alias, Key

from ..inputs.parameters import Params
from ..inputs.stages import Stage
from .naming import Naming
from .policies import policy_document


@dataclass(frozen=True)
class Encryption:
    """Handles to the optional customer-managed key."""

    # The key itself, created only under `condition` (parameter CustomerManagedKey).
    key: Key
    condition: str
    # The key's ARN: only valid under `condition`.
    arn: AWSHelperFn
    # The key's ARN under `condition`, else AWS::NoValue: drop it into any KmsKeyId.
    arn_or_no_value: AWSHelperFn


def add_encryption(template: Template, naming: Naming, stage: Stage, params: Params) -> Encryption:
    """Add the customer-managed KMS key and its alias, both under the
    UseCustomerManagedKey condition."""
    condition = params.customer_managed_key
    key = template.add_resource(
        Key(
            "EncryptionKey",
            Condition=condition,
            Description=Sub(f"Planar {stage.name} ${{AppName}}: secrets, logs, database, bucket"),
            EnableKeyRotation=True,
            KeyPolicy=policy_document(
                [
                    # The account administers the key; IAM policies grant its use (the
                    # task and execution roles, and the services acting for them).
                    Statement(
                        Sid="AccountAdministers",
                        Effect=Allow,
                        Principal=Principal(
                            "AWS", [Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")]
                        ),
                        Action=[kms.Action("*")],
                        Resource=["*"],
                    ),
                    # CloudWatch Logs encrypts with the key only for this account's log groups.
                    Statement(
                        Sid="CloudWatchLogsEncrypts",
                        Effect=Allow,
                        Principal=Principal("Service", [Sub("logs.${AWS::Region}.amazonaws.com")]),
                        Action=[
                            kms.Encrypt,
                            kms.Decrypt,
                            kms.ReEncryptFrom,
                            kms.ReEncryptTo,
                            kms.GenerateDataKey,
                            kms.GenerateDataKeyWithoutPlaintext,
                            kms.DescribeKey,
                        ],
                        Resource=["*"],
                        Condition=Condition(
                            ArnLike(
                                "kms:EncryptionContext:aws:logs:arn",
                                Sub(
                                    "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"
                                ),
                            )
                        ),
                    ),
                ]
            ),
            Tags=naming.tags(naming.name("planar")),
            # Kept in every stage: what it encrypted can outlive the stack (a prod snapshot,
            # a bucket or secret kept by a replacing update, a manual snapshot in any stage)
            # and would be unreadable without it. A kept key costs 1 USD a month, more once
            # rotated (aws.amazon.com/kms/pricing), until its deletion is scheduled;
            # --destroy prints the command.
            DeletionPolicy="Retain",
            UpdateReplacePolicy="Retain",
        )
    )
    template.add_resource(
        Alias(
            "EncryptionKeyAlias",
            Condition=condition,
            AliasName=naming.name("alias/planar"),
            TargetKeyId=Ref(key),
        )
    )
    arn = GetAtt(key, "Arn")
    return Encryption(
        key=key, condition=condition, arn=arn, arn_or_no_value=If(condition, arn, NoValue)
    )


def encryption_key_policy(
    encryption: Encryption, actions: list[kms.Action], services: tuple[str, ...]
) -> If:
    """With the customer-managed key, reading secrets and objects needs the key too:
    `actions`, only through `services` (kms:ViaService), never called directly. The task
    role (iam.py) and the environment file's writer (app_settings.py) also write
    (GenerateDataKey, for the bucket's objects); the execution role only reads. One
    service is written as a value, several as a list."""
    via = [Sub(f"{service}.${{AWS::Region}}.amazonaws.com") for service in services]
    return If(
        encryption.condition,
        RolePolicy(
            PolicyName="encryption-key",
            PolicyDocument=policy_document(
                [
                    Statement(
                        Effect=Allow,
                        Action=actions,
                        Resource=[encryption.arn],
                        Condition=Condition(
                            StringEquals("kms:ViaService", via[0] if len(via) == 1 else via)
                        ),
                    )
                ]
            ),
        ),
        NoValue,
    )
