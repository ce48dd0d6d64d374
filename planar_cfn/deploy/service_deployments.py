"""While CloudFormation updates an ECS service whose deployment strategy shifts traffic
(CANARY, LINEAR, BLUE_GREEN): the service deployment's lifecycle stage as it changes,
with the production traffic split between the new revision and the old, and, when
ECS rolls it back because a CloudWatch alarm fired, the alarm and why it fired.

ECS keeps one service deployment per update (ListServiceDeployments,
DescribeServiceDeployments): its lifecycleStage, its target and source revisions'
requestedProductionTrafficWeight, and its alarms' triggeredAlarmNames. See
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html and
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-deployment-how-it-works.html
A rolling deployment has no stages to show: nothing is read for it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..aws.gateway import AWS_FAILURES, why

__all__ = ["TRAFFIC_SHIFTING", "DeploymentStages", "rolled_back_by_alarm"]

TRAFFIC_SHIFTING = frozenset({"CANARY", "LINEAR", "BLUE_GREEN"})
# Statuses a line names; the others (PENDING, IN_PROGRESS) go without saying.
_QUIET = frozenset({"PENDING", "IN_PROGRESS"})

Line = Callable[[Any, str, str], Mapping[str, Any]]  # (when, kind, text) -> a line


def _weight(revisions: list[Mapping[str, Any]]) -> float | None:
    weights = [
        r["requestedProductionTrafficWeight"]
        for r in revisions
        if r and "requestedProductionTrafficWeight" in r
    ]
    return sum(weights) if weights else None


def _percent(value: float) -> str:
    return f"{value:g}%"


def stage_text(deployment: Mapping[str, Any]) -> str:
    """`STAGE: 10% new, 90% old`, the status first unless it is under way."""
    text = str(deployment.get("lifecycleStage", ""))
    new = _weight([deployment.get("targetServiceRevision", {})])
    old = _weight(list(deployment.get("sourceServiceRevisions", [])))
    if new is not None:
        text += f": {_percent(new)} new, {_percent(old or 0)} old"
    status = str(deployment.get("status", ""))
    return text if status in _QUIET else f"{status} {text}".strip()


def rolled_back_by_alarm(name: str, alarm: Mapping[str, Any] | None) -> str:
    """The failure's words for an alarm rollback: the alarm, its state, why."""
    if not alarm:
        return f"the deployment was rolled back by alarm {name}"
    state = alarm.get("StateValue", "")
    reason = alarm.get("StateReason", "")
    return f"the deployment was rolled back by alarm {name} ({state}): {reason}"


@dataclass
class DeploymentStages:
    """Each poll: the newest service deployment of this operation, one line when its
    stage, split or status changed. Reading stops, said once, when AWS refuses."""

    ecs: Any
    cloudwatch: Any
    last: str = ""
    off: bool = False
    rolled_back: str = ""  # rolled_back_by_alarm's words, once ECS rolled back by alarm

    def read(
        self, service: Mapping[str, Any], cluster: str, since: Any, when: Any, line: Line
    ) -> list[Mapping[str, Any]]:
        """The lines for this poll of `service` (as DescribeServices gave it)."""
        strategy = service.get("deploymentConfiguration", {}).get("strategy", "ROLLING")
        if self.off or strategy not in TRAFFIC_SHIFTING:
            return []
        try:
            return self._read(service, cluster, since, when, line)
        except AWS_FAILURES as error:
            self.off = True
            return [line(when, "DEPLOYMENT_STAGE", f"not read: {why(error)}")]

    def _read(
        self, service: Mapping[str, Any], cluster: str, since: Any, when: Any, line: Line
    ) -> list[Mapping[str, Any]]:
        request: dict[str, Any] = {"cluster": cluster, "service": str(service["serviceName"])}
        if since:
            request["createdAt"] = {"after": since}  # this operation's, not the last one's
        briefs = self.ecs.list_service_deployments(**request).get("serviceDeployments", [])
        if not briefs:
            return []
        newest = max(briefs, key=lambda b: b.get("createdAt") or when)
        answer = self.ecs.describe_service_deployments(
            serviceDeploymentArns=[newest["serviceDeploymentArn"]]
        )
        found = answer.get("serviceDeployments", [])
        if not found:
            return []
        deployment = found[0]
        lines: list[Mapping[str, Any]] = []
        text = stage_text(deployment)
        at = deployment.get("updatedAt") or when
        if text and text != self.last:
            self.last = text
            lines.append(line(at, "DEPLOYMENT_STAGE", text))
        fired = deployment.get("alarms", {}).get("triggeredAlarmNames", [])
        if (
            str(deployment.get("status", "")).startswith("ROLLBACK")
            and fired
            and not self.rolled_back
        ):
            alarms = self.cloudwatch.describe_alarms(AlarmNames=list(fired)).get("MetricAlarms", [])
            by_name = {a.get("AlarmName"): a for a in alarms}
            self.rolled_back = "; ".join(rolled_back_by_alarm(n, by_name.get(n)) for n in fired)
            lines.append(line(at, "DEPLOYMENT_ROLLBACK", self.rolled_back))
        return lines
