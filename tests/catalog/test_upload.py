"""The template as it goes to the artifact bucket: named by its own SHA-256 from the
committed bytes, not uploaded again when already there, and the bucket's checks (missing,
in another region, access denied) made before anything is written."""

import base64
import io

import boto3
import pytest
from botocore.stub import Stubber

from planar_cfn import __version__
from planar_cfn.catalog import publish, upload
from planar_cfn.catalog.upload import Artifact
from planar_cfn.errors import AccessDenied
from planar_cfn.inputs.options import PublishOptions
from tests.catalog.publish_calls import (
    KEY,
    PROD_BYTES,
    SHA256,
    TOKEN,
    aws_env,  # noqa: F401 - the fixture the aws fixture needs
    do_publish,
    expect_new_version,
    expect_search,
    expect_versions,
    product_view,
)
from tests.publish_stubs import BUCKET, REGION, Clients


@pytest.fixture
def artifact(rendered):
    return Artifact.from_rendered(rendered["prod"])


def test_key_and_version_name_come_from_the_committed_bytes(artifact):
    assert artifact.body == PROD_BYTES
    assert artifact.key == f"planar-cfn/prod/{SHA256}.json"
    assert artifact.version_name == f"{__version__}-{SHA256[:8]}"
    assert artifact.product_description == "Planar application stack, stage prod"


def test_template_already_in_s3_is_not_uploaded_again(aws, prod):
    aws.s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"uploaded earlier")
    expect_search(aws.catalog, product_view())
    expect_versions(aws.catalog)
    expect_new_version(aws.catalog)
    result, out = do_publish(aws, prod)
    assert aws.s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read() == b"uploaded earlier"
    assert f"already in S3: s3://{BUCKET}/{KEY}" in out
    assert not any(change.startswith("uploaded") for change in result.done)


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
