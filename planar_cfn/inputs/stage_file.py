"""Stage files: `stages/{stage}.json` holds one stage's deployment values.

Every key is either a template parameter (its row in parameter_table.SPECS, checked
with the same constraint and cross-field rules (rules.py) as the template) or
a deploy setting (region, profile, stack_name, template_bucket, and the list
notification_topic_arns, checked by notifications.py). The file is
validated whole before any AWS call, and every problem is reported at once.
Secrets never live here: the registry password comes from the environment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..paths import STAGES_DIR, shown
from . import constraints, notifications, parameter_rollout, parameter_table, rules
from .constraints import Pattern
from .parameter_spec import ParameterSpec
from .parameter_table import PASSWORD_ENV
from .stages import Stage, get_stage

# Parameters that lookups.py fills in when the file leaves them out.
LOOKED_UP = ("vpc_cidr", "hosted_zone_id", "database_availability_zones")


@dataclass(frozen=True)
class Setting:
    """A stage-file key that steers the deploy rather than the template."""

    key: str
    pattern: Pattern
    description: str


REGION = Pattern(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$", "an AWS region such as us-east-1")
PROFILE = Pattern(r"^\S+$", "a profile name from the AWS config or credentials file")
STACK_NAME = Pattern(
    r"^[A-Za-z][A-Za-z0-9-]{0,127}$",
    "a CloudFormation stack name: up to 128 letters, digits and hyphens, starting with a letter",
)
BUCKET = constraints.S3_BUCKET
SETTINGS: tuple[Setting, ...] = (
    Setting("region", REGION, "AWS region of the stack; --region overrides it."),
    Setting("profile", PROFILE, "AWS CLI profile to deploy with; --profile overrides it."),
    Setting("stack_name", STACK_NAME, "Stack name; default planar-{stage}-{app_name}."),
    Setting(
        "template_bucket",
        BUCKET,
        "S3 bucket in the stack's region for templates over 51,200 bytes; "
        "--template-bucket overrides it.",
    ),
)
SETTINGS_BY_KEY = {setting.key: setting for setting in SETTINGS}
# notification_topic_arns is both a deploy setting (the stack's event topics) and the
# AlarmTopicArns parameter's key (the alarms' topics): one key, listed once.
ALLOWED_KEYS: tuple[str, ...] = tuple(s.key for s in parameter_table.SPECS if not s.secret) + tuple(
    SETTINGS_BY_KEY
)


class StageFileError(Exception):
    """A stage file that cannot be deployed; every line names the file and the key."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"{shown(path)}: {problem}" for problem in problems))


def default_path(stage: str) -> Path:
    """Where a stage's file is when --stage-file is not given: stages/STAGE.json."""
    return STAGES_DIR / f"{stage}.json"


@dataclass(frozen=True)
class StageFile:
    """One stage's validated values: CloudFormation parameters and deploy settings."""

    path: Path
    stage: str
    # Aurora readers the stage builds beside the writer: one database zone each.
    reader_count: int
    # ParameterKey -> value: the file's value, else the template default. Keys that
    # lookups fill in are absent until then; the registry password is kept apart.
    parameters: Mapping[str, str]
    # The stage-file keys actually written (an absent key may be looked up or kept).
    given: frozenset[str]
    stack_name: str
    region: str | None = None
    profile: str | None = None
    template_bucket: str | None = None
    # The SNS topics for the stack's events; None: the file does not say (a deploy
    # then leaves the stack's topics as they are).
    notification_topic_arns: tuple[str, ...] | None = None
    # The application's secret variables as the file names them: NAME -> complete ARN,
    # whose account the deploy checks against the caller's.
    secret_arns: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    registry_password: str = field(default="", repr=False)

    @property
    def app_name(self) -> str:
        """The application's name (AppName)."""
        return self.parameters["AppName"]

    def value(self, key: str) -> str | None:
        """The value for a stage-file key: the file's, else the default; None while a
        looked-up key is not yet filled in."""
        return self.parameters.get(parameter_table.SPECS_BY_KEY[key].name)

    def with_values(self, values: Mapping[str, str]) -> StageFile:
        """A copy with more parameter values, by stage-file key (from look-ups)."""
        merged = dict(self.parameters)
        merged.update(
            {parameter_table.SPECS_BY_KEY[key].name: value for key, value in values.items()}
        )
        return replace(self, parameters=MappingProxyType(merged))

    def cloudformation_parameters(self) -> dict[str, str]:
        """Every parameter's value, the password included, in template order."""
        values = {**self.parameters, "RegistryPassword": self.registry_password}
        return {s.name: values[s.name] for s in parameter_table.SPECS if s.name in values}


def _shown_value(value: Any) -> str:
    return json.dumps(value)


def _numeric(spec: ParameterSpec) -> bool:
    if spec.type == "Number" or spec.min_value is not None or spec.numeric:
        return True
    return bool(spec.allowed) and all(v.replace(".", "", 1).isdigit() for v in spec.allowed)


def _boolean(spec: ParameterSpec) -> bool:
    return set(spec.allowed) == {"true", "false"}


def expected_json(spec: ParameterSpec) -> str:
    """The JSON a stage file gives for `spec`, as an error message says it."""
    if spec.stage_converter:
        return spec.stage_converter.expected
    if spec.is_list:
        return 'a JSON list of strings, such as ["a", "b"]'
    if _boolean(spec):
        return "true or false"
    if _numeric(spec):
        return "a number (or a string holding one)"
    return "a JSON string"


def _as_text(spec: ParameterSpec, value: Any) -> str | None:
    """The value as CloudFormation takes it, or None when its JSON type is wrong."""
    if spec.is_list:
        if isinstance(value, list) and all(isinstance(v, str) and "," not in v for v in value):
            return ",".join(value)
        return None
    if isinstance(value, bool):  # before int: JSON true is a Python int too
        return ("true" if value else "false") if _boolean(spec) else None
    if isinstance(value, (int, float)) and _numeric(spec):
        # 2.0 -> "2" so it matches the allowed "2"; 0.5 stays "0.5".
        return str(int(value)) if float(value).is_integer() else repr(value)
    return value if isinstance(value, str) else None


def _parameter_problem(spec: ParameterSpec, raw: Any) -> str | None:
    text = _as_text(spec, raw)
    if text is None:
        if spec.is_list and isinstance(raw, list):
            bad = next(v for v in raw if not isinstance(v, str) or "," in v)
            return (
                f"{spec.key} = {_shown_value(raw)}: item {_shown_value(bad)} must be a "
                "string without commas"
            )
        return f"{spec.key} = {_shown_value(raw)}: must be {expected_json(spec)}"
    allowed = spec.check(text)
    if allowed is None:
        return None
    if spec.is_list:
        if not raw:
            return f"{spec.key} = []: must list at least one item, each {spec.allowed_text()}"
        # Name the offending item when one item alone breaks the constraint.
        for index, item in enumerate(raw):
            # An empty item passes as an empty list on its own, but not within one.
            if item == "" or spec.check(item) is not None:
                return f"{spec.key}[{index}] = {_shown_value(item)}: must be {spec.allowed_text()}"
    return f"{spec.key} = {_shown_value(raw)}: must be {allowed}"


def _read(path: Path) -> dict[str, Any]:
    if path.is_dir():
        raise StageFileError(path, ["is a directory: name the stage's JSON file with --stage-file"])
    if not path.is_file():
        example = shown(STAGES_DIR / "example.json")
        raise StageFileError(
            path,
            [
                f"no such stage file; copy {example} to {shown(path)} and fill in its values "
                "(docs/deploying.md explains each key)"
            ],
        )
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise StageFileError(
            path, [f"cannot be read ({error.strerror}): check its permissions"]
        ) from None
    raw = raw.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark, as Notepad writes it
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        line_start = raw.rfind(b"\n", 0, error.start) + 1
        column = len(raw[line_start : error.start].decode("utf-8")) + 1
        utf16 = (
            " (the file looks like UTF-16, as some Windows editors and PowerShell's > write it)"
            if raw[:2] in (b"\xff\xfe", b"\xfe\xff")
            else ""
        )
        raise StageFileError(
            path,
            [
                f"must be UTF-8 JSON: byte 0x{raw[error.start]:02x} at line {line} column {column} "
                f"is not UTF-8{utf16}; save the file as UTF-8"
            ],
        ) from None
    except json.JSONDecodeError as error:
        raise StageFileError(
            path, [f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"]
        ) from None
    if not isinstance(data, dict):
        raise StageFileError(path, ["must hold one JSON object of key: value pairs"])
    return data


def session_keys(path: Path) -> tuple[str | None, str | None]:
    """The profile and region a stage file names, read even when other keys are
    wrong, so a typo elsewhere is not also reported as a missing region."""
    try:
        data = _read(path)
    except StageFileError:
        return None, None

    def named(key: str, pattern: Pattern) -> str | None:
        given = data.get(key)
        return given if isinstance(given, str) and pattern.matches(given) else None

    return named("profile", PROFILE), named("region", REGION)


def named_regions(directory: Path | None = None) -> list[str]:
    """The regions the stage files in a directory (default: stages/) name, sorted:
    only well-formed values; a file that cannot be read adds none."""
    paths = (STAGES_DIR if directory is None else directory).glob("*.json")
    return sorted({region for _, region in map(session_keys, paths) if region})


def load(
    path: Path,
    stage: Stage | str,
    environ: Mapping[str, str] = os.environ,
    *,
    needs_secrets: bool = True,
) -> StageFile:
    """Read and validate a stage file for `stage`: a Stage, or the name of one of
    DEFAULT_STAGES.

    `needs_secrets=False` is for commands that send no parameters (--destroy,
    --watch, --image-tag): they do not need the registry password.
    """
    return from_data(path, _read(path), stage, environ, needs_secrets=needs_secrets)


def from_data(
    path: Path,
    data: dict[str, Any],
    stage: Stage | str,
    environ: Mapping[str, str] = os.environ,
    *,
    needs_secrets: bool = True,
) -> StageFile:
    """Validate `data` as the stage file at `path` holds it: load's checks, for values
    merged from elsewhere too (a StackSet target's overrides, inputs/targets.py)."""
    definition = stage if isinstance(stage, Stage) else get_stage(stage)
    problems = _key_problems(data)
    texts = _parameter_texts(data, problems, definition.name)
    settings = _settings(data, problems)
    topics = data.get(notifications.KEY)
    topics_problem = None if topics is None else notifications.list_problem(topics)
    if topics_problem:
        problems.append(f"{notifications.KEY} = {_shown_value(topics)}: {topics_problem}")
    elif topics is not None:
        # The same topics are the alarms' (AlarmTopicArns).
        texts[notifications.KEY] = ",".join(topics)
    password = environ.get(PASSWORD_ENV, "")
    allowed = parameter_table.SPECS_BY_KEY["registry_password"].check(password)
    if needs_secrets and allowed:
        problems.append(f"{PASSWORD_ENV} (environment): must be {allowed} (the value is not shown)")
    problems += _rule_problems(definition, data, texts, password, needs_secrets)
    problems += _count_problems(definition, data, texts)
    if problems:
        raise StageFileError(path, problems)

    parameters = {
        spec.name: value
        for spec in _specs(definition)
        if not spec.secret
        and (spec.key in texts or spec.key not in LOOKED_UP)
        # A required value that is missing was refused above.
        and (value := texts.get(spec.key, spec.default)) is not None
    }
    return StageFile(
        path=path,
        stage=definition.name,
        reader_count=definition.reader_count,
        parameters=MappingProxyType(parameters),
        given=frozenset(k for k in data if k in ALLOWED_KEYS),
        stack_name=settings.get("stack_name") or f"planar-{definition.name}-{texts['app_name']}",
        region=settings.get("region"),
        profile=settings.get("profile"),
        template_bucket=settings.get("template_bucket"),
        notification_topic_arns=None if topics is None else tuple(topics),
        secret_arns=MappingProxyType(dict(data.get("secrets") or {})),
        registry_password=password if texts.get("registry_username") else "",
    )


def _specs(stage: Stage) -> tuple[ParameterSpec, ...]:
    """The parameter table with `stage`'s defaults (the strategy, the alarms)."""
    return tuple(parameter_rollout.for_stage(spec, stage) for spec in parameter_table.SPECS)


def _key_problems(data: dict[str, Any]) -> list[str]:
    """A problem for each key that may not be in a stage file."""
    problems = []
    for key in data:
        if key in parameter_table.SPECS_BY_KEY and parameter_table.SPECS_BY_KEY[key].secret:
            problems.append(
                f"{key}: passwords never go in stage files; set the {PASSWORD_ENV} "
                "environment variable, or name an existing secret in "
                "registry_credentials_secret_arn"
            )
        elif key not in ALLOWED_KEYS:
            problems.append(f"unknown key {key!r}; allowed keys: {', '.join(ALLOWED_KEYS)}")
    return problems


def _parameter_texts(data: dict[str, Any], problems: list[str], stage: str) -> dict[str, str]:
    """Each valid parameter value as CloudFormation takes it, by key; a problem for each
    value that breaks its own constraint and each required key that is missing."""
    texts: dict[str, str] = {}
    for spec in parameter_table.SPECS:
        # The topics are checked as a deploy setting (notifications.py), in load.
        if spec.secret or spec.key == notifications.KEY:
            continue
        if spec.key in data and spec.stage_converter:
            text, found = spec.stage_converter.convert(data, stage)
            problems += found
            if text is not None:
                texts[spec.key] = text
            continue
        if spec.key not in data:
            if spec.required and spec.key not in LOOKED_UP:
                problems.append(
                    f"{spec.key} is missing: {spec.description} Must be {spec.allowed_text()}."
                )
            continue
        problem = _parameter_problem(spec, data[spec.key])
        if problem:
            problems.append(problem)
        else:
            texts[spec.key] = _as_text(spec, data[spec.key]) or ""
    return texts


def _settings(data: dict[str, Any], problems: list[str]) -> dict[str, str]:
    """The valid deploy settings, by key; a problem for each invalid one."""
    settings: dict[str, str] = {}
    for setting in SETTINGS:
        if setting.key not in data:
            continue
        raw = data[setting.key]
        if not isinstance(raw, str) or not setting.pattern.matches(raw):
            problems.append(
                f"{setting.key} = {_shown_value(raw)}: must be {setting.pattern.allowed}"
            )
        else:
            settings[setting.key] = raw
    return settings


def _rule_problems(
    stage: Stage, data: dict[str, Any], texts: dict[str, str], password: str, needs_secrets: bool
) -> list[str]:
    """The template's Rules over the effective values: the file's, else the defaults.
    A rule is only checked when each of its parameters is valid on its own."""
    values = {
        spec.name: value
        for spec in _specs(stage)
        if (value := texts.get(spec.key) if spec.key in data else spec.default) is not None
    }
    username = values.get("RegistryUsername")
    # No parameters are sent: only "secret ARN or username, not both" matters.
    values["RegistryPassword"] = password if needs_secrets else "(not needed)" if username else ""

    EMPTY = '""'

    def named(name: str) -> str:
        key = parameter_table.SPECS_BY_NAME[name].key
        if key in data:
            return f"{key} = {_shown_value(data[key])}"
        return f"{key} = {values[name] or EMPTY} (default)"

    problems = []
    for rule in rules.for_stage(stage):
        if not all(name in values for name in rule.parameters):
            continue
        problem = rule.problem(values)
        if problem:
            problems.append(f"{', '.join(map(named, rule.named or rule.parameters))}: {problem}")
    # What no template Rule can add up: CloudFormation itself refuses it at deploy.
    timing = parameter_rollout.TIMING_PARAMETERS
    if all(name in values for name in timing):
        problem = parameter_rollout.duration_problem(values)
        if problem:
            problems.append(f"{', '.join(map(named, timing))}: {problem}")
    return problems


def _count_problems(stage: Stage, data: dict[str, Any], texts: dict[str, str]) -> list[str]:
    """What CloudFormation cannot count: the subnets, and the database zones the
    stage's writer and readers take, one each."""
    problems = []
    # The load balancer and the database subnet group each need subnets in two or more
    # Availability Zones; the look-up checks the zones, this the count.
    for key in ("subnets", "alb_subnets"):
        listed = texts.get(key)
        if listed and len(set(listed.split(","))) < 2:
            problems.append(
                f"{key} = {_shown_value(data[key])}: give two or more subnets, in two or more "
                "Availability Zones (the load balancer and the database need two zones)"
            )
    zones = texts.get("database_availability_zones")
    needed = stage.reader_count + 1
    # Empty leaves the zones to RDS, which may put a reader beside the writer.
    if zones is not None and needed > 1 and len([z for z in zones.split(",") if z]) < needed:
        problems.append(
            f"database_availability_zones = {_shown_value(data['database_availability_zones'])}: "
            f"{stage.name} runs a database writer and {needed - 1} reader(s), one per zone: give at "
            f"least {needed} Availability Zones (writer first), or leave the key out to look "
            "them up from the subnets"
        )
    return problems
