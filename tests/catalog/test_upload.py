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
from planar_cfn.errors import BucketOwnerError
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


CHECKSUM = base64.b64encode(bytes.fromhex(SHA256)).decode()
# moto's account: the caller's, and the owner of the buckets it makes.
ACCOUNT = "123456789012"


def test_template_already_in_s3_is_not_uploaded_again(aws, prod):
    """HeadObject with ChecksumMode ENABLED gives S3's SHA-256 of the object (sent with
    it when uploaded; moto does not return it, so S3 is stubbed): the template's own."""
    owner = {"Bucket": BUCKET, "ExpectedBucketOwner": ACCOUNT}
    expect_search(aws.catalog, product_view())
    expect_versions(aws.catalog)
    expect_new_version(aws.catalog)
    s3 = boto3.Session(region_name=REGION).client("s3")
    with Stubber(s3) as s3_stub:
        s3_stub.add_response("head_bucket", {}, owner)
        s3_stub.add_response("get_bucket_location", {}, owner)
        s3_stub.add_response(
            "head_object",
            {"ChecksumSHA256": CHECKSUM, "ContentLength": len(PROD_BYTES)},
            {**owner, "Key": KEY, "ChecksumMode": "ENABLED"},
        )
        clients = Clients(REGION, {**aws.clients.made, "s3": s3})
        out = io.StringIO()
        result = publish.publish(
            prod, PublishOptions(BUCKET), out=out, connect=lambda *_: clients, token=TOKEN
        )
        s3_stub.assert_no_pending_responses()
    assert f"already in S3: s3://{BUCKET}/{KEY}" in out.getvalue()
    assert not any(change.startswith("uploaded") for change in result.done)


def test_an_object_planted_at_the_key_is_replaced_not_published(aws, prod):
    """Someone who may write to the bucket put their own bytes at the template's key:
    S3's SHA-256 of the object is not the template's, so the template is uploaded over it."""
    aws.s3.put_object(Bucket=BUCKET, Key=KEY, Body=b'{"Resources": {"Backdoor": {}}}')
    expect_search(aws.catalog, product_view())
    expect_versions(aws.catalog)
    expect_new_version(aws.catalog)
    result, out = do_publish(aws, prod)
    assert aws.s3.get_object(Bucket=BUCKET, Key=KEY)["Body"].read() == PROD_BYTES
    assert f"replacing s3://{BUCKET}/{KEY}: the object there is not this template" in out
    assert f"uploaded s3://{BUCKET}/{KEY}" in result.done


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
    ("denied", "operation", "action"),
    [
        ("head_bucket", "HeadBucket", "s3:ListBucket"),
        ("get_bucket_location", "GetBucketLocation", "s3:GetBucketLocation"),
        ("head_object", "HeadObject", "s3:GetObject"),
        ("put_object", "PutObject", "s3:PutObject"),
    ],
)
def test_a_bucket_of_another_account_is_refused(aws, prod, denied, operation, action):
    """Every S3 call names the caller's account as the bucket's owner; S3 answers 403
    AccessDenied for a bucket of another account (or a call these credentials may not
    make), and the publish stops there, naming the flag, the bucket and the account."""
    owner = {"Bucket": BUCKET, "ExpectedBucketOwner": ACCOUNT}
    calls = [
        ("head_bucket", {}, owner),
        ("get_bucket_location", {}, owner),  # us-east-1: no constraint
        ("head_object", None, {**owner, "Key": KEY, "ChecksumMode": "ENABLED"}),
        (
            "put_object",
            {},
            {
                **owner,
                "Key": KEY,
                "Body": PROD_BYTES,
                "ContentType": "application/json",
                "ChecksumSHA256": CHECKSUM,
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
        with pytest.raises(BucketOwnerError) as raised:
            publish.publish(
                prod,
                PublishOptions(BUCKET),
                out=io.StringIO(),
                connect=lambda *_: clients,
                token=TOKEN,
            )
        s3_stub.assert_no_pending_responses()
    message = str(raised.value)
    assert message.startswith(f"--artifact-bucket '{BUCKET}': S3 refused {operation} (")
    assert f"names account {ACCOUNT}, these credentials' own, as the bucket's owner" in message
    assert f"Name a bucket of account {ACCOUNT} that allows {action}" in message
    assert raised.value.exit_code == 2
    assert raised.value.done == ()
