"""Stubbed answers to drift detection (planar_cfn.drift), for the tests and the
documented session: DetectStackDrift, its status, and the resources' drift."""

from __future__ import annotations

from typing import Any

from planar_cfn.cli import commands as cli
from tests.deploy_stubs import Harness

DETECTION_ID = "b78ac9b0-dec1-11e7-a451-503a3example"
AUTOSCALING = {
    "DesiredCount": "2",
    "Autoscaling": "true",
    "AutoscalingMinCount": "2",
    "AutoscalingMaxCount": "6",
}


def build_py(h: Harness, *flags: str) -> int:
    """build.py --stage STAGE --stage-file FILE --drift FLAGS, as the command runs it."""
    argv = ["--stage", h.stage, "--stage-file", str(h.path), "--drift", *flags]
    code = cli.main(argv, out=h.out, err=h.err, runtime=h.runtime())
    try:
        h.aws.assert_done()
    except AssertionError as error:
        raise AssertionError(
            f"{error}\nexit {code}\n{h.out.getvalue()}\n{h.err.getvalue()}"
        ) from None
    return code


def detection(h: Harness, *statuses: str, reason: str = "") -> None:
    """DetectStackDrift, then one DescribeStackDriftDetectionStatus answer per status."""
    h.cfn.add_response(
        "detect_stack_drift", {"StackDriftDetectionId": DETECTION_ID}, {"StackName": h.id}
    )
    for status in statuses:
        answer: dict[str, Any] = {
            "StackId": h.id,
            "StackDriftDetectionId": DETECTION_ID,
            "DetectionStatus": status,
            "Timestamp": "2026-11-27T10:00:00Z",
        }
        if status != "DETECTION_IN_PROGRESS":
            answer["StackDriftStatus"] = "IN_SYNC"
        if reason:
            answer["DetectionStatusReason"] = reason
        h.cfn.add_response(
            "describe_stack_drift_detection_status",
            answer,
            {"StackDriftDetectionId": DETECTION_ID},
        )


def resource_drifts(h: Harness, *drifts: dict, next_token: str = "", token: str = "") -> None:
    response: dict[str, Any] = {"StackResourceDrifts": list(drifts)}
    if next_token:
        response["NextToken"] = next_token
    expected: dict[str, Any] = {
        "StackName": h.id,
        "StackResourceDriftStatusFilters": ["MODIFIED", "DELETED", "UNKNOWN", "NOT_CHECKED"],
    }
    if token:
        expected["NextToken"] = token
    h.cfn.add_response("describe_stack_resource_drifts", response, expected)


def resource(
    h: Harness, logical: str, kind: str, status: str, *differences: tuple, reason: str = ""
) -> dict:
    result: dict[str, Any] = {
        "StackId": h.id,
        "LogicalResourceId": logical,
        "PhysicalResourceId": f"{logical.lower()}-physical",
        "ResourceType": kind,
        "StackResourceDriftStatus": status,
        "Timestamp": "2026-11-27T10:00:00Z",
    }
    if differences:
        result["PropertyDifferences"] = [
            {"PropertyPath": p, "ExpectedValue": e, "ActualValue": a, "DifferenceType": t}
            for p, e, a, t in differences
        ]
    if reason:
        result["DriftStatusReason"] = reason
    return result


def service(h: Harness, *differences: tuple) -> dict:
    return resource(h, "Service", "AWS::ECS::Service", "MODIFIED", *differences)


DESIRED_COUNT = ("/DesiredCount", "2", "5", "NOT_EQUAL")
