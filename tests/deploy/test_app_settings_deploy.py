"""A stage file's environment and secrets in a deploy, against botocore's model: what
CreateChangeSet sends, a changed and a removed variable in the review (a secret's
value never, as the deploy never reads one), and a secret in another account
refused before any change."""

import pytest

from planar_cfn.errors import ExitCode
from tests.deploy.scenarios import previous_parameters, update_request
from tests.deploy_stubs import ACCOUNT, STAGE_VALUES, change, expected_parameters

SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:planar/dev/acme/openai-AbC123"
VALUES = {
    **STAGE_VALUES,
    "environment": {"LOG_LEVEL": "debug", "FEATURES": "search,chat"},
    "secrets": {"OPENAI_API_KEY": SECRET + ":api_key::"},
}
SENT = {
    "AppEnvironment": '{"FEATURES":"search,chat","LOG_LEVEL":"debug"}',
    "AppSecrets": "OPENAI_API_KEY=openai-AbC123:api_key::",
}
BEFORE = {"AppEnvironment": '{"LOG_LEVEL":"info","OLD_FLAG":"1"}', "AppSecrets": ""}


def parameters(**values):
    """CreateChangeSet's Parameters for STAGE_VALUES, with these parameter values."""
    sent = expected_parameters(STAGE_VALUES)
    return [
        {**p, "ParameterValue": values[p["ParameterKey"]]} if p["ParameterKey"] in values else p
        for p in sent
    ]


def test_a_stage_files_variables_and_secrets_are_sent_and_a_change_is_reviewed(harness):
    h = harness("dev", VALUES)
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h, **BEFORE))
    h.network()
    h.caller()  # the secrets' account, checked against the caller's before any change
    h.created(**update_request(h, Parameters=parameters(**SENT)))
    h.ready(
        [
            change("Modify", "EnvironmentFile", "AWS::CloudFormation::CustomResource", "True"),
            change("Modify", "TaskDefinition", "AWS::ECS::TaskDefinition", "True"),
            change("Modify", "ExecutionRole", "AWS::IAM::Role", "False"),
        ],
        parameters=[
            {"ParameterKey": p["ParameterKey"], "ParameterValue": p["ParameterValue"]}
            for p in parameters(**SENT)
        ],
    )
    h.deleted_change_set()

    assert h.run("--dry-run") == ExitCode.OK, h.err.getvalue()
    out = h.out.getvalue()
    # The changed value and the removed variable, as the review shows a parameter.
    assert (
        'AppEnvironment: {"LOG_LEVEL":"info","OLD_FLAG":"1"} -> '
        '{"FEATURES":"search,chat","LOG_LEVEL":"debug"}'
    ) in out
    assert "AppSecrets:  -> OPENAI_API_KEY=openai-AbC123:api_key::" in out
    # Names and references only: the deploy never reads a secret's value.
    assert "secretsmanager" not in h.aws.clients


def test_a_removed_variable_is_not_sent_again(harness, tmp_path):
    kept = {**VALUES, "environment": {"LOG_LEVEL": "debug"}}
    h = harness("dev", kept)
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h, **SENT))
    h.network()
    h.caller()
    h.created(
        **update_request(
            h,
            Parameters=parameters(
                AppEnvironment='{"LOG_LEVEL":"debug"}', AppSecrets=SENT["AppSecrets"]
            ),
        )
    )
    h.ready([change("Modify", "EnvironmentFile", "AWS::CloudFormation::CustomResource", "True")])
    h.deleted_change_set()

    assert h.run("--dry-run") == ExitCode.OK, h.err.getvalue()


@pytest.mark.parametrize("account", ["999999999999"])
def test_a_secret_in_another_account_is_refused_before_any_change(harness, account):
    other = {**VALUES, "secrets": {"OPENAI_API_KEY": SECRET.replace(ACCOUNT, account)}}
    h = harness("dev", other)
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h, **BEFORE))
    h.network()
    h.caller()

    assert h.run() == ExitCode.BAD_INPUT
    error = h.err.getvalue()
    assert f'secrets["OPENAI_API_KEY"] = "{SECRET.replace(ACCOUNT, account)}"' in error
    assert f"the secret is in account {account}" in error
    assert f"the stack deploys to account {ACCOUNT}" in error
    # Nothing was asked of CloudFormation but the stack's description: a
    # CreateChangeSet would have found no stubbed answer.
    assert "create_change_set" not in h.out.getvalue()
