"""Following a StackSet operation to its end, instance by instance. botocore has no
waiter for StackSet operations, so this polls DescribeStackSetOperation (the
operation's status) and ListStackSetOperationResults (each instance's) on the run's
clock, printing each instance's account, region and status as it changes, and each
failed instance's reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from ..aws.clock import Clock
from . import presentation

__all__ = ["ENDED", "InstanceResult", "OperationEnd", "StillRunning", "follow", "how_to_follow"]

# An operation's statuses that end it (the others: QUEUED, RUNNING, STOPPING).
ENDED = frozenset({"SUCCEEDED", "FAILED", "STOPPED"})


@dataclass(frozen=True)
class InstanceResult:
    """One instance's result in an operation."""

    account: str
    region: str
    status: str  # PENDING, RUNNING, SUCCEEDED, FAILED or CANCELLED
    reason: str = ""


@dataclass(frozen=True)
class OperationEnd:
    """How an operation ended, with each instance's result."""

    operation_id: str
    status: str
    results: tuple[InstanceResult, ...]
    reason: str = ""

    @property
    def failed(self) -> tuple[InstanceResult, ...]:
        """The instances that failed (or were cancelled when the operation stopped)."""
        return tuple(r for r in self.results if r.status in ("FAILED", "CANCELLED"))


class StillRunning(Exception):
    """The run stopped waiting (its timeout) while the operation goes on."""

    def __init__(self, operation_id: str) -> None:
        super().__init__(operation_id)
        self.operation_id = operation_id


def _result(summary: Mapping[str, Any]) -> InstanceResult:
    return InstanceResult(
        summary.get("Account", ""),
        summary.get("Region", ""),
        summary.get("Status", ""),
        summary.get("StatusReason", ""),
    )


def line(result: InstanceResult) -> str:
    """One instance as the run prints it."""
    text = f"  {result.account:<12}  {result.region:<15} {result.status}"
    return text + (f": {result.reason}" if result.reason else "")


def follow(
    cfn: Any,
    name: str,
    operation_id: str,
    call_as: Mapping[str, str],
    clock: Clock,
    seconds: float,
    out: TextIO,
) -> OperationEnd:
    """Poll the operation until it ends; raises StillRunning after `seconds`."""
    seen: dict[tuple[str, str], InstanceResult] = {}
    for _ in clock.polls(seconds):
        operation = cfn.describe_stack_set_operation(
            StackSetName=name, OperationId=operation_id, **call_as
        )["StackSetOperation"]
        pages = cfn.get_paginator("list_stack_set_operation_results").paginate(
            StackSetName=name, OperationId=operation_id, **call_as
        )
        results = [_result(s) for page in pages for s in page.get("Summaries", [])]
        for result in results:
            key = (result.account, result.region)
            if seen.get(key) != result:
                seen[key] = result
                presentation.say(out, line(result))
        if operation["Status"] in ENDED:
            return OperationEnd(
                operation_id,
                operation["Status"],
                tuple(seen.values()),
                operation.get("StatusReason", ""),
            )
    raise StillRunning(operation_id)


def how_to_follow(
    name: str, operation_id: str, region: str, call_as: Mapping[str, str]
) -> list[str]:
    """The commands (and the console page) that follow an operation this run left."""
    who = "".join(f" --call-as {v}" for v in call_as.values())
    where = f"--stack-set-name {name} --operation-id {operation_id} --region {region}{who}"
    return [
        f"  aws cloudformation describe-stack-set-operation {where}",
        f"  aws cloudformation list-stack-set-operation-results {where}",
        f"  or the CloudFormation console in {region}: StackSets > {name} > Operations",
    ]
