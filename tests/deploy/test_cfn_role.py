"""--cfn-role-arn: every CloudFormation call that takes a RoleARN carries the service
role (CreateChangeSet of a deploy, an image-tag update and a dry run; DeleteStack of a
destroy and of a first create's empty stack), so the deployer needs only iam:PassRole
on it. A bad ARN is refused before any AWS call. Each request is checked by botocore's
Stubber against what it expects, RoleARN included."""

import re

import pytest

from planar_cfn.errors import ExitCode, InputError
from planar_cfn.inputs.options import DeployOptions
from tests.deploy.scenarios import create_request, previous_parameters, update_request
from tests.deploy.test_destroy import destroy_stubs
from tests.deploy_stubs import STAGE_VALUES, Terminal, change, event, expected_parameters

ROLE = "arn:aws:iam::123456789012:role/planar-deploy-role"
WITH_ROLE = ("--cfn-role-arn", ROLE)
# The deploy role lets CloudFormation create only roles that carry its boundary.
BOUNDED = {**STAGE_VALUES, "permissions_boundary": "planar-deploy-permissions-boundary"}


def test_a_first_create_dry_run_passes_the_role_to_the_change_set_and_the_stack_delete(harness):
    h = harness("dev", BOUNDED)
    h.no_stack()
    h.created(**create_request(h, RoleARN=ROLE, Parameters=expected_parameters(BOUNDED)))
    h.ready([change("Add", "Cluster", "AWS::ECS::Cluster")])
    h.deleted_change_set()
    # The REVIEW_IN_PROGRESS stack this run's change set made, deleted with the role.
    h.cfn.add_response("delete_stack", {}, {"StackName": h.id, "RoleARN": ROLE})

    assert h.run("--dry-run", *WITH_ROLE) == ExitCode.OK


def test_an_update_passes_the_role_to_the_change_set(harness):
    h = harness("dev", BOUNDED)
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h, RoleARN=ROLE, Parameters=expected_parameters(BOUNDED)))
    h.ready([change("Modify", "Service", "AWS::ECS::Service")])
    h.deleted_change_set()

    assert h.run("--dry-run", *WITH_ROLE) == ExitCode.OK


def test_a_destroy_passes_the_role_to_the_stack_delete(harness, templates):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE")
    destroy_stubs(
        h, templates["dev"], [("AppBucket", "AWS::S3::Bucket", "planar-dev-acme-5f0c9a70")]
    )
    cursor = event("dev", "planar-dev-acme", "UPDATE_COMPLETE")
    h.events(cursor)
    h.cfn.add_response("delete_stack", {}, {"StackName": h.id, "RoleARN": ROLE})
    h.progress(
        "DELETE_COMPLETE", event("dev", "planar-dev-acme", "DELETE_COMPLETE", seconds=60), cursor
    )

    assert h.run("--destroy", *WITH_ROLE, stdin=Terminal("y\n")) == ExitCode.OK


@pytest.mark.parametrize(
    "value",
    [
        "planar-deploy-role",  # a name: RoleARN takes the ARN
        "arn:aws:iam::123456789012:user/deployer",
        "arn:aws:iam::12345:role/deployer",
        "arn:aws:sts::123456789012:assumed-role/r",
    ],
)
def test_a_bad_role_arn_is_refused_before_any_aws_call(harness, capsys, value):
    """No stub is given, and none is asked for: the command line refuses the flag, and
    the options refuse the value from Python, naming it and what is allowed."""
    h = harness("dev")
    with pytest.raises(SystemExit) as exited:
        h.run("--cfn-role-arn", value)
    assert exited.value.code == ExitCode.BAD_INPUT
    err = capsys.readouterr().err
    assert f"argument --cfn-role-arn: {value!r} is not a role ARN" in err
    assert "such as arn:aws:iam::111122223333:role/planar-deploy-role" in err
    with pytest.raises(InputError, match=f"cfn_role_arn: {re.escape(repr(value))} is not a role"):
        DeployOptions("dev", cfn_role_arn=value)


def test_a_deploy_through_the_role_without_a_boundary_is_refused_before_any_aws_call(harness):
    """The deploy role denies creating a role without its boundary: a stage file that
    sets none would fail at the stack's first role, half-way through a create."""
    h = harness("dev")
    assert h.run("--dry-run", *WITH_ROLE) == ExitCode.BAD_INPUT
    err = h.err.getvalue()
    assert f"--cfn-role-arn {ROLE}: " in err
    assert "sets no permissions_boundary" in err
    assert "set permissions_boundary to planar-deploy-permissions-boundary" in err


@pytest.mark.parametrize(
    ("status", "command"),
    [
        ("UPDATE_ROLLBACK_FAILED", "continue-update-rollback"),
        ("UPDATE_FAILED", "rollback-stack"),
    ],
)
def test_a_stuck_stack_is_rolled_back_with_the_role_it_was_deployed_with(harness, status, command):
    """The suggested rollback acts on the stack's resources, so it names the same role."""
    h = harness("dev", BOUNDED)
    h.stack(status)

    assert h.run("--dry-run", *WITH_ROLE) == ExitCode.BAD_INPUT
    assert (
        f"`aws cloudformation {command} --stack-name planar-dev-acme --role-arn {ROLE}`"
        in h.err.getvalue()
    )
