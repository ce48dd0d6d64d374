"""ExecuteChangeSet (deploy/execute.py): a refused execute leaves no change set behind,
or names what is left; in prod, the deletion protection of a load balancer the update
replaces goes off just before the execute, and back on when the update does not run."""

from planar_cfn.errors import ExitCode
from tests.deploy.scenarios import (
    LB,
    NEW_ALB,
    OLD_ALB,
    balancer_protection,
    create_request,
    executed_alb_switch,
    prod_alb_switch,
)
from tests.deploy_stubs import change, event, interrupt_after


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
