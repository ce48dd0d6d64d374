"""What a caller may ask of a deploy or a publish: typed, frozen options that build.py
makes from its flags and a Python caller makes directly.

Each value is checked as the options are made, by the same function and in the same
words as the flag's check on the command line, so a bad value is refused, named with
what is allowed, before anything is rendered or sent to AWS.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from .constraints import S3_BUCKET, Pattern
from .parameters import SPECS_BY_KEY
from .stage_file import PROFILE, REGION
from .stages import DEFAULT_STAGES, Stage, UnknownStageError, get_stage

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = [
    "ARTIFACT_KEY_PREFIX",
    "DEFAULT_TIMEOUT_MINUTES",
    "MAX_PRINCIPAL_PATTERNS",
    "MAX_TIMEOUT_MINUTES",
    "DeployOptions",
    "PublishOptions",
    "artifact_bucket",
    "image_tag",
    "launch_role",
    "portfolio_id",
    "principal_type",
    "principals",
    "product_name",
    "profile",
    "region",
    "share_targets",
    "template_bucket",
    "timeout_minutes",
]

# Where a publish puts templates in the artifact bucket: PREFIX/STAGE/SHA256.json.
ARTIFACT_KEY_PREFIX = "planar-cfn"

DEFAULT_TIMEOUT_MINUTES = 60
MAX_TIMEOUT_MINUTES = 24 * 60
# Service Catalog's portfolio ids: "port-" and lowercase letters and digits, at most
# 100 characters in all (the API's limit on an id).
_PORTFOLIO_ID = re.compile(r"port-[a-z0-9]{1,95}")
_PORTFOLIO_ID_ALLOWED = "port- and 1-95 lowercase letters or digits, such as port-abcdefghijklm"
# IAM names (CreateRole, RoleName): 1-64 letters, digits and +=,.@_-; a path is /, or
# /-separated segments of the same characters between slashes.
_IAM_NAME = r"[A-Za-z0-9+=,.@_-]{1,64}"
_IAM_PATH = r"/(?:[A-Za-z0-9+=,.@_-]+/)*"
_PARTITION = r"arn:aws(?:-cn|-us-gov)?"
_ROLE_ARN = re.compile(rf"{_PARTITION}:iam::\d{{12}}:role{_IAM_PATH}{_IAM_NAME}")
_ROLE_NAME = re.compile(_IAM_NAME)
_LAUNCH_ROLE_ALLOWED = (
    "a role name (1-64 letters, digits and +=,.@_-, such as planar-launch-role: the role of "
    "that name in each account that launches) or a role ARN "
    "(arn:aws:iam::111122223333:role/planar-launch-role)"
)
# Principals (AssociatePrincipalWithPortfolio, PrincipalARN): IAM, a full ARN of a
# role, group or user; IAM_PATTERN, the same without the account id, whose path and
# name may hold * and ? wildcards (Service Catalog API reference, Principal).
_PRINCIPAL_IAM = re.compile(
    rf"{_PARTITION}:iam::\d{{12}}:(?:role|group|user){_IAM_PATH}{_IAM_NAME}"
)
_PRINCIPAL_PATTERN = re.compile(
    rf"{_PARTITION}:iam:::(?:role|group|user)/(?:[A-Za-z0-9+=,.@_*?-]+/)*[A-Za-z0-9+=,.@_*?-]{{1,64}}"
)
# AssociatePrincipalWithPortfolio: at most 10 IAM_PATTERN principals on a portfolio.
MAX_PRINCIPAL_PATTERNS = 10
_PRINCIPAL_ALLOWED = (
    "an IAM role, group or user ARN (arn:aws:iam::111122223333:role/platform-users), or "
    "the same without the account id for that name in every account the portfolio is "
    "shared with, * and ? allowed in the path and name (arn:aws:iam:::role/app-team-*)"
)
# Where a portfolio is shared (CreatePortfolioShare): an account id, an organizational
# unit id or the organization id, in AWS Organizations' id formats.
_ACCOUNT_ID = re.compile(r"\d{12}")
_OU_ID = re.compile(r"ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}")
_ORGANIZATION_ID = re.compile(r"o-[0-9a-z]{10,32}")
_SHARE_ALLOWED = (
    "an account id (12 digits), an organizational unit id (ou-ab12-cdefgh34) or the "
    "organization id (o-abcdef1234)"
)
# Service Catalog's limit on a product name (CreateProduct, Name).
_PRODUCT_NAME_MAX_LENGTH = 8191
# A refused value longer than this is shown cut, with its length.
_SHOWN_LENGTH = 40


# --- one check per value: the value as given (a flag's text or a Python value) in, the
# value out, or a ValueError that says what is allowed -----------------------------------


def _shown(value: object) -> str:
    if not isinstance(value, str) or len(value) <= _SHOWN_LENGTH:
        return repr(value)
    return f"{value[:_SHOWN_LENGTH]!r}... ({len(value)} characters)"


def _matching(pattern: Pattern, value: object) -> str:
    if not (isinstance(value, str) and pattern.matches(value)):
        raise ValueError(f"{_shown(value)} is not allowed: must be {pattern.allowed}")
    return value


def timeout_minutes(value: int | str) -> int:
    """How long to wait for the change set, then for the stack: 1 to 1440 minutes."""
    number = value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(value, str) and value.isdigit():
        number = int(value)
    if number is None or not 1 <= number <= MAX_TIMEOUT_MINUTES:
        raise ValueError(
            f"must be a whole number of minutes from 1 to {MAX_TIMEOUT_MINUTES}, not {value!r}"
        )
    return number


def image_tag(value: str) -> str:
    """A Docker tag, as the template's ContainerImageTag allows it."""
    allowed = SPECS_BY_KEY["container_image_tag"].check(value) if isinstance(value, str) else ""
    if allowed is not None:
        what = allowed or SPECS_BY_KEY["container_image_tag"].allowed_text()
        raise ValueError(f"{_shown(value)} is not allowed: must be {what}")
    return value


def profile(value: str) -> str:
    """An AWS CLI profile name."""
    return _matching(PROFILE, value)


def region(value: str) -> str:
    """An AWS region name, such as us-east-1."""
    return _matching(REGION, value)


def template_bucket(value: str) -> str:
    """The S3 bucket a deploy uploads a template too big to pass inline to."""
    return _matching(S3_BUCKET, value)


def artifact_bucket(value: str) -> str:
    """The S3 bucket a publish keeps every published template in."""
    if not (isinstance(value, str) and S3_BUCKET.matches(value)):
        raise ValueError(f"{_shown(value)} is not {S3_BUCKET.allowed}")
    return value


def product_name(value: str) -> str:
    """A Service Catalog product name: 1-8191 characters, not all blank."""
    if not isinstance(value, str) or not value.strip() or len(value) > _PRODUCT_NAME_MAX_LENGTH:
        raise ValueError(
            f"{_shown(value)} is not a product name: "
            f"1-{_PRODUCT_NAME_MAX_LENGTH} characters, not all blank"
        )
    return value


def portfolio_id(value: str) -> str:
    """A Service Catalog portfolio id, such as port-abcdefghijklm."""
    if not (isinstance(value, str) and _PORTFOLIO_ID.fullmatch(value)):
        raise ValueError(
            f"{_shown(value)} is not a portfolio id: {_PORTFOLIO_ID_ALLOWED}; "
            "`aws servicecatalog list-portfolios` lists them"
        )
    return value


def launch_role(value: str) -> str:
    """The launch constraint's role: a role name (the role of that name in each account
    that launches, for a portfolio shared with other accounts) or a role ARN."""
    if not (isinstance(value, str) and (_ROLE_NAME.fullmatch(value) or _ROLE_ARN.fullmatch(value))):
        raise ValueError(f"{_shown(value)} is not a launch role: {_LAUNCH_ROLE_ALLOWED}")
    return value


def _listed(value: str | Sequence[str], check: Callable[[str], str]) -> tuple[str, ...]:
    """Each value of a text listing them comma-separated, or of a sequence, checked,
    in order, without repeats."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, Sequence) or not items:
        raise ValueError(f"{_shown(value)} lists nothing")
    checked = [check(item.strip() if isinstance(item, str) else item) for item in items]
    return tuple(dict.fromkeys(checked))


def _share_target(value: str) -> str:
    if not (
        isinstance(value, str)
        and any(p.fullmatch(value) for p in (_ACCOUNT_ID, _OU_ID, _ORGANIZATION_ID))
    ):
        raise ValueError(f"{_shown(value)} is not {_SHARE_ALLOWED}")
    return value


def share_targets(value: str | Sequence[str]) -> tuple[str, ...]:
    """Where the portfolio is shared: account ids, organizational unit ids or the
    organization id, comma-separated in a text."""
    return () if value == () else _listed(value, _share_target)


def _principal(value: str) -> str:
    if not (
        isinstance(value, str)
        and (_PRINCIPAL_IAM.fullmatch(value) or _PRINCIPAL_PATTERN.fullmatch(value))
    ):
        raise ValueError(f"{_shown(value)} is not a principal: {_PRINCIPAL_ALLOWED}")
    return value


def principals(value: str | Sequence[str]) -> tuple[str, ...]:
    """Who may launch from the portfolio: IAM role, group or user ARNs, or IAM
    patterns (no account id) for the accounts it is shared with; comma-separated in a
    text."""
    if value == ():
        return ()
    checked = _listed(value, _principal)
    patterns = [arn for arn in checked if principal_type(arn) == "IAM_PATTERN"]
    if len(patterns) > MAX_PRINCIPAL_PATTERNS:
        raise ValueError(
            f"{len(patterns)} IAM patterns; a portfolio takes at most "
            f"{MAX_PRINCIPAL_PATTERNS} (principals without an account id)"
        )
    return checked


def principal_type(arn: str) -> str:
    """AssociatePrincipalWithPortfolio's PrincipalType for a checked principal ARN:
    IAM_PATTERN without an account id, else IAM."""
    return "IAM_PATTERN" if arn.split(":")[4] == "" else "IAM"


def _problems(options: DataclassInstance, checks: dict[str, Callable[[Any], Any]]) -> list[str]:
    """Every refused value of `options`, each named by its keyword; each value kept as
    its check returns it, and paths given as text become Paths."""
    problems = []
    for field in fields(options):
        value = getattr(options, field.name)
        if field.type == "bool":
            if not isinstance(value, bool):
                problems.append(f"{field.name}: must be True or False, not {value!r}")
        elif field.type == "Path | None" and value is not None:
            if isinstance(value, str | os.PathLike):
                object.__setattr__(options, field.name, Path(value))
            else:
                problems.append(f"{field.name}: must be a path, not {value!r}")
        elif field.name in checks and (value is not None or field.default is not None):
            try:
                # The value as checked: a timeout given as text becomes minutes.
                object.__setattr__(options, field.name, checks[field.name](value))
            except ValueError as error:
                problems.append(f"{field.name}: {error}")
    return problems


@dataclass(frozen=True)
class DeployOptions:
    """What build.py's deploy flags ask for, one field per flag (docs/deploying.md):
    deploy `stage` as a reviewed change set, or with `image_tag`, `destroy`, `watch`
    or `drift` act on its deployed stack. Raises InputError, naming each refused value
    and what is allowed, when made with a bad one."""

    stage: str
    stage_file: Path | None = None  # default: stages/STAGE.json
    profile: str | None = None  # default: the stage file's, else the AWS CLI's
    region: str | None = None  # likewise
    template_bucket: str | None = None  # default: the stage file's
    dry_run: bool = False
    yes: bool = False
    allow_replacement: bool = False
    timeout: int = DEFAULT_TIMEOUT_MINUTES  # minutes, for the change set, then the stack
    outputs_json: Path | None = None
    image_tag: str | None = None
    destroy: bool = False
    watch: bool = False
    drift: bool = False
    confirm_prod_destroy: bool = False
    # The stages `stage` names one of: its protection and readers come from there.
    stages: Sequence[Stage] = DEFAULT_STAGES

    def __post_init__(self) -> None:
        object.__setattr__(self, "stages", tuple(self.stages))
        problems = _problems(
            self,
            {
                "profile": profile,
                "region": region,
                "template_bucket": template_bucket,
                "timeout": timeout_minutes,
                "image_tag": image_tag,
            },
        )
        try:
            get_stage(self.stage, self.stages)
        except UnknownStageError as error:
            problems.insert(0, str(error))
        modes = (self.image_tag is not None, self.destroy is True, self.watch is True)
        if sum((*modes, self.drift is True)) > 1:
            problems.append(
                "image_tag, destroy, watch and drift exclude each other: give one at most"
            )
        if problems:
            raise InputError("\n".join(problems))

    @property
    def stage_definition(self) -> Stage:
        """The Stage that `stage` names among `stages`."""
        return get_stage(self.stage, self.stages)

    @property
    def mode(self) -> str:
        """What the run does: "deploy", "image-tag", "destroy", "watch" or "drift"."""
        if self.destroy:
            return "destroy"
        if self.watch:
            return "watch"
        if self.drift:
            return "drift"
        return "image-tag" if self.image_tag is not None else "deploy"


@dataclass(frozen=True)
class PublishOptions:
    """What build.py's publish flags ask for, one field per flag (docs/publishing.md).
    Raises InputError, naming each refused value and what is allowed, when made with a
    bad one."""

    artifact_bucket: str
    product_name: str | None = None  # default: planar-STAGE
    portfolio_id: str | None = None
    deactivate_old: bool = False
    deprecate_old: bool = False
    # The portfolio's side: each needs portfolio_id.
    launch_role: str | None = None  # a role name or ARN
    replace_launch_role: bool = False
    share_with: tuple[str, ...] = ()  # account, OU and organization ids
    principals: tuple[str, ...] = ()  # IAM ARNs and IAM patterns
    profile: str | None = None  # default: the AWS CLI's
    region: str | None = None  # likewise

    def __post_init__(self) -> None:
        problems = _problems(
            self,
            {
                "artifact_bucket": artifact_bucket,
                "product_name": product_name,
                "portfolio_id": portfolio_id,
                "launch_role": launch_role,
                "share_with": share_targets,
                "principals": principals,
                "profile": profile,
                "region": region,
            },
        )
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
