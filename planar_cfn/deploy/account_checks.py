"""What the account must have before a deploy, checked after the look-ups and before
CloudFormation changes anything:

- on a create, the ECS service-linked role, which a brand-new account lacks and the
  stack's ECS cluster cannot be created without (made here when it is missing);
- when `access_logs_bucket` is set, that bucket: it exists, is in the stack's region
  and its default encryption is SSE-S3, the only one load balancer access logs take.

A check that fails raises AccountNotReady (exit 2): the message names the role or the
bucket, what is wrong and what to do, for a bucket with the exact policy to apply."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TextIO

from botocore.exceptions import ClientError

from ..aws import buckets
from ..aws.gateway import error_code, error_message
from ..errors import InputError
from ..inputs import app_settings
from ..inputs.stage_file import StageFile

__all__ = [
    "ALB_LOG_PREFIX",
    "APP_BUCKET",
    "CREATE_ECS_ROLE",
    "ECS_ROLE",
    "ELB_ACCOUNTS",
    "S3_LOG_PREFIX",
    "AccountNotReady",
    "access_logs_policy",
    "bucket_problem",
    "check",
    "create_ecs_role",
    "ecs_role_exists",
    "log_delivery_principal",
    "partition",
]

# The role ECS uses to manage the tasks' network interfaces and load balancer targets.
# "Using service-linked roles for Amazon ECS" (docs.aws.amazon.com/AmazonECS/latest/
# developerguide/using-service-linked-roles.html): ECS creates AWSServiceRoleForECS
# itself when a cluster is created, but CreateCluster skips it when the caller may not
# create it, and on a new account CloudFormation's cluster with capacity providers can
# fail with "Unable to assume the service linked role. Please verify that the ECS
# service linked role exists." (aws-samples/baseline-environment-on-aws#238). The same
# page gives `aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com`
# and says the role cannot be deleted while any ECS cluster exists in any Region.
#
# So only a create needs the check: a stack that can be updated has its cluster, and
# while that cluster exists IAM refuses to delete the role. The other service-linked
# roles this stack needs are made by their services as CloudFormation creates the
# resources, with the deployer's iam:CreateServiceLinkedRole: AWSServiceRoleForRDS
# ("Using service-linked roles for Amazon RDS": RDS creates it with the first DB
# instance or cluster) and AWSServiceRoleForElasticLoadBalancing ("Elastic Load
# Balancing service-linked role": created with the first load balancer or target
# group). The stack has no Application Auto Scaling target, so no role of its.
ECS_SERVICE = "ecs.amazonaws.com"
ECS_ROLE = "AWSServiceRoleForECS"
CREATE_ECS_ROLE = f"aws iam create-service-linked-role --aws-service-name {ECS_SERVICE}"
# CreateServiceLinkedRole's answer (InvalidInput) when the role exists: made meanwhile
# by ECS, another deploy or a person. "Service role name AWSServiceRoleForECS has been
# taken in this account, please try a different suffix."
TAKEN = "has been taken in this account"
DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})

# Where the stack's resources write their access logs in the bucket: the load
# balancer's access_logs.s3.prefix (load_balancer.py) and the application bucket's
# LogFilePrefix (storage.py); tests/deploy/test_account_checks.py holds them to the template.
ALB_LOG_PREFIX = "alb/planar-{stage}-{app}"
S3_LOG_PREFIX = "s3/planar-{stage}-{app}/"
# The application bucket's name: naming.bucket_name adds the first 8 hex digits of the
# stack's id, unknown before the stack exists, so `?` (one character each) stands in.
APP_BUCKET = "planar-{stage}-{app}-????????"
# Load balancer access logs: "Enable access logs for your Application Load Balancer"
# (docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html).
# The bucket must be in the load balancer's Region, and "the only server-side
# encryption option that's supported is Amazon S3-managed keys (SSE-S3)". Regions
# available before August 2022 let the Elastic Load Balancing account of the Region
# write (arn:aws:iam::<elb-account-id>:root), as listed on that page; the China Regions'
# accounts are on "Elastic Load Balancing - Getting Started with Amazon Web Services in
# China" (docs.amazonaws.cn/en_us/aws/latest/userguide/elb.html). Every other Region
# grants the log delivery service principal instead.
ELB_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-southeast-3": "589379963580",
    "ap-south-1": "718504428378",
    "ap-northeast-3": "383597477331",
    "ap-northeast-2": "600734575887",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-south-1": "635631232127",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
    "cn-north-1": "638102146993",
    "cn-northwest-1": "037604701340",
}
ELB_LOG_DELIVERY = "logdelivery.elasticloadbalancing.amazonaws.com"
# S3 server access logs: "Enabling Amazon S3 server access logging" (docs.aws.amazon.com/
# AmazonS3/latest/userguide/enable-server-access-logging.html): the logging service
# principal, limited to the source bucket (aws:SourceArn) and account (aws:SourceAccount);
# the target bucket is in the source bucket's Region and account.
S3_LOG_DELIVERY = "logging.s3.amazonaws.com"
SSE_S3 = "AES256"
# Sets a bucket's default encryption to SSE-S3, what S3 applies to every bucket since
# January 2023 ("Using server-side encryption with Amazon S3 managed keys (SSE-S3)").
SET_SSE_S3 = (
    "aws s3api put-bucket-encryption --bucket {bucket} --server-side-encryption-configuration "
    '\'{{"Rules":[{{"ApplyServerSideEncryptionByDefault":{{"SSEAlgorithm":"AES256"}}}}]}}\''
)


class AccountNotReady(InputError):
    """The account lacks something the stack needs: the message says what to do, and
    `details` holds what to apply, printed as is (a bucket policy)."""


def partition(region: str) -> str:
    """The ARN partition of a region: aws, aws-cn or aws-us-gov."""
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"


def log_delivery_principal(region: str) -> dict[str, str]:
    """Who writes the load balancer's access logs in `region`."""
    account = ELB_ACCOUNTS.get(region)
    if account:
        return {"AWS": f"arn:{partition(region)}:iam::{account}:root"}
    return {"Service": ELB_LOG_DELIVERY}


def access_logs_policy(
    bucket: str, region: str, account: str, stage: str, app: str
) -> dict[str, Any]:
    """The bucket policy that lets the stack's load balancer and application bucket
    deliver their access logs to `bucket`, and nothing else."""
    arn = f"arn:{partition(region)}:s3:::"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "LoadBalancerAccessLogs",
                "Effect": "Allow",
                "Principal": log_delivery_principal(region),
                "Action": "s3:PutObject",
                "Resource": f"{arn}{bucket}/{ALB_LOG_PREFIX.format(stage=stage, app=app)}"
                f"/AWSLogs/{account}/*",
            },
            {
                "Sid": "S3ServerAccessLogs",
                "Effect": "Allow",
                "Principal": {"Service": S3_LOG_DELIVERY},
                "Action": "s3:PutObject",
                "Resource": f"{arn}{bucket}/{S3_LOG_PREFIX.format(stage=stage, app=app)}*",
                "Condition": {
                    "ArnLike": {"aws:SourceArn": arn + APP_BUCKET.format(stage=stage, app=app)},
                    "StringEquals": {"aws:SourceAccount": account},
                },
            },
        ],
    }


def _error(error: ClientError) -> tuple[str, str]:
    return error_code(error), error_message(error)


def _refused(action: str, error: ClientError) -> str:
    code, message = _error(error)
    return f"{action}: {code}: {message}"


# --- the ECS service-linked role ----------------------------------------------------


def _denied(error: ClientError) -> bool:
    return _error(error)[0] in DENIED


def ecs_role_exists(iam: Any) -> bool:
    """Whether the role exists; a refused iam:GetRole is raised."""
    try:
        iam.get_role(RoleName=ECS_ROLE)
    except ClientError as error:
        if _error(error)[0] == "NoSuchEntity":
            return False
        raise
    return True


def create_ecs_role(iam: Any) -> bool:
    """True when made now, False when it exists already (made meanwhile); a refused
    iam:CreateServiceLinkedRole is raised. Any other InvalidInput is no sign the role
    exists: AccountNotReady, with IAM's answer."""
    try:
        iam.create_service_linked_role(AWSServiceName=ECS_SERVICE)
    except ClientError as error:
        code, message = _error(error)
        if code == "InvalidInput" and TAKEN in message:
            return False
        if code == "InvalidInput":
            raise AccountNotReady(
                f"the ECS service-linked role {ECS_ROLE} does not exist in this account yet, "
                f"and IAM would not create it ({_refused('iam:CreateServiceLinkedRole', error)}); "
                "the stack's ECS cluster cannot be created without it. Run "
                f"`{CREATE_ECS_ROLE}` to see IAM's answer, then deploy again"
            ) from None
        raise
    return True


# --- the access-logs bucket -----------------------------------------------------------


def bucket_problem(s3: Any, bucket: str, region: str, account: str) -> str | None:
    """What keeps `bucket` from receiving the stack's access logs, or None. Every call
    names `account` (the caller's) as the bucket's owner."""
    owner = buckets.owned_by(account)
    try:
        location = s3.get_bucket_location(Bucket=bucket, **owner).get("LocationConstraint")
    except ClientError as error:
        code, _ = _error(error)
        if code == "NoSuchBucket":
            return f"no such bucket: create it in {region}, with SSE-S3 default encryption"
        if code in DENIED:
            return (
                f"its region cannot be read ({_refused('s3:GetBucketLocation', error)}): it "
                f"must be a bucket of this account, {account} (S3 delivers server access logs "
                "only to one of the source bucket's account, and the deploy names the account "
                "as the bucket's owner: S3 refuses a bucket of another account with "
                "AccessDenied), and these credentials need "
                "s3:GetBucketLocation and s3:GetEncryptionConfiguration on it"
            )
        raise
    # GetBucketLocation: us-east-1 is a null LocationConstraint (botocore reads an empty
    # element as None), and EU is the legacy name of eu-west-1.
    found = {None: "us-east-1", "EU": "eu-west-1"}.get(location, location)
    if found != region:
        return (
            f"the bucket is in {found}, but the stack is in {region}: a load balancer delivers "
            f"access logs only to a bucket in its own region. Name a bucket in {region}"
        )
    try:
        rules = s3.get_bucket_encryption(Bucket=bucket, **owner)[
            "ServerSideEncryptionConfiguration"
        ]["Rules"]
    except ClientError as error:
        code, _ = _error(error)
        # No default encryption configured: what S3 answered, before January 2023, for
        # a bucket that never set one (and what S3 look-alikes may still answer). Nothing
        # refuses the logs then; S3 itself now encrypts every new object with SSE-S3.
        if code == "ServerSideEncryptionConfigurationNotFoundError":
            return None
        if code in DENIED:
            return (
                f"its default encryption cannot be read "
                f"({_refused('s3:GetEncryptionConfiguration', error)}): allow "
                f"s3:GetEncryptionConfiguration on arn:{partition(region)}:s3:::{bucket}"
            )
        raise
    algorithms = [
        r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in rules
    ]
    other = [a for a in algorithms if a and a != SSE_S3]
    if other:
        return (
            f"its default encryption is {', '.join(other)}, but load balancer access logs "
            f"support only SSE-S3 ({SSE_S3}): switch it with `{SET_SSE_S3.format(bucket=bucket)}`, "
            "or name another bucket"
        )
    return None


# --- the checks, in order -------------------------------------------------------------


def _check_access_logs_bucket(
    stage_file: StageFile, client: Callable[[str], Any], bucket: str
) -> None:
    """Refuse an access-logs bucket that cannot receive the logs, with the bucket
    policy to apply, filled in."""
    region = client("s3").meta.region_name
    account = buckets.caller_account(client("sts"))
    problem = bucket_problem(client("s3"), bucket, region, account)
    if problem:
        policy = access_logs_policy(bucket, region, account, stage_file.stage, stage_file.app_name)
        raise AccountNotReady(
            f"access_logs_bucket = {bucket!r}: {problem} (or set access_logs_bucket to "
            '"" for no access logs). The bucket\'s policy must also let the load balancer '
            "and S3 deliver the logs (the deploy does not read it): put this one in "
            "policy.json, merged with any statements the bucket has, and apply it with "
            f"`aws s3api put-bucket-policy --bucket {bucket} --policy file://policy.json`:",
            details=json.dumps(policy, indent=2),
        )


def check(
    stage_file: StageFile,
    client: Callable[[str], Any],
    *,
    creating: bool,
    dry_run: bool,
    out: TextIO,
    err: TextIO,
    prog: str,
) -> list[str]:
    """Check what the account must have, then make what is missing and may be made:
    nothing while any check fails, nor on a dry run. Returns what it made."""
    if stage_file.secret_arns:
        sts = client("sts")
        problems = app_settings.account_problems(
            stage_file.secret_arns, buckets.caller_account(sts), sts.meta.region_name
        )
        if problems:
            raise InputError("; ".join(problems))
    role: bool | None = True  # None: unknown, iam:GetRole refused
    if creating:
        try:
            role = ecs_role_exists(client("iam"))
        except ClientError as error:
            if not _denied(error):
                raise
            role = None
    bucket = stage_file.value("access_logs_bucket")
    if bucket:
        _check_access_logs_bucket(stage_file, client, bucket)
    if role:
        return []
    unknown = (
        f"could not check the ECS service-linked role {ECS_ROLE} ({{}} not allowed). If "
        'the stack\'s ECS cluster fails with "Unable to assume the service linked role", '
        f"run `{CREATE_ECS_ROLE}` and deploy again"
    )
    if dry_run:
        if role is None:
            print(f"{prog}: warning: {unknown.format('iam:GetRole is')}", file=err, flush=True)
        else:
            print(
                f"The ECS service-linked role {ECS_ROLE} does not exist yet: the deploy "
                "will create it.",
                file=out,
                flush=True,
            )
        return []
    try:
        made = create_ecs_role(client("iam"))
    except ClientError as error:
        if not _denied(error):
            raise
        if role is None:
            # Neither readable nor creatable: it may well exist, so the deploy goes on.
            both = "iam:GetRole and iam:CreateServiceLinkedRole are"
            print(f"{prog}: warning: {unknown.format(both)}", file=err, flush=True)
            return []
        raise AccountNotReady(
            f"the ECS service-linked role {ECS_ROLE} does not exist in this account yet, and "
            f"these credentials may not create it ({_refused('iam:CreateServiceLinkedRole', error)}); "
            "the stack's ECS cluster cannot be created without it. Have someone allowed run "
            f"`{CREATE_ECS_ROLE}` once for the account, or allow iam:CreateServiceLinkedRole "
            "for ecs.amazonaws.com (docs/deploying.md), then deploy again"
        ) from None
    if not made:
        return []
    print(
        f"Created the ECS service-linked role {ECS_ROLE} ({ECS_SERVICE}): the account's "
        "first ECS cluster needs it.",
        file=out,
        flush=True,
    )
    return [f"created the ECS service-linked role {ECS_ROLE}"]
