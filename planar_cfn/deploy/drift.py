"""Drift: whether the deployed stack's resources still match its template, the way
`aws cloudformation detect-stack-drift` and the console's "Detect drift" tell it, with
the drift we expect left out and said to be.

CloudFormation runs the detection (DetectStackDrift); no botocore waiter follows it,
so it is polled here (DescribeStackDriftDetectionStatus) with the deploy's clock,
bounded by its timeout, and its results read on every page
(DescribeStackResourceDrifts, NextToken followed: botocore has no paginator for it). What is expected, what drifted and what was not
checked is decided by pure functions over those answers (`classify`), and said by
`lines`; `run` is the command's `--drift` (docs/deploying.md), which also reports the
certificate and its validation records (certificate.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..aws.clock import Clock
from ..errors import ExitCode, InputError, OperationFailed
from ..inputs.parameters import SPECS_BY_KEY
from . import certificate
from .session import Session

__all__ = [
    "AUTOSCALING_PARAMETER",
    "EXPECTED_DRIFT",
    "REPORTED_STATUSES",
    "Difference",
    "DriftReport",
    "DriftTimeout",
    "ExpectedDrift",
    "ResourceDrift",
    "autoscaling_on",
    "classify",
    "detect",
    "lines",
    "run",
    "traffic_shift_on",
]

# The resource drift statuses read back: what differs, and what could not be checked.
# (IN_SYNC resources are not read; resource types without drift support are never
# listed by CloudFormation at all.)
REPORTED_STATUSES = ("MODIFIED", "DELETED", "UNKNOWN", "NOT_CHECKED")
_DIFFERS = frozenset({"MODIFIED", "DELETED"})
# The template's switch for autoscaling (its UseAutoscaling condition): the stack's
# value of it says whether the service scales itself.
AUTOSCALING_PARAMETER = SPECS_BY_KEY["autoscaling"].name
STRATEGY_PARAMETER = SPECS_BY_KEY["deployment_strategy"].name
# Pages of resource drift read at most: a stack holds at most 500 resources, and a page
# (of 100 by default) at least one.
_MAX_PAGES = 500
# A value longer than this is shown cut, with its length.
_SHOWN_LENGTH = 200


def autoscaling_on(parameters: Mapping[str, str]) -> bool:
    """Whether the stack's parameters turn autoscaling on, so that it, not the
    template, sets the service's task count."""
    return parameters.get(AUTOSCALING_PARAMETER) == "true"


def traffic_shift_on(parameters: Mapping[str, str]) -> bool:
    """Whether the stack's strategy shifts traffic (not ROLLING), so that ECS, not the
    template, sets the production listener rule's weights."""
    return parameters.get(STRATEGY_PARAMETER, "ROLLING") != "ROLLING"


@dataclass(frozen=True)
class ExpectedDrift:
    """A property difference that is not drift to act on: on resources of
    `resource_type`, at `property_path` (as CloudFormation writes it, such as
    /DesiredCount) or under it, whenever `applies` holds for the stack's parameters."""

    resource_type: str
    property_path: str
    why: str
    applies: Callable[[Mapping[str, str]], bool]


# Drift that is expected, and left out of the verdict (but said). Add a row for
# another property something outside the template manages on purpose.
EXPECTED_DRIFT: tuple[ExpectedDrift, ...] = (
    ExpectedDrift(
        "AWS::ECS::Service",
        "/DesiredCount",
        "autoscaling sets the running task count",
        autoscaling_on,
    ),
    ExpectedDrift(
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        "/Actions",
        "ECS moves the production rule's weights in each canary, linear or blue/green deployment",
        traffic_shift_on,
    ),
)


class DriftTimeout(Exception):
    """Drift detection was still running when the wait ran out."""


@dataclass(frozen=True)
class Difference:
    """One property that differs: its path, the template's value and the resource's
    (JSON text, as CloudFormation gives them), and ADD, REMOVE or NOT_EQUAL."""

    path: str
    expected: str
    actual: str
    kind: str


@dataclass(frozen=True)
class ResourceDrift:
    """One resource's drift: MODIFIED (with its differences), DELETED, or UNKNOWN or
    NOT_CHECKED (with CloudFormation's reason)."""

    logical_id: str
    resource_type: str
    status: str
    differences: tuple[Difference, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class DriftReport:
    """How a drift detection ended, and what it found once the expected drift is left out."""

    stack_name: str
    detection_status: str  # DETECTION_COMPLETE or DETECTION_FAILED
    reason: str
    drifted: tuple[ResourceDrift, ...]
    # (the resource, the difference left out, why it is expected)
    left_out: tuple[tuple[ResourceDrift, Difference, str], ...]
    not_checked: tuple[ResourceDrift, ...]

    @property
    def exit_code(self) -> ExitCode:
        """OK in sync (expected drift apart); FAILED when drifted or the detection failed."""
        if self.drifted or self.detection_status != "DETECTION_COMPLETE":
            return ExitCode.FAILED
        return ExitCode.OK


def _resource(drift: Mapping[str, Any]) -> ResourceDrift:
    return ResourceDrift(
        logical_id=drift["LogicalResourceId"],
        resource_type=drift["ResourceType"],
        status=drift["StackResourceDriftStatus"],
        differences=tuple(
            Difference(
                d["PropertyPath"],
                d["ExpectedValue"],  # "" where there is none (ADD, REMOVE)
                d["ActualValue"],
                d["DifferenceType"],
            )
            for d in drift.get("PropertyDifferences", [])
        ),
        reason=drift.get("DriftStatusReason", ""),
    )


def classify(
    drifts: Sequence[Mapping[str, Any]],
    parameters: Mapping[str, str],
    expected: Sequence[ExpectedDrift] = EXPECTED_DRIFT,
) -> tuple[
    tuple[ResourceDrift, ...],
    tuple[tuple[ResourceDrift, Difference, str], ...],
    tuple[ResourceDrift, ...],
]:
    """DescribeStackResourceDrifts' items split three ways: the resources that drifted
    (without their expected differences; a resource whose every difference is
    expected is not among them), the expected differences left out, and the resources
    not checked."""
    rules = [rule for rule in expected if rule.applies(parameters)]
    drifted: list[ResourceDrift] = []
    left_out: list[tuple[ResourceDrift, Difference, str]] = []
    not_checked: list[ResourceDrift] = []
    for item in drifts:
        resource = _resource(item)
        if resource.status not in _DIFFERS:
            if resource.status != "IN_SYNC":
                not_checked.append(resource)
            continue
        kept = []
        for difference in resource.differences:
            why = next(
                (
                    rule.why
                    for rule in rules
                    if rule.resource_type == resource.resource_type
                    # A rule's path covers what lies under it (/Actions/0/...).
                    and (difference.path + "/").startswith(rule.property_path + "/")
                ),
                None,
            )
            if why is None:
                kept.append(difference)
            else:
                left_out.append((resource, difference, why))
        # Drifted: a difference is left to act on, or none is listed at all (DELETED).
        if kept or not resource.differences:
            drifted.append(replace(resource, differences=tuple(kept)))
    return tuple(drifted), tuple(left_out), tuple(not_checked)


# --- talking to CloudFormation --------------------------------------------------------


def detect(
    cfn: Any,
    stack: Mapping[str, Any],
    clock: Clock,
    timeout_seconds: int,
) -> DriftReport:
    """Run drift detection on `stack` (as DescribeStacks gives it), wait for it, and
    read what it found. Raises DriftTimeout when it is still running at the timeout;
    AWS's errors are the caller's to translate."""
    detection = cfn.detect_stack_drift(StackName=stack["StackId"])["StackDriftDetectionId"]
    status: Mapping[str, Any]
    for _ in clock.polls(timeout_seconds):
        status = cfn.describe_stack_drift_detection_status(StackDriftDetectionId=detection)
        if status["DetectionStatus"] != "DETECTION_IN_PROGRESS":
            break
    else:
        raise DriftTimeout(f"drift detection {detection} still running")
    drifts = _resource_drifts(cfn, stack["StackId"])
    parameters = {
        p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])
    }
    drifted, left_out, not_checked = classify(drifts, parameters)
    return DriftReport(
        stack_name=stack["StackName"],
        detection_status=status["DetectionStatus"],
        reason=status.get("DetectionStatusReason", ""),
        drifted=drifted,
        left_out=left_out,
        not_checked=not_checked,
    )


def _resource_drifts(cfn: Any, stack_id: str) -> list[Mapping[str, Any]]:
    """Every page of the resources' drift (botocore has no paginator for it): NextToken
    followed, as far as a stack can hold resources."""
    drifts: list[Mapping[str, Any]] = []
    token: dict[str, str] = {}
    for _ in range(_MAX_PAGES):
        page = cfn.describe_stack_resource_drifts(
            StackName=stack_id, StackResourceDriftStatusFilters=list(REPORTED_STATUSES), **token
        )
        drifts += page["StackResourceDrifts"]
        if not page.get("NextToken"):
            break
        token = {"NextToken": page["NextToken"]}
    return drifts


# --- what it says ---------------------------------------------------------------------

_SIGNS = {"MODIFIED": "~", "DELETED": "-"}


def _shown(value: str) -> str:
    if len(value) <= _SHOWN_LENGTH:
        return value
    return f"{value[:_SHOWN_LENGTH]}... ({len(value)} characters)"


def _difference_line(difference: Difference) -> str:
    if difference.kind == "ADD":
        return f"      {difference.path}: added {_shown(difference.actual)} (ADD)"
    if difference.kind == "REMOVE":
        return f"      {difference.path}: removed, expected {_shown(difference.expected)} (REMOVE)"
    return (
        f"      {difference.path}: expected {_shown(difference.expected)}, "
        f"actual {_shown(difference.actual)} ({difference.kind})"
    )


def lines(report: DriftReport) -> list[str]:
    """The report as a person reads it: each drifted resource with its differences,
    the expected differences left out, what was not checked, and the verdict."""
    said: list[str] = []
    if report.detection_status != "DETECTION_COMPLETE":
        said.append(
            f"Drift detection {report.detection_status}: "
            f"{report.reason or 'no reason given'}. What it could check follows."
        )
    width = max((len(r.resource_type) for r in report.drifted), default=0)
    ids = max((len(r.logical_id) for r in report.drifted), default=0)
    for resource in report.drifted:
        said.append(
            f"  {_SIGNS[resource.status]} {resource.resource_type:<{width}}  "
            f"{resource.logical_id:<{ids}}  {resource.status}"
        )
        said += [_difference_line(d) for d in resource.differences]
    if report.left_out:
        listed = "; ".join(
            f"{resource.logical_id} {difference.path} "
            f"({difference.expected} -> {difference.actual}: {why})"
            for resource, difference, why in report.left_out
        )
        said.append(f"Left out: {len(report.left_out)} expected difference(s): {listed}.")
    if report.not_checked:
        said.append(f"Not checked: {len(report.not_checked)} resource(s):")
        said += [
            f"  ? {r.resource_type}  {r.logical_id}  {r.status}"
            + (f": {r.reason}" if r.reason else "")
            for r in report.not_checked
        ]
    if report.drifted:
        said.append(
            f"Stack {report.stack_name} has drifted: {len(report.drifted)} resource(s) "
            "differ from its template."
        )
    elif report.detection_status == "DETECTION_COMPLETE":
        said.append(f"Stack {report.stack_name} is in sync with its template.")
    else:
        said.append(f"No drift found on stack {report.stack_name} where it could be checked.")
    return said


def run(s: Session) -> ExitCode:
    """--drift: detect drift on the deployed stack and say what differs."""
    stack = s.describe()
    region = s.aws.region
    if stack is None:
        raise InputError(f"--drift: stack {s.stack_name} does not exist in {region}")
    status = stack["StackStatus"]
    if status.endswith("_IN_PROGRESS"):  # REVIEW_IN_PROGRESS too
        raise InputError(
            f"--drift: stack {s.stack_name} in {region} is {status}: "
            + (
                "it has no resources yet (deploy it, or delete the change set)"
                if status == "REVIEW_IN_PROGRESS"
                else f"wait for it ({s.command('--watch')}), then run again"
            )
        )
    s.say(f"Detecting drift on stack {s.stack_name} ({status}) ...")
    try:
        report = detect(s.cfn, stack, s.runtime.clock, s.timeout_seconds)
    except DriftTimeout as error:
        raise OperationFailed(
            f"{error} after {s.options.timeout} minute(s): run again, with a longer "
            "--timeout (it changes nothing)"
        ) from None
    s.say(*lines(report))
    # The certificate's validation records are outside the stack, where drift detection
    # cannot see them; losing one breaks renewal, so it fails the run like drift does.
    health = certificate.check(s.aws, stack)
    s.say(*certificate.lines(health))
    return ExitCode.FAILED if health.problems else report.exit_code
