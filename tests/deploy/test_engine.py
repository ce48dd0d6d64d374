"""GIVEN a stage file and a stack state, WHEN build.py deploys, THEN the exact
change set is created, reviewed, executed only when confirmed, and followed to
its end; every request is checked by botocore's Stubber against the API model."""

import json
import os

import pytest

from planar_cfn.__main__ import _ReaderMayLeave
from planar_cfn.errors import ExitCode
from tests.deploy_stubs import (
    PROD_STACK_POLICY,
    STAGE_VALUES,
    VERIFIED_STATE,
    Terminal,
    TtyOut,
    change,
    event,
    expected_parameters,
    interrupt_after,
    service_outputs,
)

OUTPUTS = {
    "ApplicationUrl": "https://acme-dev.example.com",
    "BucketName": "planar-dev-acme-5f0c9a70",
}
TAGS = [  # as naming.stack_tags gives them: sorted by key, app.version on the resources only
    {"Key": "app.name", "Value": "acme"},
    {"Key": "framework", "Value": "planar"},
    {"Key": "framework.version", "Value": "0.17"},
    {"Key": "stage", "Value": "dev"},
    {"Key": "vendor_contact", "Value": "support@coplane.com"},
    {"Key": "vendor_name", "Value": "CoPlane"},
]


def prod_update_request(h, **changes):
    return update_request(
        h,
        StackName="planar-prod-acme",
        ChangeSetName="planar-prod-20261127-100000",
        Description="build.py --stage prod (planar-cfn 0.1.0)",
        Tags=[t if t["Key"] != "stage" else {"Key": "stage", "Value": "prod"} for t in TAGS],
        **changes,
    )


def create_request(h, **changes):
    return {
        "StackName": "planar-dev-acme",
        "ChangeSetName": "planar-dev-20261127-100000",
        "ChangeSetType": "CREATE",
        **h.template_argument(),
        "Parameters": expected_parameters(STAGE_VALUES),
        "Capabilities": ["CAPABILITY_NAMED_IAM"],
        "Tags": TAGS,
        "Description": "build.py --stage dev (planar-cfn 0.1.0)",
        **changes,
    }


def update_request(h, **changes):
    return create_request(h, ChangeSetType="UPDATE", **changes)


def previous_parameters(h, **changes):
    values = {p["ParameterKey"]: p["ParameterValue"] for p in expected_parameters(STAGE_VALUES)}
    return {**values, **changes}


def executed_update(h, changes: list) -> dict:
    """A dev update whose change set holds `changes` and is executed; returns the event
    the stream's cursor starts on."""
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h))
    h.ready(changes)
    cursor = event("dev", "planar-dev-acme", "UPDATE_COMPLETE")
    h.events(cursor)
    h.executed()
    return cursor


def test_first_deploy_creates_executes_streams_and_prints_outputs(harness, tmp_path):
    # GIVEN no stack
    h = harness("dev")
    h.no_stack()
    h.created(**create_request(h))
    h.ready(
        [
            change("Add", "AppBucket", "AWS::S3::Bucket"),
            change("Add", "Cluster", "AWS::ECS::Cluster"),
        ]
    )
    review = event("dev", "planar-dev-acme", "REVIEW_IN_PROGRESS", reason="User Initiated")
    h.events(review)
    h.executed()
    started = event(
        "dev", "planar-dev-acme", "CREATE_IN_PROGRESS", reason="User Initiated", seconds=1
    )
    bucket = event("dev", "AppBucket", "CREATE_IN_PROGRESS", "AWS::S3::Bucket", seconds=2)
    h.progress("CREATE_IN_PROGRESS", bucket, started, review)
    done = event("dev", "AppBucket", "CREATE_COMPLETE", "AWS::S3::Bucket", seconds=30)
    stack_done = event("dev", "planar-dev-acme", "CREATE_COMPLETE", seconds=31)
    h.progress("CREATE_COMPLETE", stack_done, done, bucket, outputs=OUTPUTS)
    outputs_file = tmp_path / "outputs.json"

    # WHEN deploying with --yes
    code = h.run("--yes", "--outputs-json", str(outputs_file))

    # THEN the stack was created, its events shown once each, oldest first, then the outputs
    assert code == ExitCode.OK, h.err.getvalue()
    out = h.out.getvalue()
    assert "Change set for stack planar-dev-acme (CREATE): 2 resource change(s)" in out
    assert "  + AWS::S3::Bucket" in out
    lines = out.splitlines()
    shown = [line for line in lines if line[:2].isdigit()]
    assert [line.split()[1] for line in shown] == [
        "CREATE_IN_PROGRESS",
        "CREATE_IN_PROGRESS",
        "CREATE_COMPLETE",
        "CREATE_COMPLETE",
    ]
    assert "REVIEW_IN_PROGRESS" not in "\n".join(shown)
    assert "Stack planar-dev-acme: CREATE_COMPLETE." in out
    # and the service it made runs the image asked for, its target healthy
    assert (
        "Service planar-service-dev-acme: rollout COMPLETED, task definition "
        "planar-service-dev-acme:8, image ghcr.io/acme/planar-app:1.4.2, "
        "1/1 target(s) healthy."
    ) in out
    assert "  ApplicationUrl        https://acme-dev.example.com" in out
    recorded = json.loads(outputs_file.read_text())
    assert recorded == {**service_outputs("dev"), **OUTPUTS, **VERIFIED_STATE}


def test_update_shows_changed_parameters_and_keeps_the_pipelines_image_tag(harness):
    # GIVEN a deployed stack whose image tag a pipeline moved, and a stage file without one
    values = {k: v for k, v in STAGE_VALUES.items() if k != "container_image_tag"}
    h = harness("dev", values)
    before = previous_parameters(h, ContainerImageTag="v42", DesiredCount="1")
    h.stack("UPDATE_COMPLETE", parameters=before)
    params = expected_parameters(values, container_image_tag={"UsePreviousValue": True})
    h.created(**update_request(h, Parameters=params))
    after = [
        {"ParameterKey": k, "ParameterValue": v} for k, v in {**before, "DesiredCount": "2"}.items()
    ]
    modify = change("Modify", "Service", "AWS::ECS::Service", "False")
    h.ready([modify], parameters=after)

    # WHEN deploying without a terminal and without --yes
    code = h.run()

    # THEN the review names the change and the parameter, and nothing is executed
    assert code == ExitCode.NOT_EXECUTED
    out = h.out.getvalue()
    assert "  ~ AWS::ECS::Service" in out
    assert "Service  replacement: False" in out
    assert "Parameters changed:\n  DesiredCount: 1 -> 2" in out
    assert (
        f"aws cloudformation execute-change-set --change-set-name {h.cs_id} --region us-east-1"
        in out
    )


@pytest.mark.parametrize(
    "reason",
    [
        "The submitted information didn't contain changes. Submit different information to create a change set.",
        "No updates are to be performed.",
    ],
)
def test_an_empty_change_set_is_deleted_and_is_success(harness, reason):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h), outputs=OUTPUTS)
    h.created(**update_request(h))
    h.change_set(status="FAILED", execution="UNAVAILABLE", reason=reason)
    h.deleted_change_set()

    assert h.run("--yes") == ExitCode.OK
    assert "No changes: stack planar-dev-acme is up to date." in h.out.getvalue()
    assert "ApplicationUrl" in h.out.getvalue()


def test_prod_without_changes_still_ends_protected(harness):
    h = harness("prod")
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**prod_update_request(h))
    h.change_set(status="FAILED", execution="UNAVAILABLE", reason="No updates are to be performed.")
    h.deleted_change_set()
    h.protected()

    assert h.run("--yes") == ExitCode.OK
    assert "Protection: termination protection on" in h.out.getvalue()


def test_a_failed_change_set_is_deleted_with_its_reason(harness):
    h = harness("dev")
    h.no_stack()
    h.created(**create_request(h))
    reason = "Parameters: [HostedZoneId] must have values"
    h.change_set(status="FAILED", execution="UNAVAILABLE", reason=reason)
    h.deleted_change_set()
    h.deleted_stack()  # the REVIEW_IN_PROGRESS stack of a first create

    assert h.run("--yes") == ExitCode.FAILED
    assert reason in h.err.getvalue()
    assert "nothing changed" in h.err.getvalue()


def test_changes_are_read_across_every_page(harness):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h))
    h.change_set(changes=[])  # the waiter
    h.change_set(changes=[change("Modify", "Service", "AWS::ECS::Service")], next_token="page-2")
    h.change_set(
        changes=[change("Remove", "Old", "AWS::Logs::LogGroup")],
        token="page-2",
        next_token="page-3",
    )
    h.change_set(changes=[change("Add", "New", "AWS::Logs::LogGroup")], token="page-3")
    h.deleted_change_set()

    assert h.run("--dry-run") == ExitCode.OK
    out = h.out.getvalue()
    assert "3 resource change(s)" in out
    assert "  - AWS::Logs::LogGroup" in out
    assert "  + AWS::Logs::LogGroup" in out
    assert "Dry run: the change set was deleted and nothing changed." in out


REPLACE_DB = change(
    "Modify",
    "DatabaseCluster",
    "AWS::RDS::DBCluster",
    "True",
    policy="ReplaceAndSnapshot",
    causes=("DBClusterIdentifier",),
)


@pytest.mark.parametrize(
    "dangerous",
    [
        REPLACE_DB,
        change("Modify", "AppBucket", "AWS::S3::Bucket", "Conditional"),
        change("Remove", "CustomSecret", "AWS::SecretsManager::Secret", policy="Delete"),
    ],
)
def test_replacing_or_removing_a_stateful_resource_is_blocked(harness, dangerous):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h))
    h.ready([change("Modify", "Service", "AWS::ECS::Service"), dangerous])
    h.deleted_change_set()

    assert h.run("--yes") == ExitCode.BLOCKED
    out = h.out.getvalue()
    logical = dangerous["ResourceChange"]["LogicalResourceId"]
    loud = out[out.index("STATEFUL RESOURCES REPLACED OR REMOVED") :]
    assert logical in loud
    assert "Service " not in loud
    assert "run again with --allow-replacement" in out


def test_review_names_what_forces_a_replacement(harness):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h))
    h.ready([REPLACE_DB])
    h.deleted_change_set()

    assert h.run("--dry-run") == ExitCode.BLOCKED
    assert (
        "~ AWS::RDS::DBCluster                          DatabaseCluster  replacement: True "
        "(DBClusterIdentifier)  [ReplaceAndSnapshot]"
    ) in h.out.getvalue()


def test_allow_replacement_executes_a_stateful_replacement(harness):
    h = harness("dev")
    cursor = executed_update(h, [REPLACE_DB])
    h.progress(
        "UPDATE_COMPLETE", event("dev", "planar-dev-acme", "UPDATE_COMPLETE", seconds=9), cursor
    )

    assert h.run("--yes", "--allow-replacement") == ExitCode.OK


@pytest.mark.parametrize(
    ("answer", "executes"),
    [("y\n", True), ("yes\n", True), ("n\n", False), ("\n", False), ("", False)],
)
def test_a_terminal_is_asked_and_no_deletes_the_change_set_and_review_stack(
    harness, answer, executes
):
    h = harness("dev")
    h.no_stack()
    h.created(**create_request(h))
    h.ready([change("Add", "Cluster", "AWS::ECS::Cluster")])
    if executes:
        cursor = event("dev", "planar-dev-acme", "REVIEW_IN_PROGRESS")
        h.events(cursor)
        h.executed()
        h.progress("CREATE_COMPLETE", event("dev", "planar-dev-acme", "CREATE_COMPLETE"), cursor)
    else:
        h.deleted_change_set()
        h.deleted_stack()

    code = h.run(stdin=Terminal(answer))

    assert "Execute this change set on planar-dev-acme? [y/N] " in h.out.getvalue()
    assert code == (ExitCode.OK if executes else ExitCode.NOT_EXECUTED)


def test_dry_run_of_a_first_create_deletes_the_change_set_and_the_review_stack(harness):
    h = harness("dev")
    h.no_stack()
    h.created(**create_request(h))
    h.ready([change("Add", "Cluster", "AWS::ECS::Cluster")])
    h.deleted_change_set()
    h.deleted_stack()  # the REVIEW_IN_PROGRESS stack this run's change set made

    assert h.run("--dry-run", stdin=Terminal("y\n")) == ExitCode.OK


class Interrupting(Terminal):
    def readline(self, *_):
        raise KeyboardInterrupt


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


def test_failure_prints_the_root_cause_not_the_cancellations(harness):
    h = harness("dev")
    h.no_stack()
    h.created(**create_request(h))
    h.ready([change("Add", "DatabaseCluster", "AWS::RDS::DBCluster")])
    cursor = event("dev", "planar-dev-acme", "REVIEW_IN_PROGRESS")
    h.events(cursor)
    h.executed()
    cause = event(
        "dev",
        "DatabaseCluster",
        "CREATE_FAILED",
        "AWS::RDS::DBCluster",
        seconds=5,
        reason='Resource handler returned message: "Cannot find version 16.99"',
    )
    noise = [
        event(
            "dev", "AppBucket", "CREATE_FAILED", "AWS::S3::Bucket", "Resource creation cancelled", 6
        ),
        event(
            "dev", "CustomSecret", "CREATE_FAILED", "AWS::SecretsManager::Secret", "cancelled", 6
        ),
    ]
    rollback = event(
        "dev",
        "planar-dev-acme",
        "ROLLBACK_IN_PROGRESS",
        seconds=7,
        reason="The following resource(s) failed to create: [DatabaseCluster, AppBucket]",
    )
    h.progress("ROLLBACK_IN_PROGRESS", rollback, *reversed(noise), cause, cursor)
    h.progress(
        "ROLLBACK_COMPLETE",
        event("dev", "planar-dev-acme", "ROLLBACK_COMPLETE", seconds=60),
        rollback,
    )

    assert h.run("--yes") == ExitCode.FAILED
    err = h.err.getvalue()
    root = err[err.index("Root cause:") :]
    assert "DatabaseCluster" in root
    assert "Cannot find version 16.99" in root
    assert "cancelled" not in root
    assert "build.py --stage dev --destroy" in err  # what to do with a ROLLBACK_COMPLETE stack


def test_events_are_read_across_pages_until_the_cursor(harness):
    h = harness("dev")
    cursor = executed_update(h, [change("Modify", "Service", "AWS::ECS::Service")])
    h.stack("UPDATE_COMPLETE", by=h.id)
    newest = [event("dev", "planar-dev-acme", "UPDATE_COMPLETE", seconds=20)]
    older = [
        event("dev", "Service", "UPDATE_COMPLETE", "AWS::ECS::Service", seconds=19),
        event("dev", "Service", "UPDATE_IN_PROGRESS", "AWS::ECS::Service", seconds=2),
    ]
    h.events(*newest, next_token="events-2")
    h.events(*older, cursor, token="events-2", next_token="events-3")  # page 3 is never read

    assert h.run("--yes") == ExitCode.OK
    statuses = [line.split()[1] for line in h.out.getvalue().splitlines() if line[:2].isdigit()]
    assert statuses == ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_COMPLETE"]


def test_a_terminal_gets_the_progress_redrawn_in_place(harness):
    h = harness("dev")
    h.out = TtyOut()
    cursor = executed_update(h, [change("Modify", "Service", "AWS::ECS::Service")])
    started = event("dev", "Service", "UPDATE_IN_PROGRESS", "AWS::ECS::Service", seconds=2)
    h.progress("UPDATE_IN_PROGRESS", started, cursor)
    h.progress(
        "UPDATE_COMPLETE",
        event("dev", "Service", "UPDATE_COMPLETE", "AWS::ECS::Service", seconds=9),
        started,
    )

    assert h.run("--yes") == ExitCode.OK
    out = h.out.getvalue()
    assert "\x1b[2F\x1b[J" in out  # the header and the one resource row, redrawn
    assert out.count("planar-dev-acme  UPDATE_IN_PROGRESS  (0m 00s)") == 1
    assert "planar-dev-acme  UPDATE_COMPLETE  (0m 05s)" in out


def test_timeout_while_the_stack_changes_says_how_to_resume(harness):
    h = harness("dev")
    executed_update(h, [change("Modify", "Service", "AWS::ECS::Service")])
    for _ in range(13):  # one minute at one poll per 5 s, and the poll at the deadline
        h.progress("UPDATE_IN_PROGRESS")
    h.stack("UPDATE_IN_PROGRESS", by=h.id)  # the state reported when giving up

    assert h.run("--yes", "--timeout", "1") == ExitCode.STILL_CHANGING
    err = h.err.getvalue()
    assert (
        "stopped waiting (timed out after 1 minute(s)): stack planar-dev-acme is UPDATE_IN_PROGRESS"
        in err
    )
    assert "build.py --stage dev --watch" in err
    assert (
        "aws cloudformation wait stack-update-complete --stack-name planar-dev-acme --region us-east-1"
        in err
    )


def test_ctrl_c_while_the_stack_changes_says_how_to_resume(harness):
    h = harness("dev")
    h.fake_clock.interrupt_after = 0
    h.no_stack()
    h.created(**create_request(h))
    h.ready([change("Add", "Cluster", "AWS::ECS::Cluster")])
    cursor = event("dev", "planar-dev-acme", "REVIEW_IN_PROGRESS")
    h.events(cursor)
    h.executed()
    h.progress("CREATE_IN_PROGRESS")
    h.stack("CREATE_IN_PROGRESS", by=h.id)

    assert h.run("--yes") == ExitCode.STILL_CHANGING
    assert "stopped waiting (interrupted)" in h.err.getvalue()
    assert "aws cloudformation wait stack-create-complete" in h.err.getvalue()


def test_ctrl_c_at_the_prompt_deletes_the_change_set(harness):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h))
    h.ready([change("Modify", "Service", "AWS::ECS::Service")])
    h.deleted_change_set()

    assert h.run(stdin=Interrupting()) == ExitCode.NOT_EXECUTED
    assert "Interrupted before execution: the change set was deleted" in h.out.getvalue()


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


def test_a_change_set_that_never_becomes_ready_is_deleted(harness):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h))
    for _ in range(60):  # --timeout 1: the waiter's bound, one attempt per second at least
        h.change_set(status="CREATE_IN_PROGRESS", execution="UNAVAILABLE")
    h.deleted_change_set()

    assert h.run("--yes", "--timeout", "1") == ExitCode.FAILED
    assert "was not ready after 1 minute(s); it was deleted and nothing changed" in h.err.getvalue()


def test_prod_create_turns_on_termination_protection_and_the_stack_policy(harness):
    h = harness("prod")
    h.no_stack()
    h.created(
        **create_request(
            h,
            StackName="planar-prod-acme",
            ChangeSetName="planar-prod-20261127-100000",
            Description="build.py --stage prod (planar-cfn 0.1.0)",
            Tags=[t if t["Key"] != "stage" else {"Key": "stage", "Value": "prod"} for t in TAGS],
        )
    )
    h.ready([change("Add", "DatabaseCluster", "AWS::RDS::DBCluster")])
    cursor = event("prod", "planar-prod-acme", "REVIEW_IN_PROGRESS")
    h.events(cursor)
    h.executed()
    h.progress("CREATE_COMPLETE", event("prod", "planar-prod-acme", "CREATE_COMPLETE"), cursor)
    h.protected()  # SetStackPolicy's body must be PROD_STACK_POLICY: the stateful resources

    assert h.run("--yes") == ExitCode.OK, h.err.getvalue()
    assert "Protection: termination protection on" in h.out.getvalue()


def test_prod_replacement_denied_by_the_stack_policy_says_how_to_lift_it(harness):
    h = harness("prod")
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**prod_update_request(h))
    h.ready([REPLACE_DB])
    h.cfn.add_response(
        "get_stack_policy",
        {"StackPolicyBody": json.dumps(PROD_STACK_POLICY, indent=2)},
        {"StackName": h.id},
    )
    h.deleted_change_set()

    assert h.run("--yes", "--allow-replacement") == ExitCode.BLOCKED
    out = h.out.getvalue()
    assert "the prod stack policy denies replacing or removing DatabaseCluster" in out
    assert "aws cloudformation set-stack-policy --stack-name planar-prod-acme" in out


def test_a_stack_of_another_stage_is_refused(harness):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE", tags=[{"Key": "stage", "Value": "prod"}])

    assert h.run("--yes") == ExitCode.BAD_INPUT
    assert "belongs to stage 'prod' (its stage tag), not dev" in h.err.getvalue()


EXPIRED = ("ExpiredToken", "The security token included in the request is expired")


@pytest.mark.parametrize("readable", [True, False])
def test_an_aws_error_while_the_stack_changes_says_it_is_still_changing(harness, readable):
    # GIVEN an executed update, then credentials that expire while it runs
    h = harness("dev")
    executed_update(h, [change("Modify", "Service", "AWS::ECS::Service")])
    h.progress("UPDATE_IN_PROGRESS")
    h.cfn.add_client_error("describe_stacks", *EXPIRED, 403, expected_params={"StackName": h.id})
    if readable:  # a passing error: the state is read again when giving up
        h.stack("UPDATE_IN_PROGRESS", by=h.id)
    else:
        h.cfn.add_client_error(
            "describe_stacks", *EXPIRED, 403, expected_params={"StackName": h.id}
        )

    code = h.run("--yes")

    # THEN not a bare AWS error: the stack is still changing, and how to follow it
    assert code == ExitCode.STILL_CHANGING, h.err.getvalue()
    err = h.err.getvalue()
    assert "build.py: error: AWS" not in err
    assert (
        "stopped waiting (AWS error: ExpiredToken: The security token included in the request is expired)"
        in err
    )
    state = "is UPDATE_IN_PROGRESS and still changing" if readable else "may still be changing"
    assert f"stack planar-dev-acme {state}" in err
    assert "build.py --stage dev --watch" in err
    assert (
        "aws cloudformation wait stack-update-complete --stack-name planar-dev-acme --region us-east-1"
        in err
    )


def test_a_reader_that_stops_reading_does_not_stop_the_deploy(harness, tmp_path):
    # GIVEN the same first deploy, its output to a pipe whose reader has gone (`| head`),
    # wrapped as the command wraps standard output
    reader, writer = os.pipe()
    os.close(reader)
    h = harness("dev")
    pipe = os.fdopen(writer, "w", buffering=1)
    h.out = _ReaderMayLeave(pipe)
    h.no_stack()
    h.created(**create_request(h))
    h.ready([change("Add", "AppBucket", "AWS::S3::Bucket")])
    h.events(event("dev", "planar-dev-acme", "REVIEW_IN_PROGRESS", reason="User Initiated"))
    h.executed()
    h.progress("CREATE_IN_PROGRESS")
    stack_done = event("dev", "planar-dev-acme", "CREATE_COMPLETE", seconds=31)
    h.progress("CREATE_COMPLETE", stack_done, outputs=OUTPUTS)
    outputs_file = tmp_path / "outputs.json"

    # WHEN deploying with --yes
    code = h.run("--yes", "--outputs-json", str(outputs_file))

    # THEN it ran to the end (run() asserts every stubbed AWS call was made), said
    # nothing on stderr, and recorded the outputs
    assert code == ExitCode.OK, h.err.getvalue()
    assert h.err.getvalue() == ""
    assert json.loads(outputs_file.read_text())["ApplicationUrl"] == OUTPUTS["ApplicationUrl"]
    pipe.close()
