"""The account, read before a deploy like Terraform's data sources.

Values the stage file may leave out are looked up: the VPC's CIDR, the base
domain's hosted zone, and (for stages with database readers) one Availability
Zone per database instance. And what CloudFormation would accept but AWS then
refuses or leaves broken is checked up front: the subnets are in the VPC and in
two or more Availability Zones (the load balancer and the database subnet group
need two), an internet-facing load balancer's subnets route to an internet
gateway, the load balancer's subnets are one per zone, the hosted zone is
public (ACM cannot validate through a private zone: the certificate would wait for
hours) and is the base domain's, a reader's zone is never the writer's, and the
region offers the Aurora version asked for, with auto-pause when it is asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from botocore.exceptions import ClientError

from ..aws.gateway import DEPLOYER, error_code, error_message, rejects_credentials, translate, why
from ..errors import InputError, PlanarError
from ..inputs.stage_file import StageFile

__all__ = [
    "LookupFailed",
    "check_database_zones",
    "check_engine_version",
    "check_hosted_zone",
    "check_internet_routes",
    "check_one_per_zone",
    "check_reader_zones",
    "check_subnets",
    "database_availability_zones",
    "describe_subnets",
    "hosted_zone_id",
    "resolve",
    "vpc_cidr",
    "zones_of",
]

# One described subnet, as ec2:DescribeSubnets answers.
Subnet = dict[str, Any]


class LookupFailed(InputError):
    """A look-up that cannot decide: the message says which key to set instead."""


def _failed(error: ClientError, failure: LookupFailed) -> PlanarError:
    """`failure`, unless AWS rejected the credentials themselves: then that, since no key
    or permission would help."""
    return translate(error, DEPLOYER) if rejects_credentials(error) else failure


def _code_and_message(error: ClientError) -> str:
    return f"{error.operation_name}: {why(error)}"


def _refused(what: str, action: str, key: str, error: ClientError) -> PlanarError:
    return _failed(
        error,
        LookupFailed(
            f"could not look up {what} ({action}: {why(error)}); set {key} in the stage file, "
            f"or allow {action}"
        ),
    )


def vpc_cidr(ec2: Any, vpc_id: str) -> str:
    """The VPC's IPv4 CIDR block."""
    try:
        vpcs = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
    except ClientError as error:
        if error_code(error) == "InvalidVpcID.NotFound":
            vpcs = []
        else:
            raise _refused("the VPC's CIDR", "ec2:DescribeVpcs", "vpc_cidr", error) from None
    if not vpcs:
        raise LookupFailed(
            f"vpc_id = {vpc_id!r}: no such VPC in {ec2.meta.region_name} for these "
            "credentials; check vpc_id and the region"
        )
    return str(vpcs[0]["CidrBlock"])


def hosted_zone_id(route53: Any, domain: str) -> str:
    """The one hosted zone named exactly `domain`; refuses to guess between several."""
    try:
        # Zones come sorted by name, so every exact match is on the first page.
        listing = route53.list_hosted_zones_by_name(DNSName=domain, MaxItems="100")
    except ClientError as error:
        raise _refused(
            "the hosted zone", "route53:ListHostedZonesByName", "hosted_zone_id", error
        ) from None
    named = [z for z in listing["HostedZones"] if z["Name"].rstrip(".") == domain]
    zones = [z for z in named if not _private(z)]
    if named and not zones:
        raise LookupFailed(
            f"base_domain_name = {domain!r}: the only hosted zone of that name, "
            f"{_zone_id(named[0])}, is private, and ACM cannot validate a certificate through "
            "a private zone; create a public hosted zone for it, or set hosted_zone_id to one"
        )
    if not zones:
        raise LookupFailed(
            f"base_domain_name = {domain!r}: no Route 53 hosted zone of that name in this "
            "account; create it, or set hosted_zone_id"
        )
    if len(zones) > 1:
        found = ", ".join(_zone_id(z) for z in zones)
        raise LookupFailed(
            f"base_domain_name = {domain!r}: {len(zones)} public hosted zones have that name: "
            f"{found}; set hosted_zone_id to the one the certificate and record belong in"
        )
    return _zone_id(zones[0])


def check_hosted_zone(route53: Any, zone_id: str, domain: str) -> None:
    """A hosted zone the stage file names: it must exist, be public and be the base domain's."""
    try:
        zone = route53.get_hosted_zone(Id=zone_id)["HostedZone"]
    except ClientError as error:
        if error_code(error) == "NoSuchHostedZone":
            raise LookupFailed(
                f"hosted_zone_id = {zone_id!r}: no such hosted zone in this account; check "
                "hosted_zone_id, or leave it out to look it up from base_domain_name"
            ) from None
        raise _failed(
            error,
            LookupFailed(
                f"hosted_zone_id = {zone_id!r} cannot be checked ({_code_and_message(error)}); "
                "allow route53:GetHostedZone: it checks the zone is public and the base domain's"
            ),
        ) from None
    name = zone["Name"].rstrip(".")
    if _private(zone):
        raise LookupFailed(
            f"hosted_zone_id = {zone_id!r}: {name} is a private hosted zone, and ACM cannot "
            "validate a certificate through a private zone (it would wait for hours); name "
            "the public hosted zone of base_domain_name"
        )
    # The base domain's own zone, or a parent's that holds its records (no delegation).
    if domain != name and not domain.endswith("." + name):
        raise LookupFailed(
            f"hosted_zone_id = {zone_id!r} is the zone of {name}, not of base_domain_name = "
            f"{domain!r} or a parent domain: the certificate's validation records and the "
            "alias could not be written there; name the zone of base_domain_name, or leave "
            "hosted_zone_id out to look it up"
        )


def _private(zone: Mapping[str, Any]) -> bool:
    return bool(zone.get("Config", {}).get("PrivateZone"))


def _zone_id(zone: Mapping[str, Any]) -> str:
    return str(zone["Id"]).rsplit("/", 1)[-1]


def describe_subnets(ec2: Any, keys: Mapping[str, list[str]]) -> dict[str, dict[str, Subnet]]:
    """The subnets each stage-file key lists, by key and then by id, in one call."""
    subnets = list(dict.fromkeys(s for listed in keys.values() for s in listed))
    try:
        found = ec2.describe_subnets(SubnetIds=subnets)["Subnets"]
    except ClientError as error:
        if error_code(error) == "InvalidSubnetID.NotFound":
            message = error_message(error)
            # The message names the missing ids: report them under the key that lists them.
            key = next(
                (k for k, listed in keys.items() if any(s in message for s in listed)), "subnets"
            )
            raise LookupFailed(
                f"{key} = {keys[key]}: {message}; check {key} and the region"
            ) from None
        raise _failed(
            error,
            LookupFailed(
                f"could not read {' and '.join(keys)} ({_code_and_message(error)}); allow "
                "ec2:DescribeSubnets: it checks the subnets' VPC and Availability Zones"
            ),
        ) from None
    by_id = {s["SubnetId"]: s for s in found}
    return {key: {subnet: by_id[subnet] for subnet in listed} for key, listed in keys.items()}


def zones_of(subnets: Mapping[str, Subnet]) -> list[str]:
    """Distinct Availability Zones in subnet order."""
    return list(dict.fromkeys(s["AvailabilityZone"] for s in subnets.values()))


def check_subnets(key: str, subnets: Mapping[str, Subnet], vpc_id: str) -> None:
    """In the VPC, and in two or more Availability Zones: an Application Load Balancer
    needs subnets in at least two zones, and so does a DB subnet group (Elastic Load
    Balancing, CreateLoadBalancer: "You must specify subnets from at least two
    Availability Zones"; RDS, CreateDBSubnetGroup: "at least two AZs")."""
    elsewhere = {i: s["VpcId"] for i, s in subnets.items() if s["VpcId"] != vpc_id}
    if elsewhere:
        listed = ", ".join(f"{i} is in {vpc}" for i, vpc in elsewhere.items())
        raise LookupFailed(f"{key}: {listed}, not in vpc_id = {vpc_id!r}; give subnets of that VPC")
    zones = zones_of(subnets)
    if len(zones) < 2:
        raise LookupFailed(
            f"{key} = {list(subnets)} are all in {zones[0]}; the load balancer and the database "
            "need subnets in two or more Availability Zones: add a subnet in another zone"
        )


def check_one_per_zone(key: str, subnets: Mapping[str, Subnet]) -> None:
    """A load balancer takes one subnet per Availability Zone (Elastic Load Balancing,
    CreateLoadBalancer: "You can specify only one subnet per Availability Zone")."""
    by_zone: dict[str, list[str]] = {}
    for subnet, described in subnets.items():
        by_zone.setdefault(described["AvailabilityZone"], []).append(subnet)
    shared = {zone: listed for zone, listed in by_zone.items() if len(listed) > 1}
    if shared:
        where = "; ".join(
            f"{' and '.join(listed)} are both in {zone}" for zone, listed in shared.items()
        )
        fix = (
            "keep one subnet per zone in alb_subnets"
            if key == "alb_subnets"
            else "set alb_subnets to one of them per zone (the database may keep them all)"
        )
        raise LookupFailed(
            f"{key}: {where}; the load balancer takes one subnet per Availability Zone: {fix}"
        )


def database_availability_zones(subnets: Mapping[str, Subnet], count: int) -> list[str]:
    """Distinct zones in subnet order: the writer's is the first subnet's zone, and
    each reader gets the next different one."""
    zones = zones_of(subnets)
    if len(zones) < count:
        raise LookupFailed(
            f"subnets = {list(subnets)} span {len(zones)} Availability Zone(s) ({', '.join(zones)}); "
            f"the database needs {count}, one per instance: add a subnet in another zone, "
            "or set database_availability_zones"
        )
    return zones


def check_database_zones(zones: list[str], subnets: Mapping[str, Subnet]) -> None:
    """Each database instance's zone must be one its subnet group covers."""
    covered = zones_of(subnets)
    outside = [zone for zone in zones if zone not in covered]
    if outside:
        raise LookupFailed(
            f"database_availability_zones = {zones}: {', '.join(outside)} holds none of the "
            f"subnets (they are in {', '.join(covered)}), so no database instance can go "
            "there: list zones of the subnets, or leave the key out to look them up"
        )


def check_reader_zones(zones: list[str], readers: int) -> None:
    """One distinct zone per instance, writer first: a reader in the writer's zone
    would go down with it."""
    repeated = sorted({zone for zone in zones if zones.count(zone) > 1})
    if readers and (repeated or len(zones) < readers + 1):
        why = f"names {', '.join(repeated)} twice" if repeated else f"names {len(zones)}"
        raise LookupFailed(
            f"database_availability_zones = {zones}: {why}; the writer and {readers} "
            f"reader(s) each need their own zone: list {readers + 1} different zones of the "
            "subnets, writer first, or leave the key out to look them up"
        )


def check_engine_version(client: Callable[[str], Any], version: str, min_capacity: str) -> None:
    """The region offers Aurora PostgreSQL `version`, and with a minimum capacity of 0
    the version can auto-pause: DescribeDBEngineVersions reports the smallest minimum
    a version takes in ServerlessV2FeaturesSupport (0 where it can pause)."""
    try:
        found = client("rds").describe_db_engine_versions(
            Engine="aurora-postgresql", EngineVersion=version
        )
    except ClientError as error:
        raise _failed(
            error,
            LookupFailed(
                f"aurora_engine_version = {version!r} cannot be checked "
                f"({_code_and_message(error)}); allow rds:DescribeDBEngineVersions: it checks "
                "the region offers the version"
            ),
        ) from None
    region = client("rds").meta.region_name
    if not found["DBEngineVersions"]:
        raise LookupFailed(
            f"aurora_engine_version = {version!r}: {region} offers no Aurora PostgreSQL "
            f"{version}; choose one that `aws rds describe-db-engine-versions --engine "
            f"aurora-postgresql --region {region}` lists"
        )
    support = found["DBEngineVersions"][0].get("ServerlessV2FeaturesSupport", {})
    smallest = support.get("MinCapacity")
    if min_capacity == "0" and smallest is not None and smallest > 0:
        raise LookupFailed(
            f"aurora_min_capacity = 0 (auto-pause): Aurora PostgreSQL {version} in {region} "
            f"cannot pause (its smallest minimum capacity is {smallest:g} ACU); set "
            "aurora_engine_version to a later version, or aurora_min_capacity to 0.5 or more"
        )


def check_internet_routes(ec2: Any, subnets: list[str], vpc_id: str) -> None:
    """Each subnet of an internet-facing load balancer routes 0.0.0.0/0 to an internet
    gateway, through its own route table or, without one, the VPC's main table. A route
    to a firewall or Gateway Load Balancer endpoint (vpce-) counts when the VPC has an
    internet gateway attached: that is how inspected ingress is built."""
    try:
        pages = ec2.get_paginator("describe_route_tables").paginate(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]
        )
        tables = [t for page in pages for t in page["RouteTables"]]
    except ClientError as error:
        raise _routes_refused(vpc_id, "ec2:DescribeRouteTables", error) from None
    main = next((t for t in tables if any(a.get("Main") for a in t.get("Associations", []))), None)
    table_of = {
        a["SubnetId"]: t for t in tables for a in t.get("Associations", []) if a.get("SubnetId")
    }
    targets = {subnet: _default_route_target(table_of.get(subnet, main)) for subnet in subnets}
    if any(target.startswith("vpce-") for target in targets.values()) and not _has_internet_gateway(
        ec2, vpc_id
    ):
        targets = {s: "" if t.startswith("vpce-") else t for s, t in targets.items()}
    private = [
        f"{subnet} ({(table_of.get(subnet, main) or {}).get('RouteTableId', 'no route table')})"
        for subnet, target in targets.items()
        if not target.startswith(("igw-", "vpce-"))
    ]
    if private:
        raise LookupFailed(
            f"alb_subnets: {', '.join(private)} route 0.0.0.0/0 to no internet gateway, so an "
            "internet-facing load balancer there is unreachable: give public subnets, or set "
            "alb_internal to true"
        )


def _default_route_target(table: Mapping[str, Any] | None) -> str:
    """The gateway of the table's active 0.0.0.0/0 route, or ""."""
    for route in (table or {}).get("Routes", []):
        if (
            route.get("DestinationCidrBlock") == "0.0.0.0/0"
            and route.get("State", "active") == "active"
        ):
            return str(route.get("GatewayId", ""))
    return ""


def _has_internet_gateway(ec2: Any, vpc_id: str) -> bool:
    try:
        found = ec2.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
        )["InternetGateways"]
    except ClientError as error:
        raise _routes_refused(vpc_id, "ec2:DescribeInternetGateways", error) from None
    return bool(found)


def _routes_refused(vpc_id: str, action: str, error: ClientError) -> PlanarError:
    return _failed(
        error,
        LookupFailed(
            f"could not read the routing of {vpc_id} ({_code_and_message(error)}); allow "
            f"{action}: it checks that an internet-facing load balancer's subnets are public"
        ),
    )


def resolve(
    stage_file: StageFile, client: Callable[[str], Any], keep: Collection[str] = ()
) -> StageFile:
    """The stage file with every value it left to look up, but for the keys in `keep`
    (an update leaves those at the stack's values), once the account holds what the
    values name: the subnets, their routes and the hosted zone."""
    found: dict[str, str] = {}

    def missing(key: str) -> bool:
        return key not in stage_file.given and key not in keep

    def value(key: str) -> str:
        return stage_file.value(key) or ""

    vpc_id = value("vpc_id")
    if missing("vpc_cidr"):
        found["vpc_cidr"] = vpc_cidr(client("ec2"), vpc_id)
    if missing("hosted_zone_id"):
        found["hosted_zone_id"] = hosted_zone_id(client("route53"), value("base_domain_name"))
    else:
        check_hosted_zone(client("route53"), value("hosted_zone_id"), value("base_domain_name"))

    private = value("subnets").split(",")
    public = [s for s in value("alb_subnets").split(",") if s]
    described = describe_subnets(client("ec2"), {"subnets": private, "alb_subnets": public})
    check_subnets("subnets", described["subnets"], vpc_id)
    if public:
        check_subnets("alb_subnets", described["alb_subnets"], vpc_id)
    alb_key = "alb_subnets" if public else "subnets"
    check_one_per_zone(alb_key, described[alb_key])
    if value("alb_internal") == "false" and public:
        check_internet_routes(client("ec2"), public, vpc_id)

    given_zones = [z for z in value("database_availability_zones").split(",") if z]
    if "database_availability_zones" in stage_file.given and given_zones:
        check_database_zones(given_zones, described["subnets"])
        check_reader_zones(given_zones, stage_file.reader_count)
    if missing("database_availability_zones"):
        readers = stage_file.reader_count
        # Without readers RDS may choose; pinning a zone later would replace the writer.
        zones = database_availability_zones(described["subnets"], readers + 1) if readers else []
        found["database_availability_zones"] = ",".join(zones)
    # The default version is the one the templates are built and linted with; a version
    # the file names, or auto-pause, is checked against the region.
    if "aurora_engine_version" in stage_file.given or value("aurora_min_capacity") == "0":
        check_engine_version(client, value("aurora_engine_version"), value("aurora_min_capacity"))
    return stage_file.with_values(found)
