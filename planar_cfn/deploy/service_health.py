"""After a create or update ends complete: does the ECS service run what was deployed?

A stack that ends UPDATE_COMPLETE is not yet a working service: the ECS circuit
breaker may have rolled the deployment back (the stack still says complete), or the
load balancer's targets may fail their health checks. As `kubectl rollout status`
does, the deploy then reads the service itself, within a bound:

- the PRIMARY deployment's rollout state is COMPLETED (not FAILED, not rolled back);
- it runs the stack's task definition (the newest ACTIVE revision of the stack's
  family: a circuit-breaker rollback runs an older one), whose app container runs
  the image the stack names (its ContainerImage output);
- the target group's targets are healthy.

judge() turns the answers into a Verdict with no AWS call; Reader makes the calls
(ecs:DescribeServices, ecs:DescribeTaskDefinition, elasticloadbalancing:
DescribeTargetHealth, and for a failure's report ecs:ListTasks, ecs:DescribeTasks and
logs:GetLogEvents); verify() polls until the verdict is final or the bound runs out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..aws.clock import Clock
from ..aws.gateway import AWS_FAILURES, why

__all__ = [
    "APP_CONTAINER",
    "FAILED",
    "OUTPUTS",
    "VERIFIED",
    "VERIFY_SECONDS",
    "WAITING",
    "Expected",
    "Reader",
    "Report",
    "StoppedTask",
    "Verdict",
    "alternate_target_group",
    "judge",
    "target_group",
    "verify",
]

# The app container's name in the stack's task definition (template/config.py's
# APP_CONTAINER_NAME, kept here so the check imports no template code): a sidecar may
# be listed before it, so it is found by name, never by place.
APP_CONTAINER = "planar-app"

# The stack outputs that name what to check (outputs.py writes them).
OUTPUTS = ("EcsClusterName", "EcsServiceName", "TaskDefinitionFamily", "ContainerImage")

# The bound on the wait, from the template's own settings (load_balancer.py, service.py):
# a task about two minutes to pull its image and start, its 60 s health-check grace,
# then 2 passing checks 30 s apart to turn healthy, or 10 failing ones to turn
# unhealthy (five minutes). A target still not healthy after that will not become so
# without a new task. --timeout caps it too.
_START_SECONDS = 120
_GRACE_SECONDS = 60
_CHECK_INTERVAL_SECONDS = 30
_HEALTHY_CHECKS = 2
_UNHEALTHY_CHECKS = 10
VERIFY_SECONDS = (
    _START_SECONDS
    + _GRACE_SECONDS
    + (_HEALTHY_CHECKS + _UNHEALTHY_CHECKS) * _CHECK_INTERVAL_SECONDS
)

VERIFIED = "verified"
WAITING = "waiting"
FAILED = "failed"

# Service events that say the circuit breaker gave up on a deployment.
_ROLLBACK_WORDS = ("rolling back", "deployment failed")
# Stopped tasks a failure's report lists, and log lines it shows, at most.
STOPPED_SHOWN = 5
LOG_LINES = 20


@dataclass(frozen=True)
class Expected:
    """What the stack says the service runs: from its outputs."""

    cluster: str
    service: str
    family: str
    image: str

    @classmethod
    def from_outputs(cls, outputs: Mapping[str, str]) -> Expected | None:
        """None when the stack lacks one of OUTPUTS (a stack this template did not make)."""
        if not all(outputs.get(key) for key in OUTPUTS):
            return None
        return cls(*(outputs[key] for key in OUTPUTS))


@dataclass(frozen=True)
class Verdict:
    """What the service was found running, and whether that is what was deployed."""

    state: str  # VERIFIED, WAITING or FAILED
    problems: tuple[str, ...] = ()
    rollout: str = ""
    task_definition: str = ""  # the PRIMARY deployment's
    image: str = ""
    healthy: int = 0
    targets: int = 0
    rolled_back: str = ""  # the service event that says so

    @property
    def ok(self) -> bool:
        """The service runs what was deployed, its targets healthy."""
        return self.state == VERIFIED

    def outputs(self) -> dict[str, str]:
        """The verified state, as --outputs-json records it beside the stack's outputs."""
        return {
            "ServiceRolloutState": self.rollout,
            "ServiceTaskDefinition": self.task_definition,
            "ServiceImage": self.image,
            "ServiceHealthyTargets": f"{self.healthy}/{self.targets}",
        }


@dataclass(frozen=True)
class StoppedTask:
    """A task that stopped: why, and how its containers exited."""

    arn: str
    reason: str
    exits: tuple[tuple[str, str], ...]  # (container, exit code or reason)
    stopped_at: str = ""

    @property
    def id(self) -> str:
        """The task's id, the last part of its ARN."""
        return self.arn.rsplit("/", 1)[-1]


def primary(service: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The service's PRIMARY deployment: what it runs or rolls out now."""
    return next((d for d in service.get("deployments", []) if d.get("status") == "PRIMARY"), None)


def rollback_event(service: Mapping[str, Any]) -> str:
    """The newest service event that says the circuit breaker failed a deployment."""
    for event in service.get("events", []):  # newest first
        message = str(event.get("message", ""))
        if any(word in message for word in _ROLLBACK_WORDS):
            return message
    return ""


def app_container(task_definition: Mapping[str, Any], name: str | None) -> Mapping[str, Any]:
    """The container named `name` (the one behind the load balancer), else APP_CONTAINER;
    {} when there is neither."""
    containers = task_definition.get("containerDefinitions", [])
    for wanted in (name, APP_CONTAINER):
        found = next((c for c in containers if wanted and c.get("name") == wanted), None)
        if found is not None:
            return dict(found)
    return {}


def target_group(service: Mapping[str, Any]) -> tuple[str, str | None]:
    """The service's target group ARN and the container it routes to."""
    balancers = service.get("loadBalancers", [])
    if not balancers:
        return "", None
    return balancers[0].get("targetGroupArn", ""), balancers[0].get("containerName")


def alternate_target_group(service: Mapping[str, Any]) -> str:
    """The alternate target group of the service's load balancer, when its deployments
    shift traffic (loadBalancers[].advancedConfiguration); else ""."""
    balancers = service.get("loadBalancers", [])
    if not balancers:
        return ""
    return str(balancers[0].get("advancedConfiguration", {}).get("alternateTargetGroupArn", ""))


# Target states of a task leaving a group, or of none in it.
_LEAVING = frozenset({"draining", "unused"})


def _revision(arn: str) -> str:
    """family:revision, from a task definition's ARN."""
    return arn.rsplit("/", 1)[-1]


def judge(
    expected: Expected,
    service: Mapping[str, Any],
    stack_task_definition: Mapping[str, Any],
    targets: Sequence[Mapping[str, Any]] | None,
) -> Verdict:
    """The verdict on one reading: DescribeServices' service, the newest ACTIVE revision
    of the stack's family (DescribeTaskDefinition), and DescribeTargetHealth's
    descriptions (None: the service has no target group). FAILED is final; WAITING
    may still turn VERIFIED."""
    deployment = primary(service) or {}
    rollout = str(deployment.get("rolloutState", ""))
    running = str(deployment.get("taskDefinition", ""))
    stack_arn = str(stack_task_definition.get("taskDefinitionArn", ""))
    _, container_name = target_group(service)
    image = str(app_container(stack_task_definition, container_name).get("image", ""))
    rolled_back = rollback_event(service)
    problems: list[str] = []
    if not deployment:
        problems.append(f"service {expected.service} has no PRIMARY deployment")
    elif rollout == "FAILED":
        reason = deployment.get("rolloutStateReason") or "no reason given"
        problems.append(f"the deployment's rollout FAILED: {reason}")
    if running and stack_arn and running != stack_arn:
        how = "rolled back by the circuit breaker" if rolled_back else "not the stack's"
        problems.append(
            f"the service runs task definition {_revision(running)}, {how}: "
            f"the stack's is {_revision(stack_arn)}"
        )
    if image != expected.image:
        problems.append(
            f"the stack's task definition runs image {image or '(none)'}, "
            f"not {expected.image} as the stack asks"
        )
    if problems:
        return Verdict(FAILED, tuple(problems), rollout, running, image, rolled_back=rolled_back)
    descriptions = targets or []
    healthy = sum(1 for t in descriptions if _state(t) == "healthy")
    serving = [t for t in descriptions if _state(t) != "draining"]
    waiting: list[str] = []
    if rollout and rollout != "COMPLETED":
        waiting.append(f"the deployment's rollout is {rollout}")
    wanted = int(service.get("desiredCount", 0))
    # A service that runs tasks needs a healthy target, and none unhealthy.
    unhealthy = [t for t in serving if _state(t) != "healthy"]
    if targets is not None and wanted and (not healthy or unhealthy):
        waiting.append(
            f"{healthy} of {len(serving)} target(s) healthy"
            + "".join(f"; {_target_line(t)}" for t in unhealthy)
        )
    if waiting:
        return Verdict(WAITING, tuple(waiting), rollout, running, image, healthy, len(serving))
    return Verdict(VERIFIED, (), rollout, running, image, healthy, len(serving))


def _state(target: Mapping[str, Any]) -> str:
    return str(target.get("TargetHealth", {}).get("State", ""))


def _target_line(target: Mapping[str, Any]) -> str:
    health = target.get("TargetHealth", {})
    where = target.get("Target", {})
    what = f"target {where.get('Id', '?')}:{where.get('Port', '?')} is {health.get('State', '?')}"
    reason = health.get("Description") or health.get("Reason")
    return f"{what} ({reason})" if reason else what


def stopped_task(task: Mapping[str, Any]) -> StoppedTask:
    """A DescribeTasks task, as a failure's report shows it."""
    exits = tuple(
        (
            str(c.get("name", "")),
            f"exit {c['exitCode']}" if "exitCode" in c else str(c.get("reason", "no exit code")),
        )
        for c in task.get("containers", [])
    )
    stopped_at = task.get("stoppedAt")
    return StoppedTask(
        str(task.get("taskArn", "")),
        str(task.get("stoppedReason", "no reason given")),
        exits,
        f"{stopped_at:%H:%M:%S}" if stopped_at else "",
    )


def log_stream(task_definition: Mapping[str, Any], container: str, task_id: str) -> tuple[str, str]:
    """The awslogs group and stream of `container` in a task ("", "" when it logs
    elsewhere): awslogs names each stream {prefix}/{container}/{task id}."""
    found = app_container(task_definition, container)
    config = found.get("logConfiguration", {})
    options = config.get("options", {})
    if config.get("logDriver") != "awslogs" or "awslogs-group" not in options:
        return "", ""
    prefix = options.get("awslogs-stream-prefix", "")
    stream = f"{prefix}/{found.get('name', container)}/{task_id}" if prefix else task_id
    return options["awslogs-group"], stream


@dataclass
class Reader:
    """The calls that read the service, its targets, its stopped tasks and their logs."""

    ecs: Any
    elbv2: Any
    logs: Any
    expected: Expected
    _stack_task_definition: Mapping[str, Any] | None = field(default=None, repr=False)

    def service(self) -> Mapping[str, Any]:
        """The service as DescribeServices has it."""
        answer = self.ecs.describe_services(
            cluster=self.expected.cluster, services=[self.expected.service]
        )
        services: list[Mapping[str, Any]] = answer.get("services", [])
        if not services:
            failures = answer.get("failures", [])
            reason = failures[0].get("reason", "not found") if failures else "not found"
            return {"missing": reason}
        return services[0]

    def stack_task_definition(self) -> Mapping[str, Any]:
        """The newest ACTIVE revision of the stack's family, read once."""
        if self._stack_task_definition is None:
            answer = self.ecs.describe_task_definition(taskDefinition=self.expected.family)
            self._stack_task_definition = answer["taskDefinition"]
        return self._stack_task_definition

    def targets(self, service: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
        """DescribeTargetHealth's descriptions of the target group the service's tasks
        are in, if it has one. After a blue/green, canary or linear deployment ECS may
        have registered them in the alternate target group (it swaps the two groups'
        roles): when the service's target group holds no task that stays, the
        alternate's targets are the ones judged."""
        arn, _ = target_group(service)
        if not arn:
            return None
        descriptions = self._health(arn)
        alternate = alternate_target_group(service)
        if alternate and not any(_state(t) not in _LEAVING for t in descriptions):
            return self._health(alternate)
        return descriptions

    def _health(self, arn: str) -> list[Mapping[str, Any]]:
        answer = self.elbv2.describe_target_health(TargetGroupArn=arn)
        descriptions: list[Mapping[str, Any]] = answer.get("TargetHealthDescriptions", [])
        return descriptions

    def stopped_tasks(self) -> list[StoppedTask]:
        """The service's recently stopped tasks (ECS keeps them about an hour), newest first."""
        arns = self.ecs.list_tasks(
            cluster=self.expected.cluster,
            serviceName=self.expected.service,
            desiredStatus="STOPPED",
            maxResults=STOPPED_SHOWN,
        ).get("taskArns", [])
        if not arns:
            return []
        tasks = self.ecs.describe_tasks(cluster=self.expected.cluster, tasks=arns).get("tasks", [])
        tasks.sort(key=lambda t: t.get("stoppedAt") or t.get("createdAt") or 0, reverse=True)
        return [stopped_task(t) for t in tasks]

    def log_lines(self, task: StoppedTask, container: str | None) -> tuple[str, list[str]]:
        """The stream of `task`'s app container and its last LOG_LINES lines."""
        task_definition = self.stack_task_definition()
        name = container or APP_CONTAINER
        group, stream = log_stream(task_definition, name, task.id)
        if not group:
            return "", []
        try:
            answer = self.logs.get_log_events(
                logGroupName=group, logStreamName=stream, limit=LOG_LINES, startFromHead=False
            )
        except AWS_FAILURES as error:
            # The report is still worth having: it says why the lines are missing.
            return f"{group} {stream}", [f"(not read: {why(error)})"]
        return f"{group} {stream}", [str(e.get("message", "")) for e in answer.get("events", [])]


@dataclass(frozen=True)
class Report:
    """A verification's end: the last verdict, and for a failure what explains it."""

    verdict: Verdict
    stopped: tuple[StoppedTask, ...] = ()
    log_name: str = ""
    log: tuple[str, ...] = ()


def verify(reader: Reader, clock: Clock, bound_seconds: float) -> Report:
    """Read the service until the verdict is final or `bound_seconds` run out (a WAITING
    verdict then fails). A failure's report adds the stopped tasks and the log lines.
    Raises what the clients raise, and KeyboardInterrupt from the clock's sleep."""
    verdict: Verdict  # the clock polls at least once
    service: Mapping[str, Any]
    for _ in clock.polls(bound_seconds):
        service = reader.service()
        if "missing" in service:
            where = f"{reader.expected.service} not found in cluster {reader.expected.cluster}"
            verdict = Verdict(FAILED, (f"service {where} ({service['missing']})",))
            return Report(verdict)  # no tasks to list
        verdict = judge(
            reader.expected, service, reader.stack_task_definition(), reader.targets(service)
        )
        if verdict.state != WAITING:
            break
    if verdict.state == WAITING:
        minutes = math.ceil(bound_seconds / 60)
        problems = (f"not healthy after {minutes} minute(s):", *verdict.problems)
        verdict = replace(verdict, state=FAILED, problems=problems)
    if verdict.ok:
        return Report(verdict)
    stopped = tuple(reader.stopped_tasks())
    _, container = target_group(service)
    log_name, log = reader.log_lines(stopped[0], container) if stopped else ("", [])
    return Report(verdict, stopped, log_name, tuple(log))
