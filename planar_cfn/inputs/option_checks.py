"""One check per deploy or publish value: the value as given (a flag's text or a Python
value) in, the value out, or a ValueError that says what is allowed. The options run
them as they are made, and the command line as it parses its flags."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from .constraints import S3_BUCKET, Pattern
from .parameters import SPECS_BY_KEY
from .stage_file import PROFILE, REGION

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
# An ARN's start in each partition the options accept.
ARN_PARTITION = r"arn:aws(?:-cn|-us-gov)?"
_ROLE_ARN = re.compile(rf"{ARN_PARTITION}:iam::\d{{12}}:role{_IAM_PATH}{_IAM_NAME}")
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
    rf"{ARN_PARTITION}:iam::\d{{12}}:(?:role|group|user){_IAM_PATH}{_IAM_NAME}"
)
_PRINCIPAL_PATTERN = re.compile(
    rf"{ARN_PARTITION}:iam:::(?:role|group|user)/(?:[A-Za-z0-9+=,.@_*?-]+/)*[A-Za-z0-9+=,.@_*?-]{{1,64}}"
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


_CFN_ROLE_ALLOWED = (
    "the ARN of the IAM role CloudFormation assumes for the stack (its service role), such "
    "as arn:aws:iam::111122223333:role/planar-deploy-role"
)


def cfn_role_arn(value: str) -> str:
    """The CloudFormation service role a deploy passes as RoleARN: a role's full ARN,
    which CreateChangeSet and DeleteStack take (a name is not enough)."""
    if not (isinstance(value, str) and _ROLE_ARN.fullmatch(value)):
        raise ValueError(f"{_shown(value)} is not a role ARN: {_CFN_ROLE_ALLOWED}")
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
