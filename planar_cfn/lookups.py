"""Values the stage file may leave out, looked up in the account like Terraform's
data sources: the VPC's CIDR, the base domain's hosted zone, and (for stages with
database readers) one Availability Zone per database instance."""

from __future__ import annotations

from typing import Any, Callable, Collection

from botocore.exceptions import ClientError

from .stage_file import StageFile
from .stages import get_stage


class LookupFailed(Exception):
    """A look-up that cannot decide: the message says which key to set instead."""


def _refused(what: str, action: str, key: str, error: ClientError) -> LookupFailed:
    return LookupFailed(
        f"could not look up {what} ({action}: {error.response['Error'].get('Code')}: "
        f"{error.response['Error'].get('Message')}); set {key} in the stage file, "
        f"or allow {action}"
    )


def vpc_cidr(ec2: Any, vpc_id: str) -> str:
    try:
        vpcs = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
    except ClientError as error:
        if error.response["Error"].get("Code") == "InvalidVpcID.NotFound":
            vpcs = []
        else:
            raise _refused("the VPC's CIDR", "ec2:DescribeVpcs", "vpc_cidr", error) from None
    if not vpcs:
        raise LookupFailed(
            f"vpc_id = {vpc_id!r}: no such VPC in {ec2.meta.region_name} for these "
            "credentials; check vpc_id and the region"
        )
    return vpcs[0]["CidrBlock"]


def hosted_zone_id(route53: Any, domain: str) -> str:
    """The one hosted zone named exactly `domain`; refuses to guess between several."""
    try:
        # Zones come sorted by name, so every exact match is on the first page.
        listing = route53.list_hosted_zones_by_name(DNSName=domain, MaxItems="100")
    except ClientError as error:
        raise _refused(
            "the hosted zone", "route53:ListHostedZonesByName", "hosted_zone_id", error
        ) from None
    zones = [z for z in listing["HostedZones"] if z["Name"].rstrip(".") == domain]
    if not zones:
        raise LookupFailed(
            f"base_domain_name = {domain!r}: no Route 53 hosted zone of that name in this "
            "account; create it, or set hosted_zone_id"
        )
    if len(zones) > 1:
        found = ", ".join(
            f"{_zone_id(z)} ({'private' if z.get('Config', {}).get('PrivateZone') else 'public'})"
            for z in zones
        )
        raise LookupFailed(
            f"base_domain_name = {domain!r}: {len(zones)} hosted zones have that name: "
            f"{found}; set hosted_zone_id to the one the certificate and record belong in"
        )
    return _zone_id(zones[0])


def _zone_id(zone: dict) -> str:
    return zone["Id"].rsplit("/", 1)[-1]


def database_availability_zones(ec2: Any, subnets: list[str], count: int) -> list[str]:
    """Distinct zones in subnet order: the writer's is the first subnet's zone, and
    each reader gets the next different one."""
    try:
        found = ec2.describe_subnets(SubnetIds=subnets)["Subnets"]
    except ClientError as error:
        if error.response["Error"].get("Code") == "InvalidSubnetID.NotFound":
            raise LookupFailed(
                f"subnets = {subnets}: {error.response['Error'].get('Message')}; check "
                "subnets and the region"
            ) from None
        raise _refused(
            "the subnets' Availability Zones", "ec2:DescribeSubnets",
            "database_availability_zones", error,
        ) from None  # fmt: skip
    zone_of = {s["SubnetId"]: s["AvailabilityZone"] for s in found}
    zones: list[str] = []
    for subnet in subnets:
        if zone_of[subnet] not in zones:
            zones.append(zone_of[subnet])
    if len(zones) < count:
        raise LookupFailed(
            f"subnets = {subnets} span {len(zones)} Availability Zone(s) ({', '.join(zones)}); "
            f"the database needs {count}, one per instance: add a subnet in another zone, "
            "or set database_availability_zones"
        )
    return zones


def resolve(
    stage_file: StageFile, client: Callable[[str], Any], keep: Collection[str] = ()
) -> StageFile:
    """The stage file with every value it left to look up, but for the keys in `keep`
    (an update leaves those at the stack's values); calls only what is needed."""
    found: dict[str, str] = {}
    missing = lambda key: key not in stage_file.given and key not in keep  # noqa: E731
    if missing("vpc_cidr"):
        found["vpc_cidr"] = vpc_cidr(client("ec2"), stage_file.value("vpc_id") or "")
    if missing("hosted_zone_id"):
        found["hosted_zone_id"] = hosted_zone_id(
            client("route53"), stage_file.value("base_domain_name") or ""
        )
    if missing("database_availability_zones"):
        readers = get_stage(stage_file.stage).reader_count
        zones: list[str] = []
        # Without readers RDS may choose; pinning a zone later would replace the writer.
        if readers:
            subnets = (stage_file.value("subnets") or "").split(",")
            zones = database_availability_zones(client("ec2"), subnets, readers + 1)
        found["database_availability_zones"] = ",".join(zones)
    return stage_file.with_values(found)
