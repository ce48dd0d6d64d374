"""build.py --targets: a stage rolled out as a StackSet to two accounts in two regions,
against botocore Stubbers (docs/stacksets.md). The requests expected are written out
here, not computed by planar_cfn."""

import copy
import json

import pytest

from planar_cfn.errors import ExitCode
from tests.deploy.stack_set_stubs import (
    ACCOUNT_A,
    ACCOUNT_B,
    ADMIN_ROLE,
    NAME,
    OPERATION,
    PREFERENCES,
    TARGETS,
    VALUES_B,
    StackSetHarness,
    overrides_b,
)
from tests.deploy_stubs import STAGE_VALUES, FakeClock, Terminal, expected_parameters, stack_tags

A, B = (ACCOUNT_A, "us-east-1"), (ACCOUNT_B, "eu-west-1")
IMAGE_A = [{"ParameterKey": "ContainerImageTag", "ParameterValue": "1.4.3"}]


@pytest.fixture
def h(tmp_path, rendered):
    return StackSetHarness(tmp_path, rendered["dev"])


def create_set_request(h, **changes):
    return {
        "StackSetName": NAME,
        "Description": "build.py --stage dev --targets (planar-cfn 0.1.0)",
        "TemplateURL": h.template_url,
        "Parameters": expected_parameters(STAGE_VALUES),
        "Capabilities": ["CAPABILITY_NAMED_IAM"],
        "Tags": stack_tags("dev"),
        "PermissionModel": "SELF_MANAGED",
        "AdministrationRoleARN": ADMIN_ROLE,
        "ExecutionRoleName": "AWSCloudFormationStackSetExecutionRole",
        **changes,
    }


def instances_request(account, region, overrides):
    return {
        "StackSetName": NAME,
        "Accounts": [account],
        "Regions": [region],
        "ParameterOverrides": overrides,
        "OperationPreferences": {**PREFERENCES, "RegionOrder": [region]},
    }


def started(h, method, request):
    h.cfn.add_response(method, {"OperationId": OPERATION}, request)


def succeeds(h, account, region):
    h.operation((account, region, "RUNNING", ""), status="RUNNING")
    h.operation((account, region, "SUCCEEDED", ""))


def test_a_create_makes_the_stack_set_then_each_targets_instances_with_its_values(h):
    h.no_stack_set()
    h.both_preflights()
    h.upload()
    h.cfn.add_response(
        "create_stack_set", {"StackSetId": f"{NAME}:0a1b2c3d"}, create_set_request(h)
    )
    started(h, "create_stack_instances", instances_request(*A, IMAGE_A))
    succeeds(h, *A)
    started(h, "create_stack_instances", instances_request(*B, overrides_b()))
    succeeds(h, *B)

    assert h.run("--yes") == ExitCode.OK, h.err.getvalue()

    out = h.out.getvalue()
    assert f"  {ACCOUNT_A}  us-east-1       RUNNING\n" in out
    assert f"  {ACCOUNT_B}  eu-west-1       SUCCEEDED\n" in out
    assert f"Pre-flight targets[1] {ACCOUNT_B} eu-west-1: passed" in out
    # Each target's checks ran in its own account and region, through its role.
    assert h.assumed == [
        (f"arn:aws:iam::{ACCOUNT_A}:role/PlanarPreflight", "us-east-1"),
        (f"arn:aws:iam::{ACCOUNT_B}:role/PlanarPreflight", "eu-west-1"),
    ]
    assert [end.status for end in h.result.operations] == ["SUCCEEDED", "SUCCEEDED"]


def test_service_managed_targets_ous_with_auto_deployment_as_a_delegated_administrator(
    tmp_path, rendered
):
    targets = {
        "permission_model": "SERVICE_MANAGED",
        "auto_deployment": True,
        "call_as": "DELEGATED_ADMIN",
        "operation": {"region_concurrency": "SEQUENTIAL", "max_concurrent_count": 1},
        "targets": [{"organizational_units": ["ou-ab12-cdef3456"], "regions": ["us-east-1"]}],
    }
    h = StackSetHarness(tmp_path, rendered["dev"], targets)
    who = {"CallAs": "DELEGATED_ADMIN"}
    h.cfn.add_client_error(
        "describe_stack_set",
        "StackSetNotFoundException",
        "not found",
        404,
        expected_params={"StackSetName": NAME, **who},
    )
    h.upload()
    request = create_set_request(
        h,
        PermissionModel="SERVICE_MANAGED",
        AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False},
        **who,
    )
    del request["AdministrationRoleARN"], request["ExecutionRoleName"]
    h.cfn.add_response("create_stack_set", {"StackSetId": f"{NAME}:1"}, request)
    started(
        h,
        "create_stack_instances",
        {
            "StackSetName": NAME,
            "DeploymentTargets": {"OrganizationalUnitIds": ["ou-ab12-cdef3456"]},
            "Regions": ["us-east-1"],
            "ParameterOverrides": [],
            "OperationPreferences": {
                **PREFERENCES,
                "RegionConcurrencyType": "SEQUENTIAL",
                "MaxConcurrentCount": 1,
                "RegionOrder": ["us-east-1"],
            },
            **who,
        },
    )
    h.cfn.add_response(
        "describe_stack_set_operation",
        {"StackSetOperation": {"OperationId": OPERATION, "Status": "SUCCEEDED"}},
        {"StackSetName": NAME, "OperationId": OPERATION, **who},
    )
    h.cfn.add_response(
        "list_stack_set_operation_results",
        {"Summaries": [{"Account": "333333333333", "Region": "us-east-1", "Status": "SUCCEEDED"}]},
        {"StackSetName": NAME, "OperationId": OPERATION, **who},
    )

    assert h.run("--yes") == ExitCode.OK, h.err.getvalue()
    # No role to read an OU's accounts with: said, check by check.
    assert "Pre-flight targets[0] (ou-ab12-cdef3456; us-east-1): skipped (hosted zone," in (
        h.out.getvalue()
    )


def deployed(h, change=None):
    """The StackSet's current template: the local one, changed by `change`."""
    template = copy.deepcopy(json.loads(h.rendered.body))
    if change:
        change(template)
    return template


def set_parameters(**values):
    return expected_parameters(STAGE_VALUES, **values)


def existing(h, template, overrides_a=IMAGE_A, overrides_for_b=None):
    h.stack_set(template, set_parameters())
    h.instances(A, B)
    h.instance(*A, overrides_a)
    h.instance(*B, overrides_b() if overrides_for_b is None else overrides_for_b)
    h.preflight(ACCOUNT_A, "us-east-1", STAGE_VALUES, ecs_role=None)
    h.preflight(ACCOUNT_B, "eu-west-1", VALUES_B, ecs_role=None)


def older_template(template):
    template["Resources"]["LogGroup"] = template["Resources"].get(
        "LogGroup", {"Type": "AWS::Logs::LogGroup"}
    )
    template["Description"] = "an older template"


def test_a_dry_run_previews_each_instance_and_makes_no_write_call(h):
    existing(h, deployed(h, older_template), overrides_a=[])

    assert h.run("--dry-run") == ExitCode.OK, h.err.getvalue()

    out = h.out.getvalue()
    assert f"Instance {ACCOUNT_A} us-east-1 (targets[0], CURRENT):" in out
    # Account A's new override is in its preview; B's values are as deployed.
    assert "    ContainerImageTag: 1.4.2 -> 1.4.3" in out
    assert f"Instance {ACCOUNT_B} eu-west-1 (targets[1], CURRENT):" in out
    assert f"  new values: targets[0] ({ACCOUNT_A}; us-east-1) in us-east-1" in out
    assert out.endswith("Dry run: nothing was created or changed.\n")
    # Nothing was stubbed for an upload or a write: the Stubber would have failed them.
    assert [p.account for p in h.result.previews] == [ACCOUNT_A, ACCOUNT_B]


def test_an_update_updates_the_set_then_the_values_that_changed(h):
    existing(h, deployed(h, older_template), overrides_a=[])
    h.upload()
    request = create_set_request(h)
    request["OperationPreferences"] = {**PREFERENCES, "RegionOrder": ["us-east-1", "eu-west-1"]}
    started(h, "update_stack_set", request)
    h.operation((*A, "SUCCEEDED", ""), (*B, "SUCCEEDED", ""))
    started(h, "update_stack_instances", instances_request(*A, IMAGE_A))
    h.operation((*A, "SUCCEEDED", ""))

    assert h.run("--yes") == ExitCode.OK, h.err.getvalue()
    assert h.out.getvalue().count("SUCCEEDED.") == 2


def test_a_stateful_removal_in_any_instance_blocks_the_update(h):
    def with_old_bucket(template):
        template["Resources"]["OldBucket"] = {"Type": "AWS::S3::Bucket"}

    existing(h, deployed(h, with_old_bucket))

    assert h.run("--yes") == ExitCode.BLOCKED
    err = h.err.getvalue()
    assert (
        f"Blocked: in {ACCOUNT_A} us-east-1, the update would replace or remove what holds data: OldBucket."
        in err
    )
    assert "Nothing was changed." in err


def test_the_sample_the_targets_file_names_is_previewed_alone(tmp_path, rendered):
    h = StackSetHarness(
        tmp_path, rendered["dev"], {**TARGETS, "preview": [f"{ACCOUNT_B}/eu-west-1"]}
    )
    existing(h, deployed(h, older_template))

    assert h.run("--dry-run") == ExitCode.OK, h.err.getvalue()
    assert [p.account for p in h.result.previews] == [ACCOUNT_B]
    assert f"Instance {ACCOUNT_A}" not in h.out.getvalue()


def test_a_failed_instance_is_named_with_its_reason_and_the_run_fails(h):
    h.no_stack_set()
    h.both_preflights()
    h.upload()
    h.cfn.add_response(
        "create_stack_set", {"StackSetId": f"{NAME}:0a1b2c3d"}, create_set_request(h)
    )
    started(h, "create_stack_instances", instances_request(*A, IMAGE_A))
    reason = "ResourceLogicalId:DatabaseCluster, ResourceType:AWS::RDS::DBCluster, ResourceStatusReason:quota"
    h.operation((*A, "FAILED", reason), status="FAILED")

    assert h.run("--yes") == ExitCode.FAILED
    err = h.err.getvalue()
    assert f"Operation {OPERATION} FAILED: 1 instance(s) failed:" in err
    assert f"  {ACCOUNT_A}  us-east-1       FAILED: {reason}" in err
    # Account B's instances were never asked for: the Stubber holds no pending call.


def test_a_target_whose_preflight_fails_stops_the_run_before_anything_is_created(h):
    h.no_stack_set()
    h.preflight(ACCOUNT_A, "us-east-1", STAGE_VALUES)
    h.preflight(ACCOUNT_B, "eu-west-1", VALUES_B, vpc="vpc-0ffffffffffffffff", ecs_role=None)

    assert h.run("--yes") == ExitCode.BAD_INPUT
    err = h.err.getvalue()
    assert f"Pre-flight targets[1] {ACCOUNT_B} eu-west-1: " in err
    assert "vpc-0ffffffffffffffff" in err
    assert "Nothing was created or changed." in err


def test_a_new_account_without_the_ecs_service_linked_role_fails_its_preflight(h):
    h.no_stack_set()
    h.both_preflights(ecs_role=False)

    assert h.run("--yes") == ExitCode.BAD_INPUT
    assert "aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com" in (
        h.err.getvalue()
    )


def test_ctrl_c_while_an_operation_runs_exits_5_with_how_to_follow_it(h):
    h.no_stack_set()
    h.both_preflights()
    h.upload()
    h.cfn.add_response(
        "create_stack_set", {"StackSetId": f"{NAME}:0a1b2c3d"}, create_set_request(h)
    )
    started(h, "create_stack_instances", instances_request(*A, IMAGE_A))
    h.operation((*A, "RUNNING", ""), status="RUNNING")
    h.fake_clock.interrupt_after = 0  # Ctrl-C at the first wait

    assert h.run("--yes") == ExitCode.STILL_CHANGING
    err = h.err.getvalue()
    assert f"Interrupted: operation {OPERATION} on StackSet {NAME} goes on." in err
    assert (
        f"  aws cloudformation describe-stack-set-operation --stack-set-name {NAME} "
        f"--operation-id {OPERATION} --region us-east-1\n"
    ) in err
    assert f"StackSets > {NAME} > Operations" in err


def test_ctrl_c_before_any_write_is_interrupted_and_changes_nothing(h):
    h.no_stack_set()
    h.both_preflights()
    stdin = Terminal("")

    def interrupted(_=None):
        raise KeyboardInterrupt

    stdin.readline = interrupted  # Ctrl-C at the question
    assert h.run(stdin=stdin) == ExitCode.INTERRUPTED
    assert "interrupted before anything changed" in h.err.getvalue()


def test_without_a_terminal_or_yes_nothing_is_deployed(h):
    h.no_stack_set()
    h.both_preflights()

    assert h.run() == ExitCode.NOT_EXECUTED
    assert "Not deployed: no terminal to ask and no --yes." in h.out.getvalue()


def test_destroy_deletes_the_instances_then_the_set(h):
    h.stack_set(deployed(h), set_parameters())
    h.instances(A, B)
    for account, region in (A, B):
        started(
            h,
            "delete_stack_instances",
            {
                "StackSetName": NAME,
                "Accounts": [account],
                "Regions": [region],
                "OperationPreferences": {**PREFERENCES, "RegionOrder": [region]},
                "RetainStacks": False,
            },
        )
        h.operation((account, region, "SUCCEEDED", ""))
    h.cfn.add_response("delete_stack_set", {}, {"StackSetName": NAME})

    assert h.run("--destroy", stdin=Terminal("y\n")) == ExitCode.OK, h.err.getvalue()
    assert h.out.getvalue().endswith(f"Deleted StackSet {NAME} in us-east-1.\n")


def test_targets_goes_with_a_deploy_or_a_destroy_only(h):
    assert h.run("--image-tag", "1.4.3") == ExitCode.BAD_INPUT
    assert "--targets: not with --image-tag" in h.err.getvalue()


def test_the_preflight_timer_is_the_runs_clock(h):
    """A long operation is followed on the run's clock: --timeout ends the wait (exit 5)."""
    h.no_stack_set()
    h.both_preflights()
    h.upload()
    h.cfn.add_response(
        "create_stack_set", {"StackSetId": f"{NAME}:0a1b2c3d"}, create_set_request(h)
    )
    started(h, "create_stack_instances", instances_request(*A, IMAGE_A))
    h.fake_clock = FakeClock()
    for _ in range(2):  # 5 s polls: 1 minute is 13 polls; --timeout 0.1 is not allowed
        h.operation((*A, "RUNNING", ""), status="RUNNING")
    h.fake_clock.now = 0
    h.fake_clock.sleep = lambda seconds: setattr(h.fake_clock, "now", h.fake_clock.now + 60)

    assert h.run("--yes", "--timeout", "1") == ExitCode.STILL_CHANGING
    assert f"Stopped waiting after 1 minute(s): operation {OPERATION}" in h.err.getvalue()


def test_only_a_targets_values_changed_updates_its_instances_alone(h):
    existing(h, deployed(h), overrides_a=[])
    # No upload and no UpdateStackSet: the StackSet's template and values are as sent.
    started(h, "update_stack_instances", instances_request(*A, IMAGE_A))
    h.operation((*A, "SUCCEEDED", ""))

    assert h.run("--yes") == ExitCode.OK, h.err.getvalue()
    assert "(SELF_MANAGED): the StackSet's template and values unchanged" in h.out.getvalue()


def test_nothing_to_change_is_said_and_sends_nothing(h):
    existing(h, deployed(h))

    assert h.run("--yes") == ExitCode.OK, h.err.getvalue()
    assert h.out.getvalue().endswith(
        f"No changes: StackSet {NAME} already holds this template and these values.\n"
    )


def test_the_command_renders_lints_and_runs_a_dry_run_of_a_create(h, capsys):
    from planar_cfn.cli import commands
    from planar_cfn.deploy import engine as deploy

    h.no_stack_set()
    h.both_preflights()
    runtime = deploy.Runtime(
        environ={},
        stdin=Terminal(tty=False),
        connect=lambda profile, region: h.aws,
        clock=h.fake_clock.clock(),
        assume=h.assume,
    )
    argv = ["--stage", "dev", "--stage-file", str(h.stage_path), "--targets", str(h.targets_path)]
    code = commands.main([*argv, "--dry-run"], h.out, h.err, runtime=runtime)

    assert code == ExitCode.OK, h.err.getvalue()
    out = h.out.getvalue()
    assert out.startswith(
        "dev: 56 resources, 150,268 bytes (over 51,200: sent through S3), lint clean\n"
    )
    assert out.endswith("Dry run: nothing was created or changed.\n")
    h.aws.assert_done()


def test_targets_is_a_deploys_flag(h, capsys):
    from planar_cfn.cli import commands

    with pytest.raises(SystemExit) as exit_:
        commands.main(["--stage", "dev", "--no-deploy", "--targets", str(h.targets_path)])
    assert exit_.value.code == 2
    assert "argument --targets: only when deploying" in capsys.readouterr().err


def test_a_prod_stack_sets_destroy_needs_its_confirmation_flag(tmp_path, rendered):
    h = StackSetHarness(tmp_path, rendered["prod"])

    assert h.run("--destroy") == ExitCode.BAD_INPUT
    assert "--destroy: prod is a protected stage; add --confirm-prod-destroy" in h.err.getvalue()


def test_the_single_stack_deploy_refuses_a_targets_file(h):
    from planar_cfn.deploy import engine as deploy
    from planar_cfn.errors import InputError
    from planar_cfn.inputs.options import DeployOptions

    options = DeployOptions(stage="dev", stage_file=h.stage_path, targets=str(h.targets_path))
    with pytest.raises(InputError, match="is a StackSet's: deploy_stack_set runs it"):
        deploy.deploy(h.rendered, options, runtime=deploy.Runtime(connect=lambda p, r: h.aws))
