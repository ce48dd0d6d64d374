"""The portfolio's shares with accounts, OUs and the organization: created or
updated when they lack tag options (and, for organization nodes, principals); a share
to an organization node is awaited for its status."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..aws.gateway import PUBLISHER, call
from ..errors import InputError, OperationFailed
from .run import Run

__all__ = [
    "ENABLE_ORGANIZATIONS_ACCESS",
    "SHARED_EARLIER",
    "SHARE_WAIT_SECONDS",
    "OrganizationsAccessError",
    "Share",
    "ShareFailedError",
    "check_organizations_access",
    "share",
    "share_kind",
]

ENABLE_ORGANIZATIONS_ACCESS = "aws servicecatalog enable-aws-organizations-access"
# How long a publish waits for a share to an organization or OU to finish; a share
# still in progress then is reported as such, not as a failure.
SHARE_WAIT_SECONDS = 300
# An organization node's share found there: its status is not read again.
SHARED_EARLIER = "shared earlier; status not rechecked"
_SHARE_DONE = frozenset({"COMPLETED", "COMPLETED_WITH_ERRORS", "ERROR"})
_SHARE_FAILED = frozenset({"COMPLETED_WITH_ERRORS", "ERROR"})


class OrganizationsAccessError(InputError):
    """A share to the organization or an OU needs AWS Organizations access for
    Service Catalog, and it is not enabled."""


class ShareFailedError(OperationFailed):
    """A share to the organization or an OU ended in error for some accounts;
    `shares` is every share's outcome, the failed ones included."""

    def __init__(self, message: str, *, shares: tuple[Share, ...] = ()) -> None:
        super().__init__(message)
        self.shares = shares


@dataclass(frozen=True)
class Share:
    """One share of the portfolio: where to (`target`, an account, OU or organization
    id), its kind (ACCOUNT, ORGANIZATIONAL_UNIT, ORGANIZATION), what this run did
    ("created", "updated", "unchanged") and its status: for an account "accepted" or
    "not yet accepted", for an organization node DescribePortfolioShareStatus's
    (COMPLETED, IN_PROGRESS...), or SHARED_EARLIER when it was already there: that
    status can be read only with the token of the call that made the share."""

    target: str
    kind: str
    change: str
    status: str


def share_kind(target: str) -> str:
    """The share's kind for a checked share target."""
    if target.startswith("ou-"):
        return "ORGANIZATIONAL_UNIT"
    return "ORGANIZATION" if target.startswith("o-") else "ACCOUNT"


def check_organizations_access(run: Run, targets: Iterable[str]) -> None:
    """A share to the organization or an OU needs Organizations access enabled."""
    nodes = [t for t in targets if share_kind(t) != "ACCOUNT"]
    if not nodes:
        return
    status = call(
        run.sc.get_aws_organizations_access_status,
        PUBLISHER,
        action="servicecatalog:GetAWSOrganizationsAccessStatus",
        hint="only the organization's management account or a Service Catalog "
        "delegated administrator can share with the organization or an OU",
    ).get("AccessStatus", "")
    if status != "ENABLED":
        raise OrganizationsAccessError(
            f"--share-with {', '.join(nodes)}: sharing with the organization or an OU "
            f"needs AWS Organizations access for Service Catalog, which is {status or 'unknown'}: "
            f"run `{ENABLE_ORGANIZATIONS_ACCESS}` with the management account's "
            "credentials (a delegated administrator cannot enable it), then publish "
            "again; shares to account ids need no such access"
        )


# --- the changes ---------------------------------------------------------------


def share(run: Run, portfolio_id: str, targets: Iterable[str]) -> tuple[Share, ...]:
    """Share the portfolio with each target, tag options (and, for the organization
    and OUs, principals) included; an existing share that lacks them is updated.
    Raises ShareFailedError, after every share is reported, when one failed."""
    targets = list(targets)
    existing: dict[str, dict[str, Any]] = {}
    for kind in dict.fromkeys(share_kind(t) for t in targets):
        existing.update((d["PrincipalId"], d) for d in _shares_of(run, portfolio_id, kind))
    shares, failures, failed_kinds = [], [], []
    for target in targets:
        share, errors = _share_one(run, portfolio_id, target, existing.get(target))
        shares.append(share)
        failures += errors
        if errors:
            failed_kinds.append(share.kind)
        run.say(f"share with {target} ({share.kind}): {share.change}, {share.status}")
    if failures:
        commands = " and ".join(
            f"`aws servicecatalog describe-portfolio-shares --portfolio-id "
            f"{portfolio_id} --type {kind}`"
            for kind in dict.fromkeys(failed_kinds)
        )
        raise ShareFailedError(
            "portfolio shares failed: "
            + "; ".join(failures)
            + f". Check the share ({commands}), fix the cause and publish again",
            shares=tuple(shares),
        )
    return tuple(shares)


def _shares_of(run: Run, portfolio_id: str, kind: str) -> list[dict[str, Any]]:
    # DescribePortfolioShares has no paginator in botocore: the pages by hand.
    shares: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = call(
            run.sc.describe_portfolio_shares,
            PUBLISHER,
            action="servicecatalog:DescribePortfolioShares",
            resource=f"portfolio {portfolio_id}",
            PortfolioId=portfolio_id,
            Type=kind,
            **({"PageToken": token} if token else {}),
        )
        shares += page.get("PortfolioShareDetails", [])
        token = page.get("NextPageToken")
        if not token:
            return shares


def _share_one(
    run: Run, portfolio_id: str, target: str, existing: Mapping[str, Any] | None
) -> tuple[Share, list[str]]:
    kind = share_kind(target)
    node = kind != "ACCOUNT"
    where: dict[str, Any] = (
        {"OrganizationNode": {"Type": kind, "Value": target}} if node else {"AccountId": target}
    )
    # Principal sharing is for shares to the organization or an OU only
    # (CreatePortfolioShare, SharePrincipals).
    what: dict[str, Any] = {
        "ShareTagOptions": True,
        **({"SharePrincipals": True} if node else {}),
    }
    complete = existing is not None and all(existing.get(k) is True for k in what)
    if complete:
        assert existing is not None
        if node:
            # DescribePortfolioShareStatus takes only the token of the create or
            # update that made the share: an earlier share's status cannot be read.
            return Share(target, kind, "unchanged", SHARED_EARLIER), []
        status = "accepted" if existing.get("Accepted") else "not yet accepted"
        return Share(target, kind, "unchanged", status), []
    hint = (
        f"sharing with the organization or an OU needs AWS Organizations access "
        f"(`{ENABLE_ORGANIZATIONS_ACCESS}` in the management account) and the "
        "management account or a delegated administrator"
        if node
        else ""
    )
    change = "created" if existing is None else "updated"
    method, action = (
        (run.sc.create_portfolio_share, "servicecatalog:CreatePortfolioShare")
        if existing is None
        else (run.sc.update_portfolio_share, "servicecatalog:UpdatePortfolioShare")
    )
    answer = call(
        method,
        PUBLISHER,
        action=action,
        resource=f"portfolio {portfolio_id}",
        hint=hint,
        PortfolioId=portfolio_id,
        **where,
        **what,
    )
    run.did(f"{change} share with {target}")
    token = answer.get("PortfolioShareToken")
    if not node:
        # An account share is done at once, until the account accepts it. An update
        # answers a token too, but DescribePortfolioShareStatus is for organization
        # nodes (the management account or a delegated administrator only).
        accepted = existing is not None and existing.get("Accepted") is True
        return Share(target, kind, change, "accepted" if accepted else "not yet accepted"), []
    if not token:
        return Share(target, kind, change, "IN_PROGRESS"), []
    return _wait(run, target, kind, change, str(token))


def _wait(run: Run, target: str, kind: str, change: str, token: str) -> tuple[Share, list[str]]:
    status: dict[str, Any] = {}
    for _ in run.clock.polls(SHARE_WAIT_SECONDS):
        status = call(
            run.sc.describe_portfolio_share_status,
            PUBLISHER,
            action="servicecatalog:DescribePortfolioShareStatus",
            PortfolioShareToken=token,
        )
        if status.get("Status") in _SHARE_DONE:
            break
    state = str(status.get("Status", "IN_PROGRESS"))
    if state not in _SHARE_DONE:
        run.say(
            f"share with {target}: still {state} after {SHARE_WAIT_SECONDS} s; follow it "
            f"with `aws servicecatalog describe-portfolio-share-status --portfolio-share-token {token}`"
        )
    errors = []
    if state in _SHARE_FAILED:
        for error in status.get("ShareDetails", {}).get("ShareErrors", []):
            accounts = ", ".join(error.get("Accounts", [])) or "some accounts"
            errors.append(
                f"{target}: {error.get('Error', state)} for {accounts}: {error.get('Message', '')}".rstrip(
                    ": "
                )
            )
        if not errors:
            errors.append(f"{target}: {state}")
    return Share(target, kind, change, state), errors
