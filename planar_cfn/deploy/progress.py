"""Watching a stack change: its new events as they come, a bounded wait for a final
state, the root causes of a failure, and the outputs at the end (presentation.py
shows them)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import islice, takewhile
from typing import Any, Protocol

from botocore.exceptions import ClientError

from ..aws.clock import Clock
from ..aws.gateway import error_code, error_message

__all__ = [
    "FAILED",
    "SUCCEEDED",
    "EventStream",
    "View",
    "WatchTimeout",
    "describe_stack",
    "is_final",
    "outputs",
    "root_causes",
    "watch",
]

SUCCEEDED = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "DELETE_COMPLETE", "IMPORT_COMPLETE"})
# Final states that mean the operation did not do what was asked.
FAILED = frozenset(
    {
        "CREATE_FAILED",
        "ROLLBACK_COMPLETE",
        "ROLLBACK_FAILED",
        "DELETE_FAILED",
        "UPDATE_FAILED",
        "UPDATE_ROLLBACK_COMPLETE",
        "UPDATE_ROLLBACK_FAILED",
        "IMPORT_ROLLBACK_COMPLETE",
        "IMPORT_ROLLBACK_FAILED",
    }
)
# Failures caused by another failure: they say nothing about why.
_CANCELLED = re.compile(r"^\s*(resource (creation|update|deletion) )?cancell?ed\.?\s*$", re.I)
STACK = "AWS::CloudFormation::Stack"
# Pages of events read per poll at most; far more than one poll's worth.
MAX_EVENT_PAGES = 50


class WatchTimeout(Exception):
    """The stack was still changing when the wait ran out."""

    def __init__(self, stack: Mapping[str, Any]) -> None:
        self.stack = stack
        super().__init__(f"stack is still {stack.get('StackStatus')}")


def is_final(status: str) -> bool:
    """Whether the stack has stopped changing."""
    return status in SUCCEEDED or status in FAILED


def root_causes(events: list[Mapping[str, Any]], limit: int = 5) -> list[Mapping[str, Any]]:
    """The first failures, oldest first, without the cancellations they caused, and
    without the cleanup's, which come after the outcome is decided (the deploy
    reports a resource a cleanup could not delete on its own)."""
    failures = []
    for e in events:
        status = e.get("ResourceStatus", "")
        if e.get("ResourceType") == STACK and status.endswith("_CLEANUP_IN_PROGRESS"):
            break
        if status.endswith("_FAILED") and not _CANCELLED.match(e.get("ResourceStatusReason", "")):
            failures.append(e)
    return failures[:limit]


@dataclass
class EventStream:
    """The stack's events newer than a cursor (an event id), oldest first."""

    cfn: Any
    stack_id: str
    cursor: str | None = None
    seen: list[Mapping[str, Any]] = field(default_factory=list)

    def start(self) -> None:
        """Put the cursor on the newest event, so only what follows is shown."""
        events = self.cfn.describe_stack_events(StackName=self.stack_id)["StackEvents"]
        self.cursor = events[0]["EventId"] if events else None

    def new_events(self) -> list[Mapping[str, Any]]:
        """The events since the cursor, oldest first; the cursor moves past them."""
        pages = self.cfn.get_paginator("describe_stack_events").paginate(StackName=self.stack_id)
        # Lazily, newest first: pages after the one holding the cursor are never read.
        events = (e for page in islice(pages, MAX_EVENT_PAGES) for e in page["StackEvents"])
        newer = list(takewhile(lambda e: e["EventId"] != self.cursor, events))
        if newer:
            self.cursor = newer[0]["EventId"]
        newer.reverse()
        self.seen.extend(newer)
        return newer


class View(Protocol):
    """What shows the events: presentation.LiveView on a terminal, PlainView elsewhere."""

    def show(
        self, stack: Mapping[str, Any], events: list[Mapping[str, Any]], elapsed: float
    ) -> None:
        """Show the stack as now described, with its events since the last call."""
        ...


def watch(
    cfn: Any,
    stream: EventStream,
    view: View,
    clock: Clock,
    timeout_seconds: int,
    beside: Callable[[list[Mapping[str, Any]]], list[Mapping[str, Any]]] | None = None,
) -> Mapping[str, Any]:
    """Poll the stack and show its new events until it reaches a final state; `beside`
    takes each poll's new stack events and gives more to show after them (the ECS
    service's own, service_events.ServiceEvents).

    Returns the stack as last described; raises WatchTimeout when the time runs out.
    """
    start = clock.monotonic()
    stack: Mapping[str, Any] = {}
    for _ in clock.polls(timeout_seconds):
        stack = describe_stack(cfn, stream.stack_id) or {"StackStatus": "DELETE_COMPLETE"}
        events = stream.new_events()
        if beside is not None:
            events = events + beside(events)
        view.show(stack, events, clock.monotonic() - start)
        if is_final(stack["StackStatus"]):
            return stack
    raise WatchTimeout(stack)


def describe_stack(cfn: Any, name: str) -> Mapping[str, Any] | None:
    """The stack, or None when there is none of that name."""
    try:
        stack: Mapping[str, Any] = cfn.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as error:
        if error_code(error) == "ValidationError" and "does not exist" in error_message(error):
            return None
        raise
    return stack


def outputs(stack: Mapping[str, Any]) -> dict[str, str]:
    """The stack's outputs, by key."""
    return {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", [])}
