"""The product's other versions after a publish: deprecated or deactivated as asked, and
a republished version made the default again. Service Catalog is botocore's Stubber,
as in test_portfolio.py."""

import io

from botocore.stub import ANY

from planar_cfn.catalog import publish
from planar_cfn.cli import commands as cli
from planar_cfn.inputs.options import PublishOptions
from tests.catalog.publish_calls import (
    PRODUCT_ID,
    TOKEN,
    VERSION_NAME,
    aws_env,  # noqa: F401 - the fixture the aws fixture needs
    expect_new_version,
    expect_search,
    expect_versions,
    product_view,
    version,
)
from tests.publish_stubs import BUCKET


def expect_update(stub, version_id, **change):
    stub.add_response(
        "update_provisioning_artifact",
        {},
        {"ProductId": PRODUCT_ID, "ProvisioningArtifactId": version_id, **change},
    )


def test_deprecate_old_marks_every_other_version_deprecated(aws, prod, time):
    expect_search(aws.catalog, product_view())
    expect_versions(
        aws.catalog,
        {**version("pa-old0000000001", "0.0.8-11111111"), "Guidance": "DEFAULT"},
        {**version("pa-old0000000002", "0.0.9-22222222"), "Guidance": "DEPRECATED"},
    )
    expect_new_version(aws.catalog)
    expect_update(aws.catalog, "pa-old0000000001", Guidance="DEPRECATED")
    result = publish.publish(
        prod,
        PublishOptions(BUCKET, deprecate_old=True),
        out=io.StringIO(),
        connect=aws.connect,
        token=TOKEN,
    )
    assert result.deprecated == ("pa-old0000000001",)
    assert result.done[-1] == "deprecated version pa-old0000000001"


def test_deprecate_and_deactivate_together_are_one_call_per_version(aws, time, tmp_path):
    expect_search(aws.catalog, product_view())
    expect_versions(aws.catalog, version("pa-old0000000001", "0.0.8-11111111"))
    expect_new_version(aws.catalog, token=ANY)
    expect_update(aws.catalog, "pa-old0000000001", Active=False, Guidance="DEPRECATED")
    out, err = io.StringIO(), io.StringIO()
    argv = [
        "--stage",
        "prod",
        "--publish",
        "--artifact-bucket",
        BUCKET,
        "--templates-dir",
        str(tmp_path),
    ]
    code = cli.main(
        [*argv, "--deprecate-old", "--deactivate-old"], out=out, err=err, runtime=aws.runtime()
    )
    assert code == 0, err.getvalue()
    assert "deactivated and deprecated version 0.0.8-11111111 (pa-old0000000001)" in out.getvalue()


def test_deprecate_old_with_nothing_to_deprecate_says_so(aws, prod, time):
    expect_search(aws.catalog, product_view())
    expect_versions(
        aws.catalog,
        version("pa-same000000001", VERSION_NAME),
        {**version("pa-old0000000002", "0.0.9-22222222"), "Guidance": "DEPRECATED"},
    )
    out = io.StringIO()
    result = publish.publish(
        prod, PublishOptions(BUCKET, deprecate_old=True), out=out, connect=aws.connect
    )
    assert result.done == ()
    assert "unchanged: no other version to deprecate" in out.getvalue()


def test_republishing_a_deprecated_version_makes_it_the_default_again(aws, prod, time):
    expect_search(aws.catalog, product_view())
    expect_versions(
        aws.catalog,
        {**version("pa-back000000001", VERSION_NAME), "Guidance": "DEPRECATED"},
    )
    expect_update(aws.catalog, "pa-back000000001", Guidance="DEFAULT")
    result = publish.publish(prod, PublishOptions(BUCKET), out=io.StringIO(), connect=aws.connect)
    assert result.done == ("made default version pa-back000000001",)


# --- everything at once, through the Python API --------------------------------------
