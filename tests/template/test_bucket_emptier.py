"""The non-prod bucket emptier: it empties only while the stack is deleted or a
failed create rolls back, reports every failure to CloudFormation, and answers
before Lambda's time runs out. S3 against moto, CloudFormation with Stubber."""

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import s3_backends

from planar_cfn.template import bucket_emptier

STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/planar-dev-shop/5f0c9a70"
BUCKET = "planar-dev-shop-5f0c9a70"


class Context:
    log_group_name = "/aws/lambda/emptier"
    log_stream_name = "stream"

    def __init__(self, remaining_ms=600_000):
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self):
        return self.remaining_ms


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        for key in ("a.txt", "b.txt"):
            s3.put_object(Bucket=BUCKET, Key=key, Body=b"1")
            s3.put_object(Bucket=BUCKET, Key=key, Body=b"2")
        s3.delete_object(Bucket=BUCKET, Key="a.txt")  # a delete marker
        cfn = boto3.client("cloudformation")
        stubber = Stubber(cfn)
        clients = {"cloudformation": cfn, "s3": s3}
        monkeypatch.setattr(bucket_emptier.boto3, "client", lambda name: clients[name])
        responses = []
        monkeypatch.setattr(
            bucket_emptier.urllib.request,
            "urlopen",
            lambda request, timeout: responses.append(json.loads(request.data)),
        )
        with stubber:
            yield s3, stubber, responses


def stack_status(stubber, status):
    stubber.add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": "planar-dev-shop",
                    "StackId": STACK_ID,
                    "StackStatus": status,
                    "CreationTime": "2026-11-27T10:00:00Z",
                }
            ]
        },
        {"StackName": STACK_ID},
    )


def event(request_type, bucket=BUCKET):
    return {
        "RequestType": request_type,
        "StackId": STACK_ID,
        "RequestId": "r-1",
        "LogicalResourceId": "BucketEmptier",
        "ResponseURL": "https://example.invalid/response",
        "ResourceProperties": {"BucketName": bucket, "ServiceToken": "arn:fn"},
    }


def versions(s3):
    page = s3.list_object_versions(Bucket=BUCKET)
    return len(page.get("Versions", [])) + len(page.get("DeleteMarkers", []))


@pytest.mark.parametrize("status", ["DELETE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS"])
def test_stack_delete_or_create_rollback_empties_every_version(aws, status):
    s3, stubber, responses = aws
    assert versions(s3) == 5
    stack_status(stubber, status)
    bucket_emptier.handler(event("Delete"), Context())
    assert versions(s3) == 0
    assert responses[0]["Status"] == "SUCCESS"
    assert responses[0]["PhysicalResourceId"] == BUCKET


@pytest.mark.parametrize(
    "status", ["UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS"]
)
def test_a_delete_during_an_update_never_touches_data(aws, status):
    s3, stubber, responses = aws
    stack_status(stubber, status)
    bucket_emptier.handler(event("Delete"), Context())
    assert versions(s3) == 5
    assert responses[0]["Status"] == "SUCCESS"


@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_create_and_update_do_nothing(aws, request_type):
    s3, _, responses = aws
    bucket_emptier.handler(event(request_type), Context())
    assert versions(s3) == 5
    assert responses == [
        {
            "Status": "SUCCESS",
            "Reason": "See /aws/lambda/emptier",
            "PhysicalResourceId": BUCKET,
            "StackId": STACK_ID,
            "RequestId": "r-1",
            "LogicalResourceId": "BucketEmptier",
        }
    ]


def test_it_answers_failed_before_lambda_runs_out_of_time(aws):
    s3, stubber, responses = aws
    stack_status(stubber, "DELETE_IN_PROGRESS")
    bucket_emptier.handler(event("Delete"), Context(remaining_ms=10_000))
    assert versions(s3) == 5
    assert responses[0]["Status"] == "FAILED"
    assert "still holds objects: delete the stack again" in responses[0]["Reason"]


def test_objects_s3_refused_to_delete_fail_the_request(aws, monkeypatch):
    s3, stubber, responses = aws
    stack_status(stubber, "DELETE_IN_PROGRESS")
    monkeypatch.setattr(
        s3,
        "delete_objects",
        lambda **kwargs: {
            "Errors": [{"Key": "a.txt", "Code": "AccessDenied", "Message": "Access Denied"}]
        },
    )
    bucket_emptier.handler(event("Delete"), Context())
    assert responses[0]["Status"] == "FAILED"
    assert (
        responses[0]["Reason"] == "RuntimeError: 1 objects not deleted, first a.txt: Access Denied"
    )


def test_a_failure_to_read_the_stack_is_reported_not_raised(aws):
    _, stubber, responses = aws
    stubber.add_client_error("describe_stacks", "AccessDenied", "not allowed")
    bucket_emptier.handler(event("Delete"), Context())
    assert responses[0]["Status"] == "FAILED"
    assert "AccessDenied" in responses[0]["Reason"]


def test_a_bucket_of_thousands_of_versions_and_delete_markers_is_emptied(aws, monkeypatch):
    s3, stubber, responses = aws
    keys = [f"k/{n:03}" for n in range(500)]
    # Put through moto's S3 backend: the same versions as 1,500 PutObject requests,
    # without 1,500 trips through botocore (the emptier's own requests still make them).
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    for n in range(1500):
        backend.put_object(BUCKET, keys[n % 500], b"x")
    for marked in (keys, keys[:200]):  # a delete without a version id adds a delete marker
        s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": key} for key in marked]})
    page = s3.list_object_versions(Bucket=BUCKET, MaxKeys=2500)
    assert (len(page["Versions"]), len(page["DeleteMarkers"])) == (1504, 701)
    batches = []
    delete_objects = s3.delete_objects

    def counting_delete_objects(**kwargs):
        batches.append(len(kwargs["Delete"]["Objects"]))
        return delete_objects(**kwargs)

    monkeypatch.setattr(s3, "delete_objects", counting_delete_objects)
    stack_status(stubber, "DELETE_IN_PROGRESS")
    bucket_emptier.handler(event("Delete"), Context())
    assert responses[0]["Status"] == "SUCCESS"
    assert versions(s3) == 0
    assert batches == [1000, 1000, 205]  # S3 takes at most 1,000 keys a request


def test_a_bucket_already_gone_is_success(aws):
    _, stubber, responses = aws
    stack_status(stubber, "DELETE_IN_PROGRESS")
    bucket_emptier.handler(event("Delete", bucket="planar-dev-shop-deleted-by-hand"), Context())
    assert responses == [
        {
            "Status": "SUCCESS",
            "Reason": "See /aws/lambda/emptier",
            "PhysicalResourceId": "planar-dev-shop-deleted-by-hand",
            "StackId": STACK_ID,
            "RequestId": "r-1",
            "LogicalResourceId": "BucketEmptier",
        }
    ]


@pytest.mark.parametrize(
    ("code", "http_status", "answer"),
    [
        ("NoSuchBucket", 404, ("SUCCESS", "See /aws/lambda/emptier")),  # deleted by hand meanwhile
        ("404", 404, ("SUCCESS", "See /aws/lambda/emptier")),  # a 404 without an error body
        (
            "AccessDenied",
            403,
            (
                "FAILED",
                "ClientError: An error occurred (AccessDenied) when "
                "calling the DeleteObjects operation: no",
            ),
        ),
    ],
)
def test_only_a_bucket_gone_while_emptying_is_success(aws, monkeypatch, code, http_status, answer):
    s3, stubber, responses = aws
    stack_status(stubber, "DELETE_IN_PROGRESS")

    def fail(**kwargs):
        raise ClientError(
            {
                "Error": {"Code": code, "Message": "no"},
                "ResponseMetadata": {"HTTPStatusCode": http_status},
            },
            "DeleteObjects",
        )

    monkeypatch.setattr(s3, "delete_objects", fail)
    bucket_emptier.handler(event("Delete"), Context())
    assert (responses[0]["Status"], responses[0]["Reason"]) == answer
