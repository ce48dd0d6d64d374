"""The product's launch constraint in the portfolio: the IAM role Service Catalog
launches it with. Another role already there is replaced only when asked."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from ..aws.gateway import PUBLISHER, call, every_page
from ..errors import InputError
from .run import Run

__all__ = [
    "LAUNCH_ROLE_ACTIONS",
    "Constraint",
    "LaunchRoleConflictError",
    "check",
    "constraint_parameters",
    "find",
    "set_role",
]

# What a launch constraint needs beyond the Service Catalog action: Service Catalog
# reads and passes the role with the caller's credentials (cfn-lint's schema of
# AWS::ServiceCatalog::LaunchRoleConstraint lists them).
LAUNCH_ROLE_ACTIONS = ("iam:GetRole", "iam:PassRole")
_LAUNCH_ROLE_HINT = (
    "a launch constraint also needs iam:GetRole and iam:PassRole on the launch role "
    "({role}), PassRole with iam:PassedToService servicecatalog.amazonaws.com"
)


class LaunchRoleConflictError(InputError):
    """The product already has a launch constraint in the portfolio, naming another
    role; it is replaced only when asked (--replace-launch-role)."""


def constraint_parameters(role: str) -> dict[str, str]:
    """The LAUNCH constraint's Parameters for a checked role: RoleArn for an ARN, else
    LocalRoleName, the role of that name in the account that launches."""
    return {"RoleArn": role} if role.startswith("arn:") else {"LocalRoleName": role}


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
class Constraint:
    """A LAUNCH constraint and the role it names."""

    constraint_id: str
    role: str


def find(run: Run, portfolio_id: str, product_id: str) -> Constraint | None:
    """The product's LAUNCH constraint in the portfolio, with the role it names."""
    found = every_page(
        run.sc,
        "list_constraints_for_portfolio",
        PUBLISHER,
        action="servicecatalog:ListConstraintsForPortfolio",
        key="ConstraintDetails",
        PortfolioId=portfolio_id,
        ProductId=product_id,
    )
    launch = next((c for c in found if c.get("Type") == "LAUNCH"), None)
    if launch is None:
        return None
    described = call(
        run.sc.describe_constraint,
        PUBLISHER,
        action="servicecatalog:DescribeConstraint",
        resource=f"constraint {launch['ConstraintId']}",
        Id=launch["ConstraintId"],
    )
    return Constraint(launch["ConstraintId"], _role_of(described.get("ConstraintParameters", "")))


def check(portfolio_id: str, existing: Constraint | None, role: str, replace: bool) -> None:
    """Refuse to replace a launch constraint naming another role unless asked."""
    if existing is not None and existing.role != role and not replace:
        raise LaunchRoleConflictError(
            f"--launch-role {role}: the product's launch constraint in portfolio "
            f"{portfolio_id} ({existing.constraint_id}) names role {existing.role}; "
            f"pass --replace-launch-role to replace {existing.role} with {role}, or "
            f"--launch-role {existing.role} to keep it"
        )


def set_role(
    run: Run, portfolio_id: str, product_id: str, existing: Constraint | None, role: str
) -> str:
    """Create the LAUNCH constraint, or point it at `role`: "created", "replaced"
    or "unchanged"."""
    parameters = json.dumps(constraint_parameters(role))
    if existing is not None and existing.role == role:
        run.say(f"launch constraint: unchanged (role {role})")
        return "unchanged"
    if existing is None:
        created = call(
            run.sc.create_constraint,
            PUBLISHER,
            action="servicecatalog:CreateConstraint",
            resource=f"portfolio {portfolio_id}",
            PortfolioId=portfolio_id,
            ProductId=product_id,
            Type="LAUNCH",
            Parameters=parameters,
            denied_hint=_LAUNCH_ROLE_HINT.format(role=role),
            Description="planar-cfn launch role",
            # Botocore retries with the same token: a retry cannot make a second one.
            IdempotencyToken=uuid.uuid4().hex,
        )
        constraint_id = created.get("ConstraintDetail", {}).get("ConstraintId", "")
        run.did(f"created launch constraint {constraint_id}")
        run.say(f"launch constraint: created (role {role})")
        return "created"
    # UpdateConstraint takes a LAUNCH constraint's new Parameters: one call, and the
    # product is never without a launch role.
    call(
        run.sc.update_constraint,
        PUBLISHER,
        action="servicecatalog:UpdateConstraint",
        resource=f"constraint {existing.constraint_id}",
        denied_hint=_LAUNCH_ROLE_HINT.format(role=role),
        Id=existing.constraint_id,
        Parameters=parameters,
    )
    run.did(f"replaced launch role {existing.role} with {role}")
    run.say(f"launch constraint: replaced role {existing.role} with {role}")
    return "replaced"
