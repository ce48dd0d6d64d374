"""What the publish tests share: the prod template as committed and the names made
from it, the Service Catalog answers a publish expects (each added to the Stubber with
the exact arguments of its request), and build.py's publish step run for given flags."""

import hashlib
import io
import json
from pathlib import Path

import pytest

from planar_cfn import __version__
from planar_cfn.catalog import publish
from planar_cfn.cli import arguments
from planar_cfn.cli import commands as cli
from planar_cfn.deploy.engine import Runtime
from planar_cfn.inputs.options import PublishOptions
from tests.publish_stubs import BUCKET, REGION

ACCOUNT = "123456789012"  # moto's account
OTHER_ACCOUNT = "210987654321"
PRODUCT_ID = "prod-abcdefghijklm"
PORTFOLIO_ID = "port-abcdefghijklm"
TOKEN = "token-1"
# The prod template as committed: what is published, byte for byte, and what the
# expected requests are made from (not from the code's own Artifact).
PROD_BYTES = (Path(__file__).resolve().parents[2] / "templates" / "planar-prod.json").read_bytes()
SHA256 = hashlib.sha256(PROD_BYTES).hexdigest()
KEY = f"planar-cfn/prod/{SHA256}.json"
VERSION_NAME = f"{__version__}-{SHA256[:8]}"
DESCRIPTION = json.loads(PROD_BYTES)["Description"]


@pytest.fixture
def aws_env(monkeypatch, tmp_path):
    """Fake credentials only; nothing from the machine's AWS config can leak in."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


def url():
    return f"https://{BUCKET}.s3.{REGION}.amazonaws.com/{KEY}"


def product_view(name="planar-prod", product_id=PRODUCT_ID, account=ACCOUNT):
    return {
        "ProductViewSummary": {
            "Id": "prodview-" + product_id[5:],
            "ProductId": product_id,
            "Name": name,
            "Owner": "planar-cfn",
            "Type": "CLOUD_FORMATION_TEMPLATE",
        },
        "ProductARN": f"arn:aws:catalog:{REGION}:{account}:product/{product_id}",
        "Status": "AVAILABLE",
    }


def version(version_id, name, active=True):
    return {"Id": version_id, "Name": name, "Type": "CLOUD_FORMATION_TEMPLATE", "Active": active}


def version_parameters():
    return {
        "Name": VERSION_NAME,
        "Description": f"{DESCRIPTION}; template sha256 {SHA256}",
        "Info": {"LoadTemplateFromURL": url()},
        "Type": "CLOUD_FORMATION_TEMPLATE",
        "DisableTemplateValidation": False,
    }


def expect_search(stub, *products):
    stub.add_response(
        "search_products_as_admin", {"ProductViewDetails": list(products)}, {"PageSize": 100}
    )


def expect_versions(stub, *versions):
    stub.add_response(
        "list_provisioning_artifacts",
        {"ProvisioningArtifactDetails": list(versions)},
        {"ProductId": PRODUCT_ID},
    )


def expect_new_version(stub, version_id="pa-new0000000001", token=TOKEN):
    stub.add_response(
        "create_provisioning_artifact",
        {"ProvisioningArtifactDetail": version(version_id, VERSION_NAME), "Status": "AVAILABLE"},
        {"ProductId": PRODUCT_ID, "Parameters": version_parameters(), "IdempotencyToken": token},
    )


def expect_new_product(stub, token=TOKEN, name="planar-prod"):
    stub.add_response(
        "create_product",
        {
            "ProductViewDetail": product_view(name=name),
            "ProvisioningArtifactDetail": version("pa-first00000001", VERSION_NAME),
        },
        {
            "Name": name,
            "Owner": "planar-cfn",
            "Description": "Planar application stack, stage prod",
            "ProductType": "CLOUD_FORMATION_TEMPLATE",
            "ProvisioningArtifactParameters": version_parameters(),
            "IdempotencyToken": token,
        },
    )


# The tag options a prod portfolio carries: the stack's tags a deploy sets, less
# app.name (a launch parameter).
PROD_TAG_OPTIONS = {
    "framework": "planar",
    "framework.version": "0.17",
    "stage": "prod",
    "vendor_contact": "support@coplane.com",
    "vendor_name": "CoPlane",
}


def tag_option(key, value, option_id=None, active=True):
    return {"Key": key, "Value": value, "Active": active, "Id": option_id or f"tag-{key}"}


def expect_portfolio_exists(stub, portfolio_id=PORTFOLIO_ID, tag_options=()):
    """The portfolio, with these tag options (default: none; a publish puts the
    stage's on the product)."""
    stub.add_response(
        "describe_portfolio",
        {
            "PortfolioDetail": {
                "Id": portfolio_id,
                "DisplayName": "Platform",
                "ProviderName": "platform",
            },
            "TagOptions": list(tag_options),
        },
        {"Id": portfolio_id},
    )


def expect_product_tag_options(stub, tag_options=None):
    """The existing product's tag options (default: every one a publish adds)."""
    if tag_options is None:
        tag_options = [tag_option(k, v) for k, v in PROD_TAG_OPTIONS.items()]
    stub.add_response(
        "describe_product_as_admin",
        {"ProductViewDetail": product_view(), "TagOptions": list(tag_options)},
        {"Id": PRODUCT_ID},
    )


def expect_tag_options_associated(stub, keys=None):
    """Each of the stage's tag options (or those of `keys`) found and associated with
    the product, as for a new product."""
    for key in keys or PROD_TAG_OPTIONS:
        value = PROD_TAG_OPTIONS[key]
        stub.add_response(
            "list_tag_options",
            {"TagOptionDetails": [tag_option(key, value)]},
            {"Filters": {"Key": key, "Value": value}},
        )
        stub.add_response(
            "associate_tag_option_with_resource",
            {},
            {"ResourceId": PRODUCT_ID, "TagOptionId": f"tag-{key}"},
        )


def expect_association(stub, portfolio_id=PORTFOLIO_ID):
    stub.add_response(
        "associate_product_with_portfolio",
        {},
        {"ProductId": PRODUCT_ID, "PortfolioId": portfolio_id},
    )


def expect_deactivate(stub, version_id, active=False):
    stub.add_response(
        "update_provisioning_artifact",
        {},
        {"ProductId": PRODUCT_ID, "ProvisioningArtifactId": version_id, "Active": active},
    )


def do_publish(aws, prod, **options):
    out = io.StringIO()
    result = publish.publish(
        prod, PublishOptions(BUCKET, **options), out=out, connect=aws.connect, token=TOKEN
    )
    return result, out.getvalue()


def uploaded(aws):
    return [o["Key"] for o in aws.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def publish_args(*argv, stage="prod"):
    return arguments.parser().parse_args(["--stage", stage, "--publish", *argv])


def run_publish(args, rendered, runtime):
    """build.py's publish step for these flags, the stage's template already linted."""
    out, err = io.StringIO(), io.StringIO()
    code = cli._publish(args, rendered[args.stage], out, err, runtime, prog="build.py")
    return code, out.getvalue(), err.getvalue()


def no_aws(*_args):
    raise AssertionError("no AWS call may be made")


NO_AWS = Runtime(connect=no_aws)
