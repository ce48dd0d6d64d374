"""A protected stage's protections. After every deploy its stack gets termination
protection and a stack policy over the stateful resources. A prod destroy must first
turn off termination protection and the deletion protection of the database cluster
and the load balancer, and an update that replaces the load balancer that of the old
one: each goes back on when the operation does not go through, and what cannot is
printed with the command that turns it on."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from botocore.exceptions import ClientError

from ..aws.gateway import AWS_FAILURES, DEPLOYER, Clients, error_code, translate, why
from ..errors import AwsError
from .change_set import LOAD_BALANCER, stack_policy, stateful_logical_ids
from .presentation import balancer_command, left_behind, say, sentence, still_off

__all__ = ["Protection", "balancer", "for_destroy", "protect", "settle", "turn_off", "turn_on"]

# Errors that say a protected resource is already gone.
_GONE = frozenset({"DBClusterNotFoundFault", "LoadBalancerNotFound"})


@dataclass(frozen=True)
class Protection:
    """One protection that an operation turns off, and back on if it does not go through."""

    what: str
    switch: Callable[[bool], Any]  # on (True) or off
    command: str  # the AWS CLI command that turns it on
    physical_id: str = ""  # the protected resource's, when it is one


def protect(
    aws: Clients,
    stack_id: str,
    template: Mapping[str, Any],
    *,
    stack: str = "the stack",
    again: str = "",
) -> str:
    """Termination protection and a stack policy that denies replacing or removing the
    stateful resources, reasserted after every deploy (it closes again a policy lifted
    for a replacement); returns the line that says so. Each is tried even when the
    other fails; a failure is raised saying which is not on and `again`, the command
    that puts them back (`stack`: the stack as it ended, "stack NAME is STATUS")."""
    cfn = aws.client("cloudformation")
    calls: list[tuple[str, str, Callable[[], Any]]] = [
        (
            "termination protection",
            "cloudformation:UpdateTerminationProtection",
            lambda: cfn.update_termination_protection(
                EnableTerminationProtection=True, StackName=stack_id
            ),
        ),
        (
            "the stack policy",
            "cloudformation:SetStackPolicy",
            lambda: cfn.set_stack_policy(
                StackName=stack_id, StackPolicyBody=stack_policy(template)
            ),
        ),
    ]
    failed: list[tuple[str, str]] = []
    for what, action, switch in calls:
        try:
            switch()
        except AWS_FAILURES as error:
            failed.append((what, str(translate(error, DEPLOYER, action=action))))
    if failed:
        on = [what for what, _, _ in calls if what not in dict(failed)]
        raise AwsError(
            f"{stack}, but {' and '.join(what for what, _ in failed)} "
            f"{'is' if len(failed) == 1 else 'are'} not on:\n"
            + "".join(f"  {what}: {said}\n" for what, said in failed)
            + (f"{on[0][:1].upper()}{on[0][1:]} is on. " if on else "")
            + f"Put the protections back with: {again or 'deploy again'}"
        )
    return (
        "Protection: termination protection on; the stack policy denies Update:Replace "
        f"and Update:Delete on {', '.join(stateful_logical_ids(template))}."
    )


def balancer(aws: Clients, what: str, arn: str) -> Protection:
    """The deletion protection of a load balancer."""
    return Protection(
        what,
        lambda on: aws.client("elbv2").modify_load_balancer_attributes(
            LoadBalancerArn=arn,
            Attributes=[{"Key": "deletion_protection.enabled", "Value": str(on).lower()}],
        ),
        balancer_command(arn, True, aws.region),
        physical_id=arn,
    )


def _cluster(aws: Clients, what: str, cluster: str) -> Protection:
    """The deletion protection of a database cluster."""
    return Protection(
        what,
        lambda on: aws.client("rds").modify_db_cluster(
            DBClusterIdentifier=cluster, DeletionProtection=on, ApplyImmediately=True
        ),
        f"aws rds modify-db-cluster --db-cluster-identifier {cluster} "
        f"--deletion-protection --apply-immediately --region {aws.region}",
    )


def for_destroy(
    aws: Clients, stack_id: str, stack_name: str, resources: Sequence[Mapping[str, str]]
) -> list[Protection]:
    """A protected stack's termination protection, and the deletion protection of its
    database cluster and load balancer, which would each refuse the delete."""
    cfn, region = aws.client("cloudformation"), aws.region
    found = [
        Protection(
            "termination protection",
            lambda on: cfn.update_termination_protection(
                EnableTerminationProtection=on, StackName=stack_id
            ),
            f"aws cloudformation update-termination-protection --enable-termination-protection "
            f"--stack-name {stack_name} --region {region}",
        )
    ]
    for r in resources:
        physical, what = (
            r.get("PhysicalResourceId"),
            f"deletion protection of {r['LogicalResourceId']}",
        )
        if r["ResourceType"] == "AWS::RDS::DBCluster" and physical:
            found.append(_cluster(aws, what, physical))
        elif r["ResourceType"] == LOAD_BALANCER and physical:
            found.append(balancer(aws, what, physical))
    return found


def turn_off(protections: Sequence[Protection], turned_off: list[Protection], out: TextIO) -> None:
    """Turn each protection off, listing it in `turned_off` as it goes; a refusal is raised."""
    for protection in protections:
        # Listed before the call: after a Ctrl-C during it, it may be off.
        turned_off.append(protection)
        try:
            protection.switch(False)
        except ClientError:
            turned_off.pop()  # refused: still on
            raise
    if protections:
        say(out, sentence(f"{', '.join(p.what for p in protections)}: off"))


def turn_on(protections: Sequence[Protection], out: TextIO, err: TextIO, prog: str) -> None:
    """Turn the protections back on. Best-effort, since it runs on the way out of an
    error or a Ctrl-C: what stays off is printed with the command that turns it on."""
    on: list[str] = []
    for index, protection in enumerate(protections):
        try:
            protection.switch(True)
        except ClientError as error:
            # After a failed delete: what was deleted stays deleted.
            if error_code(error) not in _GONE:
                print(still_off(protection.what, why(error), protection.command, prog), file=err)
        except AWS_FAILURES as error:
            print(still_off(protection.what, why(error), protection.command, prog), file=err)
        except KeyboardInterrupt as error:
            for left in protections[index:]:
                print(still_off(left.what, why(error), left.command, prog), file=err)
            break
        else:
            on.append(protection.what)
    if on:
        say(out, sentence(f"{', '.join(on)}: on"))


def settle(
    off: Sequence[Protection],
    events: Sequence[Mapping[str, Any]],
    status: str,
    stack_name: str,
    region: str,
    out: TextIO,
    err: TextIO,
    prog: str,
) -> None:
    """At the end of an update: each old load balancer whose protection went off was
    deleted by the cleanup, or is still there (rolled back, not replaced after all)
    and protected again. A load balancer that a cleanup could not delete (the new
    one, after a rollback, or one whose protection stayed on) is no longer the
    stack's but still runs: it is named, with the commands that delete it."""
    balancers = [
        e for e in events if e.get("ResourceType") == LOAD_BALANCER and e.get("PhysicalResourceId")
    ]
    deleted = {
        e["PhysicalResourceId"]
        for e in balancers
        if e.get("ResourceStatus", "") == "DELETE_COMPLETE"
    }
    for protection in off:
        if protection.physical_id in deleted:
            say(
                out,
                f"The old load balancer {protection.physical_id} was deleted by the update's cleanup.",
            )
    turn_on([p for p in off if p.physical_id not in deleted], out, err, prog)
    if status not in ("UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"):
        return  # no cleanup ran to its end
    left = {
        e["PhysicalResourceId"]: e
        for e in balancers
        if e.get("ResourceStatus", "") == "DELETE_FAILED" and e["PhysicalResourceId"] not in deleted
    }
    for arn, event in left.items():
        print(left_behind(arn, event, stack_name, region, prog), file=err)
