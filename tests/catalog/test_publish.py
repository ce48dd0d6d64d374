"""Publishing to Service Catalog: S3 against moto, Service Catalog through botocore's
Stubber (moto has no provisioning artifacts), which checks every request against the
real service model; each test asserts the exact arguments of every call it expects."""

import base64
import hashlib
import io
import json
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError
from botocore.stub import ANY, Stubber

from planar_cfn import __version__
from planar_cfn.aws.gateway import s3_object_url
from planar_cfn.catalog import portfolio, product, publish, upload
from planar_cfn.catalog.upload import Artifact
from planar_cfn.cli import arguments
from planar_cfn.cli import commands as cli
from planar_cfn.deploy.engine import Runtime
from planar_cfn.errors import (
    AccessDenied,
    AwsRefused,
    CredentialsError,
    ExitCode,
    InputError,
    Interrupted,
)
from planar_cfn.inputs.options import PublishOptions
from planar_cfn.template.render import Rendered
from tests.publish_stubs import BUCKET, REGION, Clients

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


@pytest.fixture
def artifact(rendered):
    return Artifact.from_rendered(rendered["prod"])


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


# --- what gets published ------------------------------------------------------------


def test_key_and_version_name_come_from_the_committed_bytes(artifact):
    assert artifact.body == PROD_BYTES
    assert artifact.key == f"planar-cfn/prod/{SHA256}.json"
    assert artifact.version_name == f"{__version__}-{SHA256[:8]}"
    assert artifact.product_description == "Planar application stack, stage prod"


def test_template_urls():
    assert (
        s3_object_url("b-1", "k.json", "eu-west-1")
        == "https://b-1.s3.eu-west-1.amazonaws.com/k.json"
    )
    # A dotted bucket breaks the virtual host's TLS certificate: path style.
    assert (
        s3_object_url("a.b", "k.json", "us-east-1")
        == "https://s3.us-east-1.amazonaws.com/a.b/k.json"
    )
    assert (
        s3_object_url("b-1", "k.json", "cn-north-1")
        == "https://b-1.s3.cn-north-1.amazonaws.com.cn/k.json"
    )


# --- the paths through a publish ----------------------------------------------------


def test_first_publish_uploads_and_creates_the_product(aws, prod):
    # GIVEN no product of exactly that name
    expect_search(
        aws.catalog, product_view(name="planar-prod-legacy", product_id="prod-zzzzzzzzzzzzz")
    )
    expect_new_product(aws.catalog)
    # WHEN
    result, out = do_publish(aws, prod)
    # THEN the template is in S3 byte for byte, and the product holds it as its version
    stored = aws.s3.get_object(Bucket=BUCKET, Key=KEY)
    assert stored["Body"].read() == PROD_BYTES
    assert stored["ContentType"] == "application/json"
    assert (result.product_id, result.version_id) == (PRODUCT_ID, "pa-first00000001")
    assert result.template_url == url()
    assert result.done == (
        f"uploaded s3://{BUCKET}/{KEY}",
        f"created product {PRODUCT_ID}",
        "created version pa-first00000001",
    )
    assert f"created product planar-prod ({PRODUCT_ID})" in out


def test_every_page_of_products_is_searched(aws, prod):
    aws.catalog.add_response(
        "search_products_as_admin",
        {
            "ProductViewDetails": [product_view(name="other", product_id="prod-otherotherothe")],
            "NextPageToken": "page-2",
        },
        {"PageSize": 100},
    )
    aws.catalog.add_response(
        "search_products_as_admin",
        {"ProductViewDetails": [product_view()]},
        {"PageSize": 100, "PageToken": "page-2"},
    )
    expect_versions(aws.catalog, version("pa-same000000001", VERSION_NAME))
    result, _ = do_publish(aws, prod)
    assert result.product_id == PRODUCT_ID
    assert result.done == ()


def test_changed_template_becomes_a_new_version(aws, prod):
    expect_search(aws.catalog, product_view())
    expect_versions(aws.catalog, version("pa-old0000000001", "0.0.9-aaaaaaaa"))
    expect_new_version(aws.catalog)
    result, out = do_publish(aws, prod)
    assert result.version_id == "pa-new0000000001"
    assert uploaded(aws) == [KEY]
    assert f"created version {VERSION_NAME} (pa-new0000000001)" in out


def test_unchanged_template_creates_nothing_and_says_so(aws, prod):
    expect_search(aws.catalog, product_view())
    expect_versions(aws.catalog, version("pa-same000000001", VERSION_NAME))
    result, out = do_publish(aws, prod)
    assert result.done == ()
    assert result.version_id == "pa-same000000001"
    assert uploaded(aws) == []
    assert "unchanged:" in out
    assert "nothing created" in out


def test_template_already_in_s3_is_not_uploaded_again(aws, prod):
    aws.s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"uploaded earlier")
    expect_search(aws.catalog, product_view())
    expect_versions(aws.catalog)
    expect_new_version(aws.catalog)
    result, out = do_publish(aws, prod)
    assert aws.s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read() == b"uploaded earlier"
    assert f"already in S3: s3://{BUCKET}/{KEY}" in out
    assert not any(change.startswith("uploaded") for change in result.done)


def test_new_product_is_associated_with_the_portfolio(aws, prod):
    expect_search(aws.catalog)
    expect_portfolio_exists(aws.catalog)
    expect_new_product(aws.catalog)
    aws.catalog.add_response(
        "associate_product_with_portfolio",
        {},
        {"ProductId": PRODUCT_ID, "PortfolioId": PORTFOLIO_ID},
    )
    expect_tag_options_associated(aws.catalog)
    _, out = do_publish(aws, prod, portfolio_id=PORTFOLIO_ID)
    assert f"associated with portfolio {PORTFOLIO_ID}" in out


def test_existing_product_is_associated_when_it_is_not_yet(aws, prod):
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_versions(aws.catalog, version("pa-same000000001", VERSION_NAME))
    aws.catalog.add_response(
        "list_portfolios_for_product",
        {"PortfolioDetails": [{"Id": "port-otherportfol", "DisplayName": "Other"}]},
        {"ProductId": PRODUCT_ID},
    )
    aws.catalog.add_response(
        "associate_product_with_portfolio",
        {},
        {"ProductId": PRODUCT_ID, "PortfolioId": PORTFOLIO_ID},
    )
    expect_product_tag_options(aws.catalog)
    result, _ = do_publish(aws, prod, portfolio_id=PORTFOLIO_ID)
    assert result.done == (f"associated {PRODUCT_ID} with {PORTFOLIO_ID}",)


def test_already_associated_is_fine(aws, prod):
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_versions(aws.catalog, version("pa-same000000001", VERSION_NAME))
    aws.catalog.add_response(
        "list_portfolios_for_product",
        {
            "PortfolioDetails": [{"Id": PORTFOLIO_ID, "DisplayName": "Platform"}],
            "NextPageToken": "p2",
        },
        {"ProductId": PRODUCT_ID},
    )
    aws.catalog.add_response(
        "list_portfolios_for_product",
        {"PortfolioDetails": []},
        {"ProductId": PRODUCT_ID, "PageToken": "p2"},
    )
    expect_product_tag_options(aws.catalog)
    result, out = do_publish(aws, prod, portfolio_id=PORTFOLIO_ID)
    assert result.done == ()
    assert f"already in portfolio {PORTFOLIO_ID}" in out


def test_deactivate_old_turns_off_every_other_active_version(aws, prod):
    expect_search(aws.catalog, product_view())
    expect_versions(
        aws.catalog,
        version("pa-old0000000001", "0.0.8-11111111"),
        version("pa-old0000000002", "0.0.9-22222222", active=False),
        version("pa-old0000000003", "0.0.9-33333333"),
    )
    expect_new_version(aws.catalog)
    expect_deactivate(aws.catalog, "pa-old0000000001")
    expect_deactivate(aws.catalog, "pa-old0000000003")
    result, out = do_publish(aws, prod, deactivate_old=True)
    assert result.done[-2:] == (
        "deactivated version pa-old0000000001",
        "deactivated version pa-old0000000003",
    )
    assert "deactivated version 0.0.8-11111111 (pa-old0000000001)" in out


def test_republishing_a_deactivated_version_makes_it_launchable_again(aws, prod):
    """A rollback: the older template is published again after a newer one took over."""
    expect_search(aws.catalog, product_view())
    expect_versions(
        aws.catalog,
        version("pa-back000000001", VERSION_NAME, active=False),
        version("pa-newer00000001", "0.2.0-44444444"),
    )
    expect_deactivate(aws.catalog, "pa-back000000001", active=True)
    expect_deactivate(aws.catalog, "pa-newer00000001")
    result, _ = do_publish(aws, prod, deactivate_old=True)
    assert result.done == (
        "reactivated version pa-back000000001",
        "deactivated version pa-newer00000001",
    )
    assert uploaded(aws) == []


# --- errors: each names the problem and what to do, and stops before any write ------


def test_missing_bucket(aws, prod):
    aws.s3.delete_bucket(Bucket=BUCKET)
    with pytest.raises(
        upload.BucketNotFoundError, match=f"artifact bucket '{BUCKET}' does not exist"
    ):
        do_publish(aws, prod)


def test_bucket_in_another_region(aws, prod):
    aws.s3.create_bucket(
        Bucket="eu-artifacts", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    with pytest.raises(upload.BucketRegionError) as raised:
        publish.publish(
            prod, PublishOptions("eu-artifacts"), out=io.StringIO(), connect=aws.connect
        )
    assert str(raised.value) == (
        "artifact bucket 'eu-artifacts' is in eu-west-1, but the product is published in "
        "us-east-1: publish in eu-west-1 (--region eu-west-1 or AWS_REGION), or use a "
        "bucket in us-east-1"
    )


def test_product_shared_from_another_account(aws, prod):
    expect_search(aws.catalog, product_view(account=OTHER_ACCOUNT))
    with pytest.raises(product.SharedProductError) as raised:
        do_publish(aws, prod)
    message = str(raised.value)
    assert f"shared from account {OTHER_ACCOUNT}" in message
    assert "publish with that account's credentials" in message
    assert "--product-name" in message
    assert uploaded(aws) == []


def test_own_product_wins_over_a_shared_one_of_the_same_name(aws, prod):
    shared = product_view(product_id="prod-sharedsharedx", account=OTHER_ACCOUNT)
    expect_search(aws.catalog, shared, product_view())
    expect_versions(aws.catalog, version("pa-same000000001", VERSION_NAME))
    result, _ = do_publish(aws, prod)
    assert result.product_id == PRODUCT_ID


def test_two_products_of_the_same_name(aws, prod):
    expect_search(aws.catalog, product_view(), product_view(product_id="prod-twotwotwotwot"))
    names_both = f"2 products are named 'planar-prod'.*{PRODUCT_ID}, prod-twotwotwotwot"
    with pytest.raises(product.AmbiguousProductError, match=names_both):
        do_publish(aws, prod)


def test_unknown_portfolio_stops_before_anything_is_created(aws, prod):
    expect_search(aws.catalog)
    aws.catalog.add_client_error(
        "describe_portfolio",
        "ResourceNotFoundException",
        "Portfolio not found",
        expected_params={"Id": PORTFOLIO_ID},
    )
    missing = f"portfolio {PORTFOLIO_ID} does not exist in account {ACCOUNT}"
    with pytest.raises(portfolio.PortfolioNotFoundError, match=missing):
        do_publish(aws, prod, portfolio_id=PORTFOLIO_ID)
    assert uploaded(aws) == []


def test_access_denied_names_the_call_and_the_permission(aws, prod):
    expect_search(aws.catalog)
    aws.catalog.add_client_error(
        "create_product",
        "AccessDeniedException",
        f"User: arn:aws:iam::{ACCOUNT}:user/ci is not authorized to perform: servicecatalog:CreateProduct",
        expected_params={
            "Name": "planar-prod",
            "Owner": "planar-cfn",
            "Description": "Planar application stack, stage prod",
            "ProductType": "CLOUD_FORMATION_TEMPLATE",
            "ProvisioningArtifactParameters": version_parameters(),
            "IdempotencyToken": TOKEN,
        },
    )
    with pytest.raises(AccessDenied) as raised:
        do_publish(aws, prod)
    assert str(raised.value).startswith(
        "AWS denied CreateProduct: the publishing identity needs servicecatalog:CreateProduct"
    )
    # The upload had happened: the error says so, so a rerun surprises nobody.
    assert raised.value.done == (f"uploaded s3://{BUCKET}/{KEY}",)


@pytest.mark.parametrize(
    ("denied", "operation", "action", "resource"),
    [
        ("head_bucket", "HeadBucket", "s3:ListBucket", f"arn:aws:s3:::{BUCKET}"),
        (
            "get_bucket_location",
            "GetBucketLocation",
            "s3:GetBucketLocation",
            f"arn:aws:s3:::{BUCKET}",
        ),
        ("head_object", "HeadObject", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/planar-cfn/prod/"),
        ("put_object", "PutObject", "s3:PutObject", f"arn:aws:s3:::{BUCKET}/planar-cfn/prod/"),
    ],
)
def test_s3_access_denied(aws, prod, denied, operation, action, resource):
    # S3 calls in the order a publish makes them; the denied one ends the publish.
    calls = [
        ("head_bucket", {}, {"Bucket": BUCKET}),
        ("get_bucket_location", {}, {"Bucket": BUCKET}),  # us-east-1: no constraint
        ("head_object", None, {"Bucket": BUCKET, "Key": KEY}),
        (
            "put_object",
            {},
            {
                "Bucket": BUCKET,
                "Key": KEY,
                "Body": PROD_BYTES,
                "ContentType": "application/json",
                "ChecksumSHA256": base64.b64encode(bytes.fromhex(SHA256)).decode(),
            },
        ),
    ]
    if denied in ("head_object", "put_object"):  # the bucket checks passed: the search ran
        expect_search(aws.catalog, product_view())
        expect_versions(aws.catalog)
    s3 = boto3.Session(region_name=REGION).client("s3")
    with Stubber(s3) as s3_stub:
        for method, response, params in calls:
            if method == denied:
                code = "403" if method.startswith("head") else "AccessDenied"  # HEAD has no body
                s3_stub.add_client_error(method, code, "Forbidden", 403, expected_params=params)
                break
            if response is None:
                s3_stub.add_client_error(method, "404", "Not Found", 404, expected_params=params)
            else:
                s3_stub.add_response(method, response, params)
        clients = Clients(REGION, {**aws.clients.made, "s3": s3})
        with pytest.raises(AccessDenied) as raised:
            publish.publish(
                prod,
                PublishOptions(BUCKET),
                out=io.StringIO(),
                connect=lambda *_: clients,
                token=TOKEN,
            )
        s3_stub.assert_no_pending_responses()
    message = str(raised.value)
    assert message.startswith(f"AWS denied {operation} on {resource}")
    assert f"needs {action} on {resource}" in message
    assert raised.value.exit_code == 1
    assert raised.value.done == ()


def test_service_catalog_refusal_keeps_its_message_and_says_how_the_template_is_read(aws, prod):
    expect_search(aws.catalog, product_view())
    expect_versions(aws.catalog)
    aws.catalog.add_client_error(
        "create_provisioning_artifact",
        "InvalidParametersException",
        "Template could not be read",
        expected_params={
            "ProductId": PRODUCT_ID,
            "Parameters": version_parameters(),
            "IdempotencyToken": TOKEN,
        },
    )
    with pytest.raises(AwsRefused) as raised:
        do_publish(aws, prod)
    assert raised.value.exit_code == 1
    message = str(raised.value)
    assert message.startswith(
        f"AWS refused CreateProvisioningArtifact on product {PRODUCT_ID} "
        "(InvalidParametersException): Template could not be read."
    )
    assert f"reads {url()} with the publishing identity's credentials" in message


def test_expired_credentials_are_a_setup_error(aws, prod):
    sts = boto3.Session(region_name=REGION).client("sts")
    with Stubber(sts) as sts_stub:
        sts_stub.add_client_error(
            "get_caller_identity",
            "ExpiredToken",
            "The security token included in the request is expired",
        )
        clients = Clients(REGION, {**aws.clients.made, "sts": sts})
        with pytest.raises(CredentialsError) as raised:
            publish.publish(
                prod, PublishOptions(BUCKET), out=io.StringIO(), connect=lambda *_: clients
            )
    assert raised.value.exit_code == 2
    assert "refresh them" in str(raised.value)


# --- build.py --publish: flags, exit codes, messages ---------------------------------


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


def test_publish_through_build_py(aws, monkeypatch, tmp_path, stage_lint):
    expect_search(aws.catalog)
    expect_new_product(aws.catalog, token=ANY)
    out = io.StringIO()
    code = cli.main(
        [
            "--stage",
            "prod",
            "--publish",
            "--artifact-bucket",
            BUCKET,
            "--templates-dir",
            str(tmp_path),
        ],
        out=out,
        err=io.StringIO(),
        runtime=aws.runtime(),
    )
    assert code == 0
    # What was uploaded is the committed template, byte for byte.
    assert aws.s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read() == PROD_BYTES
    assert not any(tmp_path.iterdir())  # publishing writes no template file
    assert out.getvalue().endswith(
        f"product id:   {PRODUCT_ID}\n"
        "version id:   pa-first00000001\n"
        f"version name: {VERSION_NAME}\n"
        f"template URL: {url()}\n"
    )


def test_missing_artifact_bucket_is_a_usage_error_before_any_aws_call(
    monkeypatch, tmp_path, capsys
):
    with pytest.raises(SystemExit) as exit_:
        cli.main(
            ["--stage", "dev", "--publish", "--templates-dir", str(tmp_path)], out=io.StringIO()
        )
    assert exit_.value.code == 2
    assert (
        "build.py: error: argument --artifact-bucket: required with --publish"
        in capsys.readouterr().err
    )


def test_a_template_that_fails_lint_is_never_published(monkeypatch, tmp_path, rendered):
    def broken(config):  # an unused parameter: cfn-lint W2001
        unused = '"Parameters": {"Unused": {"Type": "String"},'
        stage = config.stage.name
        return Rendered(stage, rendered[stage].body.replace('"Parameters": {', unused, 1))

    monkeypatch.setattr(cli, "render", broken)
    err = io.StringIO()
    code = cli.main(
        [
            "--stage",
            "dev",
            "--publish",
            "--artifact-bucket",
            BUCKET,
            "--templates-dir",
            str(tmp_path),
        ],
        out=io.StringIO(),
        err=err,
        runtime=NO_AWS,
    )
    assert code == 1
    assert "lint findings: nothing was sent to AWS" in err.getvalue()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--artifact-bucket", "Bad_Bucket"],
            "argument --artifact-bucket: 'Bad_Bucket' is not an S3 bucket name",
        ),
        (
            ["--artifact-bucket", BUCKET, "--portfolio-id", "portfolio1"],
            "argument --portfolio-id: 'portfolio1' is not a portfolio id",
        ),
        (
            ["--artifact-bucket", BUCKET, "--product-name", " "],
            "argument --product-name: ' ' is not a product name: 1-8191 characters",
        ),
    ],
)
def test_bad_flag_values_exit_2_before_any_aws_call(argv, message, capsys, monkeypatch):
    with pytest.raises(SystemExit) as exited:
        cli.main(["--stage", "prod", "--publish", *argv], runtime=NO_AWS)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_no_credentials_is_a_setup_error(aws_env, monkeypatch, rendered):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code, _, err = run_publish(publish_args("--artifact-bucket", BUCKET), rendered, None)
    assert code == 2
    assert "no AWS credentials found" in err


@pytest.mark.parametrize("given", [True, False])
def test_profile_and_region_reach_the_session_when_given(given, rendered):
    seen = []

    def connect(profile, region):
        seen.append((profile, region))
        raise InputError("stop here")

    flags = ["--profile", "platform", "--region", "eu-west-1"] if given else []
    args = publish_args("--artifact-bucket", BUCKET, *flags)
    assert run_publish(args, rendered, Runtime(connect=connect))[0] == 2
    assert seen == [("platform", "eu-west-1") if given else (None, None)]


def test_default_product_name_is_per_stage(aws, monkeypatch, rendered):
    expect_search(aws.catalog, product_view(name="planar-staging"))
    expect_versions(
        aws.catalog,
        version("pa-same000000001", Artifact.from_rendered(rendered["staging"]).version_name),
    )
    args = publish_args("--artifact-bucket", BUCKET, stage="staging")
    code, out, _ = run_publish(args, rendered, aws.runtime())
    assert code == 0
    assert "unchanged: product planar-staging" in out


@pytest.mark.parametrize(
    ("setup", "code", "message"),
    [
        ("no bucket", 2, f"artifact bucket '{BUCKET}' does not exist"),
        (
            "shared",
            2,
            f"product 'planar-prod' ({PRODUCT_ID}) is shared from account {OTHER_ACCOUNT}",
        ),
        (
            "denied",
            1,
            "AWS denied SearchProductsAsAdmin: the publishing identity needs "
            "servicecatalog:SearchProductsAsAdmin",
        ),
    ],
)
def test_errors_exit_with_their_code_and_say_nothing_changed(
    aws, monkeypatch, rendered, setup, code, message
):
    if setup == "no bucket":
        aws.s3.delete_bucket(Bucket=BUCKET)
    elif setup == "shared":
        expect_search(aws.catalog, product_view(account=OTHER_ACCOUNT))
    else:
        aws.catalog.add_client_error(
            "search_products_as_admin",
            "AccessDeniedException",
            "not authorized",
            expected_params={"PageSize": 100},
        )
    got, out, err = run_publish(publish_args("--artifact-bucket", BUCKET), rendered, aws.runtime())
    assert got == code
    assert f"build.py: publish: {message}" in err
    assert err.endswith("build.py: publish: nothing was changed in AWS\n")
    assert "product id:" not in out


def test_build_py_profile_and_region_reach_the_session(monkeypatch, tmp_path):
    seen = []

    def connect(profile, region):
        seen.append((profile, region))
        raise InputError("stop here")

    err = io.StringIO()
    code = cli.main(
        [
            "--stage",
            "dev",
            "--publish",
            "--artifact-bucket",
            BUCKET,
            "--profile",
            "platform",
            "--region",
            "eu-west-1",
            "--templates-dir",
            str(tmp_path),
        ],
        out=io.StringIO(),
        err=err,
        runtime=Runtime(connect=connect),
    )
    assert code == 2
    assert seen == [("platform", "eu-west-1")]
    assert (
        err.getvalue()
        == "build.py: publish: stop here\nbuild.py: publish: nothing was changed in AWS\n"
    )


# --- the flags' values --------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--product-name", "planar-prod"),
        ("--product-name", "Planar (EU): prod, v2"),
        ("--product-name", "p"),
        ("--product-name", "p" * 8191),
        ("--portfolio-id", "port-abcdefghijklm"),
        ("--portfolio-id", "port-2"),
        ("--portfolio-id", "port-" + "a" * 95),
    ],
)
def test_valid_product_names_and_portfolio_ids_are_accepted(flag, value):
    args = publish_args("--artifact-bucket", BUCKET, flag, value)
    assert getattr(args, flag[2:].replace("-", "_")) == value


def test_the_product_name_and_portfolio_id_given_reach_the_requests(aws, monkeypatch, tmp_path):
    # GIVEN no product of the name given, and the portfolio given
    name, portfolio = "Planar (EU): prod", "port-0a1b2c3d4e5f6"
    expect_search(aws.catalog, product_view(name="planar-prod", product_id="prod-defaultdefaul"))
    expect_portfolio_exists(aws.catalog, portfolio)
    expect_new_product(aws.catalog, token=ANY, name=name)
    expect_association(aws.catalog, portfolio)
    expect_tag_options_associated(aws.catalog)
    # WHEN
    err = io.StringIO()
    code = cli.main(
        [
            "--stage",
            "prod",
            "--publish",
            "--artifact-bucket",
            BUCKET,
            "--product-name",
            name,
            "--portfolio-id",
            portfolio,
            "--templates-dir",
            str(tmp_path),
        ],
        out=io.StringIO(),
        err=err,
        runtime=aws.runtime(),
    )
    # THEN the requests carried them (the Stubber checked each one's arguments)
    assert code == 0, err.getvalue()


@pytest.mark.parametrize(
    ("flag", "value", "shown", "allowed"),
    [
        ("--product-name", "", "''", "is not a product name: 1-8191 characters, not all blank"),
        (
            "--product-name",
            "   ",
            "'   '",
            "is not a product name: 1-8191 characters, not all blank",
        ),
        (
            "--product-name",
            "p" * 8192,
            "'" + "p" * 40 + "'... (8192 characters)",
            "is not a product name: 1-8191 characters, not all blank",
        ),
        (
            "--portfolio-id",
            "portfolio1",
            "'portfolio1'",
            "is not a portfolio id: port- and 1-95 lowercase letters or digits, such as port-abcdefghijklm",
        ),
        ("--portfolio-id", "port-", "'port-'", "is not a portfolio id: port- and 1-95 lowercase"),
        (
            "--portfolio-id",
            "port-ABCDEF",
            "'port-ABCDEF'",
            "is not a portfolio id: port- and 1-95 lowercase",
        ),
        (
            "--portfolio-id",
            "port-abc\n",
            "'port-abc\\n'",
            "is not a portfolio id: port- and 1-95 lowercase",
        ),
        (
            "--portfolio-id",
            "port-" + "a" * 96,
            "'port-" + "a" * 35 + "'... (101 characters)",
            "is not a portfolio id: port- and 1-95 lowercase",
        ),
    ],
)
def test_bad_product_names_and_portfolio_ids_are_refused_naming_flag_value_and_what_is_allowed(
    flag, value, shown, allowed, capsys, monkeypatch
):
    with pytest.raises(SystemExit) as exited:
        cli.main(
            ["--stage", "prod", "--publish", "--artifact-bucket", BUCKET, flag, value],
            runtime=NO_AWS,
        )
    assert exited.value.code == 2
    assert f"build.py: error: argument {flag}: {shown} {allowed}" in capsys.readouterr().err


# --- the network fails part-way: exit 1, and what was already done is listed ---------

ENDPOINT = "https://servicecatalog.us-east-1.amazonaws.com/"


def fail_call(client, operation, error, when):
    """Raise `error` on the client's next `operation`: "before" the request is made
    (it never reaches AWS, so nothing is stubbed for it), or "after" AWS answered
    (the answer is lost on the way back)."""
    event = "provide-client-params" if when == "before" else "after-call"
    name = f"{event}.{client.meta.service_model.service_id.hyphenize()}.{operation}"

    def fail(**_):
        client.meta.events.unregister(name, fail)
        raise error

    client.meta.events.register(name, fail)


def test_no_connection_part_way_exits_1_and_lists_what_was_done(aws, monkeypatch, rendered):
    # GIVEN a first publish into a portfolio, and no connection left for the association
    expect_search(aws.catalog)
    expect_portfolio_exists(aws.catalog)
    expect_new_product(aws.catalog, token=ANY)
    fail_call(
        aws.clients.client("servicecatalog"),
        "AssociateProductWithPortfolio",
        EndpointConnectionError(endpoint_url=ENDPOINT),
        "before",
    )
    # WHEN
    code, out, err = run_publish(
        publish_args("--artifact-bucket", BUCKET, "--portfolio-id", PORTFOLIO_ID),
        rendered,
        aws.runtime(),
    )
    # THEN exit 1; the error, then the upload, the product and its version, in order
    assert code == 1
    assert err == (
        f'build.py: publish: no answer from AWS servicecatalog: Could not connect to the endpoint URL: "{ENDPOINT}"; '
        "check the network and the region\n"
        f"build.py: publish: done before the error: uploaded s3://{BUCKET}/{KEY}; created product {PRODUCT_ID}; "
        "created version pa-first00000001\n"
    )
    assert "product id:" not in out
    assert uploaded(aws) == [KEY]


def test_an_answer_lost_part_way_exits_1_and_lists_what_was_done(aws, monkeypatch, rendered):
    # GIVEN an existing product, and the connection closed before CreateProvisioningArtifact's answer
    expect_search(aws.catalog, product_view())
    expect_versions(aws.catalog, version("pa-old0000000001", "0.0.9-aaaaaaaa"))
    expect_new_version(aws.catalog, token=ANY)
    fail_call(
        aws.clients.client("servicecatalog"),
        "CreateProvisioningArtifact",
        ConnectionClosedError(endpoint_url=ENDPOINT),
        "after",
    )
    # WHEN
    code, out, err = run_publish(publish_args("--artifact-bucket", BUCKET), rendered, aws.runtime())
    # THEN exit 1, and the upload is the one thing known to be done
    assert code == 1
    assert err == (
        "build.py: publish: no answer from AWS servicecatalog: Connection was closed before we received a "
        f'valid response from endpoint URL: "{ENDPOINT}".; check the network and the region\n'
        f"build.py: publish: done before the error: uploaded s3://{BUCKET}/{KEY}\n"
    )
    assert "product id:" not in out


def test_no_connection_before_any_change_says_nothing_changed(aws, monkeypatch, rendered):
    fail_call(
        aws.clients.client("servicecatalog"),
        "SearchProductsAsAdmin",
        EndpointConnectionError(endpoint_url=ENDPOINT),
        "before",
    )
    code, _, err = run_publish(publish_args("--artifact-bucket", BUCKET), rendered, aws.runtime())
    assert code == 1
    assert err == (
        f'build.py: publish: no answer from AWS servicecatalog: Could not connect to the endpoint URL: "{ENDPOINT}"; '
        "check the network and the region\n"
        "build.py: publish: nothing was changed in AWS\n"
    )
    assert uploaded(aws) == []


# --- Ctrl-C: publishing stops, says what it had done, and exits as a deploy does -------


def test_ctrl_c_part_way_lists_what_was_done_and_exits_130(aws, rendered):
    # GIVEN a first publish into a portfolio, interrupted as the association goes out
    expect_search(aws.catalog)
    expect_portfolio_exists(aws.catalog)
    expect_new_product(aws.catalog, token=ANY)
    catalog = aws.clients.client("servicecatalog")
    fail_call(catalog, "AssociateProductWithPortfolio", KeyboardInterrupt(), "before")
    # WHEN
    code, out, err = run_publish(
        publish_args("--artifact-bucket", BUCKET, "--portfolio-id", PORTFOLIO_ID),
        rendered,
        aws.runtime(),
    )
    # THEN it stops, lists what it had done, in order, and exits as a deploy's Ctrl-C does
    assert code == ExitCode.INTERRUPTED == 130
    assert err == (
        "\nbuild.py: publish: interrupted\n"
        f"build.py: publish: done before the interrupt: uploaded s3://{BUCKET}/{KEY}; "
        f"created product {PRODUCT_ID}; created version pa-first00000001\n"
    )
    assert "product id:" not in out


def test_ctrl_c_before_any_change_says_nothing_changed(aws, rendered):
    catalog = aws.clients.client("servicecatalog")
    fail_call(catalog, "SearchProductsAsAdmin", KeyboardInterrupt(), "before")
    code, _, err = run_publish(publish_args("--artifact-bucket", BUCKET), rendered, aws.runtime())
    assert code == ExitCode.INTERRUPTED
    assert err == "\nbuild.py: publish: interrupted before anything changed\n"
    assert uploaded(aws) == []


def test_ctrl_c_reaches_a_python_caller_with_what_was_done(aws, prod):
    expect_search(aws.catalog)
    fail_call(aws.clients.client("servicecatalog"), "CreateProduct", KeyboardInterrupt(), "before")
    with pytest.raises(Interrupted) as interrupted:
        do_publish(aws, prod)
    assert interrupted.value.done == (f"uploaded s3://{BUCKET}/{KEY}",)
