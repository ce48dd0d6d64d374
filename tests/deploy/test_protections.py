"""A protected stage's protections (deploy/protections.py): termination protection and
the stack policy after a prod create, the old load balancer protected again after a
rolled-back replacement, and a load balancer the cleanup left behind named with the
commands that delete it."""

import json

from planar_cfn.errors import ExitCode
from tests.deploy.scenarios import (
    LB,
    NEW_ALB,
    OLD_ALB,
    TAGS,
    balancer_protection,
    create_request,
    executed_alb_switch,
)
from tests.deploy_stubs import (
    BAD_GATEWAY,
    PROD_STACK_POLICY,
    SameJson,
    change,
    event,
    on_the_wire,
)


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


def test_a_rolled_back_replacement_protects_the_old_load_balancer_again_and_names_the_leftover(
    harness,
):
    # GIVEN a replacement that fails after the new load balancer was made: the rollback's
    # cleanup cannot delete the new one, which the template made with deletion protection
    h = harness("prod")
    cursor = executed_alb_switch(h)
    protected = "Load balancer cannot be deleted because deletion protection is enabled"
    events = [
        event("prod", "LoadBalancer", "UPDATE_COMPLETE", LB, seconds=200, physical=NEW_ALB),
        event(
            "prod",
            "Service",
            "UPDATE_FAILED",
            "AWS::ECS::Service",
            "Service did not stabilize",
            900,
        ),
        event(
            "prod", "planar-prod-acme", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", seconds=1000
        ),
        event("prod", "LoadBalancer", "DELETE_FAILED", LB, protected, 1001, physical=NEW_ALB),
        event("prod", "planar-prod-acme", "UPDATE_ROLLBACK_COMPLETE", seconds=1002),
    ]
    h.progress("UPDATE_ROLLBACK_COMPLETE", *reversed(events), cursor)
    balancer_protection(h, OLD_ALB, on=True)  # the old one is the stack's again
    h.protected()

    assert h.run("--yes") == ExitCode.FAILED

    # THEN the old one is protected again, and the new one is named with the commands that delete it
    assert f"Deletion protection of the old load balancer {OLD_ALB}: on." in h.out.getvalue()
    err = h.err.getvalue()
    assert (
        f"build.py: warning: load balancer {NEW_ALB} (LoadBalancer) was left behind: the "
        f"cleanup could not delete it ({protected})"
    ) in err
    assert "no longer part of stack planar-prod-acme" in err
    assert "billing" in err
    assert (
        f"  aws elbv2 modify-load-balancer-attributes --load-balancer-arn {NEW_ALB} "
        "--attributes Key=deletion_protection.enabled,Value=false --region us-east-1\n"
        f"  aws elbv2 delete-load-balancer --load-balancer-arn {NEW_ALB} --region us-east-1\n"
    ) in err
    root = err[err.index("Root cause:") :]
    assert "Service did not stabilize" in root
    assert "DELETE_FAILED" not in root


def test_watch_names_a_load_balancer_the_cleanup_left_behind(harness, templates):
    # GIVEN an update executed elsewhere, which the deploy's --watch follows
    h = harness("prod")
    h.stack("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
    cursor = event("prod", "planar-prod-acme", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
    h.events(cursor)
    failed = event(
        "prod",
        "LoadBalancer",
        "DELETE_FAILED",
        LB,
        "deletion protection is enabled",
        5,
        physical=OLD_ALB,
    )
    h.progress(
        "UPDATE_COMPLETE",
        event("prod", "planar-prod-acme", "UPDATE_COMPLETE", seconds=6),
        failed,
        cursor,
    )
    h.cfn.add_response(
        "get_template",
        {"TemplateBody": json.dumps(templates["prod"])},
        {"StackName": h.id, "TemplateStage": "Original"},
    )
    h.protected()

    assert h.run("--watch") == ExitCode.OK
    err = h.err.getvalue()
    assert f"build.py: warning: load balancer {OLD_ALB} (LoadBalancer) was left behind" in err
    assert f"aws elbv2 delete-load-balancer --load-balancer-arn {OLD_ALB} --region us-east-1" in err


def test_a_protection_that_fails_says_the_stack_is_complete_and_how_to_protect_it(harness):
    # GIVEN a prod create that completes, and an answer to UpdateTerminationProtection
    # that a proxy replaced with its error page
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
    h.auto_service = False
    h.progress("CREATE_COMPLETE", event("prod", "planar-prod-acme", "CREATE_COMPLETE"), cursor)
    termination = {"EnableTerminationProtection": True, "StackName": h.id}
    on_the_wire(h.aws, "cloudformation", "update_termination_protection", termination, BAD_GATEWAY)
    # THEN the stack policy is still set
    h.cfn.add_response(
        "set_stack_policy", {}, {"StackName": h.id, "StackPolicyBody": SameJson(PROD_STACK_POLICY)}
    )

    assert h.run("--yes") == ExitCode.FAILED
    err = h.err.getvalue()
    assert err.startswith(
        "build.py: error: stack planar-prod-acme is CREATE_COMPLETE, but termination protection "
        "is not on:\n"
        "build.py: error:   termination protection: AWS's answer to UpdateTerminationProtection "
        "could not be read (HTTP 502, text/html"
    )
    assert (
        "build.py: error: The stack policy is on. Put the protections back with: "
        "build.py --stage prod --watch\n"
    ) in err
    assert (
        "build.py: done before the error: executed change set planar-prod-20261127-100000 "
        "on stack planar-prod-acme"
    ) in err
