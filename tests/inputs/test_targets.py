"""Targets files (docs/stacksets.md): checked whole before any AWS call; each problem
names the file, the target, the key, the value and what is allowed."""

import copy
import json

import pytest

from planar_cfn.inputs import targets
from planar_cfn.inputs.stage_file import PASSWORD_ENV, STAGES_DIR, StageFileError
from planar_cfn.inputs.stages import STAGE_NAMES, get_stage
from tests.deploy.stack_set_stubs import TARGETS
from tests.deploy_stubs import STAGE_VALUES

EXAMPLE = STAGES_DIR / "example-targets.json"


def load(tmp_path, data, stage="dev", values=None):
    stage_path = tmp_path / "dev.json"
    stage_path.write_text(json.dumps(STAGE_VALUES if values is None else values))
    path = tmp_path / "targets.json"
    path.write_text(json.dumps(data))
    return targets.load(path, stage_path, get_stage(stage), {})


def problems(tmp_path, data, **kw):
    with pytest.raises((targets.TargetsError, StageFileError)) as error:
        load(tmp_path, data, **kw)
    return str(error.value)


def changed(**top):
    data = copy.deepcopy(TARGETS)
    data.update(top)
    return data


def with_target(index, **keys):
    data = copy.deepcopy(TARGETS)
    data["targets"][index].update(keys)
    return data


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_the_committed_example_is_valid_for_every_stage(stage):
    _, loaded = targets.load(
        EXAMPLE, STAGES_DIR / "example.json", get_stage(stage), {PASSWORD_ENV: "x"}
    )
    assert [t.accounts for t in loaded.targets] == [("111111111111",), ("222222222222",)]
    assert loaded.targets[1].overrides["HostedZoneId"] == "Z0BBBBBBBBBBBBBBBBBBB"
    # The stack's event topics are the stage's account's: the other account's alarms get none.
    assert loaded.targets[1].overrides["AlarmTopicArns"] == ""


def test_a_targets_values_override_only_what_it_names(tmp_path):
    _, loaded = load(tmp_path, TARGETS)
    assert loaded.targets[0].overrides == {"ContainerImageTag": "1.4.3"}
    assert loaded.stack_set_name == "planar-dev-acme"
    assert loaded.call_as_argument == {}


def test_defaults_by_stage_prod_goes_one_region_and_one_account_at_a_time(tmp_path):
    _, prod = load(tmp_path, TARGETS, stage="prod")
    assert prod.preferences.request(["eu-west-1", "us-east-1"]) == {
        "RegionConcurrencyType": "SEQUENTIAL",
        "RegionOrder": ["us-east-1", "eu-west-1"],
        "FailureToleranceCount": 0,
        "MaxConcurrentCount": 1,
        "ConcurrencyMode": "STRICT_FAILURE_TOLERANCE",
    }
    _, dev = load(tmp_path, TARGETS)
    assert (dev.preferences.region_concurrency, dev.preferences.max_concurrent_count) == (
        "PARALLEL",
        10,
    )


def test_a_bad_override_names_the_file_the_target_the_key_the_value_and_what_is_allowed(tmp_path):
    data = copy.deepcopy(TARGETS)
    data["targets"][1]["values"]["vpc_id"] = "vpc-nope"
    message = problems(tmp_path, data)
    assert message.startswith(f"{tmp_path / 'targets.json'}: targets[1].values: vpc_id = ")
    assert '"vpc-nope": must be' in message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            with_target(0, accounts=["12345"]),
            'targets[0].accounts[0] = "12345": must be a 12-digit',
        ),
        (
            with_target(0, organizational_units=["ou-ab12-cdef3456"]),
            "targets[0].organizational_units: only with SERVICE_MANAGED",
        ),
        (
            with_target(0, regions=["mars-1"]),
            'targets[0].regions[0] = "mars-1": must be an AWS region',
        ),
        (
            with_target(0, values={"region": "eu-west-1"}),
            "targets[0].values.region: a deploy setting, not a parameter",
        ),
        (with_target(0, where="x"), "targets[0]: unknown key 'where'"),
        (
            with_target(1, accounts=["111111111111"], regions=["us-east-1"]),
            "targets[1]: 111111111111 in us-east-1 is also targets[0]'s",
        ),
        (
            changed(call_as="DELEGATED_ADMIN"),
            'call_as = "DELEGATED_ADMIN": only with SERVICE_MANAGED',
        ),
        (changed(auto_deployment=True), "auto_deployment: only with SERVICE_MANAGED"),
        (changed(permission_model="ORG"), 'permission_model = "ORG": must be one of SELF_MANAGED'),
        (changed(targets=[]), "targets: must be a JSON list of one or more targets"),
        (
            changed(operation={"concurrency_mode": "FAST"}),
            'operation.concurrency_mode = "FAST": must be one of STRICT_FAILURE_TOLERANCE',
        ),
        (
            changed(operation={"max_concurrent_count": 0}),
            "operation.max_concurrent_count = 0: must be a whole number >= 1",
        ),
        (
            changed(operation={"region_order": ["ap-south-1"]}),
            "operation.region_order: ap-south-1 is no target's region",
        ),
        (changed(preview=["111111111111"]), 'preview[0] = "111111111111": must be ACCOUNT/REGION'),
        (
            changed(administration_role_arn="admin"),
            'administration_role_arn = "admin": must be an IAM role ARN',
        ),
        (changed(colour="blue"), "unknown key 'colour'; allowed keys: stack_set_name,"),
    ],
)
def test_each_bad_value_is_named(tmp_path, data, expected):
    assert expected in problems(tmp_path, data)


def test_service_managed_takes_ous_and_no_roles(tmp_path):
    data = {
        "permission_model": "SERVICE_MANAGED",
        "execution_role_name": "X",
        "targets": [{"accounts": ["111111111111"], "regions": ["us-east-1"]}],
    }
    message = problems(tmp_path, data)
    assert "execution_role_name: only with SELF_MANAGED" in message
    assert "targets[0].accounts: SERVICE_MANAGED deploys to organizational_units" in message


def test_the_stage_file_gives_every_value_the_stack_set_needs(tmp_path):
    values = {k: v for k, v in STAGE_VALUES.items() if k != "hosted_zone_id"}
    assert "hosted_zone_id is missing: a StackSet's parameters are not looked up" in problems(
        tmp_path, TARGETS, values=values
    )
