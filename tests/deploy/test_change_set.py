"""Change-set building blocks: the state table over every pair AWS can return,
capabilities and stateful resources read from the template, the stack policy,
the S3 upload of a template too big to pass inline (against moto), and a change set's
changes read across every page."""

import json

import boto3
import botocore.session
import pytest
from moto import mock_aws

from planar_cfn.deploy import change_set
from planar_cfn.deploy.change_set import Change, ChangeSetState, classify
from planar_cfn.errors import ExitCode
from tests.deploy.scenarios import previous_parameters, update_request
from tests.deploy_stubs import REGION, change

MODEL = botocore.session.get_session().get_service_model("cloudformation")
STATUSES = MODEL.shape_for("ChangeSetStatus").enum
EXECUTION_STATUSES = MODEL.shape_for("ExecutionStatus").enum
EMPTY = (
    "The submitted information didn't contain changes. Submit different information to create a change set.",
    "No updates are to be performed.",
)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("execution", EXECUTION_STATUSES)
def test_every_status_pair_reduces_to_one_state(status, execution):
    state = classify(status, execution, "Template format error")
    if status in ("CREATE_PENDING", "CREATE_IN_PROGRESS"):
        assert state is ChangeSetState.PENDING
    elif status == "CREATE_COMPLETE" and execution == "AVAILABLE":
        assert state is ChangeSetState.READY
    else:
        assert state is ChangeSetState.FAILED


@pytest.mark.parametrize("reason", EMPTY)
def test_both_wordings_of_an_empty_change_set(reason):
    assert classify("FAILED", "UNAVAILABLE", reason) is ChangeSetState.NO_CHANGES


def test_capabilities_come_from_the_template(templates):
    for template in templates.values():
        assert change_set.required_capabilities(template) == ["CAPABILITY_NAMED_IAM"]
    unnamed = {"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {}}}}
    assert change_set.required_capabilities(unnamed) == ["CAPABILITY_IAM"]
    assert change_set.required_capabilities({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}) == []
    macro = {"Transform": "AWS::Serverless-2016-10-31", "Resources": {}}
    assert change_set.required_capabilities(macro) == ["CAPABILITY_AUTO_EXPAND"]


def test_stateful_resources_of_prod(templates):
    assert change_set.stateful_logical_ids(templates["prod"]) == [
        "EncryptionKey",
        "CustomSecret",
        "RegistryCredentialsSecret",
        "AppBucket",
        "DatabaseCluster",
        "DatabaseWriter",
        "DatabaseReader1",
    ]


@pytest.mark.parametrize(
    ("change", "loses_data"),
    [
        (Change("Modify", "DatabaseCluster", "AWS::RDS::DBCluster", "True"), True),
        (Change("Modify", "DatabaseCluster", "AWS::RDS::DBCluster", "Conditional"), True),
        (Change("Modify", "DatabaseCluster", "AWS::RDS::DBCluster", "False"), False),
        (Change("Remove", "AppBucket", "AWS::S3::Bucket", ""), True),
        (Change("Add", "AppBucket", "AWS::S3::Bucket", ""), False),
        (Change("Modify", "TaskDefinition", "AWS::ECS::TaskDefinition", "True"), False),
    ],
)
def test_what_counts_as_data_loss(change, loses_data):
    assert change.loses_data is loses_data


def test_the_stack_policy_denies_replacing_and_deleting_stateful_resources(templates):
    policy = change_set.stack_policy(templates["prod"])
    db = Change("Modify", "DatabaseCluster", "AWS::RDS::DBCluster", "True")
    gone = Change("Remove", "CustomSecret", "AWS::SecretsManager::Secret", "")
    service = Change("Modify", "Service", "AWS::ECS::Service", "True")
    assert change_set.policy_denies(policy, db)
    assert change_set.policy_denies(policy, gone)
    assert not change_set.policy_denies(policy, service)
    lifted = json.dumps(
        {
            "Statement": [
                {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}
            ]
        }
    )
    assert not change_set.policy_denies(lifted, db)
    assert not change_set.policy_denies(None, db)
    everything = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Deny",
                    "Action": "Update:*",
                    "Principal": "*",
                    "Resource": "LogicalResourceId/Database*",
                }
            ]
        }
    )
    assert change_set.policy_denies(everything, db)


REPLACED = Change("Modify", "DatabaseCluster", "AWS::RDS::DBCluster", "True")
CONDITIONALLY_REPLACED = Change("Modify", "DatabaseCluster", "AWS::RDS::DBCluster", "Conditional")
REMOVED = Change("Remove", "DatabaseCluster", "AWS::RDS::DBCluster", "")


def _deny(*actions):
    return json.dumps(
        {
            "Statement": [
                {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"},
                {
                    "Effect": "Deny",
                    "Action": list(actions),
                    "Principal": "*",
                    "Resource": "LogicalResourceId/DatabaseCluster",
                },
            ]
        }
    )


@pytest.mark.parametrize(
    ("denied", "change", "blocked"),
    [
        # A removal is CloudFormation's Update:Delete; a replacement its Update:Replace.
        ("Update:Delete", REMOVED, True),
        ("Update:Delete", REPLACED, False),
        ("Update:Delete", CONDITIONALLY_REPLACED, False),
        ("Update:Replace", REPLACED, True),
        ("Update:Replace", CONDITIONALLY_REPLACED, True),
        ("Update:Replace", REMOVED, False),
    ],
)
def test_a_policy_denying_delete_or_replace_blocks_only_that(denied, change, blocked):
    assert change_set.policy_denies(_deny(denied), change) is blocked


# moto's account: the owner of the buckets it makes.
OWNER = "123456789012"


def test_a_big_template_is_uploaded_once_per_content(aws_env):
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="acme.cfn-templates")
        body = json.dumps({"Resources": {}, "Description": "x" * 60_000})

        url = change_set.upload_template(s3, "acme.cfn-templates", "planar-prod-acme", body, OWNER)

        key = url.split("/acme.cfn-templates/", 1)[1]
        assert url.startswith(
            "https://s3.us-east-1.amazonaws.com/acme.cfn-templates/planar-cfn/planar-prod-acme/"
        )
        stored = s3.get_object(Bucket="acme.cfn-templates", Key=key)
        assert stored["Body"].read().decode() == body
        assert stored["ContentType"] == "application/json"
        assert (
            change_set.upload_template(s3, "acme.cfn-templates", "planar-prod-acme", body, OWNER)
            == url
        )


def test_changes_are_read_across_every_page(harness):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h))
    h.change_set(changes=[])  # the waiter
    h.change_set(
        changes=[change("Modify", "Service", "AWS::ECS::Service")], next_token="page-2", values=True
    )
    h.change_set(
        changes=[change("Remove", "FirewallWebAcl", "AWS::WAFv2::WebACL")],
        token="page-2",
        next_token="page-3",
        values=True,
    )
    h.change_set(changes=[change("Add", "New", "AWS::Logs::LogGroup")], token="page-3", values=True)
    h.deleted_change_set()

    assert h.run("--dry-run") == ExitCode.OK
    out = h.out.getvalue()
    assert "3 resource change(s)" in out
    assert "  - AWS::WAFv2::WebACL" in out
    assert "  + AWS::Logs::LogGroup" in out
    assert "Dry run: the change set was deleted and nothing changed." in out
