"""The environment file's writer: AppEnvironment becomes one NAME=value line a
variable in a file named after its content; a changed value is a new file, a
removed variable is absent from it, and CloudFormation's Delete of the old id
removes the old file. Refused values fail the resource with the reason. S3 against
moto."""

import json

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from planar_cfn.inputs import app_settings
from planar_cfn.template import app_settings as template_app_settings
from planar_cfn.template import environment_file

BUCKET = "planar-dev-shop-5f0c9a70"
PREFIX = app_settings.ENVIRONMENT_FILE_PREFIX
RESERVED = list(app_settings.APP_ENVIRONMENT)


class Context:
    log_group_name = "/aws/lambda/env-file"
    log_stream_name = "2026/12/07/[$LATEST]stream"


@pytest.fixture
def s3(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        monkeypatch.setattr(environment_file.boto3, "client", lambda name: client)
        yield client


@pytest.fixture
def responses(monkeypatch):
    sent = []
    monkeypatch.setattr(
        environment_file.urllib.request,
        "urlopen",
        lambda request, timeout: sent.append(json.loads(request.data)),
    )
    return sent


def run(request_type, environment, physical=None, secrets=""):
    event = {
        "RequestType": request_type,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/planar-dev-shop/1",
        "RequestId": "r-1",
        "LogicalResourceId": "EnvironmentFile",
        "ResponseURL": "https://cloudformation-custom-resource-response.example/1",
        "ResourceProperties": {
            "BucketName": BUCKET,
            "Prefix": PREFIX,
            "Environment": environment,
            "SecretNames": secrets,
            "Reserved": RESERVED,
            "AccountId": DEFAULT_ACCOUNT_ID,
            "Partition": "aws",
        },
    }
    if physical:
        event["PhysicalResourceId"] = physical
    environment_file.handler(event, Context())


def read(s3, key):
    return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()


def files(s3):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_a_create_writes_one_sorted_line_a_variable_and_answers_with_the_files_arn(s3, responses):
    run("Create", '{"LOG_LEVEL":"info","DSN":"postgres://h/db?a=b,c"}')
    (answer,) = responses
    assert answer["Status"] == "SUCCESS"
    key = answer["PhysicalResourceId"]
    assert key.startswith(PREFIX)
    assert key.endswith(".env")
    assert answer["Data"] == {"Arn": f"arn:aws:s3:::{BUCKET}/{key}"}
    # Docker's env-file form: the value as written, '=' and ',' included.
    assert read(s3, key) == "DSN=postgres://h/db?a=b,c\nLOG_LEVEL=info\n"


def test_an_update_writes_a_new_file_and_the_old_ids_delete_removes_the_old_one(s3, responses):
    run("Create", '{"A":"1","GONE":"x"}')
    old = responses[-1]["PhysicalResourceId"]
    run("Update", '{"A":"2"}', physical=old)
    new = responses[-1]["PhysicalResourceId"]
    assert new != old  # a new id: CloudFormation replaces the task definition's file
    assert read(s3, new) == "A=2\n"  # the removed variable is not in the new file
    # CloudFormation's cleanup after the update succeeded: Delete with the old id.
    run("Delete", '{"A":"1","GONE":"x"}', physical=old)
    assert files(s3) == [new]
    assert [r["Status"] for r in responses] == ["SUCCESS"] * 3


def test_the_same_variables_are_the_same_file(s3, responses):
    run("Create", '{"B":"2","A":"1"}')
    run("Update", '{"A":"1","B":"2"}', physical=responses[-1]["PhysicalResourceId"])
    assert responses[0]["PhysicalResourceId"] == responses[1]["PhysicalResourceId"]


def test_a_delete_of_a_failed_create_touches_nothing(s3, responses):
    s3.put_object(Bucket=BUCKET, Key="user/data.txt", Body=b"keep")
    run("Delete", "{}", physical=Context.log_stream_name)
    assert responses[-1]["Status"] == "SUCCESS"
    assert files(s3) == ["user/data.txt"]


def test_a_delete_after_the_bucket_is_gone_succeeds(s3, responses):
    run("Create", '{"A":"1"}')
    key = responses[-1]["PhysicalResourceId"]
    s3.delete_object(Bucket=BUCKET, Key=key)
    versions = s3.list_object_versions(Bucket=BUCKET)
    for item in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
        s3.delete_object(Bucket=BUCKET, Key=item["Key"], VersionId=item["VersionId"])
    s3.delete_bucket(Bucket=BUCKET)
    run("Delete", '{"A":"1"}', physical=key)
    assert responses[-1]["Status"] == "SUCCESS"


@pytest.mark.parametrize(
    ("environment", "secrets", "reason"),
    [
        ('{"DB_HOST":"x"}', "", "DB_HOST is set by the stack"),
        ('{"A":"1","A":"2"}', "", "A is given twice"),
        ('{"API_KEY":"x"}', "API_KEY=api-AbC123", "API_KEY is in AppSecrets too"),
        ('{"A":"line\\nbreak"}', "", "A: the value must be a string without control"),
        ('{"A":1}', "", "A: the value must be a string"),
        ('{"1A":"x"}', "", "'1A': a name is letters"),
        ('["A"]', "", "must be a JSON object"),
    ],
)
def test_a_refused_value_fails_the_resource_with_the_reason_and_writes_nothing(
    s3, responses, environment, secrets, reason
):
    run("Create", environment, secrets=secrets)
    (answer,) = responses
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("AppEnvironment: ")
    assert reason in answer["Reason"]
    assert files(s3) == []


def test_the_handler_fits_inline_code():
    # CloudFormation's ZipFile holds at most 4,096 characters.
    assert len(template_app_settings.WRITER_SOURCE) <= 4096
