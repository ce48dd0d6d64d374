"""The principals who may launch the portfolio's products: associated when missing,
within the portfolio's limit of IAM patterns."""

from __future__ import annotations

from collections.abc import Iterable

from ..aws.gateway import PUBLISHER, call, every_page
from ..errors import InputError
from ..inputs.options import MAX_PRINCIPAL_PATTERNS, principal_type
from .run import Run

__all__ = ["associate", "check"]


def check(run: Run, portfolio_id: str, arns: Iterable[str]) -> set[str]:
    """The principals the portfolio has; refuses `arns` when they would take it past
    the IAM_PATTERN limit, counting the patterns it has."""
    listed = every_page(
        run.sc,
        "list_principals_for_portfolio",
        PUBLISHER,
        action="servicecatalog:ListPrincipalsForPortfolio",
        key="Principals",
        PortfolioId=portfolio_id,
    )
    there = {str(p.get("PrincipalARN")) for p in listed}
    patterns = {
        str(p.get("PrincipalARN")) for p in listed if p.get("PrincipalType") == "IAM_PATTERN"
    }
    new = [a for a in arns if principal_type(a) == "IAM_PATTERN" and a not in there]
    if new and len(patterns) + len(new) > MAX_PRINCIPAL_PATTERNS:
        raise InputError(
            f"--principal {','.join(new)}: portfolio {portfolio_id} has "
            f"{len(patterns)} IAM pattern(s) already, and a portfolio takes at most "
            f"{MAX_PRINCIPAL_PATTERNS} (principals without an account id): pass at most "
            f"{max(MAX_PRINCIPAL_PATTERNS - len(patterns), 0)} new pattern(s), or "
            "disassociate some (`aws servicecatalog list-principals-for-portfolio "
            f"--portfolio-id {portfolio_id}`)"
        )
    return there


def associate(run: Run, portfolio_id: str, arns: Iterable[str], there: set[str]) -> tuple[str, ...]:
    """Associate each principal the portfolio lacks (`there`: check's);
    the ones associated now."""
    added = []
    for arn in arns:
        if arn in there:
            run.say(f"principal {arn}: unchanged (already associated)")
            continue
        call(
            run.sc.associate_principal_with_portfolio,
            PUBLISHER,
            action="servicecatalog:AssociatePrincipalWithPortfolio",
            resource=f"portfolio {portfolio_id}",
            PortfolioId=portfolio_id,
            PrincipalARN=arn,
            PrincipalType=principal_type(arn),
        )
        run.did(f"associated principal {arn}")
        run.say(f"principal {arn}: associated ({principal_type(arn)})")
        added.append(arn)
    return tuple(added)
