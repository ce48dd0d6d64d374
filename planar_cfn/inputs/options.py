"""What a caller may ask of a deploy or a publish: typed, frozen options that the command
makes from its flags and a Python caller makes directly.

Each field that is a flag declares it (Flag, in the field's metadata): its check, help
and the modes it goes with. The command line makes its arguments, the options and its
mode check from these declarations, so a flag is one field. Each value is checked as
the options are made, by the same function and in the same words as the flag's check
on the command line, so a bad value is refused, named with what is allowed, before
anything is rendered or sent to AWS.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from . import option_checks as checks
from .option_checks import DEFAULT_TIMEOUT_MINUTES, MAX_PRINCIPAL_PATTERNS, principal_type
from .stages import DEFAULT_STAGES, Stage, UnknownStageError, get_stage

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = [
    "ARTIFACT_KEY_PREFIX",
    "DEFAULT_TIMEOUT_MINUTES",
    "MAX_PRINCIPAL_PATTERNS",
    "DeployOptions",
    "Flag",
    "PublishOptions",
    "flags",
    "principal_type",
]

# Where a publish puts templates in the artifact bucket: PREFIX/STAGE/SHA256.json.
ARTIFACT_KEY_PREFIX = "planar-cfn"


@dataclass(frozen=True)
class Flag:
    """An options field as the command line gives it. Only declared here: the command
    line (planar_cfn.cli) makes its argument, reads it into the options and checks the
    modes it goes with from this."""

    help: str
    metavar: str | None = None  # None: a switch, True when given
    check: Callable[[str], Any] | None = None  # the value's check, also the options'
    option: str | None = None  # the flag, when not --FIELD-NAME
    repeatable: bool = False  # given again for more values, each a comma-separated list
    # The modes: a deploy reads each DeployOptions flag, --publish each PublishOptions one.
    also: str | None = None  # the one other mode that reads it: "--cost" or "--publish"
    acts: bool = False  # asks AWS to act: refused where nothing is sent, one with --publish
    exclusive: bool = False  # one of the deploy's actions, which exclude each other
    approves: bool = False  # approves a change: --cost refuses it as it refuses actions
    needs: str | None = None  # the field that must be given with it
    purpose: str | None = None  # what it is, said when another flag or a mode needs it
    # Set by flags(), from the field.
    field: str = ""
    required: bool = False

    @property
    def name(self) -> str:
        """The flag itself, such as --stage-file."""
        return self.option or "--" + self.field.replace("_", "-")


_FLAG = "flag"


def _flag(help: str, **declaration: Any) -> dict[str, Flag]:
    """A field's metadata declaring its flag."""
    return {_FLAG: Flag(help, **declaration)}


def flags(options: type[DataclassInstance]) -> tuple[Flag, ...]:
    """The flags an options class declares, in field order."""
    return tuple(
        replace(f.metadata[_FLAG], field=f.name, required=f.default is MISSING)
        for f in fields(options)
        if _FLAG in f.metadata
    )


def _problems(options: DataclassInstance) -> list[str]:
    """Every refused value of `options`, each named by its keyword; each value kept as
    its flag's check returns it, and paths given as text become Paths."""
    problems = []
    for field_ in fields(options):
        value = getattr(options, field_.name)
        check = field_.metadata[_FLAG].check if _FLAG in field_.metadata else None
        if field_.type == "bool":
            if not isinstance(value, bool):
                problems.append(f"{field_.name}: must be True or False, not {value!r}")
        elif field_.type == "Path | None" and value is not None:
            if isinstance(value, str | os.PathLike):
                object.__setattr__(options, field_.name, Path(value))
            else:
                problems.append(f"{field_.name}: must be a path, not {value!r}")
        elif check and (value is not None or field_.default is not None):
            try:
                # The value as checked: a timeout given as text becomes minutes.
                object.__setattr__(options, field_.name, check(value))
            except ValueError as error:
                problems.append(f"{field_.name}: {error}")
    return problems


# Read by a deploy and a publish alike: one flag each, on both options.
_PROFILE = _flag(
    "AWS CLI profile (default: the stage file's, else the AWS CLI's)",
    metavar="NAME",
    check=checks.profile,
    also="--publish",
)
_REGION = _flag(
    "AWS region (default: the stage file's, else the AWS CLI's)",
    metavar="REGION",
    check=checks.region,
    also="--publish",
)


@dataclass(frozen=True)
class DeployOptions:
    """What the command's deploy flags ask for, one field per flag (docs/deploying.md):
    deploy `stage` as a reviewed change set, or with `image_tag`, `destroy`, `watch`,
    `drift` or `diff` act on (or read) its deployed stack. Raises InputError, naming each refused value
    and what is allowed, when made with a bad one."""

    stage: str
    stage_file: Path | None = field(  # default: stages/STAGE.json
        default=None,
        metadata=_flag(
            "the stage's deployment values (default: stages/STAGE.json)",
            metavar="FILE",
            check=Path,
            also="--cost",
        ),
    )
    # Default: the stage file's, else the AWS CLI's.
    profile: str | None = field(default=None, metadata=_PROFILE)
    region: str | None = field(default=None, metadata=_REGION)
    template_bucket: str | None = field(  # default: the stage file's
        default=None,
        metadata=_flag(
            "S3 bucket for a template over 51,200 bytes (default: the stage file's)",
            metavar="BUCKET",
            check=checks.template_bucket,
        ),
    )
    targets: Path | None = field(
        default=None,
        metadata=_flag(
            "deploy (or with --destroy, delete) the stage as a CloudFormation StackSet, "
            "to the accounts or OUs and regions this targets file lists (docs/stacksets.md)",
            metavar="FILE",
            check=Path,
        ),
    )
    cfn_role_arn: str | None = field(
        default=None,
        metadata=_flag(
            "the CloudFormation service role the change set and the stack's delete use "
            "(RoleARN): the deployer then needs only iam:PassRole on it",
            metavar="ARN",
            check=checks.cfn_role_arn,
        ),
    )
    dry_run: bool = field(
        default=False,
        metadata=_flag("create and show the change set, then delete it; change nothing", acts=True),
    )
    yes: bool = field(default=False, metadata=_flag("execute without asking", approves=True))
    allow_replacement: bool = field(
        default=False,
        metadata=_flag(
            "let the change set replace or remove the database, bucket or secrets",
            approves=True,
        ),
    )
    timeout: int = field(  # minutes, for the change set, then the stack
        default=DEFAULT_TIMEOUT_MINUTES,
        metadata=_flag(
            f"stop waiting after this long (default: {DEFAULT_TIMEOUT_MINUTES})",
            metavar="MINUTES",
            check=checks.timeout_minutes,
        ),
    )
    outputs_json: Path | None = field(
        default=None,
        metadata=_flag("also write the stack outputs here", metavar="FILE", check=Path),
    )
    plan_json: Path | None = field(
        default=None,
        metadata=_flag(
            "also write the reviewed plan here as JSON (a deploy, --dry-run, --image-tag, --diff)",
            metavar="FILE",
            check=Path,
        ),
    )
    revert_drift: bool = field(
        default=False,
        metadata=_flag(
            "make the change set drift-aware: the review shows each property's template, "
            "last deployed and live values, and the deploy puts drifted ones back"
        ),
    )
    image_tag: str | None = field(
        default=None,
        metadata=_flag(
            "change only the image tag of the deployed stack",
            metavar="TAG",
            check=checks.image_tag,
            acts=True,
            exclusive=True,
        ),
    )
    destroy: bool = field(
        default=False,
        metadata=_flag("delete the stage's stack", acts=True, exclusive=True),
    )
    watch: bool = field(
        default=False,
        metadata=_flag(
            "follow a stack operation already running, to its end", acts=True, exclusive=True
        ),
    )
    drift: bool = field(
        default=False,
        metadata=_flag(
            "detect drift: exit 0 when the stack matches its template, 1 when it drifted",
            acts=True,
            exclusive=True,
        ),
    )
    diff: bool = field(
        default=False,
        metadata=_flag(
            "compare what a deploy would send with the deployed stack, read-only: exit 0 "
            "when they are the same, 1 when they differ",
            acts=True,
            exclusive=True,
        ),
    )
    confirm_prod_destroy: bool = field(
        default=False,
        metadata=_flag("with --destroy: yes, delete the production stack"),
    )
    # The stages `stage` names one of: its protection and readers come from there.
    stages: Sequence[Stage] = DEFAULT_STAGES

    def __post_init__(self) -> None:
        object.__setattr__(self, "stages", tuple(self.stages))
        problems = _problems(self)
        try:
            get_stage(self.stage, self.stages)
        except UnknownStageError as error:
            problems.insert(0, str(error))
        modes = (self.image_tag is not None, self.destroy is True, self.watch is True)
        if sum((*modes, self.drift is True, self.diff is True)) > 1:
            problems.append(
                "image_tag, destroy, watch, drift and diff exclude each other: give one at most"
            )
        if problems:
            raise InputError("\n".join(problems))

    @property
    def stage_definition(self) -> Stage:
        """The Stage that `stage` names among `stages`."""
        return get_stage(self.stage, self.stages)

    @property
    def mode(self) -> str:
        """What the run does: "deploy", "image-tag", "destroy", "watch", "drift" or "diff"."""
        if self.destroy:
            return "destroy"
        if self.watch:
            return "watch"
        if self.drift:
            return "drift"
        if self.diff:
            return "diff"
        return "image-tag" if self.image_tag is not None else "deploy"


@dataclass(frozen=True)
class PublishOptions:
    """What the command's publish flags ask for, one field per flag (docs/publishing.md).
    Raises InputError, naming each refused value and what is allowed, when made with a
    bad one."""

    artifact_bucket: str = field(
        metadata=_flag(
            f"S3 bucket, in the publishing region, for the template "
            f"(key {ARTIFACT_KEY_PREFIX}/STAGE/SHA256.json); required with --publish",
            metavar="BUCKET",
            check=checks.artifact_bucket,
            purpose="the S3 bucket that holds the published templates",
        )
    )
    product_name: str | None = field(  # default: planar-STAGE
        default=None,
        metadata=_flag(
            "Service Catalog product to add the version to; created when missing "
            "(default: planar-STAGE)",
            metavar="NAME",
            check=checks.product_name,
        ),
    )
    portfolio_id: str | None = field(
        default=None,
        metadata=_flag(
            "also associate the product with this portfolio (port-...)",
            metavar="ID",
            check=checks.portfolio_id,
            purpose="the portfolio it acts on",
        ),
    )
    deactivate_old: bool = field(
        default=False,
        metadata=_flag(
            "mark every other version of the product inactive, so launches use this one"
        ),
    )
    deprecate_old: bool = field(
        default=False,
        metadata=_flag(
            "mark every other version DEPRECATED: launched stacks can still be updated "
            "with it, new launches cannot pick it"
        ),
    )
    # The portfolio's side: each needs portfolio_id.
    launch_role: str | None = field(  # a role name or ARN
        default=None,
        metadata=_flag(
            "with --portfolio-id: the LAUNCH constraint's role, a role name (the role "
            "of that name in each launching account) or a role ARN",
            metavar="ROLE",
            check=checks.launch_role,
            needs="portfolio_id",
            purpose="the role to set",
        ),
    )
    replace_launch_role: bool = field(
        default=False,
        metadata=_flag(
            "with --launch-role: replace a launch constraint that names another role",
            needs="launch_role",
        ),
    )
    share_with: tuple[str, ...] = field(  # account, OU and organization ids
        default=(),
        metadata=_flag(
            "with --portfolio-id: share the portfolio, its tag options and principals "
            "with these account ids, OU ids (ou-...) or the organization id (o-...); repeatable",
            metavar="ID[,ID...]",
            check=checks.share_targets,
            repeatable=True,
            needs="portfolio_id",
        ),
    )
    principals: tuple[str, ...] = field(  # IAM ARNs and IAM patterns
        default=(),
        metadata=_flag(
            "with --portfolio-id: let this IAM role, group or user launch, or every "
            "principal matching an IAM pattern (arn:aws:iam:::role/NAME, * and ? allowed) "
            "in the accounts it is shared with; repeatable",
            metavar="ARN[,ARN...]",
            check=checks.principals,
            option="--principal",
            repeatable=True,
            needs="portfolio_id",
        ),
    )
    # Default: the AWS CLI's.
    profile: str | None = field(default=None, metadata=_PROFILE)
    region: str | None = field(default=None, metadata=_REGION)

    def __post_init__(self) -> None:
        problems = _problems(self)
        if self.portfolio_id is None:
            needing = [
                name
                for name in ("launch_role", "share_with", "principals")
                if getattr(self, name) not in (None, ())
            ]
            if needing:
                problems.append(
                    f"{', '.join(needing)}: need portfolio_id (the portfolio they act on)"
                )
        if self.replace_launch_role is True and self.launch_role is None:
            problems.append("replace_launch_role: needs launch_role (the role to set)")
        if problems:
            raise InputError("\n".join(problems))

    def product_for(self, stage: str) -> str:
        """The product the stage's template is published to."""
        return self.product_name or f"planar-{stage}"
