"""--destroy (deploy/destroy.py): the confirmation (prod's stack name typed in full),
the delete streamed to its end, what the DeletionPolicy keeps and how to retire it, prod's
protections off just before the delete and back on when it fails or is interrupted, and
how to follow a delete that is still running."""

import json

from planar_cfn.errors import ExitCode
from tests.deploy.scenarios import PROD_RESOURCES
from tests.deploy_stubs import Terminal, event, interrupt_after


def destroy_stubs(h, template, resources):
    h.cfn.add_response(
        "get_template",
        {"TemplateBody": json.dumps(template)},
        {"StackName": h.id, "TemplateStage": "Original"},
    )
    summaries = [
        {
            "LogicalResourceId": logical,
            "ResourceType": kind,
            "PhysicalResourceId": physical,
            "ResourceStatus": "CREATE_COMPLETE",
            "LastUpdatedTimestamp": event(h.stage, "x", "x")["Timestamp"],
        }
        for logical, kind, physical in resources
    ]
    h.cfn.add_response(
        "list_stack_resources", {"StackResourceSummaries": summaries}, {"StackName": h.id}
    )


def protection_stubs(h, on: bool, database: bool = True, balancer: bool = True) -> None:
    """Turning prod's protections off or on: the stack's, the database's, the balancer's."""
    h.cfn.add_response(
        "update_termination_protection",
        {"StackId": h.id},
        {"EnableTerminationProtection": on, "StackName": h.id},
    )
    if database:
        h.aws.stub("rds").add_response(
            "modify_db_cluster",
            {},
            {
                "DBClusterIdentifier": PROD_RESOURCES[2][2],
                "DeletionProtection": on,
                "ApplyImmediately": True,
            },
        )
    if balancer:
        h.aws.stub("elbv2").add_response(
            "modify_load_balancer_attributes",
            {},
            {
                "LoadBalancerArn": PROD_RESOURCES[3][2],
                "Attributes": [{"Key": "deletion_protection.enabled", "Value": str(on).lower()}],
            },
        )


def test_destroying_dev_after_a_yes_streams_until_deleted(harness, templates):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE")
    destroy_stubs(
        h, templates["dev"], [("AppBucket", "AWS::S3::Bucket", "planar-dev-acme-5f0c9a70")]
    )
    cursor = event("dev", "planar-dev-acme", "UPDATE_COMPLETE")
    h.events(cursor)
    h.deleted_stack()
    h.progress(
        "DELETE_COMPLETE", event("dev", "planar-dev-acme", "DELETE_COMPLETE", seconds=60), cursor
    )

    assert h.run("--destroy", stdin=Terminal("y\n")) == ExitCode.OK
    out = h.out.getvalue()
    assert "Delete stack planar-dev-acme? [y/N] " in out
    assert "Kept" not in out
    assert "secretsmanager" not in out
    assert "Stack planar-dev-acme: DELETE_COMPLETE." in out


def test_destroying_dev_keeps_the_customer_managed_key_and_says_how_to_retire_it(
    harness, templates
):
    # GIVEN a dev stack made with customer_managed_key: the key may still be needed (a
    # snapshot, a bucket kept by a replacing update), so it outlives even a dev stack
    key_id = "1234abcd-12ab-34cd-56ef-1234567890ab"
    h = harness("dev")
    h.stack("UPDATE_COMPLETE")
    destroy_stubs(
        h,
        templates["dev"],
        [
            ("AppBucket", "AWS::S3::Bucket", "planar-dev-acme-5f0c9a70"),
            ("EncryptionKey", "AWS::KMS::Key", key_id),
        ],
    )
    cursor = event("dev", "planar-dev-acme", "UPDATE_COMPLETE")
    h.events(cursor)
    h.deleted_stack()
    h.progress(
        "DELETE_COMPLETE", event("dev", "planar-dev-acme", "DELETE_COMPLETE", seconds=60), cursor
    )

    assert h.run("--destroy", stdin=Terminal("y\n")) == ExitCode.OK
    out = h.out.getvalue()
    # THEN the key is listed as kept, before and after, with the command that retires it
    assert out.count(f"AWS::KMS::Key                EncryptionKey    {key_id}  (kept)") == 2
    assert "AppBucket" not in out[out.rindex("Kept:") :]
    assert (
        f"aws kms schedule-key-deletion --key-id {key_id} --pending-window-in-days 30 "
        "--region us-east-1"
    ) in out


def test_destroy_without_a_terminal_or_yes_deletes_nothing(harness, templates):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE")
    destroy_stubs(h, templates["dev"], [])

    assert h.run("--destroy") == ExitCode.NOT_EXECUTED
    assert "Not deleted: no terminal to ask and no --yes." in h.out.getvalue()


def test_destroy_respects_termination_protection_someone_set_outside_prod(harness):
    h = harness("staging")
    h.stack("UPDATE_COMPLETE", protection=True)

    assert h.run("--destroy", "--yes") == ExitCode.BAD_INPUT
    assert "--no-enable-termination-protection" in h.err.getvalue()


def test_destroying_a_missing_stack_is_a_no_op(harness):
    h = harness("dev")
    h.no_stack()
    assert h.run("--destroy", "--yes") == ExitCode.OK
    assert "nothing to destroy" in h.out.getvalue()


def test_destroying_prod_says_what_is_kept_and_how_to_retire_the_secrets(harness, templates):
    h = harness("prod")
    h.stack("UPDATE_COMPLETE", protection=True)
    destroy_stubs(h, templates["prod"], PROD_RESOURCES)
    cursor = event("prod", "planar-prod-acme", "UPDATE_COMPLETE")
    h.events(cursor)
    h.cfn.add_response(
        "update_termination_protection",
        {"StackId": h.id},
        {"EnableTerminationProtection": False, "StackName": h.id},
    )
    h.aws.stub("rds").add_response(
        "modify_db_cluster",
        {},
        {
            "DBClusterIdentifier": "aurora-pg-prod-acme",
            "DeletionProtection": False,
            "ApplyImmediately": True,
        },
    )
    h.aws.stub("elbv2").add_response(
        "modify_load_balancer_attributes",
        {},
        {
            "LoadBalancerArn": PROD_RESOURCES[3][2],
            "Attributes": [{"Key": "deletion_protection.enabled", "Value": "false"}],
        },
    )
    h.deleted_stack()
    h.progress(
        "DELETE_IN_PROGRESS",
        event("prod", "planar-prod-acme", "DELETE_IN_PROGRESS", seconds=1),
        cursor,
    )
    h.progress("DELETE_COMPLETE", event("prod", "planar-prod-acme", "DELETE_COMPLETE", seconds=600))

    code = h.run("--destroy", "--confirm-prod-destroy", stdin=Terminal("planar-prod-acme\n"))

    assert code == ExitCode.OK, h.err.getvalue()
    out = h.out.getvalue()
    assert "Type the stack name (planar-prod-acme) to delete it: " in out
    kept = out[out.rindex("Kept:") :]
    assert "AppBucket" in kept
    assert "(kept)" in kept
    assert "DatabaseCluster" in kept
    assert "(final snapshot kept)" in kept
    assert "app-cluster-prod-acme" not in kept
    assert (
        f"aws secretsmanager delete-secret --secret-id {PROD_RESOURCES[1][2]} "
        "--recovery-window-in-days 30 --region us-east-1"
    ) in out


def test_destroying_prod_with_a_wrong_answer_changes_nothing(harness, templates):
    h = harness("prod")
    h.stack("UPDATE_COMPLETE", protection=True)
    destroy_stubs(h, templates["prod"], PROD_RESOURCES)

    code = h.run("--destroy", "--confirm-prod-destroy", stdin=Terminal("yes\n"))

    assert code == ExitCode.NOT_EXECUTED
    assert "Not deleted: not confirmed." in h.out.getvalue()


def test_a_failed_prod_destroy_turns_the_protections_back_on(harness, templates):
    h = harness("prod")
    h.stack("UPDATE_COMPLETE", protection=True)
    database, balancer = PROD_RESOURCES[2], PROD_RESOURCES[3]
    destroy_stubs(h, templates["prod"], [database, balancer])
    cursor = event("prod", "planar-prod-acme", "UPDATE_COMPLETE")
    h.events(cursor)
    rds, elbv2 = h.aws.stub("rds"), h.aws.stub("elbv2")
    for on in (False, True):
        h.cfn.add_response(
            "update_termination_protection",
            {"StackId": h.id},
            {"EnableTerminationProtection": on, "StackName": h.id},
        )
        if on:  # the database went before the failure; turning its protection on finds nothing
            rds.add_client_error("modify_db_cluster", "DBClusterNotFoundFault", "not found", 404)
        else:
            rds.add_response(
                "modify_db_cluster",
                {},
                {
                    "DBClusterIdentifier": database[2],
                    "DeletionProtection": False,
                    "ApplyImmediately": True,
                },
            )
        elbv2.add_response(
            "modify_load_balancer_attributes",
            {},
            {
                "LoadBalancerArn": balancer[2],
                "Attributes": [{"Key": "deletion_protection.enabled", "Value": str(on).lower()}],
            },
        )
        if not on:
            h.deleted_stack()
            cause = event("prod", "LoadBalancer", "DELETE_FAILED", balancer[1], "Access Denied", 5)
            h.progress(
                "DELETE_FAILED",
                event("prod", "planar-prod-acme", "DELETE_FAILED", seconds=6),
                cause,
                cursor,
            )

    assert h.run("--destroy", "--confirm-prod-destroy", "--yes") == ExitCode.FAILED
    assert "LoadBalancer" in h.err.getvalue()
    assert "Access Denied" in h.err.getvalue()
    out = h.out.getvalue()
    assert (
        "Termination protection, deletion protection of DatabaseCluster, deletion protection "
        "of LoadBalancer: off."
    ) in out
    assert "Termination protection, deletion protection of LoadBalancer: on." in out


def test_ctrl_c_while_prod_protections_go_off_turns_them_back_on(harness, templates):
    # GIVEN a confirmed prod destroy, interrupted as the load balancer's protection goes off
    h = harness("prod")
    h.stack("UPDATE_COMPLETE", protection=True)
    destroy_stubs(h, templates["prod"], PROD_RESOURCES)
    h.events(event("prod", "planar-prod-acme", "UPDATE_COMPLETE"))
    protection_stubs(h, on=False)
    interrupt_after(h.aws.client("elbv2"), "ModifyLoadBalancerAttributes")
    protection_stubs(h, on=True)  # all three: the interrupted one may be off

    code = h.run("--destroy", "--confirm-prod-destroy", "--yes")

    # THEN no DeleteStack; every protection is back on, and nothing changed
    assert code == ExitCode.INTERRUPTED, h.err.getvalue()
    assert (
        "Termination protection, deletion protection of DatabaseCluster, deletion protection "
        "of LoadBalancer: on."
    ) in h.out.getvalue()
    assert "interrupted before anything changed" in h.err.getvalue()
    assert "may still be changing" not in h.err.getvalue()


def test_a_refused_protection_change_turns_back_on_what_went_off(harness, templates):
    # GIVEN a prod destroy whose load balancer refuses to drop its protection
    h = harness("prod")
    h.stack("UPDATE_COMPLETE", protection=True)
    destroy_stubs(h, templates["prod"], PROD_RESOURCES)
    h.events(event("prod", "planar-prod-acme", "UPDATE_COMPLETE"))
    protection_stubs(h, on=False, balancer=False)
    h.aws.stub("elbv2").add_client_error(
        "modify_load_balancer_attributes", "AccessDenied", "not allowed", 403
    )
    # The balancer's is still on; the database's cannot go back on: its command is printed.
    h.cfn.add_response(
        "update_termination_protection",
        {"StackId": h.id},
        {"EnableTerminationProtection": True, "StackName": h.id},
    )
    h.aws.stub("rds").add_client_error(
        "modify_db_cluster", "InvalidDBClusterStateFault", "is modifying", 400
    )

    code = h.run("--destroy", "--confirm-prod-destroy", "--yes")

    # THEN the original error is the one reported, with what stays off and how to fix it
    assert code == ExitCode.FAILED
    assert "Termination protection: on." in h.out.getvalue()
    err = h.err.getvalue()
    assert (
        "build.py: error: AWS denied ModifyLoadBalancerAttributes: the deploying identity needs "
        "the permissions in docs/deploying.md. AWS said: not allowed\n"
    ) in err
    assert (
        "build.py: deletion protection of DatabaseCluster is still off (InvalidDBClusterStateFault: "
        "is modifying); turn it on with:\n  aws rds modify-db-cluster --db-cluster-identifier "
        "aurora-pg-prod-acme --deletion-protection --apply-immediately --region us-east-1"
    ) in err


def test_ctrl_c_after_the_delete_started_says_how_to_follow_it(harness, templates):
    h = harness("dev")
    h.fake_clock.interrupt_after = 0
    h.stack("UPDATE_COMPLETE")
    destroy_stubs(h, templates["dev"], [])
    cursor = event("dev", "planar-dev-acme", "UPDATE_COMPLETE")
    h.events(cursor)
    h.deleted_stack()
    h.progress("DELETE_IN_PROGRESS")
    h.stack("DELETE_IN_PROGRESS", by=h.id)

    assert h.run("--destroy", "--yes") == ExitCode.STILL_CHANGING
    assert (
        "aws cloudformation wait stack-delete-complete --stack-name planar-dev-acme"
        in h.err.getvalue()
    )


def test_an_aws_error_while_a_delete_runs_says_it_is_still_changing(harness, templates):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE")
    destroy_stubs(h, templates["dev"], [])
    cursor = event("dev", "planar-dev-acme", "UPDATE_COMPLETE")
    h.events(cursor)
    h.deleted_stack()
    h.stack("DELETE_IN_PROGRESS", by=h.id)
    h.cfn.add_client_error(
        "describe_stack_events",
        "ExpiredToken",
        "The security token included in the request is expired",
        403,
    )
    h.cfn.add_client_error("describe_stacks", "ExpiredToken", "expired", 403)

    assert h.run("--destroy", "--yes") == ExitCode.STILL_CHANGING
    err = h.err.getvalue()
    assert "stopped waiting (AWS error: ExpiredToken" in err
    assert "stack planar-dev-acme may still be changing" in err
    assert "build.py --stage dev --watch" in err
    assert "aws cloudformation wait stack-delete-complete --stack-name planar-dev-acme" in err


def test_an_aws_error_while_prod_is_deleted_says_what_protections_are_off(harness, templates):
    h = harness("prod")
    h.stack("UPDATE_COMPLETE", protection=True)
    destroy_stubs(h, templates["prod"], [PROD_RESOURCES[2]])
    h.events(event("prod", "planar-prod-acme", "UPDATE_COMPLETE"))
    protection_stubs(h, on=False, balancer=False)
    h.deleted_stack()
    h.cfn.add_client_error("describe_stacks", "ExpiredToken", "expired", 403)
    h.stack("DELETE_IN_PROGRESS", by=h.id)

    assert h.run("--destroy", "--confirm-prod-destroy", "--yes") == ExitCode.STILL_CHANGING
    err = h.err.getvalue()
    assert (
        "stopped waiting (AWS error: ExpiredToken: expired): stack planar-prod-acme is DELETE_IN_PROGRESS"
        in err
    )
    assert (
        "  Deletion protection of DatabaseCluster is off; if the delete fails, turn it back on:\n"
        "    aws rds modify-db-cluster --db-cluster-identifier aurora-pg-prod-acme --deletion-protection"
    ) in err
    assert "aws cloudformation update-termination-protection --enable-termination-protection" in err
