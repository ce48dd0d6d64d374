"""The certificate's health, for --drift: what CloudFormation's drift detection cannot see.

The stack's certificate is validated by DNS. Its validation records (one CNAME per name
on the certificate) are written into the hosted zone by CloudFormation but are not
resources of the stack, so drift detection never looks at them, and CloudFormation
leaves them behind when the certificate goes. ACM renews the certificate by finding
them again (managed renewal, ELIGIBLE while the load balancer uses the certificate):
a record removed from the zone is a renewal that fails months later. The base domain's
record is the same for every Planar certificate in the account, every app and stage
(docs/deploying.md, "The certificate's validation records").

So this reads the certificate (ACM DescribeCertificate: its status, RenewalEligibility
and RenewalSummary) and looks for each validation record in the stack's hosted zone
(Route 53 ListResourceRecordSets from the record's name and type). What it cannot read,
such as a zone in another account, is said to be unchecked rather than failing the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..aws.gateway import AWS_FAILURES, Clients, why
from . import plan, progress

__all__ = ["CertificateReport", "RecordCheck", "check", "lines"]

# The stack output naming the certificate, and the parameter naming its zone.
CERTIFICATE_OUTPUT = "CertificateArn"
ZONE_PARAMETER = "HostedZoneId"
# Certificate statuses that are no working certificate.
_BROKEN = frozenset({"EXPIRED", "REVOKED", "FAILED", "VALIDATION_TIMED_OUT", "INACTIVE"})
# What a record check found.
PRESENT = "present"
MISSING = "missing"
DIFFERENT = "different"
NOT_YET = "not yet known"
UNCHECKED = "not checked"


@dataclass(frozen=True)
class RecordCheck:
    """One validation record: the name it validates, the CNAME ACM asks for, and
    what the zone holds (PRESENT, MISSING, DIFFERENT, NOT_YET or UNCHECKED, with why)."""

    domain: str
    name: str
    value: str
    state: str
    why: str = ""


@dataclass(frozen=True)
class CertificateReport:
    """What --drift says of the certificate; `problems` fail the run."""

    arn: str
    status: str = ""
    eligibility: str = ""
    renewal: str = ""
    renewal_reason: str = ""
    records: tuple[RecordCheck, ...] = ()
    unchecked: str = ""  # why the certificate itself could not be read
    problems: tuple[str, ...] = ()


def _dns(name: str) -> str:
    return name.rstrip(".").lower()


def _record(route53: Any, zone: str, domain: str, wanted: Mapping[str, str]) -> RecordCheck:
    """The zone's answer for one validation record: the first record set from its name
    and type is it, or it is not there."""
    name, value = wanted["Name"], wanted["Value"]
    listing = route53.list_resource_record_sets(
        HostedZoneId=zone, StartRecordName=name, StartRecordType=wanted["Type"], MaxItems="1"
    )
    found = [
        r
        for r in listing.get("ResourceRecordSets", [])
        if _dns(r["Name"]) == _dns(name) and r["Type"] == wanted["Type"]
    ]
    if not found:
        return RecordCheck(domain, name, value, MISSING)
    values = {_dns(r["Value"]) for r in found[0].get("ResourceRecords", [])}
    if _dns(value) in values:
        return RecordCheck(domain, name, value, PRESENT)
    return RecordCheck(domain, name, value, DIFFERENT, ", ".join(sorted(values)) or "no value")


def _records(aws: Clients, zone: str, options: list[Mapping[str, Any]]) -> list[RecordCheck]:
    """Each distinct validation record, looked for in `zone`; once the zone cannot be
    read, the rest are said unchecked without asking again."""
    route53 = aws.client("route53")
    checks: list[RecordCheck] = []
    seen: set[str] = set()
    unreadable = "" if zone else f"the stack has no {ZONE_PARAMETER} parameter"
    for option in options:
        domain, wanted = option["DomainName"], option.get("ResourceRecord")
        if not wanted:  # ACM writes it within moments of the request
            checks.append(RecordCheck(domain, "", "", NOT_YET))
            continue
        if _dns(wanted["Name"]) in seen:
            continue
        seen.add(_dns(wanted["Name"]))
        if not unreadable:
            try:
                checks.append(_record(route53, zone, domain, wanted))
                continue
            except AWS_FAILURES as error:
                unreadable = (
                    f"hosted zone {zone} could not be read ({why(error)}); if it is in "
                    "another account, check the record there"
                )
        checks.append(RecordCheck(domain, wanted["Name"], wanted["Value"], UNCHECKED, unreadable))
    return checks


def _problems(detail: Mapping[str, Any], records: list[RecordCheck]) -> list[str]:
    status = detail.get("Status", "")
    summary = detail.get("RenewalSummary", {})
    problems = [f"the certificate is {status}"] if status in _BROKEN else []
    # A deployed certificate is on the load balancer's listener, which makes it
    # ELIGIBLE for managed renewal; INELIGIBLE means ACM will let it expire.
    if status == "ISSUED" and detail.get("RenewalEligibility") == "INELIGIBLE":
        problems.append("ACM will not renew it (RenewalEligibility INELIGIBLE)")
    if summary.get("RenewalStatus") == "FAILED":
        problems.append(
            f"its renewal FAILED ({summary.get('RenewalStatusReason', 'no reason given')})"
        )
    for record in records:
        if record.state in (MISSING, DIFFERENT):
            problems.append(f"the validation record of {record.domain} is {record.state}")
    return problems


def check(aws: Clients, stack: Mapping[str, Any]) -> CertificateReport:
    """The certificate of `stack` (as DescribeStacks gives it) and its validation records."""
    arn = progress.outputs(stack).get(CERTIFICATE_OUTPUT, "")
    if not arn:
        return CertificateReport("", unchecked=f"the stack has no {CERTIFICATE_OUTPUT} output")
    try:
        detail = aws.client("acm").describe_certificate(CertificateArn=arn)["Certificate"]
    except AWS_FAILURES as error:
        return CertificateReport(arn, unchecked=f"it could not be read ({why(error)})")
    records = _records(
        aws,
        plan.previous_parameters(stack).get(ZONE_PARAMETER, ""),
        detail.get("DomainValidationOptions", []),
    )
    summary = detail.get("RenewalSummary", {})
    return CertificateReport(
        arn=arn,
        status=detail.get("Status", ""),
        eligibility=detail.get("RenewalEligibility", ""),
        renewal=summary.get("RenewalStatus", ""),
        renewal_reason=summary.get("RenewalStatusReason", ""),
        records=tuple(records),
        problems=tuple(_problems(detail, records)),
    )


def _record_line(record: RecordCheck) -> str:
    if record.state == NOT_YET:
        return f"    ? {record.domain}: ACM has not given its validation record yet"
    sign = {PRESENT: "=", MISSING: "-", DIFFERENT: "~"}.get(record.state, "?")
    said = f"    {sign} {record.domain}: CNAME {record.name} -> {record.value}: {record.state}"
    if record.state == DIFFERENT:
        return f"{said} (the zone has {record.why})"
    return f"{said} ({record.why})" if record.why else said


def lines(report: CertificateReport) -> list[str]:
    """The certificate as a person reads it, and its verdict."""
    if report.unchecked:
        named = f" {report.arn}" if report.arn else ""
        return [f"Certificate{named} not checked: {report.unchecked}."]
    renewal = report.renewal or "none yet"
    if report.renewal_reason:
        renewal += f" ({report.renewal_reason})"
    said = [
        f"Certificate {report.arn}: {report.status or 'no status'}, renewal eligibility "
        f"{report.eligibility or 'not given'}, managed renewal {renewal}.",
        "  Validation records (ACM renews the certificate through them; keep them in the zone):",
        *(_record_line(r) for r in report.records),
    ]
    if report.problems:
        said.append(f"Certificate needs attention: {'; '.join(report.problems)}.")
    elif any(r.state in (UNCHECKED, NOT_YET) for r in report.records):
        said.append("Certificate: no problem found where it could be checked.")
    else:
        said.append("Certificate: healthy, and its validation records are in the zone.")
    return said
