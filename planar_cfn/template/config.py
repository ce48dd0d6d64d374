"""The typed, frozen configuration of one stack: its stage, and what a caller adds to
the Planar stack (environment, secrets, task-role statements, sidecars, tags).

Everything is checked when the object is made: a wrong type raises TypeError, a
wrong value ValueError, each naming the field, the value and what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from awacs.aws import Statement
from troposphere import AWSHelperFn

from ..inputs import app_settings
from ..inputs.stages import DEFAULT_STAGES, Stage, get_stage
from . import sidecar_links
from .naming import COMMON_TAG_KEYS, NAME_TAG
from .network import APP_PORT

# The application's container and the variables it is given (service.py): extensions
# may not take these names.
APP_CONTAINER_NAME = "planar-app"
APP_ENVIRONMENT = app_settings.APP_ENVIRONMENT
# The OpenTelemetry collector's container, in the task when Telemetry is true
# (telemetry.py): no sidecar may take its name.
TELEMETRY_COLLECTOR_NAME = "telemetry-collector"
# A name a shell can export, which every runtime's environment accepts.
ENVIRONMENT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ENVIRONMENT_NAME_ALLOWED = "letters, digits and '_', not starting with a digit"
# What ECS can put in a container's environment from a secret: a complete Secrets
# Manager ARN (with the 6-character suffix, optionally followed by
# :json-key:version-stage:version-id) or a Systems Manager parameter ARN. Complete
# ARNs, so that the execution role is granted exactly these.
SECRETS_MANAGER_ARN = re.compile(
    r"(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6})"
    r"(:[^:]*:[^:]*:[^:]*)?"
)
SSM_PARAMETER_ARN = re.compile(
    r"arn:aws[a-z-]*:ssm:[a-z0-9-]+:[0-9]{12}:parameter/[A-Za-z0-9/_.-]+"
)
SECRET_ALLOWED = (
    "a complete Secrets Manager secret ARN (ending in the 6-character suffix, optionally "
    "followed by :json-key:version-stage:version-id), a Systems Manager parameter ARN, "
    "or a troposphere value that resolves to a secret's ARN (such as Ref(secret))"
)
# AWS tags (ECS API Reference, Tag; the same for every service here): keys of 1 to 128
# and values of up to 256 Unicode characters; letters, digits, spaces and _ . : / = + - @;
# "aws:" in any case is reserved for AWS; at most 50 tags on a resource.
TAG_KEY_MAX_LENGTH = 128
TAG_VALUE_MAX_LENGTH = 256
TAG_CHARACTERS = re.compile(r"[\w .:/=+\-@]*")
TAG_CHARACTERS_ALLOWED = "letters, digits, spaces and _ . : / = + - @"
MAX_TAGS = 50
# The common tags and Name take 8 of a resource's 50.
MAX_EXTRA_TAGS = MAX_TAGS - len(COMMON_TAG_KEYS) - 1
# ECS container names: up to 255 letters, digits, '_' and '-' (ECS API Reference,
# ContainerDefinition). Here at most 240, so that the log group's logical id,
# Sidecar{Name}LogGroup, stays within CloudFormation's 255 characters.
SIDECAR_NAME = re.compile(r"[A-Za-z0-9_-]+")
SIDECAR_NAME_MAX_LENGTH = 240
# An image reference as ECS takes it: up to 255 letters, digits, - _ : . / # (and @ for
# a digest).
IMAGE = re.compile(r"[A-Za-z0-9_.:/#@-]{1,255}")
# A container's CPU units and memory cannot exceed the largest Fargate task
# (constraints.FARGATE_MEMORY_BY_CPU): 16 vCPU, 120 GiB.
MAX_CONTAINER_CPU = 16384
MAX_CONTAINER_MEMORY_MIB = 122880
# Docker refuses a container memory limit under 6 MiB.
MIN_CONTAINER_MEMORY_MIB = 6
MAX_PORT = 65535


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


def _frozen_mapping(owner: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{owner} = {value!r}: must be a mapping (a dict) of names to values")
    return MappingProxyType(dict(value))


def _frozen_tuple(owner: str, value: object) -> tuple[Any, ...]:
    # A lone string is a sequence too, and almost always a forgotten comma or brackets.
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise TypeError(f"{owner} = {value!r}: must be a tuple or list")
    return tuple(value)


def _check_environment(owner: str, environment: Mapping[str, Any]) -> None:
    for name, value in environment.items():
        if not isinstance(name, str) or not ENVIRONMENT_NAME.fullmatch(name):
            raise ValueError(f"{owner}: name {name!r} must be {ENVIRONMENT_NAME_ALLOWED}")
        if not isinstance(value, str | AWSHelperFn):
            raise TypeError(
                f"{owner}[{name!r}] = {value!r}: must be a str or a troposphere value "
                "(Ref, GetAtt, Sub ...)"
            )


def _check_secrets(owner: str, secrets: Mapping[str, Any]) -> None:
    """Secret environment variables: names as for the environment, each value a
    complete secret or parameter ARN, or a troposphere value."""
    _check_environment(owner, secrets)
    for name, value in secrets.items():
        if isinstance(value, str) and not (
            SECRETS_MANAGER_ARN.fullmatch(value) or SSM_PARAMETER_ARN.fullmatch(value)
        ):
            raise ValueError(f"{owner}[{name!r}] = {value!r}: must be {SECRET_ALLOWED}")


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", name))


@dataclass(frozen=True)
class Sidecar:
    """A container beside the application's in every task, such as an OpenTelemetry
    collector.

    It runs in the task's network (the app reaches it on localhost, so its ports
    must differ from the app's 8000) and logs to a log group of its own,
    `/ecs/planar-service-{stage}-{app}/{name}`, kept and encrypted like the app's.
    `essential=False` (the default) lets the app keep running when it stops. `cpu`
    (units) and `memory` (MiB, a hard limit) come out of the task's share; None leaves
    them unreserved. The image must be pullable by the execution role: a public image
    or one in this account's ECR.

    `secrets`: secret environment variables, name -> the ARN of a Secrets Manager secret
    or a Systems Manager parameter, as StackConfig.secrets; the execution role may read
    exactly these. `depends_on`: container name (`planar-app` or another sidecar's) ->
    START, COMPLETE, SUCCESS or HEALTHY, as ECS's container dependencies; this sidecar
    starts once each holds. `volumes_from`: container name -> read-only (True) or not,
    that container's volumes mounted here. StackConfig refuses a name that is no
    container of the task, COMPLETE or SUCCESS on an essential container, HEALTHY (no
    container here defines a health check) and cycles.
    """

    name: str
    image: str | AWSHelperFn
    essential: bool = False
    cpu: int | None = None
    memory: int | None = None
    port_mappings: tuple[int, ...] = ()
    environment: Mapping[str, str | AWSHelperFn] = field(default_factory=_empty)
    command: tuple[str, ...] = ()
    secrets: Mapping[str, str | AWSHelperFn] = field(default_factory=_empty)
    depends_on: Mapping[str, str] = field(default_factory=_empty)
    volumes_from: Mapping[str, bool] = field(default_factory=_empty)

    def __post_init__(self) -> None:
        where = f"Sidecar({self.name!r})"
        for label in ("environment", "secrets", "depends_on", "volumes_from"):
            object.__setattr__(
                self, label, _frozen_mapping(f"{where}.{label}", getattr(self, label))
            )
        object.__setattr__(
            self, "port_mappings", _frozen_tuple(f"{where}.port_mappings", self.port_mappings)
        )
        object.__setattr__(self, "command", _frozen_tuple(f"{where}.command", self.command))
        if not isinstance(self.name, str):
            raise TypeError(f"Sidecar.name = {self.name!r}: must be a str")
        if not SIDECAR_NAME.fullmatch(self.name) or len(self.name) > SIDECAR_NAME_MAX_LENGTH:
            raise ValueError(
                f"Sidecar.name = {self.name!r}: must be 1 to {SIDECAR_NAME_MAX_LENGTH} "
                "letters, digits, '_' or '-'"
            )
        if self.name in (APP_CONTAINER_NAME, TELEMETRY_COLLECTOR_NAME):
            owner = "application" if self.name == APP_CONTAINER_NAME else "telemetry collector"
            raise ValueError(
                f"Sidecar.name = {self.name!r}: the {owner}'s container has that name; "
                "choose another"
            )
        if isinstance(self.image, str):
            if not IMAGE.fullmatch(self.image):
                raise ValueError(
                    f"{where}.image = {self.image!r}: must be an image reference, up to 255 "
                    "letters, digits, '-', '_', ':', '.', '/', '#' or '@'"
                )
        elif not isinstance(self.image, AWSHelperFn):
            raise TypeError(f"{where}.image = {self.image!r}: must be a str or a troposphere value")
        if not isinstance(self.essential, bool):
            raise TypeError(f"{where}.essential = {self.essential!r}: must be True or False")
        for label, value, low, high in (
            ("cpu", self.cpu, 0, MAX_CONTAINER_CPU),
            ("memory", self.memory, MIN_CONTAINER_MEMORY_MIB, MAX_CONTAINER_MEMORY_MIB),
        ):
            if value is None:
                continue
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{where}.{label} = {value!r}: must be an int or None")
            if not low <= value <= high:
                raise ValueError(f"{where}.{label} = {value!r}: must be {low} to {high}")
        for port in self.port_mappings:
            if not isinstance(port, int) or isinstance(port, bool):
                raise TypeError(f"{where}.port_mappings: {port!r} must be an int (a TCP port)")
            if not 1 <= port <= MAX_PORT:
                raise ValueError(f"{where}.port_mappings: {port} must be 1 to {MAX_PORT}")
            if port == APP_PORT:
                raise ValueError(
                    f"{where}.port_mappings: {port} is the application's port; the task's "
                    "containers share one network, so a sidecar needs another port"
                )
        if len(set(self.port_mappings)) != len(self.port_mappings):
            raise ValueError(
                f"{where}.port_mappings = {self.port_mappings}: a port is listed twice"
            )
        for part in self.command:
            if not isinstance(part, str):
                raise TypeError(f"{where}.command: {part!r} must be a str")
        _check_environment(f"{where}.environment", self.environment)
        _check_secrets(f"{where}.secrets", self.secrets)
        for name in self.secrets:
            if name in self.environment:
                raise ValueError(
                    f"{where}.secrets: {name!r} is already set by {where}.environment; "
                    "one variable, one source"
                )
        sidecar_links.check_links(where, self.name, self.depends_on, self.volumes_from)

    @property
    def log_group_logical_id(self) -> str:
        """The logical id of the sidecar's log group: Sidecar{Name}LogGroup, the name in
        PascalCase (otel-collector: SidecarOtelCollectorLogGroup)."""
        return f"Sidecar{_pascal(self.name)}LogGroup"


@dataclass(frozen=True)
class StackConfig:
    """Everything one stack is built from, besides the deploy-time parameters.

    - `stage`: what the stage decides (stages.Stage).
    - `environment`: extra environment variables for the application's container,
      name -> a str or a troposphere value such as `Ref(queue)`; they follow the
      app's own (DB_HOST, STAGE, ...), which they may not replace.
    - `secrets`: extra secret environment variables, name -> the ARN of a Secrets
      Manager secret or a Systems Manager parameter; the execution role may read
      exactly these. A secret encrypted with a customer-managed KMS key also needs
      that key's policy to let the execution role decrypt.
    - `task_role_statements`: extra awacs Statements for the task role (the
      application's AWS permissions), in a policy of their own named "extensions".
    - `sidecars`: extra containers in every task (Sidecar), each with its own logs.
    - `tags`: extra tags on every taggable resource the stack builds, beside the seven
      common ones (framework, framework.version, stage, app.name, app.version,
      vendor_name, vendor_contact) and Name, whose keys they may not take.

    Mappings and sequences are copied when the object is made: changing the dict or
    list given afterwards changes nothing here.
    """

    stage: Stage
    environment: Mapping[str, str | AWSHelperFn] = field(default_factory=_empty)
    secrets: Mapping[str, str | AWSHelperFn] = field(default_factory=_empty)
    task_role_statements: tuple[Statement, ...] = ()
    sidecars: tuple[Sidecar, ...] = ()
    tags: Mapping[str, str] = field(default_factory=_empty)

    def __post_init__(self) -> None:
        for name in ("environment", "secrets", "tags"):
            object.__setattr__(
                self, name, _frozen_mapping(f"StackConfig.{name}", getattr(self, name))
            )
        for name in ("task_role_statements", "sidecars"):
            object.__setattr__(
                self, name, _frozen_tuple(f"StackConfig.{name}", getattr(self, name))
            )
        if not isinstance(self.stage, Stage):
            raise TypeError(
                f"StackConfig.stage = {self.stage!r}: must be a Stage "
                "(StackConfig.for_stage('prod') looks one up by name)"
            )
        self._check_environment()
        self._check_secrets()
        for statement in self.task_role_statements:
            if not isinstance(statement, Statement):
                raise TypeError(
                    f"StackConfig.task_role_statements: {statement!r} must be an "
                    "awacs.aws.Statement"
                )
        self._check_sidecars()
        self._check_tags()

    @classmethod
    def for_stage(cls, name: str, stages: Sequence[Stage] = DEFAULT_STAGES) -> StackConfig:
        """The configuration of stage `name` (among `stages`), with no extensions.

        Raises stages.UnknownStageError when no stage has that name."""
        return cls(stage=get_stage(name, stages))

    def _check_environment(self) -> None:
        _check_environment("StackConfig.environment", self.environment)
        for name in self.environment:
            if name in APP_ENVIRONMENT:
                raise ValueError(
                    f"StackConfig.environment: {name!r} is set by the stack for the "
                    f"application ({', '.join(APP_ENVIRONMENT)}); choose another name"
                )

    def _check_secrets(self) -> None:
        _check_secrets("StackConfig.secrets", self.secrets)
        for name in self.secrets:
            if name in APP_ENVIRONMENT or name in self.environment:
                where = "the stack" if name in APP_ENVIRONMENT else "StackConfig.environment"
                raise ValueError(
                    f"StackConfig.secrets: {name!r} is already set by {where}; "
                    "one variable, one source"
                )

    def _check_sidecars(self) -> None:
        seen: dict[str, str] = {}
        for sidecar in self.sidecars:
            if not isinstance(sidecar, Sidecar):
                raise TypeError(f"StackConfig.sidecars: {sidecar!r} must be a Sidecar")
            logical_id = sidecar.log_group_logical_id
            if logical_id in seen:
                other = seen[logical_id]
                detail = (
                    "is listed twice"
                    if other == sidecar.name
                    else f"and {other!r} make the same logical id {logical_id}"
                )
                raise ValueError(
                    f"StackConfig.sidecars: {sidecar.name!r} {detail}; each sidecar needs "
                    "a name of its own"
                )
            seen[logical_id] = sidecar.name
        app = sidecar_links.Container(APP_CONTAINER_NAME, True, {}, {})
        sidecar_links.check_task(
            (
                app,
                *(
                    sidecar_links.Container(s.name, s.essential, s.depends_on, s.volumes_from)
                    for s in self.sidecars
                ),
            )
        )
        ports = [port for sidecar in self.sidecars for port in sidecar.port_mappings]
        twice = sorted({port for port in ports if ports.count(port) > 1})
        if twice:
            raise ValueError(
                f"StackConfig.sidecars: port {twice[0]} is mapped by two sidecars; the task's "
                "containers share one network"
            )

    def _check_tags(self) -> None:
        reserved = (*COMMON_TAG_KEYS, NAME_TAG)
        if len(self.tags) > MAX_EXTRA_TAGS:
            raise ValueError(
                f"StackConfig.tags: {len(self.tags)} tags; at most {MAX_EXTRA_TAGS} (AWS "
                f"allows {MAX_TAGS} on a resource, and the stack sets {MAX_TAGS - MAX_EXTRA_TAGS})"
            )
        for key, value in self.tags.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError(
                    f"StackConfig.tags: {key!r}: {value!r}: keys and values must be str"
                )
            if not 1 <= len(key) <= TAG_KEY_MAX_LENGTH or not TAG_CHARACTERS.fullmatch(key):
                raise ValueError(
                    f"StackConfig.tags: key {key!r} must be 1 to {TAG_KEY_MAX_LENGTH} "
                    f"characters: {TAG_CHARACTERS_ALLOWED}"
                )
            if len(value) > TAG_VALUE_MAX_LENGTH or not TAG_CHARACTERS.fullmatch(value):
                raise ValueError(
                    f"StackConfig.tags[{key!r}] = {value!r}: must be up to "
                    f"{TAG_VALUE_MAX_LENGTH} characters: {TAG_CHARACTERS_ALLOWED}"
                )
            if key.lower().startswith("aws:"):
                raise ValueError(f"StackConfig.tags: key {key!r}: the aws: prefix is AWS's own")
            if key in reserved:
                raise ValueError(
                    f"StackConfig.tags: key {key!r} is set by the stack on every resource "
                    f"({', '.join(reserved)}); choose another key"
                )
