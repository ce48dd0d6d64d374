"""The application's settings from the launch form or a stage file: the environment
file a custom resource writes from AppEnvironment, and the secret slots of
AppSecrets (inputs/app_settings.py says why each works as it does)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from awacs import kms, secretsmanager
from awacs import s3 as awacs_s3
from awacs.aws import Allow, Statement
from troposphere import (
    AccountId,
    AWSHelperFn,
    Equals,
    GetAtt,
    If,
    Not,
    NoValue,
    Partition,
    Select,
    Split,
    Sub,
    Template,
    ecs,
)
from troposphere.cloudformation import CustomResource
from troposphere.iam import Policy as RolePolicy

from ..inputs import app_settings
from ..inputs.parameters import Params
from . import policies
from .config import StackConfig
from .encryption import Encryption, encryption_key_policy
from .inline_function import InlineFunction, add_inline_function
from .naming import Naming
from .storage import Storage

WRITER_SOURCE = Path(__file__).with_name("environment_file.py").read_text()
# Writing one small object: Lambda's smallest memory and a minute are plenty.
WRITER_MEMORY_MB = 128
WRITER_TIMEOUT_SECONDS = 60
WRITER = InlineFunction(
    logical_id="EnvironmentFile",
    role_name="env-file-role",
    policy_name="write-environment-file",
    description="Writes the Planar application's environment file to its bucket",
    source=WRITER_SOURCE,
    timeout_seconds=WRITER_TIMEOUT_SECONDS,
    memory_mb=WRITER_MEMORY_MB,
    response_margin_seconds=30,
    calls="S3",
    runs_once_per="change of the environment",
    could_hang="updates",
)
# AppSecrets' items, then as many empty ones as there are slots: one expression that
# every slot and its Condition select from.
_PADDED = Split(",", Sub("${AppSecrets}" + "," * app_settings.MAX_SECRETS))
SECRET_ARN = "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:"


@dataclass(frozen=True)
class AppSettings:
    """Handles to the application's settings, for its container and execution role."""

    # The custom resource that writes the environment file (under has_app_environment).
    environment_file: CustomResource
    # The app container's environmentFiles: the file, or nothing.
    environment_files: AWSHelperFn
    # One ecs.Secret a slot, each under its Condition.
    secrets: tuple[AWSHelperFn, ...]
    # What the execution role needs to read them: each under its Condition.
    execution_policies: tuple[AWSHelperFn, ...]


def slot_condition(index: int) -> str:
    """The Condition that slot `index` of AppSecrets holds a variable."""
    return f"HasAppSecret{index}"


def _slot(index: int) -> tuple[Select, Select]:
    """Slot `index`'s variable name and secret reference. The list is padded with empty
    items and each item with a trailing '=', so every Select is in range even for an
    empty slot, whichever branch CloudFormation evaluates."""
    item = Split("=", Sub("${Item}=", Item=Select(index, _PADDED)))
    return Select(0, item), Select(1, item)


def slot_conditions() -> dict[str, object]:
    """One Condition a slot: the slot is not empty."""
    conditions: dict[str, object] = {}
    for index in range(app_settings.MAX_SECRETS):
        conditions[slot_condition(index)] = Not(Equals(Select(index, _PADDED), ""))
    return conditions


def _secret_prefix(stage: str) -> str:
    return SECRET_ARN + app_settings.SECRET_PREFIX.format(stage=stage, app="${AppName}")


def add_app_settings(
    template: Template,
    naming: Naming,
    params: Params,
    storage: Storage,
    encryption: Encryption,
    config: StackConfig,
) -> AppSettings:
    """Add the environment file's writer (under HasAppEnvironment) and return the app
    container's environment files and secrets and the execution role's grants. The
    names `config` sets (a library user's) the file may not repeat."""
    taken = (*config.environment, *config.secrets)
    for name, condition in slot_conditions().items():
        template.add_condition(name, condition)
    writer = _add_writer(template, naming, params, storage, encryption, taken)
    prefix = _secret_prefix(naming.stage)
    secrets, arns = [], []
    for index in range(app_settings.MAX_SECRETS):
        name, reference = _slot(index)
        condition = slot_condition(index)
        secrets.append(
            If(
                condition,
                ecs.Secret(Name=name, ValueFrom=Sub(prefix + "${Reference}", Reference=reference)),
                NoValue,
            )
        )
        # The secret itself, without ECS's :json-key:version-stage:version-id choice.
        secret_name = Select(0, Split(":", reference))
        arns.append(If(condition, Sub(prefix + "${Name}", Name=secret_name), NoValue))
    file_objects = Sub(
        "arn:${AWS::Partition}:s3:::${Bucket}/" + app_settings.ENVIRONMENT_FILE_PREFIX + "*",
        Bucket=storage.bucket_name,
    )
    policies_ = (
        If(
            params.has_app_environment,
            RolePolicy(
                PolicyName="environment-file",
                PolicyDocument=policies.policy_document(
                    [
                        Statement(
                            Effect=Allow, Action=[awacs_s3.GetObject], Resource=[file_objects]
                        ),
                        Statement(
                            Effect=Allow,
                            Action=[awacs_s3.GetBucketLocation],
                            Resource=[storage.bucket_arn],
                        ),
                    ]
                ),
            ),
            NoValue,
        ),
        If(
            params.has_app_secrets,
            RolePolicy(
                PolicyName="app-secrets",
                PolicyDocument=policies.policy_document(
                    [Statement(Effect=Allow, Action=[secretsmanager.GetSecretValue], Resource=arns)]
                ),
            ),
            NoValue,
        ),
    )
    return AppSettings(
        environment_file=writer,
        environment_files=If(
            params.has_app_environment,
            [ecs.EnvironmentFile(Type="s3", Value=GetAtt(writer, "Arn"))],
            NoValue,
        ),
        secrets=tuple(secrets),
        execution_policies=policies_,
    )


def _add_writer(
    template: Template,
    naming: Naming,
    params: Params,
    storage: Storage,
    encryption: Encryption,
    taken: tuple[str, ...],
) -> CustomResource:
    """Add the writer, its role (write and delete the environment files and, with the
    customer-managed key, encrypt through S3) and logs, and the custom resource."""
    objects = Sub("${Arn}/" + app_settings.ENVIRONMENT_FILE_PREFIX + "*", Arn=storage.bucket_arn)
    return add_inline_function(
        template,
        naming,
        encryption,
        replace(WRITER, condition=params.has_app_environment),
        [
            Statement(
                Effect=Allow,
                Action=[awacs_s3.PutObject, awacs_s3.DeleteObject],
                Resource=[objects],
            )
        ],
        {
            "BucketName": storage.bucket_name,
            "Prefix": app_settings.ENVIRONMENT_FILE_PREFIX,
            "Environment": params["AppEnvironment"],
            "SecretNames": params["AppSecrets"],
            # The container's own variables take precedence over the file's: a name set
            # both ways is refused rather than silently shadowed.
            "Reserved": list(dict.fromkeys((*app_settings.APP_ENVIRONMENT, *taken))),
            "AccountId": AccountId,
            "Partition": Partition,
        },
        # With the customer-managed key the bucket encrypts with it: writing needs it.
        more_policies=[encryption_key_policy(encryption, [kms.GenerateDataKey], ("s3",))],
        # On stack delete the file goes before the emptier empties the bucket, so no
        # delete marker lands in a bucket already emptied.
        depends_on=[storage.emptier] if storage.emptier else [],
    )
