"""The portfolio's side of a publish: the product's launch constraint, the stage's tag
options, the principals who may launch, and the shares with other accounts.

Each step reads what is there first and changes only what differs, so a repeated
publish changes nothing and says "unchanged". Sources: the Service Catalog API
reference (CreateConstraint, UpdateConstraint, CreatePortfolioShare,
UpdatePortfolioShare, DescribePortfolioShareStatus, GetAWSOrganizationsAccessStatus,
AssociatePrincipalWithPortfolio, CreateTagOption, AssociateTagOptionWithResource,
DisassociateTagOptionFromResource, DescribeProductAsAdmin).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..aws.clock import Clock
from ..aws.gateway import PUBLISHER, Clients, call, call_or_none, every_page
from ..errors import InputError, OperationFailed
from ..inputs.options import MAX_PRINCIPAL_PATTERNS, principal_type
from ..template.naming import stack_tags

__all__ = [
    "ENABLE_ORGANIZATIONS_ACCESS",
    "SHARED_EARLIER",
    "SHARE_WAIT_SECONDS",
    "LaunchRoleConflictError",
    "OrganizationsAccessError",
    "PortfolioSetup",
    "Share",
    "ShareFailedError",
    "constraint_parameters",
    "share_kind",
    "tag_options",
]

ENABLE_ORGANIZATIONS_ACCESS = "aws servicecatalog enable-aws-organizations-access"
# How long a publish waits for a share to an organization or OU to finish; a share
# still in progress then is reported as such, not as a failure.
SHARE_WAIT_SECONDS = 300
# An organization node's share found there: its status is not read again.
SHARED_EARLIER = "shared earlier; status not rechecked"
_SHARE_DONE = frozenset({"COMPLETED", "COMPLETED_WITH_ERRORS", "ERROR"})
_SHARE_FAILED = frozenset({"COMPLETED_WITH_ERRORS", "ERROR"})
# What a launch constraint needs beyond the Service Catalog action: Service Catalog
# reads and passes the role with the caller's credentials (cfn-lint's schema of
# AWS::ServiceCatalog::LaunchRoleConstraint lists them).
LAUNCH_ROLE_ACTIONS = ("iam:GetRole", "iam:PassRole")
_LAUNCH_ROLE_HINT = (
    "a launch constraint also needs iam:GetRole and iam:PassRole on the launch role "
    "({role}), PassRole with iam:PassedToService servicecatalog.amazonaws.com"
)
# What CreateTagOption and AssociateTagOptionWithResource answer for what is there.
_DUPLICATE = "DuplicateResourceException"


class LaunchRoleConflictError(InputError):
    """The product already has a launch constraint in the portfolio, naming another
    role; it is replaced only when asked (--replace-launch-role)."""


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


def constraint_parameters(role: str) -> dict[str, str]:
    """The LAUNCH constraint's Parameters for a checked role: RoleArn for an ARN, else
    LocalRoleName, the role of that name in the account that launches."""
    return {"RoleArn": role} if role.startswith("arn:") else {"LocalRoleName": role}


def tag_options(stage: str) -> dict[str, str]:
    """The tag options a stage's product carries: the stack's own tags (the same a
    deploy puts on the stack), but for app.name, a launch parameter (AppName) that the
    template's resources carry already."""
    tags = stack_tags(stage, "")
    del tags["app.name"]
    return tags


def _stale(option: Mapping[str, Any], wanted: Mapping[str, str]) -> bool:
    """A tag option of a key the stage sets, with another value."""
    key = str(option.get("Key"))
    return key in wanted and option.get("Value") != wanted[key]


def _role_of(parameters: str) -> str:
    """The role a LAUNCH constraint's parameters name (RoleArn or LocalRoleName)."""
    try:
        found = json.loads(parameters or "{}")
    except ValueError:
        return parameters
    if not isinstance(found, dict):
        return parameters
    return str(found.get("RoleArn") or found.get("LocalRoleName") or parameters)


@dataclass
class _Constraint:
    constraint_id: str
    role: str


@dataclass
class PortfolioSetup:
    """The portfolio's side of one publish; each call names the IAM action it needs.
    `say` writes a line of the run; `did` records a change in AWS."""

    clients: Clients
    portfolio_id: str
    say: Callable[[str], None]
    did: Callable[[str], None]
    clock: Clock

    @property
    def sc(self) -> Any:
        """The Service Catalog client."""
        return self.clients.client("servicecatalog")

    # --- before anything is written ------------------------------------------------

    def launch_constraint(self, product_id: str) -> _Constraint | None:
        """The product's LAUNCH constraint in the portfolio, with the role it names."""
        found = every_page(
            self.sc,
            "list_constraints_for_portfolio",
            PUBLISHER,
            action="servicecatalog:ListConstraintsForPortfolio",
            key="ConstraintDetails",
            PortfolioId=self.portfolio_id,
            ProductId=product_id,
        )
        launch = next((c for c in found if c.get("Type") == "LAUNCH"), None)
        if launch is None:
            return None
        described = call(
            self.sc.describe_constraint,
            PUBLISHER,
            action="servicecatalog:DescribeConstraint",
            resource=f"constraint {launch['ConstraintId']}",
            Id=launch["ConstraintId"],
        )
        return _Constraint(
            launch["ConstraintId"], _role_of(described.get("ConstraintParameters", ""))
        )

    def check_launch_role(self, existing: _Constraint | None, role: str, replace: bool) -> None:
        """Refuse to replace a launch constraint naming another role unless asked."""
        if existing is not None and existing.role != role and not replace:
            raise LaunchRoleConflictError(
                f"--launch-role {role}: the product's launch constraint in portfolio "
                f"{self.portfolio_id} ({existing.constraint_id}) names role {existing.role}; "
                f"pass --replace-launch-role to replace {existing.role} with {role}, or "
                f"--launch-role {existing.role} to keep it"
            )

    def check_organizations_access(self, targets: Iterable[str]) -> None:
        """A share to the organization or an OU needs Organizations access enabled."""
        nodes = [t for t in targets if share_kind(t) != "ACCOUNT"]
        if not nodes:
            return
        status = call(
            self.sc.get_aws_organizations_access_status,
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

    def set_launch_role(self, product_id: str, existing: _Constraint | None, role: str) -> str:
        """Create the LAUNCH constraint, or point it at `role`: "created", "replaced"
        or "unchanged"."""
        parameters = json.dumps(constraint_parameters(role))
        if existing is not None and existing.role == role:
            self.say(f"launch constraint: unchanged (role {role})")
            return "unchanged"
        if existing is None:
            created = call(
                self.sc.create_constraint,
                PUBLISHER,
                action="servicecatalog:CreateConstraint",
                resource=f"portfolio {self.portfolio_id}",
                PortfolioId=self.portfolio_id,
                ProductId=product_id,
                Type="LAUNCH",
                Parameters=parameters,
                denied_hint=_LAUNCH_ROLE_HINT.format(role=role),
                Description="planar-cfn launch role",
                # Botocore retries with the same token: a retry cannot make a second one.
                IdempotencyToken=uuid.uuid4().hex,
            )
            constraint_id = created.get("ConstraintDetail", {}).get("ConstraintId", "")
            self.did(f"created launch constraint {constraint_id}")
            self.say(f"launch constraint: created (role {role})")
            return "created"
        # UpdateConstraint takes a LAUNCH constraint's new Parameters: one call, and the
        # product is never without a launch role.
        call(
            self.sc.update_constraint,
            PUBLISHER,
            action="servicecatalog:UpdateConstraint",
            resource=f"constraint {existing.constraint_id}",
            denied_hint=_LAUNCH_ROLE_HINT.format(role=role),
            Id=existing.constraint_id,
            Parameters=parameters,
        )
        self.did(f"replaced launch role {existing.role} with {role}")
        self.say(f"launch constraint: replaced role {existing.role} with {role}")
        return "replaced"

    def apply_tag_options(
        self,
        product_id: str,
        wanted: Mapping[str, str],
        on_product: Iterable[Mapping[str, Any]],
        on_portfolio: Iterable[Mapping[str, Any]],
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Give the product exactly one tag option per key of `wanted`: associate each
        KEY=VALUE it lacks (`on_product`: DescribeProductAsAdmin's TagOptions), creating
        the tag option when the account has none; then disassociate the other values of
        those keys from the product, and every value of those keys from the portfolio
        (`on_portfolio`: DescribePortfolio's TagOptions), where they would be offered
        beside the product's. The ones associated and the ones removed, as KEY=VALUE."""
        on_product, on_portfolio = list(on_product), list(on_portfolio)
        there = {(t.get("Key"), t.get("Value")) for t in on_product}
        added = []
        for key, value in wanted.items():
            if (key, value) in there:
                continue
            associated_now = call_or_none(
                self.sc.associate_tag_option_with_resource,
                PUBLISHER,
                absent={_DUPLICATE},  # associated meanwhile
                action="servicecatalog:AssociateTagOptionWithResource",
                resource=f"product {product_id}",
                ResourceId=product_id,
                TagOptionId=self._tag_option(key, value),
            )
            if associated_now is None:
                continue
            self.did(f"associated tag option {key}={value} with {product_id}")
            self.say(f"tag option {key}={value}: associated with product {product_id}")
            added.append(f"{key}={value}")
        removed = []
        stale = [(product_id, "product", t) for t in on_product if _stale(t, wanted)]
        stale += [
            (self.portfolio_id, "portfolio", t) for t in on_portfolio if t.get("Key") in wanted
        ]
        for resource_id, kind, option in stale:
            shown = f"{option.get('Key')}={option.get('Value')}"
            call_or_none(
                self.sc.disassociate_tag_option_from_resource,
                PUBLISHER,
                absent={"ResourceNotFoundException"},  # removed meanwhile
                action="servicecatalog:DisassociateTagOptionFromResource",
                resource=f"{kind} {resource_id}",
                ResourceId=resource_id,
                TagOptionId=option["Id"],
            )
            self.did(f"removed tag option {shown} from {resource_id}")
            self.say(f"tag option {shown}: removed from {kind} {resource_id}")
            removed.append(shown)
        if not added and not removed:
            self.say(f"tag options: unchanged ({len(wanted)} on product {product_id})")
        return tuple(added), tuple(removed)

    def _tag_option(self, key: str, value: str) -> str:
        """The id of the account's tag option KEY=VALUE, created when there is none."""
        for attempt in range(2):
            found = every_page(
                self.sc,
                "list_tag_options",
                PUBLISHER,
                action="servicecatalog:ListTagOptions",
                key="TagOptionDetails",
                Filters={"Key": key, "Value": value},
            )
            # The filters' matching is not documented as exact: compare.
            match = next((t for t in found if (t.get("Key"), t.get("Value")) == (key, value)), None)
            if match is not None:
                if match.get("Active") is False:
                    raise InputError(
                        f"tag option {key}={value} ({match['Id']}) is inactive, and an "
                        "inactive tag option cannot be associated: activate it "
                        f"(`aws servicecatalog update-tag-option --id {match['Id']} --active`)"
                    )
                return str(match["Id"])
            if attempt:
                break
            created = call_or_none(
                self.sc.create_tag_option,
                PUBLISHER,
                absent={_DUPLICATE},  # created meanwhile: list again
                action="servicecatalog:CreateTagOption",
                Key=key,
                Value=value,
            )
            if created is None:
                continue
            self.did(f"created tag option {key}={value}")
            return str(created["TagOptionDetail"]["Id"])
        raise InputError(f"tag option {key}={value} exists but could not be listed")

    def check_principals(self, arns: Iterable[str]) -> set[str]:
        """The principals the portfolio has; refuses `arns` when they would take it past
        the IAM_PATTERN limit, counting the patterns it has."""
        listed = every_page(
            self.sc,
            "list_principals_for_portfolio",
            PUBLISHER,
            action="servicecatalog:ListPrincipalsForPortfolio",
            key="Principals",
            PortfolioId=self.portfolio_id,
        )
        there = {str(p.get("PrincipalARN")) for p in listed}
        patterns = {
            str(p.get("PrincipalARN")) for p in listed if p.get("PrincipalType") == "IAM_PATTERN"
        }
        new = [a for a in arns if principal_type(a) == "IAM_PATTERN" and a not in there]
        if new and len(patterns) + len(new) > MAX_PRINCIPAL_PATTERNS:
            raise InputError(
                f"--principal {','.join(new)}: portfolio {self.portfolio_id} has "
                f"{len(patterns)} IAM pattern(s) already, and a portfolio takes at most "
                f"{MAX_PRINCIPAL_PATTERNS} (principals without an account id): pass at most "
                f"{max(MAX_PRINCIPAL_PATTERNS - len(patterns), 0)} new pattern(s), or "
                "disassociate some (`aws servicecatalog list-principals-for-portfolio "
                f"--portfolio-id {self.portfolio_id}`)"
            )
        return there

    def associate_principals(self, arns: Iterable[str], there: set[str]) -> tuple[str, ...]:
        """Associate each principal the portfolio lacks (`there`: check_principals's);
        the ones associated now."""
        added = []
        for arn in arns:
            if arn in there:
                self.say(f"principal {arn}: unchanged (already associated)")
                continue
            call(
                self.sc.associate_principal_with_portfolio,
                PUBLISHER,
                action="servicecatalog:AssociatePrincipalWithPortfolio",
                resource=f"portfolio {self.portfolio_id}",
                PortfolioId=self.portfolio_id,
                PrincipalARN=arn,
                PrincipalType=principal_type(arn),
            )
            self.did(f"associated principal {arn}")
            self.say(f"principal {arn}: associated ({principal_type(arn)})")
            added.append(arn)
        return tuple(added)

    def share(self, targets: Iterable[str]) -> tuple[Share, ...]:
        """Share the portfolio with each target, tag options (and, for the organization
        and OUs, principals) included; an existing share that lacks them is updated.
        Raises ShareFailedError, after every share is reported, when one failed."""
        targets = list(targets)
        existing: dict[str, dict[str, Any]] = {}
        for kind in dict.fromkeys(share_kind(t) for t in targets):
            existing.update((d["PrincipalId"], d) for d in self._shares_of(kind))
        shares, failures, failed_kinds = [], [], []
        for target in targets:
            share, errors = self._share_one(target, existing.get(target))
            shares.append(share)
            failures += errors
            if errors:
                failed_kinds.append(share.kind)
            self.say(f"share with {target} ({share.kind}): {share.change}, {share.status}")
        if failures:
            commands = " and ".join(
                f"`aws servicecatalog describe-portfolio-shares --portfolio-id "
                f"{self.portfolio_id} --type {kind}`"
                for kind in dict.fromkeys(failed_kinds)
            )
            raise ShareFailedError(
                "portfolio shares failed: "
                + "; ".join(failures)
                + f". Check the share ({commands}), fix the cause and publish again",
                shares=tuple(shares),
            )
        return tuple(shares)

    def _shares_of(self, kind: str) -> list[dict[str, Any]]:
        # DescribePortfolioShares has no paginator in botocore: the pages by hand.
        shares: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = call(
                self.sc.describe_portfolio_shares,
                PUBLISHER,
                action="servicecatalog:DescribePortfolioShares",
                resource=f"portfolio {self.portfolio_id}",
                PortfolioId=self.portfolio_id,
                Type=kind,
                **({"PageToken": token} if token else {}),
            )
            shares += page.get("PortfolioShareDetails", [])
            token = page.get("NextPageToken")
            if not token:
                return shares

    def _share_one(
        self, target: str, existing: Mapping[str, Any] | None
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
            (self.sc.create_portfolio_share, "servicecatalog:CreatePortfolioShare")
            if existing is None
            else (self.sc.update_portfolio_share, "servicecatalog:UpdatePortfolioShare")
        )
        answer = call(
            method,
            PUBLISHER,
            action=action,
            resource=f"portfolio {self.portfolio_id}",
            hint=hint,
            PortfolioId=self.portfolio_id,
            **where,
            **what,
        )
        self.did(f"{change} share with {target}")
        token = answer.get("PortfolioShareToken")
        if not node:
            # An account share is done at once, until the account accepts it. An update
            # answers a token too, but DescribePortfolioShareStatus is for organization
            # nodes (the management account or a delegated administrator only).
            accepted = existing is not None and existing.get("Accepted") is True
            return Share(target, kind, change, "accepted" if accepted else "not yet accepted"), []
        if not token:
            return Share(target, kind, change, "IN_PROGRESS"), []
        return self._wait(target, kind, change, str(token))

    def _wait(self, target: str, kind: str, change: str, token: str) -> tuple[Share, list[str]]:
        status: dict[str, Any] = {}
        for _ in self.clock.polls(SHARE_WAIT_SECONDS):
            status = call(
                self.sc.describe_portfolio_share_status,
                PUBLISHER,
                action="servicecatalog:DescribePortfolioShareStatus",
                PortfolioShareToken=token,
            )
            if status.get("Status") in _SHARE_DONE:
                break
        state = str(status.get("Status", "IN_PROGRESS"))
        if state not in _SHARE_DONE:
            self.say(
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
