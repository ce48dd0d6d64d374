"""The notification topics a change set leaves on the stack, checked with SNS before
anything is created.

A topic deleted after the first deploy breaks every later change set that keeps it,
so each topic the stack will publish to after this run is read with GetTopicAttributes
first: the stage file's `notification_topic_arns` when it names them (they replace the
stack's), else the stack's own NotificationARNs, which CloudFormation keeps when the
request leaves NotificationARNs out. A topic that is missing, in another region,
unreadable, or encrypted with the AWS-managed SNS key (which CloudFormation cannot
use) is refused, naming the key, the topic and what to do: exit 2, nothing created.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from ..aws.gateway import error_code, error_message, rejects_credentials
from ..errors import InputError
from ..inputs import notifications
from ..inputs.notifications import KEY, TOPIC_ARN
from ..inputs.stage_file import StageFile
from ..paths import shown

__all__ = ["AWS_MANAGED_KEY", "after_change_set", "check", "topic_problem"]

# The alias SNS reports as KmsMasterKeyId for a topic on the AWS-managed key: that
# key's policy cannot be changed to let the CloudFormation service use it.
AWS_MANAGED_KEY = "alias/aws/sns"


def after_change_set(stack: Mapping[str, Any] | None, given: Sequence[str] | None) -> list[str]:
    """The topics the stack publishes to once the change set runs: the stage file's
    list when it gives one ([] clears them), else the stack's, which CloudFormation keeps."""
    if given is not None:
        return list(given)
    return list((stack or {}).get("NotificationARNs", []))


def topic_problem(arn: str, region: str, read: Callable[[str], Mapping[str, str]]) -> str | None:
    """Why CloudFormation could not publish the stack's events to `arn`, or None.
    `read` is GetTopicAttributes' Attributes for a topic."""
    if not TOPIC_ARN.fullmatch(arn):
        return "is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"
    where = notifications.elsewhere(arn, region)
    if where:
        return where
    try:
        attributes = read(arn)
    except ClientError as error:
        code = error_code(error)
        if rejects_credentials(error) or code not in _REFUSED:
            raise  # not the topic's fault: said as for any other call
        return _REFUSED[code].format(message=error_message(error))
    if attributes.get("KmsMasterKeyId", "") == AWS_MANAGED_KEY:
        return (
            f"is encrypted with the AWS-managed key {AWS_MANAGED_KEY}, which CloudFormation "
            "cannot use: encrypt it with a customer-managed key whose policy lets "
            "cloudformation.amazonaws.com use kms:GenerateDataKey* and kms:Decrypt "
            "(docs/deploying.md)"
        )
    return None


# GetTopicAttributes' errors that say the topic cannot be used as it is.
_REFUSED = {
    "NotFound": "does not exist (NotFound: {message})",
    "InvalidParameter": "is not a topic SNS accepts (InvalidParameter: {message})",
    "AuthorizationError": "cannot be read by these credentials (AuthorizationError: {message}): "
    "allow them sns:GetTopicAttributes on it (docs/deploying.md)",
}


def check(
    client: Callable[[str], Any],
    stage_file: StageFile,
    stack: Mapping[str, Any] | None,
    region: str,
    *,
    sends_topics: bool = True,
) -> None:
    """Refuse, before anything is created, a topic the stack would publish to after
    this change set that CloudFormation could not use. `sends_topics` is False for a
    request that never sends NotificationARNs (--image-tag): the stack keeps its own."""
    given = stage_file.notification_topic_arns if sends_topics else None

    def read(arn: str) -> Mapping[str, str]:
        answer = client("sns").get_topic_attributes(TopicArn=arn)
        return dict(answer.get("Attributes", {}))

    problems = []
    for arn in after_change_set(stack, given):
        problem = topic_problem(arn, region, read)
        if problem is None:
            continue
        if given is not None:
            problems.append(
                f"{shown(stage_file.path)}: {KEY}: topic {arn} {problem}: list only topics "
                f"in {region} that exist, or [] for none"
            )
        else:
            problems.append(_kept_problem(arn, problem, stage_file, sends_topics=sends_topics))
    if problems:
        raise InputError("\n".join(problems))


def _kept_problem(arn: str, problem: str, stage_file: StageFile, *, sends_topics: bool) -> str:
    """A topic the stack already has, kept because the request leaves NotificationARNs out."""
    why = (
        f"{KEY} is not in {shown(stage_file.path)}, so CloudFormation keeps the stack's topics"
        if sends_topics
        else "an --image-tag update keeps the stack's topics"
    )
    fix = f"set {KEY} in {shown(stage_file.path)} to the topics to keep ([] for none)"
    if not sends_topics:
        fix += " and deploy without --image-tag once"
    return f"stack {stage_file.stack_name}: its topic {arn} {problem}; {why}: {fix}"
