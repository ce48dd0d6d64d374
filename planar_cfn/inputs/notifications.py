"""The stack's event notifications: the SNS topics CloudFormation publishes the stack's
events to (CreateChangeSet's NotificationARNs), for teams that route them to chat.

The stage file's `notification_topic_arns` names them; these pure checks refuse a bad
list before any AWS call: each item a topic ARN, at most five (the API's limit on
NotificationARNs), no repeats, and each topic in the stack's region (a choice of
this project: a topic elsewhere is refused here rather than left to CloudFormation).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["KEY", "MAX_TOPICS", "TOPIC_ARN", "elsewhere", "list_problem", "region_problems"]

# The stage-file key.
KEY = "notification_topic_arns"
# CloudFormation's limit on NotificationARNs (the API model's `max` on the list).
MAX_TOPICS = 5
# An SNS topic ARN: partition, region, account, and a standard topic's name (1-256
# letters, digits, hyphens and underscores).
TOPIC_ARN = re.compile(
    r"arn:aws[a-z-]*:sns:(?P<region>[a-z]{2}(-[a-z]+)+-[0-9]+):[0-9]{12}:[A-Za-z0-9_-]{1,256}"
)
_ALLOWED = (
    f"a JSON list of at most {MAX_TOPICS} SNS topic ARNs, such as "
    '["arn:aws:sns:us-east-1:123456789012:deploys"], or [] to remove the stack\'s topics'
)


def list_problem(value: object) -> str | None:
    """Why the stage file's value is not a list of topics CloudFormation takes, or None."""
    if not isinstance(value, list):
        return f"must be {_ALLOWED}"
    for index, item in enumerate(value):
        if not (isinstance(item, str) and TOPIC_ARN.fullmatch(item)):
            return (
                f"item {index} ({item!r}) is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"
            )
    if len(value) > MAX_TOPICS:
        return f"{len(value)} topics: CloudFormation takes at most {MAX_TOPICS}"
    repeated = sorted({item for item in value if value.count(item) > 1})
    if repeated:
        return f"{', '.join(repeated)} is listed more than once"
    return None


def elsewhere(arn: str, region: str) -> str | None:
    """Why a topic ARN is outside the stack's region, or None."""
    match = TOPIC_ARN.fullmatch(arn)
    if match and match["region"] != region:
        return f"is in {match['region']}, but the stack is in {region}"
    return None


def region_problems(arns: Sequence[str], region: str) -> list[str]:
    """A problem for each topic outside the stack's region."""
    return [
        f"{KEY}: topic {arn} {where}: name a topic in {region}"
        for arn in arns
        if (where := elsewhere(arn, region))
    ]
