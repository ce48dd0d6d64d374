"""Secrets Manager: the application's own secret and the registry credentials."""

from __future__ import annotations

import json
from dataclasses import dataclass

from troposphere import AWSHelperFn, If, Ref, Select, Split, Sub, Template
from troposphere.secretsmanager import Secret

from ..inputs.parameters import Params
from ..inputs.stages import Stage
from .encryption import Encryption
from .naming import Naming

# The custom secret's first value, as the original module wrote it (docs/stack.md, Components):
# operators replace it with the application's own settings.
CUSTOM_SECRET_INITIAL = json.dumps({"placeholder_key": "placeholder_value"})


@dataclass(frozen=True)
class Secrets:
    """Handles to the stack's secrets."""

    # The application's own secret (custom-secret-{stage}-{app}).
    custom: Secret
    # The registry credentials the stack stores, only under condition CreateRegistrySecret.
    registry: Secret
    # The registry credentials' ARN: the stack's secret or the one RegistryCredentialsSecretArn
    # names; only valid under condition UseRegistryCredentials.
    registry_secret_arn: AWSHelperFn

    @property
    def custom_secret_arn(self) -> Ref:
        """The custom secret's ARN."""
        return Ref(self.custom)


def add_secrets(
    template: Template, naming: Naming, stage: Stage, params: Params, encryption: Encryption
) -> Secrets:
    """Add the custom secret and, under its condition, the registry credentials secret."""
    # CloudFormation deletes secrets with no recovery window: prod keeps them on
    # stack delete, and no stage loses a secret's value to a replacement.
    policy = {"DeletionPolicy": stage.deletion_policy, "UpdateReplacePolicy": "Retain"}
    custom = template.add_resource(
        Secret(
            "CustomSecret",
            Name=naming.name("custom-secret"),
            Description="Custom secret for application configuration",
            # A constant: later deploys never overwrite what operators put here.
            SecretString=CUSTOM_SECRET_INITIAL,
            KmsKeyId=encryption.arn_or_no_value,
            Tags=naming.tags(naming.name("custom-secret")),
            **policy,
        )
    )
    registry = template.add_resource(
        Secret(
            "RegistryCredentialsSecret",
            Condition=params.create_registry_secret,
            Name=naming.name("registry-credentials"),
            Description="Container registry credentials for image pulls",
            SecretString=Sub('{"username":"${RegistryUsername}","password":"${RegistryPassword}"}'),
            KmsKeyId=encryption.arn_or_no_value,
            Tags=naming.tags(naming.name("registry-credentials")),
            **policy,
        )
    )
    registry_arn = If(
        params.use_existing_registry_secret, own_account_secret(params), Ref(registry)
    )
    return Secrets(custom=custom, registry=registry, registry_secret_arn=registry_arn)


# The given secret's name (the ARN's seventh field), padded so that an empty ARN still
# has one: CloudFormation may resolve Fn::Select in the branch Fn::If does not take.
_NAME_FIELD = 6


def own_account_secret(params: Params, parameter: str = "RegistryCredentialsSecretArn") -> Sub:
    """The secret `parameter` (RegistryCredentialsSecretArn, TelemetryTokenSecretArn)
    names, in the stack's own account and region: its parameter pattern holds the name
    to its prefix, and this holds the account, which no Rule function can read out of an
    ARN. An ARN naming another account yields this account's secret of that name, never
    the other one."""
    given = params[parameter]
    padded = Sub("${Arn}" + ":" * (_NAME_FIELD + 1), Arn=given)
    return Sub(
        "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${Name}",
        Name=Select(_NAME_FIELD, Split(":", padded)),
    )
