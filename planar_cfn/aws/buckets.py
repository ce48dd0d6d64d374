"""S3 calls on a bucket the run is given by name: each names the caller's account as
the bucket's owner (ExpectedBucketOwner), so a bucket of that name in another account
is refused rather than written to or read from. S3 answers such a call with 403
AccessDenied (docs/security.md cites the S3 User Guide)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from .. import errors
from . import gateway

__all__ = ["OWNER_REFUSED", "caller_account", "owned_by", "owner_error"]

# What S3 answers a call whose ExpectedBucketOwner is not the bucket's owner: a HEAD
# request carries only the status.
OWNER_REFUSED = frozenset({"AccessDenied", "403"})


def caller_account(sts: Any) -> str:
    """The account of the credentials in use (sts:GetCallerIdentity, which no policy
    can deny)."""
    return str(sts.get_caller_identity()["Account"])


def owned_by(account: str) -> dict[str, str]:
    """The argument every S3 call on a named bucket carries."""
    return {"ExpectedBucketOwner": account}


def owner_error(
    error: BaseException, bucket: str, account: str, action: str, setting: str
) -> errors.BucketOwnerError | None:
    """The error to raise when S3 refused a call carrying ExpectedBucketOwner with 403,
    naming `setting` (the flag or key that named the bucket); None for other errors."""
    if not isinstance(error, ClientError) or gateway.error_code(error) not in OWNER_REFUSED:
        return None
    return errors.BucketOwnerError(
        f"{setting} {bucket!r}: S3 refused {error.operation_name} "
        f"({gateway.error_code(error)}), which names account {account}, these credentials' "
        f"own, as the bucket's owner (ExpectedBucketOwner): the bucket belongs to another "
        f"account, or these credentials may not {action} on it. Name a bucket of account "
        f"{account} that allows {action}"
    )
