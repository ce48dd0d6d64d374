"""ExecuteChangeSet (deploy/execute.py): a refused execute leaves no change set behind,
or names what is left; in prod, the deletion protection of a load balancer the update
replaces goes off just before the execute, and back on when the update does not run."""

from botocore.exceptions import ConnectionClosedError

from planar_cfn.errors import ExitCode
from tests.deploy.scenarios import (
    LB,
    NEW_ALB,
    OLD_ALB,
    balancer_protection,
    create_request,
    executed_alb_switch,
    previous_parameters,
    prod_alb_switch,
    update_request,
)
from tests.deploy_stubs import (
    BAD_GATEWAY,
    change,
    event,
    interrupt_after,
    on_the_wire,
    refusal,
)


def refused_execute(h):
    """A first create whose change set CloudFormation refuses to execute."""
    h.no_stack()
    h.created(**create_request(h))
    h.ready([change("Add", "Cluster", "AWS::ECS::Cluster")])
    h.events(event("dev", "planar-dev-acme", "REVIEW_IN_PROGRESS"))
    h.cfn.add_client_error("execute_change_set", "AccessDenied", "not allowed to execute", 403)
    return h


def test_a_failed_execute_leaves_no_change_set_behind_and_says_so(harness):
    h = refused_execute(harness("dev"))
    h.deleted_change_set()
    h.deleted_stack()

    assert (
        h.run("--yes") == ExitCode.FAILED
    )  # docs/deploying.md: a refused ExecuteChangeSet exits 1
    assert h.err.getvalue() == (
        "build.py: error: CloudFormation refused to execute change set planar-dev-20261127-100000 "
        "(AccessDenied: not allowed to execute); the change set was deleted and nothing changed\n"
    )


def test_a_refused_execute_whose_change_set_cannot_be_deleted_names_what_is_left(harness):
    h = refused_execute(harness("dev"))
    h.cfn.add_client_error("delete_change_set", "AccessDenied", "not allowed to delete", 403)

    assert h.run("--yes") == ExitCode.FAILED
    err = h.err.getvalue()
    assert "build.py: error: AWS" not in err
    assert (
        "build.py: error: CloudFormation refused to execute change set planar-dev-20261127-100000 "
        "(AccessDenied: not allowed to execute); nothing changed, but the change set is left "
        "behind: the commands above delete it"
    ) in err
    assert (
        f"  aws cloudformation delete-change-set --change-set-name {h.cs_id} --region us-east-1\n"
        in err
    )
    assert f"  aws cloudformation delete-stack --stack-name {h.id} --region us-east-1\n" in err


class Calls(list):
    """The operations sent, in order (botocore holds its handlers weakly: the test holds this one)."""

    def __call__(self, model, **_):
        self.append(model.name)


def calls_in_order(h) -> Calls:
    """Every request the deploy sends to CloudFormation and ELB, in the order sent."""
    calls = Calls()
    for service in ("cloudformation", "elbv2"):
        h.aws.client(service).meta.events.register_first("before-call.*.*", calls)
    return calls


def test_prod_load_balancer_replacement_lets_the_cleanup_delete_the_old_one(harness):
    # GIVEN a prod change set that replaces the load balancer, executed with --yes
    h = harness("prod")
    cursor = executed_alb_switch(h)
    created = event("prod", "LoadBalancer", "UPDATE_COMPLETE", LB, seconds=200, physical=NEW_ALB)
    h.progress("UPDATE_IN_PROGRESS", created, cursor)
    done = [
        event("prod", "planar-prod-acme", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", seconds=300),
        event("prod", "LoadBalancer", "DELETE_IN_PROGRESS", LB, seconds=301, physical=OLD_ALB),
        event("prod", "LoadBalancer", "DELETE_COMPLETE", LB, seconds=420, physical=OLD_ALB),
        event("prod", "planar-prod-acme", "UPDATE_COMPLETE", seconds=421),
    ]
    h.progress("UPDATE_COMPLETE", *reversed(done), created)
    h.protected()
    calls = calls_in_order(h)

    assert h.run("--yes") == ExitCode.OK, h.err.getvalue()

    # THEN its deletion protection went off just before the execute, and the old one is gone
    assert calls[calls.index("ExecuteChangeSet") - 1] == "ModifyLoadBalancerAttributes"
    out = h.out.getvalue()
    assert f"Deletion protection of the old load balancer {OLD_ALB}: off." in out
    assert f"The old load balancer {OLD_ALB} was deleted by the update's cleanup." in out
    assert "left behind" not in h.err.getvalue()


def test_a_refused_execute_turns_the_old_load_balancers_protection_back_on(harness):
    h = harness("prod")
    prod_alb_switch(h)
    h.events(event("prod", "planar-prod-acme", "UPDATE_COMPLETE"))
    balancer_protection(h, OLD_ALB, on=False)
    h.cfn.add_client_error("execute_change_set", "AccessDenied", "not allowed to execute", 403)
    balancer_protection(h, OLD_ALB, on=True)
    h.deleted_change_set()

    assert h.run("--yes") == ExitCode.FAILED
    assert f"Deletion protection of the old load balancer {OLD_ALB}: on." in h.out.getvalue()
    assert (
        "refused to execute change set planar-prod-20261127-100000 (AccessDenied"
        in h.err.getvalue()
    )
    assert "the change set was deleted and nothing changed" in h.err.getvalue()


def test_ctrl_c_as_the_protection_goes_off_turns_it_back_on_and_executes_nothing(harness):
    h = harness("prod")
    prod_alb_switch(h)
    h.events(event("prod", "planar-prod-acme", "UPDATE_COMPLETE"))
    balancer_protection(h, OLD_ALB, on=False)
    interrupt_after(h.aws.client("elbv2"), "ModifyLoadBalancerAttributes")
    balancer_protection(h, OLD_ALB, on=True)  # it may be off: the call reached AWS
    h.deleted_change_set()

    assert h.run("--yes") == ExitCode.NOT_EXECUTED
    out = h.out.getvalue()
    assert f"Deletion protection of the old load balancer {OLD_ALB}: on." in out
    assert "Interrupted before execution: the change set was deleted and nothing changed." in out


def test_a_protection_that_cannot_go_off_stops_the_update_before_it_runs(harness):
    h = harness("prod")
    prod_alb_switch(h)
    h.events(event("prod", "planar-prod-acme", "UPDATE_COMPLETE"))
    h.aws.stub("elbv2").add_client_error(
        "modify_load_balancer_attributes", "AccessDenied", "not allowed", 403
    )
    h.deleted_change_set()

    assert h.run("--yes") == ExitCode.FAILED
    assert h.err.getvalue() == (
        f"build.py: error: cannot turn off the deletion protection of the old load balancer {OLD_ALB} "
        "(AccessDenied: not allowed), so the update's cleanup could not delete it: not executed; the "
        "change set was deleted and nothing changed\n"
    )


# --- an execute whose answer is lost: ask AWS before deleting anything -----------------

# After a dropped connection botocore sends ExecuteChangeSet again; the first one ran.
IN_PROGRESS = refusal(
    "InvalidChangeSetStatus",
    "ChangeSet [planar-dev-20261127-100000] cannot be executed in its current status of "
    "[EXECUTE_IN_PROGRESS]",
)


def create_executed_on_the_wire(h, *answers):
    """A first create whose ExecuteChangeSet gets `answers` on the wire; returns the cursor."""
    h.no_stack()
    h.created(**create_request(h))
    h.ready([change("Add", "Cluster", "AWS::ECS::Cluster")])
    cursor = event("dev", "planar-dev-acme", "REVIEW_IN_PROGRESS")
    h.events(cursor)
    on_the_wire(h.aws, "cloudformation", "execute_change_set", {"ChangeSetName": h.cs_id}, *answers)
    return cursor


def test_an_unreadable_execute_that_started_is_followed_not_deleted(harness):
    h = harness("dev")
    cursor = create_executed_on_the_wire(h, BAD_GATEWAY)
    h.change_set(execution="EXECUTE_IN_PROGRESS")
    h.progress("CREATE_COMPLETE", event("dev", "planar-dev-acme", "CREATE_COMPLETE"), cursor)

    assert h.run("--yes") == ExitCode.OK, h.err.getvalue()
    out = h.out.getvalue()
    assert (
        "ExecuteChangeSet's answer was lost (AWS's answer to ExecuteChangeSet could not be read "
        "(HTTP 502, text/html"
    ) in out
    assert "but CloudFormation is executing change set planar-dev-20261127-100000" in out
    assert "Stack planar-dev-acme: CREATE_COMPLETE." in out


def test_an_unreadable_execute_that_did_not_start_deletes_only_what_this_run_made(harness):
    h = harness("dev")
    create_executed_on_the_wire(h, BAD_GATEWAY)
    h.change_set(execution="AVAILABLE")
    h.stack("REVIEW_IN_PROGRESS", by=h.id)
    h.deleted_change_set()
    h.deleted_stack()

    assert h.run("--yes") == ExitCode.FAILED
    err = h.err.getvalue()
    assert err.startswith(
        "build.py: error: ExecuteChangeSet's answer was lost (AWS's answer to ExecuteChangeSet "
        "could not be read (HTTP 502, text/html"
    )
    assert (
        "CloudFormation did not execute change set planar-dev-20261127-100000 (it is "
        "AVAILABLE, stack planar-dev-acme REVIEW_IN_PROGRESS); the change set was deleted and "
        "nothing changed\n"
    ) in err


def test_a_retried_execute_refused_as_in_progress_is_followed_not_deleted(harness, no_retry_sleep):
    # GIVEN an update whose ExecuteChangeSet lost its connection, and whose retry AWS refuses
    h = harness("dev")
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h))
    h.ready([change("Modify", "Service", "AWS::ECS::Service")])
    cursor = event("dev", "planar-dev-acme", "UPDATE_COMPLETE")
    h.events(cursor)
    dropped = ConnectionClosedError(endpoint_url="https://cloudformation.us-east-1.amazonaws.com/")
    request = {"ChangeSetName": h.cs_id}
    on_the_wire(h.aws, "cloudformation", "execute_change_set", request, dropped, IN_PROGRESS)
    # THEN AWS is asked: the change set runs, and the deploy follows it
    h.change_set(execution="EXECUTE_IN_PROGRESS")
    done = event("dev", "planar-dev-acme", "UPDATE_COMPLETE", seconds=60)
    h.progress("UPDATE_COMPLETE", done, cursor)

    assert h.run("--yes") == ExitCode.OK, h.err.getvalue()
    out = h.out.getvalue()
    assert "InvalidChangeSetStatus" in out
    assert "but CloudFormation is executing change set planar-dev-20261127-100000" in out
    assert "nothing changed" not in h.err.getvalue()


def test_an_execute_whose_outcome_cannot_be_read_deletes_nothing_and_exits_5(harness):
    h = harness("dev")
    create_executed_on_the_wire(h, BAD_GATEWAY)
    on_the_wire(
        h.aws, "cloudformation", "describe_change_set", {"ChangeSetName": h.cs_id}, BAD_GATEWAY
    )

    assert h.run("--yes") == ExitCode.STILL_CHANGING
    err = h.err.getvalue()
    assert "ExecuteChangeSet's answer was lost" in err
    assert "may still be changing" in err
    assert "follow it:  build.py --stage dev --watch" in err
    assert "deleted" not in err + h.out.getvalue()
