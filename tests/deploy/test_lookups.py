"""Look-ups like Terraform's data sources, against moto's EC2 and Route 53; then through
a deploy: what the stage file leaves out filled in, and an update that keeps the
stack's database zones instead of looking them up."""

import json
import re
from contextlib import contextmanager

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from planar_cfn.deploy import lookups
from planar_cfn.deploy.lookups import LookupFailed
from planar_cfn.errors import CredentialsError, ExitCode
from planar_cfn.inputs.stage_file import load
from tests.deploy.scenarios import create_request, previous_parameters, prod_update_request
from tests.deploy_stubs import REGION, STAGE_VALUES, expected_parameters


@pytest.fixture(scope="module")
def aws():
    # One mocked account for the module: moto's EC2 takes a while to start. Its
    # own fake credentials are in the environment while it runs.
    with mock_aws():
        yield {s: boto3.client(s, region_name=REGION) for s in ("ec2", "route53")}


@pytest.fixture(scope="module")
def network(aws):
    ec2 = aws["ec2"]
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = {
        zone: ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for zone, cidr in (("us-east-1b", "10.20.1.0/24"), ("us-east-1a", "10.20.2.0/24"))
    }
    same_zone = ec2.create_subnet(
        VpcId=vpc, CidrBlock="10.20.3.0/24", AvailabilityZone="us-east-1b"
    )
    return vpc, subnets, same_zone["Subnet"]["SubnetId"]


@pytest.fixture
def zone(aws):
    """zone(name, private_vpc=None) -> id; each test's zones are deleted after it."""
    route53, made = aws["route53"], []

    def create(name, private_vpc=None):
        kwargs = {"Name": name, "CallerReference": f"{name}-{private_vpc}-{len(made)}"}
        if private_vpc:
            kwargs["VPC"] = {"VPCRegion": REGION, "VPCId": private_vpc}
            kwargs["HostedZoneConfig"] = {"PrivateZone": True, "Comment": "private"}
        made.append(route53.create_hosted_zone(**kwargs)["HostedZone"]["Id"].rsplit("/", 1)[-1])
        return made[-1]

    yield create
    for zone_id in made:
        route53.delete_hosted_zone(Id=zone_id)


@contextmanager
def given_zone():
    """Route 53 answering for the stage file's hosted_zone_id (moto's zone ids do not
    have the form of AWS's, which the stage file checks)."""
    route53 = boto3.client("route53", region_name=REGION)
    with Stubber(route53) as stub:
        stub.add_response(
            "get_hosted_zone",
            {
                "HostedZone": {
                    "Id": f"/hostedzone/{STAGE_VALUES['hosted_zone_id']}",
                    "Name": "example.com.",
                    "CallerReference": "r",
                    "Config": {"PrivateZone": False},
                }
            },
            {"Id": STAGE_VALUES["hosted_zone_id"]},
        )
        yield route53
        stub.assert_no_pending_responses()


def test_vpc_cidr_from_the_vpc_id(aws, network):
    vpc, _, _ = network
    assert lookups.vpc_cidr(aws["ec2"], vpc) == "10.20.0.0/16"


def test_an_unknown_vpc_names_the_key_and_region(aws):
    with pytest.raises(
        LookupFailed, match=r"vpc_id = 'vpc-0123456789abcdef0': no such VPC in us-east-1"
    ):
        lookups.vpc_cidr(aws["ec2"], "vpc-0123456789abcdef0")


def test_hosted_zone_by_exact_name(aws, zone):
    zone("sub.example.com")
    wanted = zone("example.com")
    zone("example.com.au")
    assert lookups.hosted_zone_id(aws["route53"], "example.com") == wanted


def test_no_hosted_zone_says_to_set_it(aws, zone):
    zone("other.com")
    with pytest.raises(
        LookupFailed,
        match="no Route 53 hosted zone of that name in this account; create it, or set hosted_zone_id",
    ):
        lookups.hosted_zone_id(aws["route53"], "example.com")


def test_a_private_zone_of_the_same_name_is_passed_over(aws, network, zone):
    # Split-horizon DNS: ACM validates only through the public zone.
    vpc, _, _ = network
    public = zone("example.com")
    zone("example.com", private_vpc=vpc)
    assert lookups.hosted_zone_id(aws["route53"], "example.com") == public


def test_only_a_private_zone_is_refused(aws, network, zone):
    vpc, _, _ = network
    private = zone("example.com", private_vpc=vpc)
    with pytest.raises(LookupFailed) as error:
        lookups.hosted_zone_id(aws["route53"], "example.com")
    assert str(error.value) == (
        f"base_domain_name = 'example.com': the only hosted zone of that name, {private}, is "
        "private, and ACM cannot validate a certificate through a private zone; create a "
        "public hosted zone for it, or set hosted_zone_id to one"
    )


def test_two_public_zones_of_one_name_are_refused(aws, zone):
    first, second = zone("example.com"), zone("example.com")
    with pytest.raises(LookupFailed) as error:
        lookups.hosted_zone_id(aws["route53"], "example.com")
    assert f"2 public hosted zones have that name: {first}, {second}; set hosted_zone_id" in str(
        error.value
    )


def test_a_given_zone_must_be_public_and_the_base_domains(aws, network, zone):
    vpc, _, _ = network
    public, private, other = (
        zone("example.com"),
        zone("example.com", private_vpc=vpc),
        zone("other.com"),
    )
    lookups.check_hosted_zone(aws["route53"], public, "example.com")  # no error
    with pytest.raises(
        LookupFailed,
        match=f"hosted_zone_id = '{private}': example.com is a private hosted zone, and ACM cannot validate",
    ):
        lookups.check_hosted_zone(aws["route53"], private, "example.com")
    with pytest.raises(
        LookupFailed,
        match=f"hosted_zone_id = '{other}' is the zone of other.com, not of base_domain_name = 'example.com'",
    ):
        lookups.check_hosted_zone(aws["route53"], other, "example.com")
    with pytest.raises(
        LookupFailed,
        match="hosted_zone_id = 'Z0000000000000000000': no such hosted zone in this account",
    ):
        lookups.check_hosted_zone(aws["route53"], "Z0000000000000000000", "example.com")


def test_database_zones_writer_in_the_first_subnets_zone_reader_in_another(aws, network):
    _, subnets, same_zone = network
    ordered = [subnets["us-east-1b"], same_zone, subnets["us-east-1a"]]
    described = lookups.describe_subnets(aws["ec2"], {"subnets": ordered})["subnets"]
    assert lookups.database_availability_zones(described, 2) == ["us-east-1b", "us-east-1a"]


@pytest.mark.parametrize("stage", ["dev", "staging", "prod"])
def test_subnets_in_one_zone_are_refused_in_every_stage(aws, network, tmp_path, stage):
    vpc, subnets, same_zone = network
    path = tmp_path / "s.json"
    path.write_text(
        json.dumps({**STAGE_VALUES, "vpc_id": vpc, "subnets": [subnets["us-east-1b"], same_zone]})
    )
    route53 = Stubber(aws["route53"])  # the given zone, checked first
    route53.add_response(
        "get_hosted_zone",
        {
            "HostedZone": {
                "Id": "/hostedzone/Z0123456789ABCDEFGHIJ",
                "Name": "example.com.",
                "CallerReference": "r",
            }
        },
        {"Id": STAGE_VALUES["hosted_zone_id"]},
    )
    with route53, pytest.raises(LookupFailed) as error:
        lookups.resolve(load(path, stage, {}), lambda service: aws[service])
    assert str(error.value) == (
        f"subnets = ['{subnets['us-east-1b']}', '{same_zone}'] are all in us-east-1b; the load "
        "balancer and the database need subnets in two or more Availability Zones: add a "
        "subnet in another zone"
    )


def test_subnets_of_another_vpc_are_refused(aws, network):
    _, subnets, _ = network
    other = aws["ec2"].create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    described = lookups.describe_subnets(aws["ec2"], {"alb_subnets": list(subnets.values())})[
        "alb_subnets"
    ]
    with pytest.raises(
        LookupFailed,
        match=f"alb_subnets: {subnets['us-east-1b']} is in vpc-.*, not in vpc_id = '{other}'; give subnets of that VPC",
    ):
        lookups.check_subnets("alb_subnets", described, other)


@pytest.fixture(scope="module")
def public_network(aws):
    """A VPC with an internet gateway: two public subnets with their own route table,
    one subnet on the main table (no internet route), and one behind a NAT only."""
    ec2 = aws["ec2"]
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)

    def subnet(cidr, zone):
        created = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)
        return created["Subnet"]["SubnetId"]

    public = [subnet("10.40.1.0/24", "us-east-1a"), subnet("10.40.2.0/24", "us-east-1b")]
    on_main = subnet("10.40.3.0/24", "us-east-1c")
    natted = subnet("10.40.4.0/24", "us-east-1c")
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    for s in public:
        ec2.associate_route_table(RouteTableId=table, SubnetId=s)
    nat_table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(
        RouteTableId=nat_table,
        DestinationCidrBlock="0.0.0.0/0",
        NatGatewayId="nat-0123456789abcdef0",
    )
    ec2.associate_route_table(RouteTableId=nat_table, SubnetId=natted)
    return {
        "vpc": vpc,
        "igw": igw,
        "public": public,
        "on_main": on_main,
        "natted": natted,
        "nat_table": nat_table,
    }


def test_public_subnets_route_to_an_internet_gateway(aws, public_network):
    n = public_network
    lookups.check_internet_routes(aws["ec2"], n["public"], n["vpc"])  # no error


def test_subnets_without_an_internet_route_are_refused_for_an_internet_facing_alb(
    aws, public_network
):
    n = public_network
    with pytest.raises(LookupFailed) as error:
        lookups.check_internet_routes(
            aws["ec2"], [n["public"][0], n["on_main"], n["natted"]], n["vpc"]
        )
    message = str(error.value)
    # The subnet without its own table is judged by the VPC's main route table.
    main = aws["ec2"].describe_route_tables(
        Filters=[
            {"Name": "vpc-id", "Values": [n["vpc"]]},
            {"Name": "association.main", "Values": ["true"]},
        ]
    )["RouteTables"][0]["RouteTableId"]
    assert message == (
        f"alb_subnets: {n['on_main']} ({main}), {n['natted']} ({n['nat_table']}) route 0.0.0.0/0 to no "
        "internet gateway, so an internet-facing load balancer there is unreachable: give "
        "public subnets, or set alb_internal to true"
    )


def test_the_main_route_table_counts_for_subnets_without_their_own(aws):
    ec2 = aws["ec2"]
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"][
        0
    ]
    ec2.create_route(
        RouteTableId=main["RouteTableId"], DestinationCidrBlock="0.0.0.0/0", GatewayId=igw
    )
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.50.{i}.0/24", AvailabilityZone=zone)["Subnet"][
            "SubnetId"
        ]
        for i, zone in ((1, "us-east-1a"), (2, "us-east-1b"))
    ]
    lookups.check_internet_routes(ec2, subnets, vpc)  # no error


def test_refused_lookups_say_which_key_to_set():
    ec2 = boto3.client("ec2", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(ec2) as stub:
        stub.add_client_error("describe_vpcs", "UnauthorizedOperation", "You are not authorized")
        with pytest.raises(
            LookupFailed,
            match=r"\(ec2:DescribeVpcs: UnauthorizedOperation: .*set vpc_cidr in the stage file, or allow ec2:DescribeVpcs",
        ):
            lookups.vpc_cidr(ec2, "vpc-0123456789abcdef0")


def test_rejected_credentials_in_a_lookup_are_said_as_such_not_as_a_key_to_set():
    ec2 = boto3.client("ec2", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(ec2) as stub:
        stub.add_client_error("describe_vpcs", "ExpiredTokenException", "The token is expired")
        with pytest.raises(CredentialsError) as refused:
            lookups.vpc_cidr(ec2, "vpc-0123456789abcdef0")
    assert str(refused.value) == (
        "AWS rejected the credentials on DescribeVpcs (ExpiredTokenException): refresh them "
        "(`aws sso login`, or new access keys) and deploy again"
    )
    assert refused.value.exit_code == 2  # as a look-up that cannot decide: nothing changed


def test_resolve_looks_up_only_what_is_missing(aws, network, zone, tmp_path):
    vpc, subnets, _ = network
    hosted = zone("example.com")
    values = {
        k: v
        for k, v in STAGE_VALUES.items()
        if k not in ("vpc_cidr", "hosted_zone_id", "database_availability_zones")
    }
    values.update(vpc_id=vpc, subnets=[subnets["us-east-1a"], subnets["us-east-1b"]])
    path = tmp_path / "s.json"
    path.write_text(json.dumps(values))
    asked = []

    def client(service):
        asked.append(service)
        return aws[service]

    prod = lookups.resolve(load(path, "prod", {}), client)
    assert prod.parameters["VpcCidr"] == "10.20.0.0/16"
    assert prod.parameters["HostedZoneId"] == hosted
    assert prod.parameters["DatabaseAvailabilityZones"] == "us-east-1a,us-east-1b"

    asked.clear()
    dev = lookups.resolve(load(path, "dev", {}), client)
    assert dev.parameters["DatabaseAvailabilityZones"] == ""  # no readers: RDS chooses
    # The subnets are read in every stage: they must span two zones.
    assert asked == ["ec2", "route53", "ec2"]

    path.write_text(
        json.dumps(
            {
                **values,
                **{
                    k: STAGE_VALUES[k]
                    for k in ("vpc_cidr", "database_availability_zones", "hosted_zone_id")
                },
            }
        )
    )
    asked.clear()
    with given_zone() as route53:
        given = lookups.resolve(
            load(path, "prod", {}), lambda s: asked.append(s) or {**aws, "route53": route53}[s]
        )
    # Nothing looked up, but the given zone and the subnets are checked.
    assert given.parameters == load(path, "prod", {}).parameters
    assert asked == ["route53", "ec2"]


def test_resolve_leaves_the_kept_keys_to_the_stack(aws, network, tmp_path):
    # An update keeps the stack's database zones, though the subnets are still checked.
    vpc, subnets, _ = network
    values = {k: v for k, v in STAGE_VALUES.items() if k != "database_availability_zones"}
    values.update(vpc_id=vpc, subnets=[subnets["us-east-1a"], subnets["us-east-1b"]])
    path = tmp_path / "s.json"
    path.write_text(json.dumps(values))

    with given_zone() as route53:
        prod = lookups.resolve(
            load(path, "prod", {}),
            lambda s: {**aws, "route53": route53}[s],
            keep=["database_availability_zones"],
        )

    assert "DatabaseAvailabilityZones" not in prod.parameters


def test_a_load_balancer_takes_one_subnet_per_zone(aws, network):
    _, subnets, same_zone = network
    described = lookups.describe_subnets(
        aws["ec2"], {"subnets": [subnets["us-east-1a"], subnets["us-east-1b"], same_zone]}
    )["subnets"]
    lookups.check_subnets(
        "subnets", described, described[same_zone]["VpcId"]
    )  # fine for the database
    with pytest.raises(LookupFailed) as error:
        lookups.check_one_per_zone("subnets", described)
    assert str(error.value) == (
        f"subnets: {subnets['us-east-1b']} and {same_zone} are both in us-east-1b; the load balancer "
        "takes one subnet per Availability Zone: set alb_subnets to one of them per zone (the "
        "database may keep them all)"
    )
    lookups.check_one_per_zone(
        "alb_subnets", {s: described[s] for s in list(subnets.values())}
    )  # no error


def test_given_database_zones_must_hold_the_subnets(aws, network):
    _, subnets, _ = network
    described = lookups.describe_subnets(aws["ec2"], {"subnets": list(subnets.values())})["subnets"]
    lookups.check_database_zones(["us-east-1a", "us-east-1b"], described)  # no error
    with pytest.raises(LookupFailed) as error:
        lookups.check_database_zones(["us-east-1c", "us-east-1a"], described)
    assert str(error.value) == (
        "database_availability_zones = ['us-east-1c', 'us-east-1a']: us-east-1c holds none of "
        "the subnets (they are in us-east-1b, us-east-1a), so no database instance can go "
        "there: list zones of the subnets, or leave the key out to look them up"
    )


def test_a_missing_subnet_is_reported_under_the_key_that_lists_it():
    ec2 = boto3.client("ec2", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y")
    private, missing = (
        ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"],
        "subnet-0ddddddddddddddd4",
    )
    with Stubber(ec2) as stub:
        stub.add_client_error(
            "describe_subnets",
            "InvalidSubnetID.NotFound",
            f"The subnet ID '{missing}' does not exist",
            400,
        )
        with pytest.raises(LookupFailed) as error:
            lookups.describe_subnets(ec2, {"subnets": private, "alb_subnets": [missing]})
    assert str(error.value) == (
        f"alb_subnets = ['{missing}']: The subnet ID '{missing}' does not exist; check "
        "alb_subnets and the region"
    )


def test_a_given_zone_may_be_a_parent_of_the_base_domain(aws, zone):
    # No delegated zone: the parent's zone holds the records of its subdomains.
    parent = zone("example.com")
    lookups.check_hosted_zone(aws["route53"], parent, "apps.example.com")  # no error
    with pytest.raises(
        LookupFailed,
        match=re.escape(
            "is the zone of example.com, not of base_domain_name = 'badexample.com' or a parent domain"
        ),
    ):
        lookups.check_hosted_zone(aws["route53"], parent, "badexample.com")


def test_a_zone_that_cannot_be_read_says_which_permission_to_add():
    route53 = boto3.client(
        "route53", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y"
    )
    with Stubber(route53) as stub:
        stub.add_client_error("get_hosted_zone", "AccessDenied", "not authorized", 403)
        with pytest.raises(LookupFailed) as error:
            lookups.check_hosted_zone(route53, "Z0123456789ABCDEFGHIJ", "example.com")
    assert str(error.value) == (
        "hosted_zone_id = 'Z0123456789ABCDEFGHIJ' cannot be checked (GetHostedZone: AccessDenied: "
        "not authorized); allow route53:GetHostedZone: it checks the zone is public and the "
        "base domain's"
    )


def _routes(*routes, vpc="vpc-0123456789abcdef0"):
    return {
        "RouteTables": [
            {
                "RouteTableId": "rtb-0123456789abcdef0",
                "VpcId": vpc,
                "Routes": list(routes),
                "Associations": [{"SubnetId": "subnet-0ccccccccccccccc3", "Main": False}],
            }
        ]
    }


@pytest.mark.parametrize(
    ("route", "gateways", "public"),
    [
        (
            {
                "DestinationCidrBlock": "0.0.0.0/0",
                "GatewayId": "igw-0123456789abcdef0",
                "State": "active",
            },
            None,
            True,
        ),
        # The internet gateway was detached: the route is a blackhole.
        (
            {
                "DestinationCidrBlock": "0.0.0.0/0",
                "GatewayId": "igw-0123456789abcdef0",
                "State": "blackhole",
            },
            None,
            False,
        ),
        # IPv6 only: the load balancer here is IPv4.
        (
            {
                "DestinationIpv6CidrBlock": "::/0",
                "GatewayId": "igw-0123456789abcdef0",
                "State": "active",
            },
            None,
            False,
        ),
        (
            {
                "DestinationCidrBlock": "0.0.0.0/0",
                "NatGatewayId": "nat-0123456789abcdef0",
                "State": "active",
            },
            None,
            False,
        ),
        # Inspected ingress: a firewall endpoint, with the VPC's internet gateway behind it.
        (
            {
                "DestinationCidrBlock": "0.0.0.0/0",
                "GatewayId": "vpce-0123456789abcdef0",
                "State": "active",
            },
            ["igw-0123456789abcdef0"],
            True,
        ),
        (
            {
                "DestinationCidrBlock": "0.0.0.0/0",
                "GatewayId": "vpce-0123456789abcdef0",
                "State": "active",
            },
            [],
            False,
        ),
    ],
)
def test_what_counts_as_a_route_to_the_internet(route, gateways, public):
    ec2 = boto3.client("ec2", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y")
    vpc = "vpc-0123456789abcdef0"
    with Stubber(ec2) as stub:
        stub.add_response(
            "describe_route_tables",
            _routes(route),
            {"Filters": [{"Name": "vpc-id", "Values": [vpc]}]},
        )
        if gateways is not None:
            stub.add_response(
                "describe_internet_gateways",
                {
                    "InternetGateways": [
                        {
                            "InternetGatewayId": g,
                            "Attachments": [{"VpcId": vpc, "State": "available"}],
                        }
                        for g in gateways
                    ]
                },
                {"Filters": [{"Name": "attachment.vpc-id", "Values": [vpc]}]},
            )
        if public:
            lookups.check_internet_routes(ec2, ["subnet-0ccccccccccccccc3"], vpc)
        else:
            with pytest.raises(
                LookupFailed,
                match=re.escape(
                    "subnet-0ccccccccccccccc3 (rtb-0123456789abcdef0) route 0.0.0.0/0 to no internet gateway"
                ),
            ):
                lookups.check_internet_routes(ec2, ["subnet-0ccccccccccccccc3"], vpc)
        stub.assert_no_pending_responses()


def test_route_tables_are_read_across_pages():
    ec2 = boto3.client("ec2", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y")
    vpc = "vpc-0123456789abcdef0"
    igw = {
        "DestinationCidrBlock": "0.0.0.0/0",
        "GatewayId": "igw-0123456789abcdef0",
        "State": "active",
    }
    with Stubber(ec2) as stub:
        stub.add_response(
            "describe_route_tables",
            {**_routes(igw), "RouteTables": [], "NextToken": "t"},
            {"Filters": [{"Name": "vpc-id", "Values": [vpc]}]},
        )
        stub.add_response(
            "describe_route_tables",
            _routes(igw),
            {"Filters": [{"Name": "vpc-id", "Values": [vpc]}], "NextToken": "t"},
        )
        lookups.check_internet_routes(ec2, ["subnet-0ccccccccccccccc3"], vpc)


def test_lookups_fill_what_the_stage_file_leaves_out(harness):
    values = {
        k: v
        for k, v in STAGE_VALUES.items()
        if k not in ("vpc_cidr", "hosted_zone_id", "database_availability_zones")
    }
    h = harness("prod", values)
    h.no_stack()
    ec2, route53 = h.aws.stub("ec2"), h.aws.stub("route53")
    ec2.add_response(
        "describe_vpcs",
        {"Vpcs": [{"VpcId": STAGE_VALUES["vpc_id"], "CidrBlock": "10.8.0.0/16"}]},
        {"VpcIds": [STAGE_VALUES["vpc_id"]]},
    )
    route53.add_response(
        "list_hosted_zones_by_name",
        {
            "HostedZones": [
                {"Id": "/hostedzone/Z111", "Name": "example.com.", "CallerReference": "r"}
            ],
            "IsTruncated": False,
            "MaxItems": "100",
        },
        {"DNSName": "example.com", "MaxItems": "100"},
    )
    vpc = STAGE_VALUES["vpc_id"]
    ec2.add_response(
        "describe_subnets",
        {
            "Subnets": [
                {
                    "SubnetId": "subnet-0aaaaaaaaaaaaaaa1",
                    "AvailabilityZone": "us-east-1c",
                    "VpcId": vpc,
                },
                {
                    "SubnetId": "subnet-0bbbbbbbbbbbbbbb2",
                    "AvailabilityZone": "us-east-1a",
                    "VpcId": vpc,
                },
            ]
        },
        {"SubnetIds": STAGE_VALUES["subnets"]},
    )
    h.checked_network = True
    found = {
        "vpc_cidr": "10.8.0.0/16",
        "hosted_zone_id": "Z111",
        "database_availability_zones": ["us-east-1c", "us-east-1a"],
    }
    h.created(
        **create_request(
            h,
            StackName="planar-prod-acme",
            ChangeSetName="planar-prod-20261127-100000",
            Description="build.py --stage prod (planar-cfn 0.1.0)",
            Parameters=expected_parameters({**values, **found}, h.stage),
            Tags=[
                t if t["Key"] != "stage" else {"Key": "stage", "Value": "prod"}
                for t in create_request(h)["Tags"]
            ],
        )
    )
    h.change_set(status="FAILED", execution="UNAVAILABLE", reason="stop here")
    h.deleted_change_set()
    h.deleted_stack()

    assert h.run("--yes") == ExitCode.FAILED


def test_an_update_keeps_the_database_zones_instead_of_looking_them_up(harness):
    # GIVEN a prod stack, and a stage file that leaves the database zones to look up
    values = {k: v for k, v in STAGE_VALUES.items() if k != "database_availability_zones"}
    h = harness("prod", values)
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    # THEN no ec2:DescribeSubnets (the subnets' order could move an instance): the stack's zones
    params = expected_parameters(
        values, h.stage, database_availability_zones={"UsePreviousValue": True}
    )
    h.created(**prod_update_request(h, Parameters=params))
    h.change_set(status="FAILED", execution="UNAVAILABLE", reason="No updates are to be performed.")
    h.deleted_change_set()
    h.protected()

    assert h.run("--yes") == ExitCode.OK, h.err.getvalue()


def _versions(version, smallest=None):
    """DescribeDBEngineVersions' answer for one Aurora PostgreSQL version; `smallest` is
    the minimum capacity it takes (0 where it can auto-pause)."""
    found = {"Engine": "aurora-postgresql", "EngineVersion": version}
    if smallest is not None:
        found["ServerlessV2FeaturesSupport"] = {"MinCapacity": smallest, "MaxCapacity": 256.0}
    return {"DBEngineVersions": [found]}


@contextmanager
def rds_answering(*answers):
    """RDS answering DescribeDBEngineVersions in turn: an answer, or an error code."""
    rds = boto3.client("rds", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(rds) as stub:
        for version, answer in answers:
            asked = {"Engine": "aurora-postgresql", "EngineVersion": version}
            if isinstance(answer, str):
                stub.add_client_error("describe_db_engine_versions", answer, "denied", 403, asked)
            else:
                stub.add_response("describe_db_engine_versions", answer, asked)
        yield rds
        stub.assert_no_pending_responses()


def test_the_engine_version_must_be_offered_in_the_region():
    with rds_answering(
        ("16.11", _versions("16.11", 0.0)), ("16.9", {"DBEngineVersions": []})
    ) as rds:
        lookups.check_engine_version({"rds": rds}.get, "16.11", "0")
        with pytest.raises(LookupFailed) as error:
            lookups.check_engine_version({"rds": rds}.get, "16.9", "0.5")
    assert str(error.value).startswith(
        "aurora_engine_version = '16.9': us-east-1 offers no Aurora PostgreSQL 16.9; choose one"
    )


def test_auto_pause_needs_a_version_the_region_says_can_pause():
    with rds_answering(("16.4", _versions("16.4", 0.5)), ("16.4", _versions("16.4", 0.5))) as rds:
        lookups.check_engine_version({"rds": rds}.get, "16.4", "0.5")  # no auto-pause asked for
        with pytest.raises(LookupFailed) as error:
            lookups.check_engine_version({"rds": rds}.get, "16.4", "0")
    assert str(error.value) == (
        "aurora_min_capacity = 0 (auto-pause): Aurora PostgreSQL 16.4 in us-east-1 cannot pause "
        "(its smallest minimum capacity is 0.5 ACU); set aurora_engine_version to a later "
        "version, or aurora_min_capacity to 0.5 or more"
    )


def test_an_engine_version_that_cannot_be_read_names_the_permission():
    with rds_answering(("16.11", "AccessDenied")) as rds, pytest.raises(LookupFailed) as error:
        lookups.check_engine_version({"rds": rds}.get, "16.11", "0")
    assert "allow rds:DescribeDBEngineVersions" in str(error.value)
    assert str(error.value).startswith("aurora_engine_version = '16.11' cannot be checked")


@pytest.mark.parametrize(
    ("values", "asks_rds"),
    [
        ({}, False),  # the default version, without auto-pause
        ({"aurora_min_capacity": 0}, True),
        ({"aurora_engine_version": "16.11"}, True),
    ],
)
def test_resolve_checks_a_named_version_or_auto_pause(aws, network, tmp_path, values, asks_rds):
    vpc, subnets, _ = network
    stage_values = {**STAGE_VALUES, **values, "vpc_id": vpc}
    stage_values["subnets"] = [subnets["us-east-1a"], subnets["us-east-1b"]]
    path = tmp_path / "s.json"
    path.write_text(json.dumps(stage_values))
    answers = [("16.11", _versions("16.11", 0.0))] if asks_rds else []
    with given_zone() as route53, rds_answering(*answers) as rds:
        lookups.resolve(load(path, "dev", {}), {**aws, "route53": route53, "rds": rds}.get)


def test_prod_never_puts_its_reader_in_the_writers_zone():
    lookups.check_reader_zones(["us-east-1a", "us-east-1b"], 1)
    lookups.check_reader_zones(["us-east-1a", "us-east-1a"], 0)  # no reader: RDS's choice
    with pytest.raises(LookupFailed) as error:
        lookups.check_reader_zones(["us-east-1a", "us-east-1a"], 1)
    assert str(error.value) == (
        "database_availability_zones = ['us-east-1a', 'us-east-1a']: names us-east-1a twice; "
        "the writer and 1 reader(s) each need their own zone: list 2 different zones of the "
        "subnets, writer first, or leave the key out to look them up"
    )
    with pytest.raises(LookupFailed, match="names 1; the writer and 1 reader"):
        lookups.check_reader_zones(["us-east-1a"], 1)


def test_resolve_refuses_prods_given_zones_when_one_is_the_writers(aws, network, tmp_path):
    # A stage file read without the template's pattern (as a library caller may build it).
    vpc, subnets, _ = network
    values = {**STAGE_VALUES, "vpc_id": vpc}
    values["subnets"] = [subnets["us-east-1a"], subnets["us-east-1b"]]
    path = tmp_path / "s.json"
    path.write_text(json.dumps(values))
    twice = load(path, "prod", {}).with_values(
        {"database_availability_zones": "us-east-1a,us-east-1a"}
    )
    with given_zone() as route53, pytest.raises(LookupFailed, match="names us-east-1a twice"):
        lookups.resolve(twice, {**aws, "route53": route53}.get)
