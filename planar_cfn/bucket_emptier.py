"""Lambda handler, inlined into non-prod templates, that empties the bucket when
the stack is deleted, so any delete path (console, CLI, Service Catalog
terminate) removes the bucket as Terraform's force_destroy did.

It empties only when the stack itself is being deleted: a Delete that arrives
during an update's cleanup must never touch data. Standard library and the
Lambda runtime's boto3 only; it must stay under 4 KiB to be inlined.
"""

import json
import urllib.request

import boto3


def handler(event, context):
    status, reason = "SUCCESS", ""
    try:
        bucket = event["ResourceProperties"]["BucketName"]
        if event["RequestType"] == "Delete" and _stack_deleting(event["StackId"]):
            _empty(bucket)
    except Exception as error:  # noqa: BLE001 - reported to CloudFormation below
        status, reason = "FAILED", f"{type(error).__name__}: {error}"
    _respond(event, context, status, reason, bucket_name=event["ResourceProperties"].get("BucketName"))


def _stack_deleting(stack_id):
    stack = boto3.client("cloudformation").describe_stacks(StackName=stack_id)["Stacks"][0]
    return stack["StackStatus"] == "DELETE_IN_PROGRESS"


def _empty(bucket):
    s3 = boto3.client("s3")
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        objects = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if objects:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})


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
