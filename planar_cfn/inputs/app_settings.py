"""The application's own settings as deploy-time inputs: its environment variables
and the secrets it reads as variables, set from a stage file or the launch form.

One mechanism serves both, so the committed templates stay the same for every
stage file (docs/stages-and-parameters.md, "The application's settings"):

- `AppEnvironment` is a JSON object of plain values. A small custom resource writes
  it to the application's bucket as an environment file named after its content,
  and the task definition names that file (ECS `environmentFiles`). A changed value
  is a changed parameter in the review and a new file and task definition revision;
  a removed variable is absent from the new file.
- `AppSecrets` lists NAME=secret pairs. CloudFormation cannot loop, so the template
  holds a fixed number of slots, each an ECS `secrets` entry under a Condition. A
  slot names a secret relative to `planar/{stage}/{app name}/` and the template
  writes the rest of the ARN itself (this partition, region and account): whoever
  fills the launch form (and so picks the image, which could send anything it reads
  anywhere) can only hand the task secrets created for this application.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .constraints import APP_NAME, Pattern
from .parameter_spec import APPLICATION, ParameterSpec, StageConverter

# The variables the stack sets in the application's container: neither the stage file
# nor the launch form may set them again.
APP_ENVIRONMENT = (
    "DB_SECRET_NAME",
    "DB_HOST",
    "S3_BUCKET_NAME",
    "STAGE",
    "APP_NAME",
    "CUSTOM_SECRET_NAME",
    # Only when the launch gives them (WorkosClientId, WorkosOrgId).
    "WORKOS_CLIENT_ID",
    "WORKOS_ORG_ID",
)
# A name a shell can export, which every runtime's environment accepts.
NAME_REGEX = r"[A-Za-z_][A-Za-z0-9_]*"
NAME_ALLOWED = "letters, digits and '_', not starting with a digit"
# CloudFormation takes a parameter value of up to 4,096 bytes (AWS CloudFormation
# quotas); the template's MaxLength counts characters, the stage file checks bytes.
MAX_PARAMETER_BYTES = 4096
# The launch form's secret slots: CloudFormation has no loop, so each is written out.
MAX_SECRETS = 10
# Where the environment files are kept in the application's bucket; the task role may
# not write there (iam.py), so the application cannot change what its next task reads.
ENVIRONMENT_FILE_PREFIX = ".planar/environment/"
# Secrets a launch may name: in the stack's own account and region, under this name.
SECRET_PREFIX = "planar/{stage}/{app}/"


def _not_reserved(names: tuple[str, ...], after: str) -> str:
    return f"(?!(?:{'|'.join(names)}){after})"


# A JSON string value an environment file can hold on one line: no control character
# (a newline would end the variable), and of the escapes only \" \\ and \/.
_JSON_VALUE = r'"(?:[^"\\\x00-\x1f]|\\["\\/])*"'
_PAIR = rf'\s*"{_not_reserved(APP_ENVIRONMENT, chr(34))}{NAME_REGEX}"\s*:\s*{_JSON_VALUE}\s*'
ENVIRONMENT = Pattern(
    rf"^\{{(?:{_PAIR}(?:,{_PAIR})*)?\s*\}}$",
    'a JSON object of environment variables, such as {"LOG_LEVEL": "info"}: names of '
    f"{NAME_ALLOWED}, none of {', '.join(APP_ENVIRONMENT)}; string values without control "
    "characters",
)
# The part of a Secrets Manager ARN after `secret:planar/{stage}/{app}/`: the rest of the
# name with the 6-character suffix Secrets Manager appends (IAM names the secret by it),
# then optionally ECS's :json-key:version-stage:version-id.
SECRET_REFERENCE = (
    r"[A-Za-z0-9/_+.@-]+-[A-Za-z0-9]{6}(?::[^:,=\s]*(?::[A-Za-z0-9_-]*:[A-Za-z0-9-]*)?)?"
)
SECRET_ITEM = Pattern(
    rf"^{_not_reserved(APP_ENVIRONMENT, '=')}{NAME_REGEX}={SECRET_REFERENCE}$",
    "NAME=secret: a variable name (letters, digits and '_', none the stack sets), '=', and "
    "a secret's name after planar/{stage}/{app name}/ with its 6-character suffix, "
    "optionally followed by :json-key (such as OPENAI_API_KEY=openai-AbC123 or "
    "STRIPE_KEY=payments-XyZ789:secret_key)",
)
# Each variable once (the same look-ahead as the database zones', constraints.py), and
# no more than the slots: an item past them would be silently left out.
_ONCE_EACH = rf"^(?!(?:.*,)?({NAME_REGEX})=[^,]*,(?:.*,)?\1=)"
_ITEM = SECRET_ITEM.regex.removeprefix("^").removesuffix("$")
SECRETS = Pattern(
    rf"{_ONCE_EACH}(?:|{_ITEM}(?:,{_ITEM}){{0,{MAX_SECRETS - 1}}})$",
    f"empty, or up to {MAX_SECRETS} comma-separated values without spaces or empty items, "
    f"each {SECRET_ITEM.allowed}, no variable named twice",
)


def _environment_from_file(data: Mapping[str, Any], stage: str) -> tuple[str | None, list[str]]:
    """A stage file's `environment`, checked against its `secrets` for names given twice."""
    return environment_text(data["environment"], data.get("secrets"))


def _secrets_from_file(data: Mapping[str, Any], stage: str) -> tuple[str | None, list[str]]:
    """A stage file's `secrets`, checked against the stage, and the file's app_name and
    region where those are valid."""
    app, region = data.get("app_name"), data.get("region")
    return secrets_text(
        data["secrets"],
        stage,
        app if isinstance(app, str) and APP_NAME.matches(app) else None,
        region if isinstance(region, str) else None,
    )


SPECS: tuple[ParameterSpec, ...] = (
    ParameterSpec(
        "AppEnvironment",
        "environment",
        APPLICATION,
        "Environment variables",
        "The application's own environment variables, as a JSON object of strings. The "
        "stack writes them to an environment file in the application's bucket, which each "
        "new task reads; a change starts new tasks. Plain values only: secrets go in "
        "AppSecrets.",
        default="{}",
        pattern=ENVIRONMENT,
        max_length=MAX_PARAMETER_BYTES,
        stage_converter=StageConverter(
            'a JSON object of NAME: value, such as {"LOG_LEVEL": "info"}', _environment_from_file
        ),
    ),
    ParameterSpec(
        "AppSecrets",
        "secrets",
        APPLICATION,
        "Secret variables",
        f"Up to {MAX_SECRETS} variables read from Secrets Manager when a task starts, "
        "comma-separated NAME=secret pairs. Each secret must be in this account and "
        "Region and named planar/{stage}/{app name}/...; give the rest of its name with "
        "the 6-character suffix, optionally :json-key. The task may read these and no "
        "others.",
        default="",
        is_list=True,
        max_items=MAX_SECRETS,
        pattern=SECRET_ITEM,
        template_pattern=SECRETS,
        max_length=MAX_PARAMETER_BYTES,
        stage_converter=StageConverter(
            "a JSON object of NAME: complete Secrets Manager ARN (optionally :json-key)",
            _secrets_from_file,
        ),
    ),
)

# A stage file's secret: a complete Secrets Manager ARN, optionally with ECS's
# :json-key:version-stage:version-id after it.
SECRET_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):secretsmanager:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12})"
    r":secret:(?P<name>[A-Za-z0-9/_+=.@-]+)-(?P<suffix>[A-Za-z0-9]{6})(?P<choice>:.*)?"
)


def secret_prefix(stage: str, app: str) -> str:
    """The name every secret of this stage's application starts with."""
    return SECRET_PREFIX.format(stage=stage, app=app)


def _shown(value: Any) -> str:
    return json.dumps(value)


def environment_text(raw: Any, secrets: Any) -> tuple[str | None, list[str]]:
    """A stage file's `environment` object as AppEnvironment takes it, or its problems.
    `secrets` is the file's `secrets` value, for names given twice."""
    if not isinstance(raw, Mapping):
        return None, [f"environment = {_shown(raw)}: must be a JSON object of NAME: value"]
    problems = []
    for name, value in raw.items():
        where = f"environment[{_shown(name)}]"
        if not re.fullmatch(NAME_REGEX, name):
            problems.append(f"{where}: the name must be {NAME_ALLOWED}")
        elif name in APP_ENVIRONMENT:
            problems.append(
                f"{where}: the stack sets {name} itself ({', '.join(APP_ENVIRONMENT)}); "
                "choose another name"
            )
        elif isinstance(secrets, Mapping) and name in secrets:
            problems.append(
                f"{where}: {name} is in secrets too; a variable is plain or secret, not both"
            )
        if not isinstance(value, str):
            problems.append(f"{where} = {_shown(value)}: must be a JSON string")
        elif re.search(r"[\x00-\x1f]", value):
            problems.append(
                f"{where}: must hold no control character such as a newline (an environment "
                "file holds one variable per line)"
            )
    if problems:
        return None, problems
    text = json.dumps(dict(sorted(raw.items())), separators=(",", ":"), ensure_ascii=False)
    if len(text.encode()) > MAX_PARAMETER_BYTES:
        return None, [
            f"environment: {len(text.encode())} bytes as JSON; at most {MAX_PARAMETER_BYTES} "
            "(CloudFormation's limit on a parameter value): put large or many values in one "
            "secret, or in the application's own configuration"
        ]
    return text, []


def secrets_text(
    raw: Any, stage: str, app: str | None, region: str | None
) -> tuple[str | None, list[str]]:
    """A stage file's `secrets` object (NAME: complete secret ARN) as AppSecrets takes
    it, or its problems. The account is checked at deploy time, against the caller's."""
    if not isinstance(raw, Mapping):
        return None, [f"secrets = {_shown(raw)}: must be a JSON object of NAME: secret ARN"]
    if len(raw) > MAX_SECRETS:
        return None, [
            f"secrets: {len(raw)} variables; at most {MAX_SECRETS} (the template's slots); "
            "put several values in one secret as JSON and name each with :json-key"
        ]
    prefix = secret_prefix(stage, app or "{app_name}")
    problems, items = [], []
    for name, arn in raw.items():
        where = f"secrets[{_shown(name)}]"
        if not re.fullmatch(NAME_REGEX, name):
            problems.append(f"{where}: the name must be {NAME_ALLOWED}")
            continue
        if name in APP_ENVIRONMENT:
            problems.append(f"{where}: the stack sets {name} itself; choose another name")
            continue
        match = SECRET_ARN.fullmatch(arn) if isinstance(arn, str) else None
        if match is None:
            problems.append(
                f"{where} = {_shown(arn)}: must be a complete Secrets Manager ARN, with the "
                "6-character suffix Secrets Manager adds to the name (a partial ARN matches no "
                "IAM grant), optionally followed by :json-key"
            )
            continue
        if region and match["region"] != region:
            problems.append(
                f"{where} = {_shown(arn)}: the secret is in {match['region']}, the stack in "
                f"{region}; a task reads secrets of its own Region"
            )
        reference = f"{match['name']}-{match['suffix']}{match['choice'] or ''}"
        if not reference.startswith(prefix):
            problems.append(
                f"{where} = {_shown(arn)}: the secret must be named {prefix}... (the task may "
                f"read only secrets created for this application); create it as "
                f"{prefix}{match['name'].rsplit('/', 1)[-1]}"
            )
            continue
        item = f"{name}={reference.removeprefix(prefix)}"
        if not SECRET_ITEM.matches(item):
            problems.append(f"{where} = {_shown(arn)}: {SECRET_ITEM.allowed}")
            continue
        items.append(item)
    return (None, problems) if problems else (",".join(items), [])


def account_problems(arns: Mapping[str, str], account: str, region: str) -> list[str]:
    """The stage file's secrets that are not in the stack's account and Region. The
    template writes its own account and Region into each secret's ARN, so a secret
    elsewhere would silently become another secret of the same name here."""
    problems = []
    for name, arn in arns.items():
        match = SECRET_ARN.fullmatch(arn)
        if match and (match["account"], match["region"]) != (account, region):
            problems.append(
                f"secrets[{_shown(name)}] = {_shown(arn)}: the secret is in account "
                f"{match['account']}, {match['region']}; the stack deploys to account {account}, "
                f"{region}, and a task may read only its own account's and Region's secrets: "
                "create the secret there"
            )
    return problems
