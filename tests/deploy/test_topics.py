"""The topics a change set leaves on the stack, and why CloudFormation could not use one."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from planar_cfn.deploy import topics

TOPIC = "arn:aws:sns:us-east-1:123456789012:acme-deploys"
REGION = "us-east-1"


def failing(code: str):
    def read(arn: str):
        raise ClientError({"Error": {"Code": code, "Message": "no"}}, "GetTopicAttributes")

    return read


def test_the_stage_files_list_replaces_the_stacks():
    stack = {"NotificationARNs": ["old"]}
    assert topics.after_change_set(stack, [TOPIC]) == [TOPIC]
    assert topics.after_change_set(stack, []) == []


def test_without_a_list_the_stack_keeps_its_own():
    assert topics.after_change_set({"NotificationARNs": [TOPIC]}, None) == [TOPIC]
    assert topics.after_change_set({}, None) == []
    assert topics.after_change_set(None, None) == []


def test_a_readable_topic_on_a_customer_key_is_usable():
    attributes = {"KmsMasterKeyId": "alias/deploys"}
    assert topics.topic_problem(TOPIC, REGION, lambda arn: attributes) is None


@pytest.mark.parametrize(
    ("code", "said"),
    [
        ("NotFound", "does not exist (NotFound: no)"),
        ("InvalidParameter", "is not a topic SNS accepts"),
        ("AuthorizationError", "allow them sns:GetTopicAttributes on it"),
    ],
)
def test_a_topic_sns_refuses_is_named(code, said):
    assert said in (topics.topic_problem(TOPIC, REGION, failing(code)) or "")


@pytest.mark.parametrize("code", ["ExpiredToken", "Throttling", "InternalError"])
def test_other_errors_are_not_the_topics_fault(code):
    with pytest.raises(ClientError):
        topics.topic_problem(TOPIC, REGION, failing(code))


def test_a_topic_elsewhere_is_refused_unread():
    problem = topics.topic_problem(TOPIC, "eu-west-1", failing("NotFound"))
    assert problem == "is in us-east-1, but the stack is in eu-west-1"
