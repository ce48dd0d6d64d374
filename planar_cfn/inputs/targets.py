"""Targets files: where a CloudFormation StackSet rolls one stage out (docs/stacksets.md).

A targets file is JSON beside the stage file. It names the StackSet's permission model
(self-managed, with the administration and execution roles, or service-managed through
AWS Organizations, with automatic deployment on or off and CallAs DELEGATED_ADMIN), how
an operation runs (failure tolerance, concurrency, region order), and its targets:
accounts (self-managed) or OU ids (service-managed), regions, and each target's own
values, stage-file keys that override the stage file's for that target's instances.

Every value is checked before AWS is called, every problem reported at once: a target's
values merged over the stage file's pass the stage file's own checks (stage_file.from_data),
and each message names the file, the target, the key, the value and what is allowed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..paths import shown
from . import operation_preferences, parameter_table
from . import stage_file as stage_files
from .constraints import Pattern
from .operation_preferences import Preferences
from .stages import Stage

__all__ = [
    "SELF_MANAGED",
    "SERVICE_MANAGED",
    "Preferences",
    "Target",
    "TargetsError",
    "TargetsFile",
    "load",
]

SELF_MANAGED, SERVICE_MANAGED = "SELF_MANAGED", "SERVICE_MANAGED"
ACCOUNT = Pattern(r"^[0-9]{12}$", "a 12-digit AWS account id")
# The API model's pattern for an OU id (DeploymentTargets.OrganizationalUnitIds).
OU = Pattern(
    r"^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$",
    "an organizational unit id (ou-xxxx-xxxxxxxx) or the root id (r-xxxx)",
)
ROLE_ARN = Pattern(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$", "an IAM role ARN")
ROLE_NAME = Pattern(r"^[\w+=,.@-]{1,64}$", "an IAM role name (letters, digits and +=,.@_-)")
KEYS = (
    "stack_set_name",
    "permission_model",
    "administration_role_arn",
    "execution_role_name",
    "auto_deployment",
    "retain_stacks_on_account_removal",
    "call_as",
    "operation",
    "preflight_role_name",
    "preview",
    "retain_stacks_on_destroy",
    "targets",
)
TARGET_KEYS = ("accounts", "organizational_units", "regions", "values")
# A StackSet's parameters are the stage file's, with no look-up in the administrator
# account: these must be given (lookups.py fills them in for a single stack).
NOT_LOOKED_UP = ("vpc_cidr", "hosted_zone_id")
# The settings steer one stack's deploy: a target takes parameter values only.
SETTING_KEYS = frozenset(stage_files.SETTINGS_BY_KEY)


class TargetsError(Exception):
    """A targets file that cannot be deployed; every line names the file."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"{shown(path)}: {problem}" for problem in problems))


@dataclass(frozen=True)
class Target:
    """One entry of `targets`: where its instances go and with which values."""

    index: int
    accounts: tuple[str, ...]
    organizational_units: tuple[str, ...]
    regions: tuple[str, ...]
    # ParameterKey -> value for the parameters the target's own values set.
    overrides: Mapping[str, str]
    # The stage file's values with the target's merged in, checked as a stage file.
    values: stage_files.StageFile

    @property
    def label(self) -> str:
        """targets[0] (111111111111; us-east-1, eu-west-1)."""
        where = ", ".join(self.accounts or self.organizational_units)
        return f"targets[{self.index}] ({where}; {', '.join(self.regions)})"

    def covers(self, account: str, region: str, ou: str = "") -> bool:
        """Whether an instance in `account` (of `ou`) and `region` is this target's."""
        if region not in self.regions:
            return False
        return account in self.accounts or bool(ou and ou in self.organizational_units)


@dataclass(frozen=True)
class TargetsFile:
    """A validated targets file."""

    path: Path
    stack_set_name: str
    permission_model: str
    administration_role_arn: str | None
    execution_role_name: str | None
    auto_deployment: bool
    retain_stacks_on_account_removal: bool
    call_as: str  # SELF or DELEGATED_ADMIN
    preferences: Preferences
    preflight_role_name: str | None  # a role of this name in each target account
    preview: tuple[str, ...]  # "ACCOUNT/REGION" instances to preview; empty: every one
    retain_stacks_on_destroy: bool
    targets: tuple[Target, ...]

    @property
    def call_as_argument(self) -> dict[str, str]:
        """CallAs for every StackSet call, or nothing for the default (SELF)."""
        return {"CallAs": self.call_as} if self.call_as != "SELF" else {}

    @property
    def regions(self) -> tuple[str, ...]:
        """Every target region, in the order of first mention."""
        return tuple(dict.fromkeys(r for t in self.targets for r in t.regions))


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise TargetsError(path, ["no such targets file (docs/stacksets.md has an example)"])
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as error:
        raise TargetsError(path, [f"cannot be read as UTF-8 ({error})"]) from None
    except json.JSONDecodeError as error:
        raise TargetsError(
            path, [f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"]
        ) from None
    if not isinstance(data, dict):
        raise TargetsError(path, ["must hold one JSON object of key: value pairs"])
    return data


def _strings(value: Any, pattern: Pattern, where: str, problems: list[str]) -> tuple[str, ...]:
    """A JSON list of strings each matching `pattern`, else a problem for each bad one."""
    if not isinstance(value, list):
        problems.append(f"{where} = {json.dumps(value)}: must be a JSON list of {pattern.allowed}s")
        return ()
    for index, item in enumerate(value):
        if not isinstance(item, str) or not pattern.matches(item):
            problems.append(f"{where}[{index}] = {json.dumps(item)}: must be {pattern.allowed}")
    return tuple(dict.fromkeys(v for v in value if isinstance(v, str) and pattern.matches(v)))


def _choice(data: dict[str, Any], key: str, allowed: tuple[str, ...], problems: list[str]) -> str:
    value = data.get(key, allowed[0])
    if value not in allowed:
        problems.append(f"{key} = {json.dumps(value)}: must be one of {', '.join(allowed)}")
        return allowed[0]
    return str(value)


def _flag(data: dict[str, Any], key: str, problems: list[str]) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        problems.append(f"{key} = {json.dumps(value)}: must be true or false")
        return False
    return value


def _optional(data: dict[str, Any], key: str, pattern: Pattern, problems: list[str]) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not pattern.matches(value):
        problems.append(f"{key} = {json.dumps(value)}: must be {pattern.allowed}")
        return None
    return value


def _target(
    index: int,
    raw: Any,
    model: str,
    base: dict[str, Any],
    stage: Stage,
    environ: Mapping[str, str],
    problems: list[str],
) -> Target | None:
    where = f"targets[{index}]"
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a JSON object with {', '.join(TARGET_KEYS)}")
        return None
    problems += [
        f"{where}: unknown key {key!r}; allowed keys: {', '.join(TARGET_KEYS)}"
        for key in raw
        if key not in TARGET_KEYS
    ]
    found: list[str] = []
    accounts = _strings(raw.get("accounts", []), ACCOUNT, f"{where}.accounts", found)
    ous = _strings(raw.get("organizational_units", []), OU, f"{where}.organizational_units", found)
    regions = _strings(raw.get("regions"), stage_files.REGION, f"{where}.regions", found)
    if model == SELF_MANAGED and ous:
        found.append(f"{where}.organizational_units: only with SERVICE_MANAGED; list accounts")
    if model == SERVICE_MANAGED and accounts:
        found.append(f"{where}.accounts: SERVICE_MANAGED deploys to organizational_units")
    wanted = "accounts" if model == SELF_MANAGED else "organizational_units"
    if not raw.get(wanted):
        found.append(f"{where}.{wanted}: must list at least one ({model})")
    if "regions" in raw and not regions and not found:
        found.append(f"{where}.regions: must list at least one region")
    values = raw.get("values", {})
    if not isinstance(values, dict):
        found.append(f"{where}.values: must be a JSON object of stage-file keys")
        values = {}
    for key in values:
        if key in SETTING_KEYS:
            found.append(
                f"{where}.values.{key}: a deploy setting, not a parameter; the StackSet's "
                "region and bucket are the stage file's, a target's regions are its `regions`"
            )
    merged = {**base, **{k: v for k, v in values.items() if k not in SETTING_KEYS}}
    try:
        checked = stage_files.from_data(Path(where), merged, stage, environ)
    except stage_files.StageFileError as error:
        given = " (the stage file's value)"
        for line in error.problems:
            key = line.split(" ", 1)[0].split("[", 1)[0]
            found.append(f"{where}.values: {line}" + ("" if key in values else given))
        checked = None
    problems += found
    if found or checked is None:
        return None
    names = {parameter_table.SPECS_BY_KEY[key].name for key in values if key not in SETTING_KEYS}
    overrides = {n: v for n, v in checked.cloudformation_parameters().items() if n in names}
    return Target(index, accounts, ous, regions, overrides, checked)


def _overlaps(targets: list[Target]) -> list[str]:
    """An account and region two targets both name: whose values would it get?"""
    seen: dict[tuple[str, str], int] = {}
    problems = []
    for target in targets:
        for where in (*target.accounts, *target.organizational_units):
            for region in target.regions:
                first = seen.setdefault((where, region), target.index)
                if first != target.index:
                    problems.append(
                        f"targets[{target.index}]: {where} in {region} is also targets[{first}]'s; "
                        "name each account (or OU) and region once"
                    )
    return problems


def _model_problems(data: dict[str, Any], model: str) -> list[str]:
    problems = []
    if model == SERVICE_MANAGED:
        problems += [
            f"{key}: only with SELF_MANAGED (service-managed StackSets use the roles "
            "AWS Organizations' trusted access makes)"
            for key in ("administration_role_arn", "execution_role_name")
            if key in data
        ]
    else:
        problems += [
            f"{key}: only with SERVICE_MANAGED (automatic deployment to an OU's new accounts)"
            for key in ("auto_deployment", "retain_stacks_on_account_removal")
            if key in data
        ]
        if data.get("call_as") == "DELEGATED_ADMIN":
            problems.append(
                'call_as = "DELEGATED_ADMIN": only with SERVICE_MANAGED (a delegated '
                "administrator of AWS Organizations)"
            )
    return problems


def load(
    path: Path,
    stage_file_path: Path,
    stage: Stage,
    environ: Mapping[str, str] = os.environ,
) -> tuple[stage_files.StageFile, TargetsFile]:
    """The stage file (every value the StackSet's parameters need, none looked up) and
    the targets file, each checked whole; raises StageFileError or TargetsError."""
    base = stage_files.load(stage_file_path, stage, environ)
    missing = [key for key in NOT_LOOKED_UP if key not in base.given]
    if missing:
        raise stage_files.StageFileError(
            stage_file_path,
            [
                f"{key} is missing: a StackSet's parameters are not looked up in the "
                "administrator account; give it (a target's values may override it)"
                for key in missing
            ],
        )
    raw_base = json.loads(stage_file_path.read_text(encoding="utf-8-sig"))
    data = _read(path)
    problems = [
        f"unknown key {key!r}; allowed keys: {', '.join(KEYS)}" for key in data if key not in KEYS
    ]
    model = _choice(data, "permission_model", (SELF_MANAGED, SERVICE_MANAGED), problems)
    problems += _model_problems(data, model)
    raw_targets = data.get("targets")
    if not isinstance(raw_targets, list) or not raw_targets:
        problems.append("targets: must be a JSON list of one or more targets")
        raw_targets = []
    targets = [
        target
        for index, raw in enumerate(raw_targets)
        if (target := _target(index, raw, model, raw_base, stage, environ, problems))
    ]
    problems += _overlaps(targets)
    regions = tuple(dict.fromkeys(r for t in targets for r in t.regions))
    preferences = operation_preferences.load(data.get("operation"), stage, regions, problems)
    name = _optional(data, "stack_set_name", stage_files.STACK_NAME, problems)
    preview = _strings(
        data.get("preview", []),
        Pattern(
            r"^[0-9]{12}/[a-z]{2}(-[a-z]+)+-[0-9]+$",
            "ACCOUNT/REGION, such as 111111111111/us-east-1",
        ),
        "preview",
        problems,
    )
    result = TargetsFile(
        path=path,
        stack_set_name=name or base.stack_name,
        permission_model=model,
        administration_role_arn=_optional(data, "administration_role_arn", ROLE_ARN, problems),
        execution_role_name=_optional(data, "execution_role_name", ROLE_NAME, problems),
        auto_deployment=_flag(data, "auto_deployment", problems),
        retain_stacks_on_account_removal=_flag(data, "retain_stacks_on_account_removal", problems),
        call_as=_choice(data, "call_as", ("SELF", "DELEGATED_ADMIN"), problems),
        preferences=preferences,
        preflight_role_name=_optional(data, "preflight_role_name", ROLE_NAME, problems),
        preview=preview,
        retain_stacks_on_destroy=_flag(data, "retain_stacks_on_destroy", problems),
        targets=tuple(targets),
    )
    if problems:
        raise TargetsError(path, problems)
    return base, result
