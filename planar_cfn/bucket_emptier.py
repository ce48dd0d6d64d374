"""Lambda handler, inlined into non-prod templates, that empties the bucket when
the stack is deleted, so any delete path (console, CLI, Service Catalog
terminate) removes the bucket as Terraform's force_destroy did.

It empties only while the stack itself is being deleted or a failed create is
rolled back: a Delete that arrives during an update's cleanup never touches
data. Standard library and the runtime's boto3 only; under 4 KiB to be inlined.
"""

import json
import urllib.request

import boto3

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
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        if context.get_remaining_time_in_millis() < RESERVE_MS:
            raise TimeoutError(f"{bucket} still holds objects: delete the stack again to go on")
        objects = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if objects:
            errors = s3.delete_objects(
                Bucket=bucket, Delete={"Objects": objects, "Quiet": True}
            ).get("Errors", [])
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
