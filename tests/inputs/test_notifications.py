"""The stack's event notifications: the stage file's notification_topic_arns sent as
CreateChangeSet's NotificationARNs, and a bad list refused before any AWS call."""

from __future__ import annotations

import pytest

from planar_cfn.cli import commands as cli
from planar_cfn.errors import ExitCode
from planar_cfn.inputs import notifications
from tests.deploy.scenarios import (
    create_request,
    image_tag_update,
    previous_parameters,
    update_request,
)
from tests.deploy_stubs import STAGE_VALUES, change, expected_parameters, stack

TOPIC = "arn:aws:sns:us-east-1:123456789012:acme-deploys"
CHAT = "arn:aws:sns:us-east-1:123456789012:acme-chat"
ELSEWHERE = "arn:aws:sns:eu-west-1:123456789012:acme-deploys"


def topic(h, arn, **attributes):
    """GetTopicAttributes finds the topic."""
    h.aws.stub("sns").add_response(
        "get_topic_attributes", {"Attributes": {"TopicArn": arn, **attributes}}, {"TopicArn": arn}
    )


def missing(h, arn):
    """GetTopicAttributes does not find the topic."""
    h.aws.stub("sns").add_client_error(
        "get_topic_attributes",
        "NotFound",
        "Topic does not exist",
        404,
        expected_params={"TopicArn": arn},
    )


def stack_with_topics(h, arns):
    """DescribeStacks: the stack as deployed, publishing to `arns`."""
    described = {**stack(h.stage, "UPDATE_COMPLETE", parameters=previous_parameters(h))}
    described["NotificationARNs"] = arns
    h.cfn.add_response("describe_stacks", {"Stacks": [described]}, {"StackName": h.name})


def refused(h, *flags):
    """Exit 2 with nothing created; the error output."""
    assert h.run(*flags) == ExitCode.BAD_INPUT, h.err.getvalue()
    err = h.err.getvalue()
    assert err.endswith("build.py: nothing was created or changed\n"), err
    return err


def test_a_first_create_sends_the_topics(harness):
    h = harness("dev", {**STAGE_VALUES, "notification_topic_arns": [TOPIC, CHAT]})
    h.no_stack()
    topic(h, TOPIC)
    topic(h, CHAT)
    # The same topics go to the alarms, as AlarmTopicArns.
    sent = expected_parameters({**STAGE_VALUES, "notification_topic_arns": [TOPIC, CHAT]})
    assert {"ParameterKey": "AlarmTopicArns", "ParameterValue": f"{TOPIC},{CHAT}"} in sent
    h.created(**create_request(h, NotificationARNs=[TOPIC, CHAT], Parameters=sent))
    h.ready([change("Add", "Cluster", "AWS::ECS::Cluster")])
    h.deleted_change_set()
    h.deleted_stack()

    assert h.run("--dry-run") == ExitCode.OK, h.err.getvalue()


def test_an_empty_list_removes_the_stacks_topics_on_an_update(harness):
    h = harness("dev", {**STAGE_VALUES, "notification_topic_arns": []})
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h, NotificationARNs=[]))
    h.ready([change("Modify", "Service", "AWS::ECS::Service")])
    h.deleted_change_set()

    assert h.run("--dry-run") == ExitCode.OK, h.err.getvalue()


def test_without_the_key_the_stack_keeps_its_topics(harness):
    # No NotificationARNs in the request: CloudFormation keeps what the stack has.
    h = harness("dev")
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h))
    h.ready([change("Modify", "Service", "AWS::ECS::Service")])
    h.deleted_change_set()

    assert h.run("--dry-run") == ExitCode.OK, h.err.getvalue()


def test_an_image_tag_update_keeps_the_stacks_topics(harness, templates):
    h = harness("prod", {**STAGE_VALUES, "notification_topic_arns": [TOPIC]})
    before = previous_parameters(h)
    h.stack("UPDATE_COMPLETE", parameters=before)
    image_tag_update(h, templates["prod"], before)
    h.change_set(status="FAILED", execution="UNAVAILABLE", reason="No updates are to be performed.")
    h.deleted_change_set()
    h.protected()

    assert h.run("--image-tag", "v42", "--yes") == ExitCode.OK, h.err.getvalue()


def test_a_listed_topic_that_does_not_exist_is_refused_before_anything_is_created(harness):
    h = harness("dev", {**STAGE_VALUES, "notification_topic_arns": [TOPIC, CHAT]})
    h.no_stack()
    topic(h, TOPIC)
    missing(h, CHAT)

    err = refused(h, "--dry-run")

    assert (
        f"dev.json: {notifications.KEY}: topic {CHAT} does not exist (NotFound: Topic does not "
        "exist): list only topics in us-east-1 that exist, or [] for none"
    ) in err


def test_a_topic_on_the_aws_managed_key_is_refused(harness):
    h = harness("dev", {**STAGE_VALUES, "notification_topic_arns": [TOPIC]})
    h.no_stack()
    topic(h, TOPIC, KmsMasterKeyId="alias/aws/sns")

    err = refused(h, "--dry-run")

    assert f"topic {TOPIC} is encrypted with the AWS-managed key alias/aws/sns" in err
    assert "customer-managed key" in err


def test_without_the_key_a_deleted_topic_the_stack_keeps_is_refused(harness):
    # CloudFormation would keep the stack's topics, the deleted one too.
    h = harness("dev")
    stack_with_topics(h, [TOPIC, CHAT])
    topic(h, TOPIC)
    missing(h, CHAT)

    err = refused(h, "--dry-run")

    assert f"stack planar-dev-acme: its topic {CHAT} does not exist" in err
    assert f"{notifications.KEY} is not in" in err
    assert f"set {notifications.KEY} in" in err
    assert "to the topics to keep ([] for none)" in err


def test_without_the_key_a_stack_topic_in_another_region_is_refused_unread(harness):
    h = harness("dev")
    stack_with_topics(h, [ELSEWHERE])

    err = refused(h, "--dry-run")

    assert f"its topic {ELSEWHERE} is in eu-west-1, but the stack is in us-east-1" in err


def test_without_the_key_the_stacks_topics_are_checked_and_kept(harness):
    h = harness("dev")
    stack_with_topics(h, [TOPIC])
    topic(h, TOPIC)
    h.created(**update_request(h))  # no NotificationARNs: the stack keeps TOPIC
    h.ready([change("Modify", "Service", "AWS::ECS::Service")])
    h.deleted_change_set()

    assert h.run("--dry-run") == ExitCode.OK, h.err.getvalue()


def test_a_listed_topic_replaces_the_stacks_unchecked_ones(harness):
    # The stack's CHAT is gone, but the list replaces it: only TOPIC is read.
    h = harness("dev", {**STAGE_VALUES, "notification_topic_arns": [TOPIC]})
    stack_with_topics(h, [CHAT])
    topic(h, TOPIC)
    listed = expected_parameters({**STAGE_VALUES, "notification_topic_arns": [TOPIC]})
    h.created(**update_request(h, NotificationARNs=[TOPIC], Parameters=listed))
    h.ready([change("Modify", "Service", "AWS::ECS::Service")])
    h.deleted_change_set()

    assert h.run("--dry-run") == ExitCode.OK, h.err.getvalue()


def test_an_empty_list_clears_a_deleted_topic_without_reading_it(harness):
    h = harness("dev", {**STAGE_VALUES, "notification_topic_arns": []})
    stack_with_topics(h, [CHAT])
    h.created(**update_request(h, NotificationARNs=[]))
    h.ready([change("Modify", "Service", "AWS::ECS::Service")])
    h.deleted_change_set()

    assert h.run("--dry-run") == ExitCode.OK, h.err.getvalue()


def test_an_image_tag_update_refuses_a_deleted_topic_the_stack_keeps(harness):
    # The stage file's list is not sent on an image-only update: the stack's topics stay.
    h = harness("dev", {**STAGE_VALUES, "notification_topic_arns": []})
    stack_with_topics(h, [CHAT])
    missing(h, CHAT)

    err = refused(h, "--image-tag", "v42", "--yes")

    assert f"its topic {CHAT} does not exist" in err
    assert "an --image-tag update keeps the stack's topics" in err
    assert "deploy without --image-tag once" in err


@pytest.mark.parametrize(
    ("topics", "said"),
    [
        (TOPIC, "must be a JSON list of at most 5 SNS topic ARNs"),
        (["acme-deploys"], "item 0 ('acme-deploys') is not an SNS topic ARN"),
        (
            ["arn:aws:sqs:us-east-1:123456789012:acme"],
            "item 0 ('arn:aws:sqs:us-east-1:123456789012:acme') is not an SNS topic ARN",
        ),
        ([f"{TOPIC}{n}" for n in range(6)], "6 topics: CloudFormation takes at most 5"),
        ([TOPIC, TOPIC], f"{TOPIC} is listed more than once"),
        (
            ["arn:aws:sns:eu-west-1:123456789012:acme-deploys"],
            "topic arn:aws:sns:eu-west-1:123456789012:acme-deploys is in eu-west-1, but the "
            "stack is in us-east-1: name a topic in us-east-1",
        ),
    ],
)
def test_a_bad_topic_list_is_refused_before_any_aws_call(harness, topics, said):
    # GIVEN stubs with nothing queued: any AWS call would fail the run another way
    h = harness("dev", {**STAGE_VALUES, "notification_topic_arns": topics})
    argv = ["--stage", "dev", "--stage-file", str(h.path), "--dry-run"]

    # WHEN build.py runs the deploy
    code = cli.main(argv, out=h.out, err=h.err, runtime=h.runtime())

    # THEN exit 2, naming the file, the key and what is wrong; nothing rendered or sent
    assert code == ExitCode.BAD_INPUT
    err = h.err.getvalue()
    assert f"dev.json: {notifications.KEY}" in err
    assert said in err
    assert err.endswith("build.py: nothing was created or changed\n")
    assert h.out.getvalue() == ""


def test_the_limit_is_the_api_models():
    import boto3

    model = boto3.client("cloudformation", region_name="us-east-1").meta.service_model
    shape = model.operation_model("CreateChangeSet").input_shape.members["NotificationARNs"]
    assert shape.metadata["max"] == notifications.MAX_TOPICS


def test_without_the_key_the_alarms_keep_the_stacks_topics(harness):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h, AlarmTopicArns=TOPIC))
    kept = expected_parameters(STAGE_VALUES, notification_topic_arns={"UsePreviousValue": True})
    h.created(**update_request(h, Parameters=kept))
    h.ready([change("Modify", "Service", "AWS::ECS::Service")])
    h.deleted_change_set()

    assert h.run("--dry-run") == ExitCode.OK, h.err.getvalue()
