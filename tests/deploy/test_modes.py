"""Every stack state a deploy can meet; --image-tag, --destroy, --watch; and the
inputs refused before any AWS call."""

import json

import botocore.session
import pytest

from planar_cfn.deploy import engine as deploy
from planar_cfn.deploy import plan as deploy_plan
from planar_cfn.errors import ExitCode
from planar_cfn.template.render import Rendered
from tests.deploy.test_engine import (
    create_request,
    previous_parameters,
    prod_update_request,
    update_request,
)
from tests.deploy_stubs import (
    STAGE_VALUES,
    T0,
    Terminal,
    change,
    event,
    expected_parameters,
    interrupt_after,
    minified,
)

STACK_STATUSES = (
    botocore.session.get_session().get_service_model("cloudformation").shape_for("StackStatus").enum
)
STARTS = {
    "REVIEW_IN_PROGRESS": "CREATE",
    "DELETE_COMPLETE": "CREATE",
    **dict.fromkeys(deploy_plan.UPDATABLE, "UPDATE"),
}


@pytest.mark.parametrize("status", STACK_STATUSES)
def test_every_stack_status_creates_updates_or_says_what_to_do(harness, status):
    h = harness("dev")
    h.stack(status, parameters=previous_parameters(h), reason="earlier trouble")
    kind = STARTS.get(status)
    if kind:
        request = create_request(h) if kind == "CREATE" else update_request(h)
        h.created(**request)
        h.change_set(
            status="FAILED", execution="UNAVAILABLE", reason="No updates are to be performed."
        )
        h.deleted_change_set()
        if status == "DELETE_COMPLETE":  # a new stack, made by this run's change set
            h.deleted_stack()

    code = h.run("--yes")

    if kind:
        assert code == ExitCode.OK
        return
    # A state no deploy can start from: exit 2, nothing created, the state and what to do
    assert code == ExitCode.BAD_INPUT
    err = h.err.getvalue()
    assert f"stack planar-dev-acme in us-east-1 is {status} (earlier trouble): " in err
    if status.endswith("_IN_PROGRESS"):
        assert "wait for it with `build.py --stage dev --watch`" in err
    else:
        assert deploy_plan.STUCK[status].split(";")[0].split(" with ")[0] in err
    if status == "UPDATE_ROLLBACK_FAILED":
        assert "aws cloudformation continue-update-rollback --stack-name planar-dev-acme" in err


# --- --image-tag -----------------------------------------------------------------


def test_image_tag_changes_only_the_tag_with_the_previous_template(harness, templates):
    h = harness("prod")
    before = previous_parameters(h)
    h.stack("UPDATE_COMPLETE", parameters=before)
    h.cfn.add_response(
        "get_template",
        {"TemplateBody": json.dumps(templates["prod"])},
        {"StackName": h.id, "TemplateStage": "Original"},
    )
    h.created(
        StackName="planar-prod-acme",
        ChangeSetName="planar-prod-20261127-100000",
        ChangeSetType="UPDATE",
        UsePreviousTemplate=True,
        Parameters=[
            {"ParameterKey": k, "ParameterValue": "v42"}
            if k == "ContainerImageTag"
            else {"ParameterKey": k, "UsePreviousValue": True}
            for k in before
        ],
        Capabilities=["CAPABILITY_NAMED_IAM"],
        Description="build.py --stage prod --image-tag v42 (planar-cfn 0.1.0)",
    )
    after = [
        {"ParameterKey": k, "ParameterValue": "v42" if k == "ContainerImageTag" else v}
        for k, v in before.items()
    ]
    h.ready(
        [
            change("Modify", "TaskDefinition", "AWS::ECS::TaskDefinition", "True"),
            change("Modify", "Service", "AWS::ECS::Service"),
        ],
        parameters=after,
    )
    cursor = event("prod", "planar-prod-acme", "UPDATE_COMPLETE")
    h.events(cursor)
    h.executed()
    h.progress(
        "UPDATE_COMPLETE", event("prod", "planar-prod-acme", "UPDATE_COMPLETE", seconds=90), cursor
    )
    h.protected()

    assert h.run("--image-tag", "v42", "--yes") == ExitCode.OK, h.err.getvalue()
    assert "ContainerImageTag: 1.4.2 -> v42" in h.out.getvalue()


def test_image_tag_neither_lints_nor_briefs_the_local_template(harness, templates, monkeypatch):
    # GIVEN a working tree whose template would have lint findings, and a deployed prod stack
    from planar_cfn.cli import commands as cli

    def refuse(*_):
        raise AssertionError("--image-tag sends the deployed template: the local one is not used")

    monkeypatch.setattr(cli, "render", refuse)
    monkeypatch.setattr(cli, "lint_bodies", refuse)
    h = harness("prod")
    before = previous_parameters(h)
    h.stack("UPDATE_COMPLETE", parameters=before)
    h.cfn.add_response(
        "get_template",
        {"TemplateBody": json.dumps(templates["prod"])},
        {"StackName": h.id, "TemplateStage": "Original"},
    )
    h.cfn.add_response("create_change_set", {"Id": h.cs_id, "StackId": h.id})
    h.change_set(status="FAILED", execution="UNAVAILABLE", reason="No updates are to be performed.")
    h.deleted_change_set()
    h.protected()
    runtime = deploy.Runtime(
        environ={},
        stdin=Terminal(tty=False),
        connect=lambda *_: h.aws,
        clock=h.fake_clock.clock(),
        now=lambda: T0,
    )

    # WHEN build.py runs the pipeline's image-only update
    code = cli.main(
        ["--stage", "prod", "--stage-file", str(h.path), "--image-tag", "v42", "--yes"],
        out=h.out,
        err=h.err,
        runtime=runtime,
    )

    # THEN no lint finding can block it, and no local size or lint result is shown as sent
    assert code == ExitCode.OK, h.err.getvalue()
    out = h.out.getvalue()
    assert out.startswith(
        "prod: --image-tag reuses the stack's deployed template (UsePreviousTemplate); "
        "the local template is not rendered, linted or sent\n"
    )
    assert "bytes" not in out
    assert "lint" not in out.split("\n", 1)[1]


def test_image_tag_needs_a_deployed_stack(harness):
    h = harness("dev")
    h.no_stack()

    assert h.run("--image-tag", "v42", "--yes") == ExitCode.BAD_INPUT
    assert "--image-tag v42: stack planar-dev-acme does not exist in us-east-1" in h.err.getvalue()


def test_image_tag_does_not_need_the_registry_password(harness):
    h = harness("dev", {**STAGE_VALUES, "registry_username": "bot"})
    h.no_stack()

    assert h.run("--image-tag", "v42") == ExitCode.BAD_INPUT
    assert "PLANAR_REGISTRY_PASSWORD" not in h.err.getvalue()


def test_a_bad_image_tag_is_refused_before_anything(harness, capsys):
    h = harness("dev")
    with pytest.raises(SystemExit) as exit_:
        h.run("--image-tag", "-bad tag")
    assert exit_.value.code == 2
    assert (
        "argument --image-tag: '-bad tag' is not allowed: must be a Docker tag"
        in capsys.readouterr().err
    )


# --- --destroy ---------------------------------------------------------------------

PROD_RESOURCES = [
    ("AppBucket", "AWS::S3::Bucket", "planar-prod-acme-5f0c9a70"),
    (
        "CustomSecret",
        "AWS::SecretsManager::Secret",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:custom-secret-prod-acme-AbCdEf",
    ),
    ("DatabaseCluster", "AWS::RDS::DBCluster", "aurora-pg-prod-acme"),
    (
        "LoadBalancer",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/plb-prod-acme/50dc6c495c0c9188",
    ),
    ("Cluster", "AWS::ECS::Cluster", "app-cluster-prod-acme"),
]


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


def test_destroying_prod_needs_the_extra_flag(harness):
    h = harness("prod")
    assert h.run("--destroy", "--yes") == ExitCode.BAD_INPUT
    assert "add --confirm-prod-destroy" in h.err.getvalue()


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


# --- --watch -----------------------------------------------------------------------


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


# --- inputs, refused before any AWS call -------------------------------------------


def test_bad_stage_file_and_missing_credentials_are_reported_together(
    aws_env, monkeypatch, tmp_path, rendered
):
    import io

    from planar_cfn.cli import commands as cli

    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
    ):
        monkeypatch.delenv(name)
    stage_file = tmp_path / "dev.json"
    stage_file.write_text(json.dumps({**STAGE_VALUES, "container_memory": 3000}))
    err = io.StringIO()

    code = cli.main(
        ["--stage", "dev", "--stage-file", str(stage_file), "--dry-run"], io.StringIO(), err
    )

    assert code == ExitCode.BAD_INPUT
    text = err.getvalue()
    assert "container_memory = 3000: must be a Fargate memory size" in text
    assert "no AWS region" in text
    assert "no AWS credentials found" in text
    assert text.endswith("build.py: nothing was created or changed\n")


def test_a_template_over_the_inline_limit_needs_a_bucket(harness, rendered):
    big = Rendered(
        "dev",
        rendered["dev"].body.replace('"Description": "', '"Description": "' + "x" * 60_000, 1),
    )
    h = harness("dev", {k: v for k, v in STAGE_VALUES.items() if k != "template_bucket"})
    h.rendered = big

    assert h.run("--yes") == ExitCode.BAD_INPUT
    assert "over CloudFormation's 51,200-byte inline limit: name an S3 bucket" in h.err.getvalue()


def test_a_template_that_fits_goes_inline(harness, rendered):
    small = {
        "Parameters": json.loads(rendered["dev"].body)["Parameters"],
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
    }
    h = harness("dev")
    h.rendered = Rendered("dev", json.dumps(small, indent=2) + "\n")
    h.no_stack()
    h.created(**create_request(h, TemplateBody=minified(h.rendered.body), Capabilities=[]))
    h.change_set(status="FAILED", execution="UNAVAILABLE", reason="Template error")
    h.deleted_change_set()
    h.deleted_stack()

    assert h.run("--yes") == ExitCode.FAILED


def test_a_bucket_that_cannot_take_the_template_is_bad_input(harness):
    h = harness("dev")
    if h.rendered.fits_inline:
        pytest.skip("the dev template fits inline")
    h.no_stack()
    h.account_checks("ok")
    h.aws.stub("s3").add_client_error(
        "put_object", "NoSuchBucket", "The specified bucket does not exist", 404
    )

    assert h.run("--yes") == ExitCode.BAD_INPUT
    assert (
        "template_bucket 'acme-cfn-templates': cannot upload the template (NoSuchBucket"
        in h.err.getvalue()
    )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--destroy", "--dry-run"], "--dry-run: not with --destroy"),
        (["--watch", "--allow-replacement"], "--allow-replacement: not with --watch"),
        (["--confirm-prod-destroy"], "--confirm-prod-destroy: only with --destroy"),
        (["--destroy", "--confirm-prod-destroy"], "--confirm-prod-destroy: only for prod"),
        (
            ["--outputs-json", "/no/such/dir/o.json"],
            "--outputs-json /no/such/dir/o.json: no such directory",
        ),
    ],
)
def test_flag_combinations_that_make_no_sense(harness, flags, message):
    h = harness("dev")
    assert h.run(*flags) == ExitCode.BAD_INPUT
    assert message in h.err.getvalue()


def test_an_update_keeps_the_database_zones_instead_of_looking_them_up(harness):
    # GIVEN a prod stack, and a stage file that leaves the database zones to look up
    values = {k: v for k, v in STAGE_VALUES.items() if k != "database_availability_zones"}
    h = harness("prod", values)
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    # THEN no ec2:DescribeSubnets (the subnets' order could move an instance): the stack's zones
    params = expected_parameters(values, database_availability_zones={"UsePreviousValue": True})
    h.created(**prod_update_request(h, Parameters=params))
    h.change_set(status="FAILED", execution="UNAVAILABLE", reason="No updates are to be performed.")
    h.deleted_change_set()
    h.protected()

    assert h.run("--yes") == ExitCode.OK, h.err.getvalue()


@pytest.mark.parametrize(
    ("values", "was"),
    [
        ({**STAGE_VALUES, "customer_managed_key": True}, "false"),
        (STAGE_VALUES, "true"),  # left out: the default, false
    ],
)
def test_an_update_that_switches_the_customer_managed_key_is_refused(harness, values, was):
    h = harness("prod", values)
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h, CustomerManagedKey=was))

    # THEN no change set: it could only replace the named database cluster, which CloudFormation refuses
    assert h.run("--yes") == ExitCode.BAD_INPUT
    err = h.err.getvalue()
    now = "false (the default)" if was == "true" else "true"
    assert (
        f"customer_managed_key = {now}, but stack planar-prod-acme has CustomerManagedKey {was}"
        in err
    )
    assert "The key choice is made when the stack is created" in err
    assert f"set customer_managed_key back to {was}" in err
    assert err.endswith("build.py: nothing was created or changed\n")


def test_lookups_fill_what_the_stage_file_leaves_out(harness):
    values = {
        k: v
        for k, v in STAGE_VALUES.items()
        if k not in ("vpc_cidr", "hosted_zone_id", "database_availability_zones")
    }
    h = harness("prod", values)
    h.no_stack()
    ec2, route53 = h.aws.stub("ec2"), h.aws.stub("route53")
    ec2.add_response(
        "describe_vpcs",
        {"Vpcs": [{"VpcId": STAGE_VALUES["vpc_id"], "CidrBlock": "10.8.0.0/16"}]},
        {"VpcIds": [STAGE_VALUES["vpc_id"]]},
    )
    route53.add_response(
        "list_hosted_zones_by_name",
        {
            "HostedZones": [
                {"Id": "/hostedzone/Z111", "Name": "example.com.", "CallerReference": "r"}
            ],
            "IsTruncated": False,
            "MaxItems": "100",
        },
        {"DNSName": "example.com", "MaxItems": "100"},
    )
    vpc = STAGE_VALUES["vpc_id"]
    ec2.add_response(
        "describe_subnets",
        {
            "Subnets": [
                {
                    "SubnetId": "subnet-0aaaaaaaaaaaaaaa1",
                    "AvailabilityZone": "us-east-1c",
                    "VpcId": vpc,
                },
                {
                    "SubnetId": "subnet-0bbbbbbbbbbbbbbb2",
                    "AvailabilityZone": "us-east-1a",
                    "VpcId": vpc,
                },
            ]
        },
        {"SubnetIds": STAGE_VALUES["subnets"]},
    )
    h.checked_network = True
    found = {
        "vpc_cidr": "10.8.0.0/16",
        "hosted_zone_id": "Z111",
        "database_availability_zones": ["us-east-1c", "us-east-1a"],
    }
    h.created(
        **create_request(
            h,
            StackName="planar-prod-acme",
            ChangeSetName="planar-prod-20261127-100000",
            Description="build.py --stage prod (planar-cfn 0.1.0)",
            Parameters=expected_parameters({**values, **found}),
            Tags=[
                t if t["Key"] != "stage" else {"Key": "stage", "Value": "prod"}
                for t in create_request(h)["Tags"]
            ],
        )
    )
    h.change_set(status="FAILED", execution="UNAVAILABLE", reason="stop here")
    h.deleted_change_set()
    h.deleted_stack()

    assert h.run("--yes") == ExitCode.FAILED


def test_build_py_without_credentials_says_so_and_exits_2(aws_env, monkeypatch, tmp_path):
    """What `python build.py --stage dev --dry-run` does on a machine with no AWS setup."""
    import io

    from planar_cfn.cli import commands as cli
    from planar_cfn.lint.cache import Linted

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setattr(
        cli,
        "lint_bodies",
        lambda bodies, cache: Linted(
            {stage: [] for stage in bodies}, frozenset(), ("us-east-1",), ()
        ),
    )
    stage_file = tmp_path / "dev.json"
    stage_file.write_text(json.dumps(STAGE_VALUES))
    out, err = io.StringIO(), io.StringIO()

    code = cli.main(
        [
            "--stage",
            "dev",
            "--dry-run",
            "--stage-file",
            str(stage_file),
            "--templates-dir",
            str(tmp_path / "templates"),
        ],
        out=out,
        err=err,
    )

    assert code == ExitCode.BAD_INPUT
    assert err.getvalue() == (
        "build.py: error: no AWS credentials found: pass --profile, set AWS_PROFILE, or set "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (`aws configure` writes a profile)\n"
        "build.py: nothing was created or changed\n"
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


# --- prod: a load balancer replaced under deletion protection --------------------

OLD_ALB = PROD_RESOURCES[3][2]
NEW_ALB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/plb-prod-acme/7e1f00d2a9b83c41"
LB = "AWS::ElasticLoadBalancingV2::LoadBalancer"
# Switching alb_internal changes Scheme, which CloudFormation can only do with a new load balancer.
REPLACE_ALB = [
    change("Modify", "LoadBalancer", LB, "True", causes=("Scheme",), physical=OLD_ALB),
    change(
        "Modify",
        "TargetGroup",
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        "True",
        causes=("Name",),
    ),
    change(
        "Modify",
        "HttpsListener",
        "AWS::ElasticLoadBalancingV2::Listener",
        "True",
        causes=("LoadBalancerArn",),
    ),
]


def balancer_protection(h, arn: str, on: bool) -> None:
    h.aws.stub("elbv2").add_response(
        "modify_load_balancer_attributes",
        {},
        {
            "LoadBalancerArn": arn,
            "Attributes": [{"Key": "deletion_protection.enabled", "Value": str(on).lower()}],
        },
    )


def prod_alb_switch(h, **kw):
    """A prod update whose change set replaces the load balancer, up to its review."""
    values = {
        **STAGE_VALUES,
        "alb_internal": False,
        "alb_subnets": ["subnet-0ccccccccccccccc3", "subnet-0ddddddddddddddd4"],
    }
    h.path.write_text(json.dumps(values))
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h, AlbInternal="true"))
    h.created(**prod_update_request(h, Parameters=expected_parameters(values)))
    h.ready(REPLACE_ALB, **kw)


def executed_alb_switch(h) -> dict:
    """prod_alb_switch, executed once the old load balancer's protection is off; returns
    the event the stream's cursor starts on."""
    prod_alb_switch(h)
    cursor = event("prod", "planar-prod-acme", "UPDATE_COMPLETE")
    h.events(cursor)
    balancer_protection(h, OLD_ALB, on=False)
    h.executed()
    return cursor


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


def test_prod_review_warns_that_a_replaced_load_balancer_would_stay_behind(harness):
    h = harness("prod")
    prod_alb_switch(h)
    h.deleted_change_set()

    assert h.run("--dry-run") == ExitCode.OK
    out = h.out.getvalue()
    warning = out[out.index("!! LOAD BALANCER REPLACED") :]
    assert f"!!   LoadBalancer  {OLD_ALB}  (replacement: True: Scheme)" in warning
    text = " ".join(line.strip("! ") for line in warning.splitlines())
    assert "the old load balancer would stay behind, outside the stack, running and billing" in text
    assert (
        "build.py turns off the deletion protection of the old load balancer just before the update"
        in text
    )


def test_outside_prod_a_replaced_load_balancer_needs_no_warning(harness):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h))
    h.ready(REPLACE_ALB)
    h.deleted_change_set()

    assert h.run("--dry-run") == ExitCode.OK
    assert "LOAD BALANCER REPLACED" not in h.out.getvalue()


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


def test_a_change_set_kept_for_review_says_to_lift_the_protection_before_executing_it(harness):
    h = harness("prod")
    prod_alb_switch(h)

    assert h.run() == ExitCode.NOT_EXECUTED
    out = h.out.getvalue()
    assert (
        "Before executing it, turn off the deletion protection of the old load balancer, or "
        "the update leaves it behind:"
    ) in out
    assert (
        f"  aws elbv2 modify-load-balancer-attributes --load-balancer-arn {OLD_ALB} "
        "--attributes Key=deletion_protection.enabled,Value=false --region us-east-1"
    ) in out


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
