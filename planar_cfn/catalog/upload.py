"""The template as it goes to the artifact bucket: named by its own SHA-256, so an
unchanged template is found there and not uploaded again; and the bucket's checks,
made before anything is written."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from .._version import __version__
from ..aws import buckets
from ..aws.gateway import AWS_FAILURES, PUBLISHER, error_code, translate
from ..errors import InputError
from ..inputs.options import ARTIFACT_KEY_PREFIX
from ..template.render import Rendered
from .run import Run

__all__ = [
    "KEY_PREFIX",
    "Artifact",
    "BucketNotFoundError",
    "BucketRegionError",
    "check_bucket",
    "upload",
]

KEY_PREFIX = ARTIFACT_KEY_PREFIX
_NOT_FOUND = frozenset({"404", "NotFound", "NoSuchBucket", "NoSuchKey"})


class BucketNotFoundError(InputError):
    """The artifact bucket does not exist."""


class BucketRegionError(InputError):
    """The artifact bucket is in another region than the one published to."""


@dataclass(frozen=True)
class Artifact:
    """One stage's template as it is uploaded: the bytes committed in templates/."""

    stage: str
    body: bytes
    description: str

    @classmethod
    def from_rendered(cls, rendered: Rendered) -> Artifact:
        """The rendered template, as published."""
        description = json.loads(rendered.body).get("Description", "")
        return cls(rendered.stage, rendered.body.encode(), description)

    @property
    def sha256(self) -> str:
        """The hash of the template's bytes."""
        return hashlib.sha256(self.body).hexdigest()

    @property
    def key(self) -> str:
        """Where in the bucket the template goes."""
        return f"{KEY_PREFIX}/{self.stage}/{self.sha256}.json"

    @property
    def version_name(self) -> str:
        """The version's name: the package version and the short hash."""
        return f"{__version__}-{self.sha256[:8]}"

    @property
    def product_description(self) -> str:
        """The template's description without the package version: the product outlives
        this version."""
        return re.sub(r"\s*\(planar-cfn [^)]*\)$", "", self.description) or self.description


def _bucket_region(location: str | None) -> str:
    # GetBucketLocation answers None for us-east-1 and the legacy "EU" for eu-west-1.
    if not location:
        return "us-east-1"
    return "eu-west-1" if location == "EU" else location


def _s3_arn(run: Run, path: str) -> str:
    return f"arn:{run.clients.client('s3').meta.partition}:s3:::{path}"


def _s3(
    run: Run,
    operation: str,
    bucket: str,
    account: str,
    *,
    action: str,
    resource: str,
    absent: frozenset[str] = frozenset(),
    **kwargs: Any,
) -> dict[str, Any] | None:
    """One S3 call on the artifact bucket, naming `account` as its owner: a bucket of
    another account is refused (BucketOwnerError); None for an error code in `absent`."""
    method = getattr(run.clients.client("s3"), operation)
    try:
        return dict(method(Bucket=bucket, **buckets.owned_by(account), **kwargs))
    except ClientError as error:
        if error_code(error) in absent:
            return None
        refused = buckets.owner_error(error, bucket, account, action, "--artifact-bucket")
        raise refused or translate(error, PUBLISHER, action=action, resource=resource) from error
    except AWS_FAILURES as error:
        raise translate(error, PUBLISHER, action=action, resource=resource) from error


def check_bucket(run: Run, bucket: str, account: str) -> None:
    """Refuse a bucket that does not exist, is another account's or is in another
    region."""
    arn, region = _s3_arn(run, bucket), run.clients.region
    found = _s3(
        run, "head_bucket", bucket, account, action="s3:ListBucket", resource=arn, absent=_NOT_FOUND
    )
    if found is None:
        raise BucketNotFoundError(
            f"artifact bucket {bucket!r} does not exist: create it in {region} "
            f"(`aws s3 mb s3://{bucket} --region {region}`) or pass another "
            "--artifact-bucket"
        )
    location = _s3(
        run, "get_bucket_location", bucket, account, action="s3:GetBucketLocation", resource=arn
    )
    where = _bucket_region((location or {}).get("LocationConstraint"))
    if where != region:
        raise BucketRegionError(
            f"artifact bucket {bucket!r} is in {where}, but the product is published in "
            f"{region}: publish in {where} (--region {where} or AWS_REGION), or "
            f"use a bucket in {region}"
        )


def upload(run: Run, bucket: str, artifact: Artifact, account: str) -> None:
    """Put the template under its hash, unless the object there already holds these
    bytes (S3's own SHA-256 of it says so): an object planted at the key is replaced,
    never published."""
    key = artifact.key
    resource, where = _s3_arn(run, f"{bucket}/{key}"), f"s3://{bucket}/{key}"
    checksum = base64.b64encode(bytes.fromhex(artifact.sha256)).decode()
    head = _s3(
        run,
        "head_object",
        bucket,
        account,
        action="s3:GetObject",
        resource=resource,
        absent=_NOT_FOUND,
        Key=key,
        ChecksumMode="ENABLED",
    )
    if head is not None and head.get("ChecksumSHA256") == checksum:
        run.say(f"already in S3: {where}")
        return
    if head is not None:
        run.say(f"replacing {where}: the object there is not this template")
    _s3(
        run,
        "put_object",
        bucket,
        account,
        action="s3:PutObject",
        resource=resource,
        Key=key,
        Body=artifact.body,
        ContentType="application/json",
        # S3 refuses the write when the bytes it got do not hash to the key's name.
        ChecksumSHA256=checksum,
    )
    run.did(f"uploaded {where}")
    run.say(f"uploaded {where}")
