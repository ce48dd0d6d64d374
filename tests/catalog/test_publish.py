"""Publishing to Service Catalog: S3 against moto, Service Catalog through botocore's
Stubber (moto has no provisioning artifacts), which checks every request against the
real service model; each test asserts the exact arguments of every call it expects.
The artifact bucket's checks and the upload: test_upload.py; finding the product:
test_product.py."""

import io

import boto3
import pytest
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError
from botocore.stub import ANY, Stubber

from planar_cfn.catalog import portfolio, publish
from planar_cfn.catalog.upload import Artifact
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
from tests.catalog.publish_calls import (
    ACCOUNT,
    KEY,
    NO_AWS,
    OTHER_ACCOUNT,
    PORTFOLIO_ID,
    PROD_BYTES,
    PRODUCT_ID,
    TOKEN,
    VERSION_NAME,
    aws_env,  # noqa: F401 - the fixture the aws fixture needs
    do_publish,
    expect_association,
    expect_deactivate,
    expect_new_product,
    expect_new_version,
    expect_portfolio_exists,
    expect_product_tag_options,
    expect_search,
    expect_tag_options_associated,
    expect_versions,
    product_view,
    publish_args,
    run_publish,
    uploaded,
    url,
    version,
    version_parameters,
)
from tests.publish_stubs import BUCKET, REGION, Clients

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


def test_unchanged_template_creates_nothing_and_says_so(aws, prod):
    expect_search(aws.catalog, product_view())
    expect_versions(aws.catalog, version("pa-same000000001", VERSION_NAME))
    result, out = do_publish(aws, prod)
    assert result.done == ()
    assert result.version_id == "pa-same000000001"
    assert uploaded(aws) == []
    assert "unchanged:" in out
    assert "nothing created" in out


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


def test_no_credentials_is_a_setup_error(aws_env, monkeypatch, rendered):  # noqa: F811
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
