"""Credentials in another account: a role assumed for a StackSet target's read-only
pre-flight checks (docs/stacksets.md). The role is the target account's own, named in
the targets file; the administrator's credentials assume it through STS."""

from __future__ import annotations

from .gateway import Aws, Clients

__all__ = ["SESSION_NAME", "assume_role"]

# How the target account's CloudTrail names these calls.
SESSION_NAME = "planar-cfn-preflight"


def assume_role(aws: Clients, role_arn: str, region: str) -> Clients:
    """Clients in `region` with the role's temporary credentials (sts:AssumeRole, 15
    minutes: the checks take seconds)."""
    import boto3

    answer = aws.client("sts").assume_role(
        RoleArn=role_arn, RoleSessionName=SESSION_NAME, DurationSeconds=900
    )
    credentials = answer["Credentials"]
    session = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )
    return Aws(session)
