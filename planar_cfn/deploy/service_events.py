"""While CloudFormation creates or updates the ECS service: the service's own events
and its stopped tasks, shown beside the stack's (progress.watch's `beside`), with an
early word when the deployment keeps failing."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..aws.gateway import AWS_FAILURES, why
from ..inputs import option_checks
from . import service_deployments, service_health

__all__ = ["WARN_AFTER_STOPPED", "ServiceEvents"]

# While the stack changes, once the new deployment has this many failed tasks the deploy
# says it keeps failing. The count is the PRIMARY deployment's `failedTasks`, the one the
# circuit breaker judges (consecutive failures of the new deployment only, reset by a
# task that runs): it gives up at half the desired count, but never fewer than 3, so by
# then the rollback is near. Old tasks a rolling deploy stops are no failure. See
# https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html and
# https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html
WARN_AFTER_STOPPED = 3
_SERVICE = "AWS::ECS::Service"
# A service's ARN in any partition the options accept (aws, aws-cn, aws-us-gov).
_SERVICE_ARN = re.compile(rf"{option_checks.ARN_PARTITION}:ecs:")


def _line(when: Any, logical: str, status: str, reason: str) -> dict[str, Any]:
    """A line shown among the stack's events, in their shape."""
    return {
        "Timestamp": when,
        "ResourceStatus": status,
        "ResourceType": _SERVICE,
        "LogicalResourceId": logical,
        "ResourceStatusReason": reason,
    }


@dataclass
class ServiceEvents:
    """While CloudFormation creates or updates the service: its own events ("has started
    1 tasks", "is unable to place a task") and each stopped task's reason, once each,
    oldest first, shown beside the stack's events. A task belongs to the deployment
    that started it (its startedBy): the new deployment's stopped tasks are failures,
    the old ones' tasks are shown as replaced. Once the new deployment has
    WARN_AFTER_STOPPED failed tasks, or its rollout FAILED, the most common reason once,
    and the newest failed task's last log lines. The service is found from the stack's
    event for it (its physical id is the service's ARN). Reading stops, said once, when
    AWS refuses: the stack's own events go on."""

    ecs: Any
    logs: Any
    timeout_minutes: int
    cluster: str = ""
    service: str = ""
    logical: str = "Service"
    seen: set[str] = field(default_factory=set)
    stopped: list[service_health.StoppedTask] = field(default_factory=list)  # the new deployment's
    failing: Mapping[str, Any] = field(default_factory=dict)  # its newest stopped task
    draining: set[str] = field(default_factory=set)  # old tasks said to be stopping
    warned: bool = False
    off: bool = False
    since: Any = None  # the time of the stack's first event for the service
    # A traffic-shifting deployment's stages and alarm rollback (service_deployments.py).
    stages: service_deployments.DeploymentStages | None = None

    def __call__(self, events: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """The lines to show after this poll's stack `events`."""
        for event in events:
            arn = str(event.get("PhysicalResourceId", ""))
            if event.get("ResourceType") == _SERVICE and _SERVICE_ARN.match(arn):
                parts = arn.split(":", 5)[-1].split("/")  # service/CLUSTER/NAME
                if len(parts) == 3 and not self.service:
                    self.cluster, self.service = parts[1], parts[2]
                    self.logical = str(event.get("LogicalResourceId", self.logical))
                    # What the service said and stopped before this operation is not news.
                    self.since = event.get("Timestamp")
        if self.off or not self.service:
            return []
        # A line with no time of its own takes the poll's last event's, else now.
        when = events[-1]["Timestamp"] if events else datetime.now(UTC)
        try:
            return self._read(when)
        except AWS_FAILURES as error:
            self.off = True
            return [_line(when, self.logical, "SERVICE_EVENTS", f"not read: {why(error)}")]

    def _read(self, when: Any) -> list[Mapping[str, Any]]:
        answer = self.ecs.describe_services(cluster=self.cluster, services=[self.service])
        services = answer.get("services", [])
        current: Mapping[str, Any] = services[0] if services else {}
        lines: list[Mapping[str, Any]] = []
        for event in reversed(current.get("events", [])):
            if event.get("id") not in self.seen and not self._before(event.get("createdAt")):
                self.seen.add(str(event.get("id")))
                lines.append(
                    _line(event.get("createdAt"), self.logical, "SERVICE_EVENT", event["message"])
                )
        if self.stages is not None:
            lines += self.stages.read(
                current,
                self.cluster,
                self.since,
                when,
                lambda at, kind, text: _line(at, self.logical, kind, text),
            )
        deployment = service_health.primary(current) or {}
        arns = self.ecs.list_tasks(
            cluster=self.cluster, serviceName=self.service, desiredStatus="STOPPED"
        ).get("taskArns", [])
        new = [a for a in arns if a not in self.seen][:100]  # DescribeTasks takes 100
        if new:
            self.seen.update(new)  # but for old tasks still draining: see _task
            tasks = self.ecs.describe_tasks(cluster=self.cluster, tasks=new).get("tasks", [])
            tasks = [t for t in tasks if not self._before(t.get("stoppedAt"))]
            # A task still draining has no stoppedAt yet: it sorts as of this poll.
            tasks.sort(key=lambda t: t.get("stoppedAt") or when)
            for task in tasks:
                lines += self._task(task, deployment, when)
        failed = int(deployment.get("failedTasks", 0))
        breaking = failed >= WARN_AFTER_STOPPED or deployment.get("rolloutState") == "FAILED"
        if breaking and not self.warned:
            self.warned = True
            when = self.failing.get("stoppedAt") or when
            lines.append(_line(when, self.logical, "DEPLOYMENT_FAILING", self._warning(failed)))
            _, container = service_health.target_group(current)
            lines += self._log(self.failing, container, when)
        return lines

    def _task(
        self, task: Mapping[str, Any], deployment: Mapping[str, Any], when: Any
    ) -> list[Mapping[str, Any]]:
        """A stopped task's line: a failure when the new (PRIMARY) deployment started it,
        else an old task the deployment replaces: said once while it drains (no reason
        yet), and again with its reason once it has stopped."""
        arn = str(task.get("taskArn", ""))
        stopped = service_health.stopped_task(task)
        exits = ", ".join(f"{name} {how}" for name, how in stopped.exits)
        exits = f" ({exits})" if exits else ""
        at = task.get("stoppedAt") or when
        replacing = str(deployment.get("id", ""))
        if not replacing or task.get("startedBy") == replacing:
            self.stopped.append(stopped)
            self.failing = task
            return [
                _line(at, self.logical, "TASK_STOPPED", f"{stopped.id}: {stopped.reason}{exits}")
            ]
        by = f"replaced by deployment {replacing}"
        if task.get("stoppedReason"):
            return [
                _line(
                    at,
                    self.logical,
                    "TASK_REPLACED",
                    f"{stopped.id}: {by}: {stopped.reason}{exits}",
                )
            ]
        self.seen.discard(arn)  # read again until it has its reason
        if arn in self.draining:
            return []
        self.draining.add(arn)
        return [_line(at, self.logical, "TASK_REPLACED", f"{stopped.id}: stopping, {by}")]

    def _warning(self, failed: int) -> str:
        """The one DEPLOYMENT_FAILING line: the new deployment's failed tasks, the most
        common reason of those seen stop."""
        what = f"{failed} tasks stopped."
        if self.stopped:
            reason, count = Counter(t.reason for t in self.stopped).most_common(1)[0]
            what = f"{failed} tasks stopped, {count} of them: {reason}."
        return (
            f"{what} The stack waits for the service up to --timeout ({self.timeout_minutes} "
            "min); ECS's circuit breaker will roll the deployment back"
        )

    def _before(self, when: Any) -> bool:
        """Whether `when` is before the operation reached the service."""
        return bool(self.since and when and when < self.since)

    def _log(
        self, task: Mapping[str, Any], container: str | None, when: Any
    ) -> list[Mapping[str, Any]]:
        """The last LOG_LINES lines of the stopped `task`'s app container, each a line;
        one line saying why when they cannot be read."""
        arn = str(task.get("taskDefinitionArn", ""))
        if not arn:
            return []
        try:
            definition = self.ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
            name = container or service_health.APP_CONTAINER
            group, stream = service_health.log_stream(
                definition, name, str(task["taskArn"]).rsplit("/", 1)[-1]
            )
            if not group:
                return []
            answer = self.logs.get_log_events(
                logGroupName=group,
                logStreamName=stream,
                limit=service_health.LOG_LINES,
                startFromHead=False,
            )
        except AWS_FAILURES as error:
            return [_line(when, self.logical, "APP_LOG", f"not read: {why(error)}")]
        return [
            _line(when, self.logical, "APP_LOG", str(e.get("message", "")))
            for e in answer.get("events", [])
        ]
