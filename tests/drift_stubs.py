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


# --- the certificate and its validation records (planar_cfn.deploy.certificate) ------

CERTIFICATE_ARN = (
    "arn:aws:acm:us-east-1:123456789012:certificate/0f6a1c2e-5b7d-4e8f-9a10-b2c3d4e5f607"
)
ZONE = "Z0123456789ABCDEFGHIJ"
BASE = "example.com"
# The base domain's record, which every Planar certificate in the account shares.
BASE_RECORD = {
    "Name": "_3b8a1f0c9d2e4b7a6c5d8e9f0a1b2c3d.example.com.",
    "Type": "CNAME",
    "Value": "_7e6d5c4b3a291807f6e5d4c3b2a19080.mhbtsbpdnt.acm-validations.aws.",
}


def app_record(h: Harness) -> dict[str, str]:
    return {
        "Name": f"_9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a49.acme-{h.stage}.example.com.",
        "Type": "CNAME",
        "Value": "_1a2b3c4d5e6f708192a3b4c5d6e7f809.mhbtsbpdnt.acm-validations.aws.",
    }


def certificate_stack(h: Harness, status: str = "UPDATE_COMPLETE", **parameters: str) -> None:
    """DescribeStacks: the stack with its certificate output and hosted zone parameter."""
    h.stack(
        status,
        parameters={"HostedZoneId": ZONE, **parameters},
        outputs={"CertificateArn": CERTIFICATE_ARN},
    )


def described_certificate(
    h: Harness,
    status: str = "ISSUED",
    eligibility: str = "ELIGIBLE",
    renewal: str = "",
    renewal_reason: str = "",
    records: bool = True,
) -> None:
    """ACM DescribeCertificate: the base domain first, the app's domain as a SAN."""
    names = [BASE, f"acme-{h.stage}.{BASE}"]
    options = []
    for name, record in zip(names, [BASE_RECORD, app_record(h)], strict=True):
        option: dict[str, Any] = {
            "DomainName": name,
            "ValidationDomain": name,
            "ValidationMethod": "DNS",
            "ValidationStatus": "SUCCESS" if status == "ISSUED" else "PENDING_VALIDATION",
        }
        if records:
            option["ResourceRecord"] = record
        options.append(option)
    detail: dict[str, Any] = {
        "CertificateArn": CERTIFICATE_ARN,
        "DomainName": BASE,
        "SubjectAlternativeNames": names,
        "DomainValidationOptions": options,
        "Status": status,
        "Type": "AMAZON_ISSUED",
        "RenewalEligibility": eligibility,
    }
    if renewal:
        detail["RenewalSummary"] = {
            "RenewalStatus": renewal,
            "DomainValidationOptions": options,
            "UpdatedAt": "2026-11-27T10:00:00Z",
            **({"RenewalStatusReason": renewal_reason} if renewal_reason else {}),
        }
    h.aws.stub("acm").add_response(
        "describe_certificate", {"Certificate": detail}, {"CertificateArn": CERTIFICATE_ARN}
    )


def zone_lookup(h: Harness, wanted: dict[str, str], *found: dict[str, str]) -> None:
    """Route 53 ListResourceRecordSets from `wanted`'s name and type: `found` comes back
    (the record itself, another value, or the next record in the zone)."""
    h.aws.stub("route53").add_response(
        "list_resource_record_sets",
        {
            "ResourceRecordSets": [
                {
                    "Name": r["Name"],
                    "Type": r["Type"],
                    "TTL": 300,
                    "ResourceRecords": [{"Value": r["Value"]}],
                }
                for r in found
            ],
            "IsTruncated": bool(found),
            "MaxItems": "1",
        },
        {
            "HostedZoneId": ZONE,
            "StartRecordName": wanted["Name"],
            "StartRecordType": wanted["Type"],
            "MaxItems": "1",
        },
    )


def healthy_certificate(h: Harness) -> None:
    """An issued, eligible certificate whose two validation records are in the zone."""
    described_certificate(h)
    zone_lookup(h, BASE_RECORD, BASE_RECORD)
    zone_lookup(h, app_record(h), app_record(h))
