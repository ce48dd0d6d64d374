"""The template as it goes to the artifact bucket: named by its own SHA-256, so an
unchanged template is found there and not uploaded again; and the bucket's checks,
made before anything is written."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass

from .._version import __version__
from ..aws.gateway import PUBLISHER, call, call_or_none
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
_NOT_FOUND = {"404", "NotFound", "NoSuchBucket", "NoSuchKey"}


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


def check_bucket(run: Run, bucket: str) -> None:
    """Refuse a bucket that does not exist or is in another region."""
    s3, arn, region = run.clients.client("s3"), _s3_arn(run, bucket), run.clients.region
    found = call_or_none(
        s3.head_bucket,
        PUBLISHER,
        absent=_NOT_FOUND,
        action="s3:ListBucket",
        resource=arn,
        Bucket=bucket,
    )
    if found is None:
        raise BucketNotFoundError(
            f"artifact bucket {bucket!r} does not exist: create it in {region} "
            f"(`aws s3 mb s3://{bucket} --region {region}`) or pass another "
            "--artifact-bucket"
        )
    location = call(
        s3.get_bucket_location,
        PUBLISHER,
        action="s3:GetBucketLocation",
        resource=arn,
        Bucket=bucket,
    )
    where = _bucket_region(location.get("LocationConstraint"))
    if where != region:
        raise BucketRegionError(
            f"artifact bucket {bucket!r} is in {where}, but the product is published in "
            f"{region}: publish in {where} (--region {where} or AWS_REGION), or "
            f"use a bucket in {region}"
        )


def upload(run: Run, bucket: str, artifact: Artifact) -> None:
    """Put the template under its hash, unless it is there already."""
    s3, key = run.clients.client("s3"), artifact.key
    resource, where = _s3_arn(run, f"{bucket}/{key}"), f"s3://{bucket}/{key}"
    head = call_or_none(
        s3.head_object,
        PUBLISHER,
        absent=_NOT_FOUND,
        action="s3:GetObject",
        resource=resource,
        Bucket=bucket,
        Key=key,
    )
    if head is not None:
        run.say(f"already in S3: {where}")
        return
    call(
        s3.put_object,
        PUBLISHER,
        action="s3:PutObject",
        resource=resource,
        Bucket=bucket,
        Key=key,
        Body=artifact.body,
        ContentType="application/json",
        # S3 refuses the write when the bytes it got do not hash to the key's name.
        ChecksumSHA256=base64.b64encode(bytes.fromhex(artifact.sha256)).decode(),
    )
    run.did(f"uploaded {where}")
    run.say(f"uploaded {where}")
