"""The portfolio's side of a publish: the portfolio checked, and every refusal made,
before anything is written; then the product in the portfolio, its tag options, its
launch constraint, the principals who may launch and the shares, in that order.

Each step reads what is there first and changes only what differs, so a repeated
publish changes nothing and says "unchanged". Sources: the Service Catalog API
reference (CreateConstraint, UpdateConstraint, CreatePortfolioShare,
UpdatePortfolioShare, DescribePortfolioShareStatus, GetAWSOrganizationsAccessStatus,
AssociatePrincipalWithPortfolio, CreateTagOption, AssociateTagOptionWithResource,
DisassociateTagOptionFromResource, DescribeProductAsAdmin).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..aws.gateway import PUBLISHER, call, call_or_none, every_page
from ..errors import InputError
from ..inputs.options import PublishOptions
from . import launch_constraint, principals, sharing, tag_options
from .run import Run

__all__ = ["Changes", "Checked", "PortfolioNotFoundError", "apply", "check"]


class PortfolioNotFoundError(InputError):
    """The portfolio does not exist in this account and region."""


@dataclass(frozen=True)
class Checked:
    """What the checks found, for the changes: the portfolio's tag options, the
    product's launch constraint and the principals the portfolio has."""

    portfolio_id: str
    tag_options: list[dict[str, Any]]
    constraint: launch_constraint.Constraint | None
    principals: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Changes:
    """What the portfolio's side did (PublishResult has each field), and the share
    failure to raise once the other versions are retired."""

    launch_constraint: str = ""
    shares: tuple[sharing.Share, ...] = ()
    principals: tuple[str, ...] = ()
    tag_options: tuple[str, ...] = ()
    removed_tag_options: tuple[str, ...] = ()
    failed: sharing.ShareFailedError | None = None


def check(
    run: Run, portfolio_id: str, options: PublishOptions, product_id: str | None, account: str
) -> Checked:
    """Every refusal of the portfolio's side, before anything is written."""
    found = call_or_none(
        run.sc.describe_portfolio,
        PUBLISHER,
        absent={"ResourceNotFoundException"},
        action="servicecatalog:DescribePortfolio",
        resource=f"portfolio {portfolio_id}",
        Id=portfolio_id,
    )
    if found is None:
        raise PortfolioNotFoundError(
            f"portfolio {portfolio_id} does not exist in account {account}, "
            f"{run.clients.region}: check --portfolio-id "
            "(`aws servicecatalog list-portfolios`) and the region"
        )
    constraint = None
    if product_id is not None and options.launch_role:
        constraint = launch_constraint.find(run, portfolio_id, product_id)
        launch_constraint.check(
            portfolio_id, constraint, options.launch_role, options.replace_launch_role
        )
    sharing.check_organizations_access(run, options.share_with)
    there = principals.check(run, portfolio_id, options.principals) if options.principals else set()
    return Checked(portfolio_id, found.get("TagOptions", []), constraint, there)


def apply(
    run: Run,
    checked: Checked,
    options: PublishOptions,
    stage: str,
    product_id: str,
    new_product: bool,
) -> Changes:
    """The product in the portfolio, then its tag options, launch constraint,
    principals and shares as `options` say. A failed share is returned, not raised:
    the version is made, and the other versions are still to be retired."""
    portfolio_id = checked.portfolio_id
    _associate(run, portfolio_id, product_id, new_product)
    added, removed = tag_options.apply(
        run,
        portfolio_id,
        product_id,
        tag_options.for_stage(stage),
        [] if new_product else tag_options.of_product(run, product_id),
        checked.tag_options,
    )
    role = options.launch_role
    constraint = (
        launch_constraint.set_role(run, portfolio_id, product_id, checked.constraint, role)
        if role
        else ""
    )
    associated = (
        principals.associate(run, portfolio_id, options.principals, checked.principals)
        if options.principals
        else ()
    )
    shares: tuple[sharing.Share, ...] = ()
    failed = None
    if options.share_with:
        try:
            shares = sharing.share(run, portfolio_id, options.share_with)
        except sharing.ShareFailedError as error:
            failed, shares = error, error.shares
    return Changes(constraint, shares, associated, added, removed, failed)


def _associate(run: Run, portfolio_id: str, product_id: str, new_product: bool) -> None:
    if not new_product:
        portfolios = every_page(
            run.sc,
            "list_portfolios_for_product",
            PUBLISHER,
            action="servicecatalog:ListPortfoliosForProduct",
            key="PortfolioDetails",
            ProductId=product_id,
        )
        if any(p["Id"] == portfolio_id for p in portfolios):
            run.say(f"already in portfolio {portfolio_id}")
            return
    call(
        run.sc.associate_product_with_portfolio,
        PUBLISHER,
        action="servicecatalog:AssociateProductWithPortfolio",
        ProductId=product_id,
        PortfolioId=portfolio_id,
    )
    run.did(f"associated {product_id} with {portfolio_id}")
    run.say(f"associated with portfolio {portfolio_id}")
