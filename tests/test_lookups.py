"""Look-ups like Terraform's data sources, against moto's EC2 and Route 53."""

import json

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from planar_cfn import lookups
from planar_cfn.lookups import LookupFailed
from planar_cfn.stage_file import load
from tests.deploy_stubs import REGION, STAGE_VALUES


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
        zone: ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for zone, cidr in (("us-east-1b", "10.20.1.0/24"), ("us-east-1a", "10.20.2.0/24"))
    }
    same_zone = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.3.0/24", AvailabilityZone="us-east-1b")
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


def test_vpc_cidr_from_the_vpc_id(aws, network):
    vpc, _, _ = network
    assert lookups.vpc_cidr(aws["ec2"], vpc) == "10.20.0.0/16"


def test_an_unknown_vpc_names_the_key_and_region(aws):
    with pytest.raises(LookupFailed, match=r"vpc_id = 'vpc-0123456789abcdef0': no such VPC in us-east-1"):
        lookups.vpc_cidr(aws["ec2"], "vpc-0123456789abcdef0")


def test_hosted_zone_by_exact_name(aws, zone):
    zone("sub.example.com")
    wanted = zone("example.com")
    zone("example.com.au")
    assert lookups.hosted_zone_id(aws["route53"], "example.com") == wanted


def test_no_hosted_zone_says_to_set_it(aws, zone):
    zone("other.com")
    with pytest.raises(LookupFailed, match="no Route 53 hosted zone of that name in this account; create it, or set hosted_zone_id"):
        lookups.hosted_zone_id(aws["route53"], "example.com")


def test_public_and_private_zones_of_one_name_are_refused(aws, network, zone):
    vpc, _, _ = network
    public = zone("example.com")
    private = zone("example.com", private_vpc=vpc)
    with pytest.raises(LookupFailed) as error:
        lookups.hosted_zone_id(aws["route53"], "example.com")
    message = str(error.value)
    assert f"{public} (public)" in message and f"{private} (private)" in message
    assert "set hosted_zone_id" in message


def test_database_zones_writer_in_the_first_subnets_zone_reader_in_another(aws, network):
    _, subnets, same_zone = network
    ordered = [subnets["us-east-1b"], same_zone, subnets["us-east-1a"]]
    assert lookups.database_availability_zones(aws["ec2"], ordered, 2) == ["us-east-1b", "us-east-1a"]


def test_subnets_in_one_zone_cannot_hold_writer_and_reader(aws, network):
    _, subnets, same_zone = network
    with pytest.raises(LookupFailed, match=r"span 1 Availability Zone\(s\) \(us-east-1b\); the database needs 2"):
        lookups.database_availability_zones(aws["ec2"], [subnets["us-east-1b"], same_zone], 2)


def test_refused_lookups_say_which_key_to_set():
    ec2 = boto3.client("ec2", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(ec2) as stub:
        stub.add_client_error("describe_vpcs", "UnauthorizedOperation", "You are not authorized")
        with pytest.raises(LookupFailed, match=r"\(ec2:DescribeVpcs: UnauthorizedOperation: .*set vpc_cidr in the stage file, or allow ec2:DescribeVpcs"):
            lookups.vpc_cidr(ec2, "vpc-0123456789abcdef0")


def test_resolve_looks_up_only_what_is_missing(aws, network, zone, tmp_path):
    vpc, subnets, _ = network
    hosted = zone("example.com")
    values = {k: v for k, v in STAGE_VALUES.items() if k not in ("vpc_cidr", "hosted_zone_id", "database_availability_zones")}
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
    assert asked == ["ec2", "route53"]

    path.write_text(json.dumps(STAGE_VALUES))
    asked.clear()
    lookups.resolve(load(path, "prod", {}), client)
    assert asked == []


def test_resolve_leaves_the_kept_keys_to_the_stack(aws, network, tmp_path):
    # An update keeps the stack's database zones: the subnets are not even read.
    vpc, subnets, _ = network
    values = {k: v for k, v in STAGE_VALUES.items() if k != "database_availability_zones"}
    values.update(vpc_id=vpc, subnets=[subnets["us-east-1a"], subnets["us-east-1b"]])
    path = tmp_path / "s.json"
    path.write_text(json.dumps(values))
    asked = []

    prod = lookups.resolve(load(path, "prod", {}), lambda s: asked.append(s) or aws[s],
                           keep=["database_availability_zones"])  # fmt: skip

    assert "DatabaseAvailabilityZones" not in prod.parameters
    assert asked == []
