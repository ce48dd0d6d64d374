"""A deploy, or an --image-tag update, through a change set (deploy/apply.py): from
every stack state, a create, an update or what to do; a stack of another stage or a
switched key choice refused; the template inline or through the bucket; --image-tag's
request on the deployed template; a change set that is never ready, or a Ctrl-C at the
prompt, deleted. Every request is checked by botocore's Stubber against the API model."""

import json

import botocore.session
import pytest
from botocore.stub import ANY

from planar_cfn.deploy import plan as deploy_plan
from planar_cfn.errors import ExitCode
from planar_cfn.template.render import Rendered
from tests.deploy.scenarios import (
    Interrupting,
    create_request,
    executed_image_tag,
    previous_parameters,
    update_request,
)
from tests.deploy_stubs import STAGE_VALUES, change, event, minified

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


def test_a_stack_of_another_stage_is_refused(harness):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE", tags=[{"Key": "stage", "Value": "prod"}])

    assert h.run("--yes") == ExitCode.BAD_INPUT
    assert "belongs to stage 'prod' (its stage tag), not dev" in h.err.getvalue()


@pytest.mark.parametrize("mode", [["--yes"], ["--destroy", "--yes"]])
def test_a_stack_that_is_not_planars_is_neither_updated_nor_deleted(harness, mode):
    """stack_name naming an unrelated stack (no Planar tags): refused after the one
    DescribeStacks, before any change set or delete (every stubbed call is checked)."""
    h = harness("dev")
    h.stack("UPDATE_COMPLETE", tags=[{"Key": "team", "Value": "orders"}])

    assert h.run(*mode) == ExitCode.BAD_INPUT
    assert "stack planar-dev-acme is not this stage's Planar stack" in h.err.getvalue()


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
    h.caller()
    h.aws.stub("s3").add_client_error(
        "put_object", "NoSuchBucket", "The specified bucket does not exist", 404
    )

    assert h.run("--yes") == ExitCode.BAD_INPUT
    assert (
        "template_bucket 'acme-cfn-templates': cannot upload the template (NoSuchBucket"
        in h.err.getvalue()
    )


def test_a_template_bucket_of_another_account_is_refused(harness):
    """The upload names the caller's account as the bucket's owner; S3 refuses a bucket
    of another account with 403 AccessDenied, and nothing is sent to CloudFormation."""
    h = harness("dev")
    if h.rendered.fits_inline:
        pytest.skip("the dev template fits inline")
    h.no_stack()
    h.account_checks("ok")
    h.caller()
    h.aws.stub("s3").add_client_error(
        "put_object",
        "AccessDenied",
        "Access Denied",
        403,
        expected_params={
            "Bucket": "acme-cfn-templates",
            "Key": h.template_key,
            "Body": ANY,
            "ContentType": "application/json",
            "ExpectedBucketOwner": "123456789012",
        },
    )

    assert h.run("--yes") == ExitCode.BAD_INPUT
    err = h.err.getvalue()
    assert "template_bucket 'acme-cfn-templates': S3 refused PutObject (AccessDenied)" in err
    assert "names account 123456789012, these credentials' own, as the bucket's owner" in err


def test_image_tag_changes_only_the_tag_with_the_previous_template(harness, templates):
    h = harness("prod")
    cursor = executed_image_tag(h, templates["prod"])
    h.progress(
        "UPDATE_COMPLETE", event("prod", "planar-prod-acme", "UPDATE_COMPLETE", seconds=90), cursor
    )
    h.protected()

    assert h.run("--image-tag", "v42", "--yes") == ExitCode.OK, h.err.getvalue()
    assert "ContainerImageTag: 1.4.2 -> v42" in h.out.getvalue()


def test_image_tag_needs_a_deployed_stack(harness):
    h = harness("dev")
    h.no_stack()

    assert h.run("--image-tag", "v42", "--yes") == ExitCode.BAD_INPUT
    assert "--image-tag v42: stack planar-dev-acme does not exist in us-east-1" in h.err.getvalue()


def test_a_change_set_that_never_becomes_ready_is_deleted(harness):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h))
    for _ in range(60):  # --timeout 1: the waiter's bound, one attempt per second at least
        h.change_set(status="CREATE_IN_PROGRESS", execution="UNAVAILABLE")
    h.deleted_change_set()

    assert h.run("--yes", "--timeout", "1") == ExitCode.FAILED
    assert "was not ready after 1 minute(s); it was deleted and nothing changed" in h.err.getvalue()


def test_ctrl_c_at_the_prompt_deletes_the_change_set(harness):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h))
    h.ready([change("Modify", "Service", "AWS::ECS::Service")])
    h.deleted_change_set()

    assert h.run(stdin=Interrupting()) == ExitCode.NOT_EXECUTED
    assert "Interrupted before execution: the change set was deleted" in h.out.getvalue()
