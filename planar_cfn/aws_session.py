"""AWS sessions and clients as the AWS CLI finds them: environment, shared
config and credentials files, --profile, --region; throttling and transient
errors retried by botocore's adaptive retry mode."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from botocore.exceptions import ProfileNotFound

if TYPE_CHECKING:
    import boto3

from . import __version__

# Throttling and transient errors: retried with client-side rate limiting.
RETRIES = {"max_attempts": 10, "mode": "adaptive"}


class AwsSetupError(Exception):
    """No usable profile, region or credentials: nothing was sent to AWS."""


def make_session(profile: str | None = None, region: str | None = None) -> boto3.Session:
    # boto3 takes 0.2 s to import: only commands that talk to AWS pay for it.
    import boto3

    try:
        session = boto3.Session(profile_name=profile or None, region_name=region or None)
    except ProfileNotFound:
        raise AwsSetupError(
            f"--profile {profile!r}: no such profile in the AWS config or credentials "
            "files; run `aws configure list-profiles` to see the profiles there"
        ) from None
    # Both checks run, so a new machine learns everything it lacks in one go.
    problems = []
    if not session.region_name:
        problems.append(
            "no AWS region: pass --region, set AWS_REGION or AWS_DEFAULT_REGION, "
            "set region in the stage file, or give the profile a region"
        )
    if session.get_credentials() is None:
        problems.append(
            "no AWS credentials found: pass --profile, set AWS_PROFILE, or set "
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (`aws configure` writes a profile)"
        )
    if problems:
        raise AwsSetupError("\n".join(problems))
    return session


def client(session: boto3.Session, service: str):
    from botocore.config import Config

    config = Config(retries=RETRIES, user_agent_extra=f"planar-cfn/{__version__}")
    return session.client(service, config=config)


def s3_object_url(bucket: str, key: str, region: str) -> str:
    """The regional HTTPS URL CloudFormation and Service Catalog read a template from."""
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    if "." in bucket:  # a dotted name breaks the TLS certificate of the virtual host
        return f"https://s3.{region}.{suffix}/{bucket}/{quote(key)}"
    return f"https://{bucket}.s3.{region}.{suffix}/{quote(key)}"
