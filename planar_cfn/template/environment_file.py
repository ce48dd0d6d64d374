"""Lambda handler, inlined into the template: writes AppEnvironment (a JSON
object) to the application's bucket as an environment file, named after its
content, which ECS reads when a task starts. CloudFormation deletes the old file
once an update has succeeded; a refused value fails the resource, with the reason.
"""

import hashlib
import json
import re
import urllib.request

import boto3
from botocore.exceptions import ClientError

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def handler(event, context):
    """Write (Create, Update) or delete (Delete) the file; answer CloudFormation."""
    props = event["ResourceProperties"]
    physical = event.get("PhysicalResourceId") or context.log_stream_name
    status, reason, data = "SUCCESS", "", {}
    try:
        s3 = boto3.client("s3")
        owner = {"ExpectedBucketOwner": props["AccountId"]}
        if event["RequestType"] == "Delete":
            if physical.startswith(props["Prefix"]):
                _delete(s3, props["BucketName"], physical, owner)
        else:
            body = render(props["Environment"], props["Reserved"], props["SecretNames"])
            physical = props["Prefix"] + hashlib.sha256(body).hexdigest() + ".env"
            s3.put_object(
                Bucket=props["BucketName"],
                Key=physical,
                Body=body,
                ContentType="text/plain; charset=utf-8",
                **owner,
            )
            data = {"Arn": f"arn:{props['Partition']}:s3:::{props['BucketName']}/{physical}"}
    except Exception as error:
        status, reason = "FAILED", f"AppEnvironment: {error}"
    _respond(event, context, status, reason, physical, data)


def _delete(s3, bucket, key, owner):
    try:
        s3.delete_object(Bucket=bucket, Key=key, **owner)
    except ClientError as error:
        # The bucket is already gone: so is the file.
        if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 404:
            raise


def _pairs(pairs):
    names = [name for name, _ in pairs]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"{twice[0]} is given twice")
    return dict(pairs)


def render(environment, reserved, secret_names):
    """The file's bytes: one NAME=value line a variable, sorted."""
    variables = json.loads(environment, object_pairs_hook=_pairs)
    if not isinstance(variables, dict):
        raise ValueError("must be a JSON object of NAME: value")
    secrets = {item.split("=", 1)[0] for item in secret_names.split(",") if item}
    lines = []
    for name, value in sorted(variables.items()):
        if not NAME.fullmatch(name):
            raise ValueError(f"{name!r}: a name is letters, digits and '_', not digit-first")
        if name in reserved:
            raise ValueError(f"{name} is set by the stack ({', '.join(reserved)})")
        if name in secrets:
            raise ValueError(f"{name} is in AppSecrets too; a variable is plain or secret")
        if not isinstance(value, str) or re.search(r"[\x00-\x1f]", value):
            raise ValueError(f"{name}: the value must be a string without control characters")
        lines.append(f"{name}={value}\n")
    return "".join(lines).encode()


def _respond(event, context, status, reason, physical, data):
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason or f"See {context.log_group_name}",
            "PhysicalResourceId": physical,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "Data": data,
        }
    ).encode()
    request = urllib.request.Request(
        event["ResponseURL"], data=body, method="PUT", headers={"Content-Type": ""}
    )
    urllib.request.urlopen(request, timeout=30)
