"""ExecuteChangeSet, with what a protected stage needs around it: the deletion
protection of a load balancer the update replaces or removes goes off just before,
and back on when the update does not run."""

from __future__ import annotations

from botocore.exceptions import ClientError

from ..aws.gateway import rejects_credentials, why
from ..errors import AwsRefused
from . import change_set, presentation, protections
from .pending import Pending
from .session import Session

__all__ = ["execute"]


def execute(s: Session, pending: Pending, name: str, ready: change_set.ChangeSet) -> None:
    """Execute the reviewed change set. In a protected stage, a load balancer the update
    replaces or removes has deletion protection, which would make the cleanup at the
    update's end fail to delete it (the stack still ends UPDATE_COMPLETE, the old load
    balancer left running outside it): its protection goes off just before, and back
    on when the update does not run (refused, Ctrl-C) or keeps it (protections.settle)."""
    balancers = (
        [
            protections.balancer(
                s.aws,
                f"deletion protection of the old load balancer {c.physical_id}",
                c.physical_id,
            )
            for c in ready.load_balancers_going
        ]
        if s.stage.protected
        else []
    )
    turned_off: list[protections.Protection] = []
    refused = None
    try:
        try:
            protections.turn_off(balancers, turned_off, s.out)
        except ClientError as error:
            refused = (
                f"cannot turn off the {balancers[len(turned_off)].what} ({why(error)}), "
                "so the update's cleanup could not delete it: not executed"
            )
        else:
            try:
                s.cfn.execute_change_set(ChangeSetName=ready.id)
            except ClientError as error:  # refused: it never started
                if rejects_credentials(error):
                    raise  # not the change set's fault: said as for any other call
                refused = f"CloudFormation refused to execute change set {name} ({why(error)})"
    except BaseException:
        # Ctrl-C, or no answer: the update is not known to run, so nothing may stay unprotected.
        protections.turn_on(turned_off, s.out, s.err, s.prog)
        raise
    if refused:
        protections.turn_on(turned_off, s.out, s.err, s.prog)
        raise AwsRefused(f"{refused}; {presentation.discarded(pending.discard())}")
    s.off = balancers
