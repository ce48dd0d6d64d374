"""Following a stack operation to its end (deploy/follow.py): stopped waiting on a
timeout, a Ctrl-C or an AWS error, with how to resume and what protection is still off;
and --watch, which follows the operation under way."""

import pytest

from planar_cfn.errors import ExitCode
from tests.deploy.scenarios import OLD_ALB, create_request, executed_alb_switch, executed_update
from tests.deploy_stubs import change, event


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


def test_stopping_while_the_replacement_runs_says_how_to_protect_the_old_load_balancer(harness):
    h = harness("prod")
    h.fake_clock.interrupt_after = 0
    executed_alb_switch(h)
    h.progress("UPDATE_IN_PROGRESS")
    h.stack("UPDATE_IN_PROGRESS", by=h.id)

    assert h.run("--yes") == ExitCode.STILL_CHANGING
    err = h.err.getvalue()
    assert (
        f"  Deletion protection of the old load balancer {OLD_ALB} is off; if the update rolls "
        "back, turn it back on:\n"
        f"    aws elbv2 modify-load-balancer-attributes --load-balancer-arn {OLD_ALB} "
        "--attributes Key=deletion_protection.enabled,Value=true --region us-east-1"
    ) in err


def test_watch_follows_a_running_update_to_its_end(harness):
    h = harness("dev")
    h.stack("UPDATE_IN_PROGRESS")
    cursor = event("dev", "Service", "UPDATE_IN_PROGRESS", "AWS::ECS::Service")
    h.events(cursor)
    h.progress(
        "UPDATE_COMPLETE",
        event("dev", "planar-dev-acme", "UPDATE_COMPLETE", seconds=9),
        cursor,
        outputs={"ApplicationUrl": "https://acme-dev.example.com"},
    )

    assert h.run("--watch") == ExitCode.OK
    assert "Watching planar-dev-acme (UPDATE_IN_PROGRESS)" in h.out.getvalue()
    assert "ApplicationUrl" in h.out.getvalue()
