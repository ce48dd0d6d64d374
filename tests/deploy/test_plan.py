"""The deploy's decisions, without AWS: no client, no Stubber. GIVEN the stage file
and a stack as DescribeStacks gives it, THEN create or update, the
parameters and the request, what is refused and why, what blocks a change set, what
a destroy keeps."""

import json
from datetime import UTC, datetime

import botocore.session
import pytest

from planar_cfn.deploy import plan as deploy_plan
from planar_cfn.deploy.change_set import Change as Resource
from planar_cfn.deploy.change_set import ChangeSet, ChangeSetState
from planar_cfn.deploy.plan import CREATE, UPDATE
from planar_cfn.errors import InputError
from planar_cfn.inputs.stage_file import load
from planar_cfn.inputs.stages import get_stage
from tests.deploy_stubs import PROD_STACK_POLICY, STAGE_VALUES, expected_parameters, stack

REGION = "us-east-1"
# The command as the tests run it: its messages name it.
PROG = "build.py"
NOW = datetime(2026, 11, 27, 10, 0, 0, tzinfo=UTC)
STACK_STATUSES = (
    botocore.session.get_session().get_service_model("cloudformation").shape_for("StackStatus").enum
)


@pytest.fixture
def stage_file(tmp_path):
    """stage_file(stage, **changes): the stage file of STAGE_VALUES, changed, loaded."""

    def make(stage="dev", **changes):
        path = tmp_path / f"{stage}.json"
        values = {k: v for k, v in {**STAGE_VALUES, **changes}.items() if v is not None}
        path.write_text(json.dumps(values))
        return load(path, stage, {}, needs_secrets=True)

    return make


def previous(**changes):
    """A deployed stack's parameters: the stage file's values, changed."""
    values = {p["ParameterKey"]: p["ParameterValue"] for p in expected_parameters(STAGE_VALUES)}
    return {**values, **changes}


# --- create or update ---------------------------------------------------------------


@pytest.mark.parametrize("status", STACK_STATUSES)
def test_every_stack_status_is_a_create_an_update_or_a_refusal(status):
    described = stack("dev", status, reason="earlier trouble")
    if status in ("REVIEW_IN_PROGRESS", "DELETE_COMPLETE"):
        assert (
            deploy_plan.change_set_kind(described, "planar-dev-acme", REGION, "dev", prog=PROG)
            == CREATE
        )
    elif status in deploy_plan.UPDATABLE:
        assert (
            deploy_plan.change_set_kind(described, "planar-dev-acme", REGION, "dev", prog=PROG)
            == UPDATE
        )
    else:
        with pytest.raises(InputError) as refused:
            deploy_plan.change_set_kind(described, "planar-dev-acme", REGION, "dev", prog=PROG)
        message = str(refused.value)
        assert message.startswith(
            f"stack planar-dev-acme in us-east-1 is {status} (earlier trouble): "
        )
        if status in deploy_plan.STUCK:
            expected = deploy_plan.STUCK[status]
            assert (
                expected.format(name="planar-dev-acme", stage="dev", prog=PROG, role="") in message
            )
        else:
            assert "wait for it with `build.py --stage dev --watch`" in message
        assert refused.value.exit_code == 2


def test_no_stack_is_a_create_that_makes_the_stack(stage_file):
    plan = deploy_plan.plan_deploy(get_stage("dev"), stage_file(), None, REGION, prog=PROG)
    assert (plan.kind, plan.creates_stack, plan.previous, plan.keep) == (CREATE, True, {}, ())
    assert plan.parameters(stage_file()) == expected_parameters(STAGE_VALUES)


def test_a_stack_left_in_review_is_a_create_that_keeps_that_stack(stage_file):
    plan = deploy_plan.plan_deploy(
        get_stage("dev"), stage_file(), stack("dev", "REVIEW_IN_PROGRESS"), REGION, prog=PROG
    )
    assert (plan.kind, plan.creates_stack) == (CREATE, False)


def test_a_deleted_stack_is_a_create_that_makes_a_new_one(stage_file):
    plan = deploy_plan.plan_deploy(
        get_stage("dev"), stage_file(), stack("dev", "DELETE_COMPLETE"), REGION, prog=PROG
    )
    assert (plan.kind, plan.creates_stack) == (CREATE, True)


def test_an_update_keeps_the_image_tag_and_zones_the_stage_file_leaves_out(stage_file):
    # GIVEN a stage file without the two keys, and a stack that has both
    values = stage_file(container_image_tag=None, database_availability_zones=None)
    described = stack("prod", "UPDATE_COMPLETE", parameters=previous(ContainerImageTag="v41"))
    # WHEN
    plan = deploy_plan.plan_deploy(get_stage("dev"), values, described, REGION, prog=PROG)
    # THEN both stay at the stack's values; every other parameter is the file's
    assert plan.kind == UPDATE
    assert plan.keep == ("container_image_tag", "database_availability_zones")
    unchanged = {"UsePreviousValue": True}
    assert plan.parameters(values) == expected_parameters(
        {k: v for k, v in STAGE_VALUES.items() if k != "database_availability_zones"},
        container_image_tag=unchanged,
        database_availability_zones=unchanged,
    )


def test_an_update_sends_the_image_tag_the_stage_file_gives(stage_file):
    described = stack("dev", "UPDATE_COMPLETE", parameters=previous(ContainerImageTag="v41"))
    plan = deploy_plan.plan_deploy(get_stage("dev"), stage_file(), described, REGION, prog=PROG)
    assert "container_image_tag" not in plan.keep
    sent = {p["ParameterKey"]: p for p in plan.parameters(stage_file())}
    assert sent["ContainerImageTag"] == {
        "ParameterKey": "ContainerImageTag",
        "ParameterValue": "1.4.2",
    }


@pytest.mark.parametrize(("given", "was"), [(True, "false"), (None, "true")])
def test_switching_the_customer_managed_key_is_refused(stage_file, given, was):
    described = stack("prod", "UPDATE_COMPLETE", parameters=previous(CustomerManagedKey=was))
    with pytest.raises(InputError, match="The key choice is made when the stack is created"):
        deploy_plan.plan_deploy(
            get_stage("prod"),
            stage_file("prod", customer_managed_key=given),
            described,
            REGION,
            prog=PROG,
        )


def test_a_stack_of_another_stage_is_refused(stage_file):
    described = stack("dev", "UPDATE_COMPLETE", tags=[{"Key": "stage", "Value": "prod"}])
    with pytest.raises(InputError, match="belongs to stage 'prod' \\(its stage tag\\), not dev"):
        deploy_plan.check_stage_tag(described, "dev", stage_file())
    deploy_plan.check_stage_tag(stack("dev", "UPDATE_COMPLETE"), "dev", stage_file())
    deploy_plan.check_stage_tag(None, "dev", stage_file())
    # A first create's empty stack has nothing to lose.
    deploy_plan.check_stage_tag(stack("dev", "REVIEW_IN_PROGRESS", tags=[]), "dev", stage_file())


def _tags(**changes):
    tags = {t["Key"]: t["Value"] for t in stack("dev", "UPDATE_COMPLETE")["Tags"]}
    tags.update(changes)
    return [{"Key": k, "Value": v} for k, v in tags.items() if v is not None]


@pytest.mark.parametrize(
    ("tags", "found"),
    [
        ([], "no framework tag, no app.name tag, no stage tag"),
        (_tags(stage=None), "no stage tag"),
        (_tags(**{"app.name": "billing"}), "app.name='billing'"),
        (_tags(framework=None), "no framework tag"),
    ],
)
def test_a_stack_that_is_not_this_stages_planar_stack_is_refused(stage_file, tags, found):
    described = stack("dev", "UPDATE_COMPLETE", tags=tags)
    with pytest.raises(InputError) as raised:
        deploy_plan.check_stage_tag(described, "dev", stage_file())
    message = str(raised.value)
    assert message.startswith(
        f"stack planar-dev-acme is not this stage's Planar stack ({found}); a deploy changes "
        "only a stack tagged framework='planar', app.name='acme', stage='dev': check stack_name in"
    )


# --- the requests ----------------------------------------------------------------------


def test_a_long_command_name_still_gives_a_description_createchangeset_takes(stage_file, templates):
    # A build script of one's own names itself (console(prog)); the API takes 1,024.
    limit = (
        botocore.session.get_session()
        .get_service_model("cloudformation")
        .operation_model("CreateChangeSet")
        .input_shape.members["Description"]
        .metadata["max"]
    )
    prog = "/opt/" + "deploy-tools/" * 100 + "build_qa.py"
    plan = deploy_plan.plan_deploy(get_stage("dev"), stage_file(), None, REGION, prog=prog)
    request = deploy_plan.deploy_request(
        plan, stage_file(), templates["dev"], {"TemplateURL": "https://x"}, NOW, prog=prog
    )
    assert len(request["Description"]) == limit == deploy_plan.DESCRIPTION_MAX
    assert request["Description"].startswith(prog[:100])


def test_a_deploy_request_carries_the_plan_the_tags_and_the_template(stage_file, templates):
    plan = deploy_plan.plan_deploy(get_stage("dev"), stage_file(), None, REGION, prog=PROG)
    request = deploy_plan.deploy_request(
        plan, stage_file(), templates["dev"], {"TemplateURL": "https://x"}, NOW, prog=PROG
    )
    assert request["ChangeSetName"] == "planar-dev-20261127-100000"
    assert request["ChangeSetType"] == "CREATE"
    assert request["TemplateURL"] == "https://x"
    assert request["Capabilities"] == ["CAPABILITY_NAMED_IAM"]
    assert {"Key": "stage", "Value": "dev"} in request["Tags"]
    assert request["Description"] == "build.py --stage dev (planar-cfn 0.1.0)"


@pytest.mark.parametrize("prog", ["planar-cfn", "python -m planar_cfn"])
def test_the_change_set_description_names_the_command_as_run(stage_file, templates, prog):
    plan = deploy_plan.plan_deploy(get_stage("dev"), stage_file(), None, REGION, prog=prog)
    request = deploy_plan.deploy_request(
        plan, stage_file(), templates["dev"], {"TemplateURL": "https://x"}, NOW, prog=prog
    )
    assert request["Description"] == f"{prog} --stage dev (planar-cfn 0.1.0)"
    described = stack("prod", "UPDATE_COMPLETE", parameters=previous())
    plan = deploy_plan.plan_image_tag(
        "v42", described, "planar-prod-acme", REGION, "prod", prog=prog
    )
    request = deploy_plan.image_tag_request(plan, "prod", "v42", templates["prod"], NOW, prog=prog)
    assert request["Description"] == f"{prog} --stage prod --image-tag v42 (planar-cfn 0.1.0)"


def test_a_refusal_names_the_command_as_run():
    described = stack("dev", "ROLLBACK_COMPLETE")
    with pytest.raises(InputError, match="delete it with `planar-cfn --stage dev --destroy`"):
        deploy_plan.change_set_kind(described, "planar-dev-acme", REGION, "dev", prog="planar-cfn")


def test_an_image_tag_update_changes_the_tag_alone(templates):
    described = stack("prod", "UPDATE_COMPLETE", parameters=previous())
    plan = deploy_plan.plan_image_tag(
        "v42", described, "planar-prod-acme", REGION, "prod", prog=PROG
    )
    assert plan.stack_id == described["StackId"]
    request = deploy_plan.image_tag_request(plan, "prod", "v42", templates["prod"], NOW, prog=PROG)
    assert request["UsePreviousTemplate"] is True
    assert "Tags" not in request
    assert "TemplateBody" not in request
    assert [p for p in request["Parameters"] if "ParameterValue" in p] == [
        {"ParameterKey": "ContainerImageTag", "ParameterValue": "v42"}
    ]
    assert len(request["Parameters"]) == len(previous())
    assert request["Description"] == "build.py --stage prod --image-tag v42 (planar-cfn 0.1.0)"


@pytest.mark.parametrize(
    ("described", "message"),
    [
        (None, "--image-tag v42: stack planar-dev-acme does not exist in us-east-1"),
        (stack("dev", "REVIEW_IN_PROGRESS"), "does not exist in us-east-1"),
        (stack("dev", "ROLLBACK_COMPLETE"), "is ROLLBACK_COMPLETE"),
        (stack("dev", "UPDATE_COMPLETE"), "has no ContainerImageTag parameter"),
    ],
)
def test_an_image_tag_update_needs_a_deployed_stack_with_the_tag(described, message):
    with pytest.raises(InputError, match=message):
        deploy_plan.plan_image_tag("v42", described, "planar-dev-acme", REGION, "dev", prog=PROG)


# --- what blocks a change set ----------------------------------------------------------

REPLACED_DB = Resource("Modify", "DatabaseCluster", "AWS::RDS::DBCluster", "True")
REPLACED_SERVICE = Resource("Modify", "Service", "AWS::ECS::Service", "True")
REPLACED_TASK_DEFINITION = Resource("Modify", "TaskDefinition", "AWS::ECS::TaskDefinition", "True")


def change_set(*changes):
    return ChangeSet(
        "cs", "stack-id", ChangeSetState.READY, "CREATE_COMPLETE", "AVAILABLE", "", changes
    )


def never_read():
    raise AssertionError("the stack policy decides nothing here: it is not read")


# The logical ids the template holds, whatever its conditions.
HELD = ("DatabaseCluster", "Service", "TaskDefinition", "FirewallWebAcl", "TargetGroup")


def blocked(ready, kind=UPDATE, stage="prod", allow=False, policy=never_read):
    return deploy_plan.blocked(
        ready,
        kind,
        get_stage(stage),
        allow_replacement=allow,
        stack_name=f"planar-{stage}-acme",
        region=REGION,
        stack_policy=policy,
        prog=PROG,
        held=HELD,
    )


def test_removing_a_resource_the_template_does_not_hold_is_blocked():
    """An update of a stack that is not Planar's would remove its resources, stateless
    ones too: any removal outside the template blocks, unless asked for."""
    foreign = Resource("Remove", "OrdersQueue", "AWS::SQS::Queue", "")
    (reason,) = blocked(change_set(foreign), stage="dev")
    assert reason.startswith("Blocked: the change set removes OrdersQueue, which the template")
    assert "--allow-replacement" in reason
    assert blocked(change_set(foreign), stage="dev", allow=True) == []
    # A removal the template's own switch makes (WebAcl create -> none) is not blocked.
    switched_off = Resource("Remove", "FirewallWebAcl", "AWS::WAFv2::WebACL", "")
    assert blocked(change_set(switched_off), stage="dev") == []


def test_a_change_set_that_loses_no_data_is_not_blocked():
    assert blocked(change_set(REPLACED_TASK_DEFINITION)) == []


@pytest.mark.parametrize("allow", [False, True])
def test_a_replaced_named_service_is_blocked_even_when_replacements_are_allowed(allow):
    # Its fixed name makes the replacement fail: no flag can make it succeed.
    (reason,) = blocked(change_set(REPLACED_SERVICE), stage="dev", allow=allow)
    assert reason.startswith("Blocked: the update replaces the ECS service Service")


def test_a_stateful_replacement_is_blocked_without_allow_replacement():
    assert blocked(change_set(REPLACED_DB), stage="dev") == [
        "Blocked: 1 stateful resource(s) would be replaced or removed (listed above). If you "
        "mean it (after a backup), run again with --allow-replacement."
    ]
    # In prod an update also meets the stack policy: the message says how to lift it.
    assert blocked(change_set(REPLACED_DB))[1] == (
        "In prod the stack policy refuses it too: docs/deploying.md says how to lift it for one deploy."
    )


def test_allow_replacement_lets_it_through_where_no_stack_policy_protects():
    assert blocked(change_set(REPLACED_DB), stage="dev", allow=True) == []
    assert blocked(change_set(REPLACED_DB), kind=CREATE, allow=True) == []


def test_in_prod_the_stack_policy_decides_an_allowed_replacement():
    denying = json.dumps(PROD_STACK_POLICY)
    lines = blocked(change_set(REPLACED_DB), allow=True, policy=lambda: denying)
    assert lines[0] == (
        "Blocked: the prod stack policy denies replacing or removing DatabaseCluster, even with "
        "--allow-replacement. To go ahead deliberately:"
    )
    assert "aws cloudformation set-stack-policy --stack-name planar-prod-acme" in lines[1]
    lifted = json.dumps({"Statement": [{"Effect": "Allow", "Action": "Update:*"}]})
    assert blocked(change_set(REPLACED_DB), allow=True, policy=lambda: lifted) == []


# --- watch and destroy ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "operation"),
    [
        ("UPDATE_IN_PROGRESS", "UPDATE"),
        ("UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE"),
        ("ROLLBACK_IN_PROGRESS", "CREATE"),
        ("CREATE_IN_PROGRESS", "CREATE"),
        ("DELETE_IN_PROGRESS", "DELETE"),
        ("IMPORT_IN_PROGRESS", "IMPORT"),
    ],
)
def test_watch_names_the_operation_under_way(status, operation):
    assert deploy_plan.watched_operation(status) == operation


def test_a_changing_stack_is_not_destroyed():
    with pytest.raises(InputError, match=r"is UPDATE_IN_PROGRESS: .*and destroy again"):
        deploy_plan.check_destroyable(
            stack("dev", "UPDATE_IN_PROGRESS"),
            get_stage("dev"),
            "planar-dev-acme",
            REGION,
            prog=PROG,
        )


def test_termination_protection_set_outside_prod_is_respected():
    protected = stack("staging", "UPDATE_COMPLETE", protection=True)
    with pytest.raises(InputError, match="--no-enable-termination-protection"):
        deploy_plan.check_destroyable(
            protected, get_stage("staging"), "planar-staging-acme", REGION, prog=PROG
        )
    # Prod's own protection is the deploy's to lift, after the confirmation.
    deploy_plan.check_destroyable(
        stack("prod", "UPDATE_COMPLETE", protection=True), get_stage("prod"), "p", REGION, prog=PROG
    )


def test_a_destroy_lists_what_the_deletion_policies_keep():
    template = {
        "Resources": {
            "AppBucket": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain"},
            "DatabaseCluster": {"Type": "AWS::RDS::DBCluster", "DeletionPolicy": "Snapshot"},
            "Cluster": {"Type": "AWS::ECS::Cluster"},
        }
    }
    summaries = [
        {"LogicalResourceId": "AppBucket", "ResourceStatus": "CREATE_COMPLETE"},
        {"LogicalResourceId": "DatabaseCluster", "ResourceStatus": "CREATE_COMPLETE"},
        {"LogicalResourceId": "Cluster", "ResourceStatus": "CREATE_COMPLETE"},
        {"LogicalResourceId": "Gone", "ResourceStatus": "DELETE_COMPLETE"},
    ]
    resources = deploy_plan.resources_with_policies(template, summaries)
    assert [(r["LogicalResourceId"], r["DeletionPolicy"]) for r in resources] == [
        ("AppBucket", "Retain"),
        ("DatabaseCluster", "Snapshot"),
        ("Cluster", "Delete"),
    ]
    assert [r["LogicalResourceId"] for r in deploy_plan.kept(resources)] == [
        "AppBucket",
        "DatabaseCluster",
    ]


def test_a_protected_stage_is_destroyed_only_on_its_stack_name_typed_in_full():
    question, accepted = deploy_plan.destroy_confirmation(get_stage("prod"), "planar-prod-acme")
    assert question == "Type the stack name (planar-prod-acme) to delete it: "
    assert accepted == ("planar-prod-acme",)
    assert deploy_plan.destroy_confirmation(get_stage("dev"), "planar-dev-acme")[1] == ("y", "yes")
