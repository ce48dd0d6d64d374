"""What a run that does not execute leaves behind (deploy/pending.py): its change set,
and the empty stack of a first create it made, deleted on every way out, by name after
a Ctrl-C as CreateChangeSet runs; a stack an earlier run left in review is never deleted
nor offered for deletion; what cannot be deleted is named with the commands that do."""

import pytest

from planar_cfn.errors import ExitCode
from tests.deploy.scenarios import Interrupting, create_request, previous_parameters, update_request
from tests.deploy_stubs import Terminal, change, interrupt_after


def test_dry_run_of_a_first_create_deletes_the_change_set_and_the_review_stack(harness):
    h = harness("dev")
    h.no_stack()
    h.created(**create_request(h))
    h.ready([change("Add", "Cluster", "AWS::ECS::Cluster")])
    h.deleted_change_set()
    h.deleted_stack()  # the REVIEW_IN_PROGRESS stack this run's change set made

    assert h.run("--dry-run", stdin=Terminal("y\n")) == ExitCode.OK


@pytest.mark.parametrize(
    "way",
    [
        "dry run",
        "answered no",
        "Ctrl-C at the prompt",
        "failed change set",
        "no changes",
        "timeout",
        "Ctrl-C as it is created",
    ],
)
def test_a_review_stack_an_earlier_run_left_is_never_deleted(harness, way):
    # GIVEN a stack in REVIEW_IN_PROGRESS, left for review by an earlier run (its change set with it)
    h = harness("dev")
    h.stack("REVIEW_IN_PROGRESS")
    h.created(**create_request(h))
    flags, stdin, code = ["--yes"], None, ExitCode.NOT_EXECUTED
    if way == "Ctrl-C as it is created":
        interrupt_after(h.aws.client("cloudformation"), "CreateChangeSet")
        h.cfn.add_response(
            "delete_change_set",
            {},
            {"ChangeSetName": "planar-dev-20261127-100000", "StackName": "planar-dev-acme"},
        )
    elif way == "failed change set":
        h.change_set(status="FAILED", execution="UNAVAILABLE", reason="Template error")
        code = ExitCode.FAILED
    elif way == "no changes":
        h.change_set(
            status="FAILED", execution="UNAVAILABLE", reason="No updates are to be performed."
        )
        code = ExitCode.OK
    elif way == "timeout":
        for _ in range(60):
            h.change_set(status="CREATE_IN_PROGRESS", execution="UNAVAILABLE")
        flags, code = ["--yes", "--timeout", "1"], ExitCode.FAILED
    else:
        h.ready([change("Add", "Cluster", "AWS::ECS::Cluster")])
        flags, stdin = (
            [],
            {"answered no": Terminal("n\n"), "Ctrl-C at the prompt": Interrupting()}.get(way),
        )
        if way == "dry run":
            flags, code = ["--dry-run"], ExitCode.OK
    if way != "Ctrl-C as it is created":
        h.deleted_change_set()
    # THEN only this run's change set is deleted: no DeleteStack (the stub would fail on it)

    assert h.run(*flags, stdin=stdin) == code, h.err.getvalue()
    assert (
        "Stack planar-dev-acme stays REVIEW_IN_PROGRESS, as an earlier run left it"
        in h.out.getvalue()
    )


def test_without_a_terminal_a_review_stack_left_earlier_is_not_offered_for_deletion(harness):
    h = harness("dev")
    h.stack("REVIEW_IN_PROGRESS")
    h.created(**create_request(h))
    h.ready([change("Add", "Cluster", "AWS::ECS::Cluster")])

    assert h.run() == ExitCode.NOT_EXECUTED
    out = h.out.getvalue()
    assert f"discard: aws cloudformation delete-change-set --change-set-name {h.cs_id}" in out
    assert "delete-stack" not in out


@pytest.mark.parametrize("first_create", [True, False])
def test_ctrl_c_as_the_change_set_is_created_deletes_it_by_name(harness, first_create):
    # GIVEN a Ctrl-C as CreateChangeSet returns: the change set exists, its id is unknown
    h = harness("dev")
    if first_create:
        h.no_stack()
        h.created(**create_request(h))
    else:
        h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
        h.created(**update_request(h))
    interrupt_after(h.aws.client("cloudformation"), "CreateChangeSet")
    h.cfn.add_response(
        "delete_change_set",
        {},
        {"ChangeSetName": "planar-dev-20261127-100000", "StackName": "planar-dev-acme"},
    )
    if first_create:  # the empty REVIEW_IN_PROGRESS stack that holds it
        h.cfn.add_response("delete_stack", {}, {"StackName": "planar-dev-acme"})

    code = h.run("--yes")

    # THEN it is deleted by its name (and the stack's), and the exit says a change set was made
    assert code == ExitCode.NOT_EXECUTED, h.err.getvalue()
    assert (
        "Interrupted before execution: the change set was deleted and nothing changed."
        in h.out.getvalue()
    )
    assert "interrupted before anything changed" not in h.err.getvalue()


def test_ctrl_c_before_create_change_set_reached_aws_finds_nothing_to_delete(harness):
    h = harness("dev")
    h.no_stack()
    h.created(**create_request(h))
    interrupt_after(h.aws.client("cloudformation"), "CreateChangeSet")
    # As AWS answers when the request never arrived: no such stack holds no such change set.
    h.cfn.add_client_error(
        "delete_change_set",
        "ValidationError",
        "Stack [planar-dev-acme] does not exist",
        400,
        expected_params={
            "ChangeSetName": "planar-dev-20261127-100000",
            "StackName": "planar-dev-acme",
        },
    )

    assert h.run("--yes") == ExitCode.NOT_EXECUTED
    assert h.err.getvalue() == ""  # no stack deleted, no leftover reported


def test_a_change_set_that_cannot_be_deleted_keeps_the_timeout_and_names_the_commands(harness):
    # GIVEN a first create whose change set is still CREATE_IN_PROGRESS when the wait ends
    h = harness("dev")
    h.no_stack()
    h.created(**create_request(h))
    for _ in range(60):
        h.change_set(status="CREATE_IN_PROGRESS", execution="UNAVAILABLE")
    h.cfn.add_client_error(
        "delete_change_set",
        "InvalidChangeSetStatus",
        "Cannot delete ChangeSet in status CREATE_IN_PROGRESS",
        400,
        expected_params={"ChangeSetName": h.cs_id},
    )

    code = h.run("--yes", "--timeout", "1")

    # THEN the timeout is the error, and the leftovers come with the commands that delete them
    assert code == ExitCode.FAILED
    err = h.err.getvalue()
    assert "build.py: error: AWS" not in err
    assert (
        "was not ready after 1 minute(s); nothing changed, but it is left behind: the "
        "commands above delete it"
    ) in err
    assert (
        "could not be deleted (InvalidChangeSetStatus: Cannot delete ChangeSet in status CREATE_IN_PROGRESS)"
        in err
    )
    assert (
        f"  aws cloudformation delete-change-set --change-set-name {h.cs_id} --region us-east-1\n"
        in err
    )
    assert f"  aws cloudformation delete-stack --stack-name {h.id} --region us-east-1\n" in err


def test_a_failed_delete_after_a_dry_run_says_the_change_set_is_left(harness):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h))
    h.ready([change("Modify", "Service", "AWS::ECS::Service")])
    h.cfn.add_client_error("delete_change_set", "AccessDenied", "not allowed to delete", 403)

    assert h.run("--dry-run") == ExitCode.FAILED  # as before: CI sees the leftover
    assert "Dry run: nothing changed, but the change set is left behind" in h.out.getvalue()
    assert (
        f"aws cloudformation delete-change-set --change-set-name {h.cs_id} --region us-east-1"
        in h.err.getvalue()
    )
    assert "delete-stack" not in h.err.getvalue()  # an update's stack stays
