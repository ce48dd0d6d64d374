"""Each StackSet target's pre-flight checks, before anything is created: the look-ups
a single stack's deploy makes (its hosted zone, its subnets, their zones and routes,
the database zones and engine version: lookups.resolve) and, for a new instance, the
ECS service-linked role (account_checks), read in the target's account and region
through a role the targets file names (preflight_role_name). A target without one, or
given as an OU (whose accounts the file does not list), is said to be skipped, check
by check. Any failure stops the run before the first write (exit 2)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TextIO

from ..aws.gateway import AWS_FAILURES, DEPLOYER, Clients, translate
from ..errors import InputError, PlanarError
from ..inputs.targets import Target, TargetsFile
from . import account_checks, lookups, presentation

__all__ = ["CHECKS", "Assume", "check"]

CHECKS = "hosted zone, subnets and their zones, public subnets' routes, ECS service-linked role"
Assume = Callable[[Clients, str, str], Clients]


def _one(
    aws: Clients,
    assume: Assume,
    target: Target,
    role: str,
    region: str,
    creating: bool,
) -> None:
    clients = assume(aws, role, region)
    lookups.resolve(target.values, clients.client)
    if creating and not account_checks.ecs_role_exists(clients.client("iam")):
        raise InputError(
            f"the ECS service-linked role {account_checks.ECS_ROLE} does not exist: the "
            "instance's ECS cluster cannot be created without it. Run "
            f"`{account_checks.CREATE_ECS_ROLE}` once in that account"
        )


def check(
    targets: TargetsFile,
    aws: Clients,
    assume: Assume,
    creating: Collection[tuple[str, str]],
    out: TextIO,
) -> None:
    """Run each target's checks; raise InputError naming every target that failed.
    `creating` holds the (account, region) pairs the run creates."""
    problems: list[str] = []
    for target in targets.targets:
        if target.organizational_units:
            presentation.say(
                out,
                f"Pre-flight {target.label}: skipped ({CHECKS}): an OU's accounts are not "
                "listed in the targets file",
            )
            continue
        if not targets.preflight_role_name:
            presentation.say(
                out,
                f"Pre-flight {target.label}: skipped ({CHECKS}): no preflight_role_name to "
                "read the target account with",
            )
            continue
        for account in target.accounts:
            for region in target.regions:
                role = (
                    f"arn:{account_checks.partition(region)}:iam::{account}:role/"
                    f"{targets.preflight_role_name}"
                )
                where = f"Pre-flight targets[{target.index}] {account} {region}"
                try:
                    _one(aws, assume, target, role, region, (account, region) in creating)
                except PlanarError as error:
                    problems.append(f"{where}: {error}")
                    continue
                except AWS_FAILURES as error:
                    problems.append(f"{where}: {translate(error, DEPLOYER, resource=role)}")
                    continue
                presentation.say(out, f"{where}: passed")
    if problems:
        raise InputError(
            "\n".join([*problems, "Nothing was created or changed."]),
        )
