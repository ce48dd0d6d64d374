"""Lambda handler, inlined into non-prod templates, that empties the bucket when
the stack is deleted, so any delete path (console, CLI, Service Catalog
terminate) removes the bucket as Terraform's force_destroy did.

It empties only while the stack itself is being deleted or a failed create is
rolled back: a Delete that arrives during an update's cleanup never touches
data. It deletes in rounds until nothing is left; a bucket already gone counts
as empty, and one too big for a single run fails, asking for the stack to be
deleted again. Standard library and the runtime's boto3 only; under 4 KiB to
be inlined.
"""

import json
import urllib.request

import boto3
from botocore.exceptions import ClientError

EMPTYING = ("DELETE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS")
# Stop this long before Lambda's limit, to answer CloudFormation in time.
RESERVE_MS = 30_000


def handler(event, context):
    status, reason = "SUCCESS", ""
    try:
        bucket = event["ResourceProperties"]["BucketName"]
        if event["RequestType"] == "Delete" and _stack_status(event["StackId"]) in EMPTYING:
            _empty(bucket, context)
    except Exception as error:  # noqa: BLE001 - reported to CloudFormation below
        status, reason = "FAILED", f"{type(error).__name__}: {error}"
    _respond(event, context, status, reason, event["ResourceProperties"].get("BucketName"))


def _stack_status(stack_id):
    stack = boto3.client("cloudformation").describe_stacks(StackName=stack_id)["Stacks"][0]
    return stack["StackStatus"]


def _empty(bucket, context):
    s3 = boto3.client("s3")
    while True:
        if context.get_remaining_time_in_millis() < RESERVE_MS:
            raise TimeoutError(f"{bucket} still holds objects: delete the stack again to go on")
        try:
            # The first page afresh each round: paging on while deleting can skip entries.
            # At most 1,000, as DeleteObjects takes up to 1,000 keys a request:
            # https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
            page = s3.list_object_versions(Bucket=bucket, MaxKeys=1000)
            objects = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if not objects:
                return
            errors = s3.delete_objects(
                Bucket=bucket, Delete={"Objects": objects, "Quiet": True}
            ).get("Errors", [])
        except ClientError as error:
            # NoSuchBucket or a bare 404: the bucket is already gone, so it is empty.
            if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                return
            raise
        if errors:
            first = errors[0]
            raise RuntimeError(
                f"{len(errors)} objects not deleted, first {first['Key']}: {first['Message']}"
            )


def _respond(event, context, status, reason, bucket_name):
    body = json.dumps({
        "Status": status,
        "Reason": reason or f"See {context.log_group_name}",
        "PhysicalResourceId": bucket_name or context.log_stream_name,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
    }).encode()
    request = urllib.request.Request(
        event["ResponseURL"], data=body, method="PUT", headers={"Content-Type": ""}
    )
    urllib.request.urlopen(request, timeout=30)  # noqa: S310 - CloudFormation's presigned URL
