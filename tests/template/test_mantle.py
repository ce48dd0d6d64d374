"""Bedrock Mantle (planar_cfn/template/mantle.py, parameter BedrockMantle): the
statements that replace the managed policy AmazonBedrockMantleInferenceAccess, and the
switch that gives them to the task role (docs/security.md, Bedrock Mantle)."""

import json

import pytest
from troposphere import encode_to_dict

from planar_cfn import StackConfig, build_template
from planar_cfn.template.mantle import mantle_statements
from tests.cfn import evaluate, props
from tests.template.sample import SAMPLE

ACCOUNT = {"AWS::AccountId": "123456789012", **SAMPLE}


def _json(statements):
    return evaluate(encode_to_dict(statements), ACCOUNT)


def test_inference_on_the_accounts_projects_in_the_region_and_the_bearer_token():
    inference, bearer = _json(mantle_statements())
    assert inference == {
        "Sid": "MantleInference",
        "Effect": "Allow",
        "Action": ["bedrock-mantle:CreateInference", "bedrock-mantle:GetProject"],
        "Resource": ["arn:aws:bedrock-mantle:us-east-1:123456789012:project/*"],
    }
    # No resource type to scope: `*`, as the managed policy grants it.
    assert bearer == {
        "Sid": "MantleBearerToken",
        "Effect": "Allow",
        "Action": ["bedrock-mantle:CallWithBearerToken"],
        "Resource": ["*"],
    }
    # Narrower than the managed policy: no Get*/List* wildcard, no other account or region.
    actions = [a for s in (inference, bearer) for a in s["Action"]]
    assert not any("*" in a for a in actions)


def test_named_projects_narrow_the_grant_and_sigv4_clients_need_no_bearer_token():
    (inference,) = _json(
        mantle_statements(["proj_abc123", "default", "proj_abc123"], bearer_token=False)
    )
    assert inference["Resource"] == [
        "arn:aws:bedrock-mantle:us-east-1:123456789012:project/proj_abc123",
        "arn:aws:bedrock-mantle:us-east-1:123456789012:project/default",
    ]


@pytest.mark.parametrize("bad", ["proj-abc", "*", "", "proj_", "Default", 7])
def test_a_bad_project_id_is_refused_naming_it_and_what_is_allowed(bad):
    with pytest.raises(
        ValueError, match="must be proj_ followed by letters and digits, or default"
    ) as error:
        mantle_statements([bad])
    assert repr(bad) in str(error.value)


def test_a_lone_string_is_refused():
    with pytest.raises(TypeError, match="project_ids = 'proj_abc': must be a tuple or list"):
        mantle_statements("proj_abc")


def _mantle_policy(template, on):
    mantle = [
        p for p in props(template, "TaskRole")["Policies"] if "bedrock-mantle" in json.dumps(p)
    ]
    policies = evaluate(mantle, {**ACCOUNT, "AWS::NoValue": None}, {"AllowBedrockMantle": on})
    return [p for p in policies if p]


def test_the_switch_is_off_by_default_and_gives_the_task_role_the_statements(template):
    assert template["Parameters"]["BedrockMantle"]["Default"] == "false"
    assert template["Parameters"]["BedrockMantle"]["AllowedValues"] == ["true", "false"]
    assert template["Conditions"]["AllowBedrockMantle"] == {
        "Fn::Equals": [{"Ref": "BedrockMantle"}, "true"]
    }
    assert _mantle_policy(template, False) == []
    (policy,) = _mantle_policy(template, True)
    assert policy["PolicyDocument"]["Statement"] == _json(mantle_statements())
    # The execution role never gets it: it is the application's access.
    assert "bedrock-mantle" not in json.dumps(props(template, "ExecutionRole"))


def test_library_users_can_give_the_statements_without_the_switch():
    config = StackConfig.for_stage("dev")
    config = StackConfig(config.stage, task_role_statements=tuple(mantle_statements(["default"])))
    role = build_template(config).to_dict()["Resources"]["TaskRole"]["Properties"]
    (extensions,) = [
        p for p in role["Policies"] if isinstance(p, dict) and p.get("PolicyName") == "extensions"
    ]
    assert [s["Sid"] for s in extensions["PolicyDocument"]["Statement"]] == [
        "MantleInference",
        "MantleBearerToken",
    ]
