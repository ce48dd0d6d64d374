"""The computed change set shown and decided on (deploy/review.py): its changes and
changed parameters, no changes or a failed change set (deleted), a stateful replacement
blocked unless allowed and where the stack policy lets it, the terminal's question, and
in prod the warning that a replaced load balancer would stay behind."""

import json

import pytest

from planar_cfn.deploy import review
from planar_cfn.deploy.change_set import Change, ChangeSet, ChangeSetState
from planar_cfn.errors import ExitCode
from tests.deploy.scenarios import (
    OLD_ALB,
    OUTPUTS,
    REPLACE_ALB,
    create_request,
    executed_update,
    previous_parameters,
    prod_alb_switch,
    prod_update_request,
    update_request,
)
from tests.deploy_stubs import (
    PROD_STACK_POLICY,
    STAGE_VALUES,
    Terminal,
    change,
    event,
    expected_parameters,
)


def test_update_shows_changed_parameters_and_keeps_the_pipelines_image_tag(harness):
    # GIVEN a deployed stack whose image tag a pipeline moved, and a stage file without one
    values = {k: v for k, v in STAGE_VALUES.items() if k != "container_image_tag"}
    h = harness("dev", values)
    before = previous_parameters(h, ContainerImageTag="v42", DesiredCount="1")
    h.stack("UPDATE_COMPLETE", parameters=before)
    params = expected_parameters(values, h.stage, container_image_tag={"UsePreviousValue": True})
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


def _service_change(replacement: str, *properties: str) -> dict:
    """The service's change as DescribeChangeSet gives it: each property a detail, none
    of them recreating it unless `replacement` says so."""
    recreation = "Always" if replacement == "True" else "Never"
    modify = change("Modify", "Service", "AWS::ECS::Service", replacement)
    modify["ResourceChange"]["Details"] = [
        {
            "Target": {"Attribute": "Properties", "Name": name, "RequiresRecreation": recreation},
            "Evaluation": "Static",
            "ChangeSource": "DirectModification",
        }
        for name in properties
    ]
    return modify


def test_the_one_time_switch_from_launch_type_to_strategy_is_shown_as_a_new_deployment(harness):
    # GIVEN a stack deployed with LaunchType FARGATE, updated with this version's template
    # (a [FARGATE] strategy and no launch type), and CloudFormation's answer: an in-place
    # update of the service touching both properties
    h = harness("dev")
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h))
    h.ready([_service_change("False", "LaunchType", "CapacityProviderStrategy")])

    # WHEN deploying without a terminal
    code = h.run()

    # THEN the review says what the switch does, and it is not blocked
    assert code == ExitCode.NOT_EXECUTED
    out = h.out.getvalue()
    assert "Service  replacement: False" in out
    assert (
        "Note: Service moves from the FARGATE launch type to a capacity provider strategy "
        "(once, for a stack deployed with a launch type), in place: ECS starts a new "
        "deployment, which replaces every task by a rolling update"
    ) in out
    assert "Blocked" not in out
    # AND the template sent makes that switch: an on-demand strategy, no launch type
    service = json.loads(h.rendered.body)["Resources"]["Service"]["Properties"]
    assert "LaunchType" not in service
    assert service["CapacityProviderStrategy"]["Fn::If"][2] == [
        {"CapacityProvider": "FARGATE", "Weight": 1}
    ]


def test_turning_spot_off_is_shown_as_a_strategy_change(harness):
    values = {**STAGE_VALUES, "fargate_spot": False}
    h = harness("dev", values)
    before = previous_parameters(h, FargateSpot="true")
    h.stack("UPDATE_COMPLETE", parameters=before)
    h.created(**update_request(h, Parameters=expected_parameters(values, h.stage)))
    after = {**before, "FargateSpot": "false"}
    h.ready(
        [_service_change("False", "CapacityProviderStrategy")],
        parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in after.items()],
    )

    assert h.run() == ExitCode.NOT_EXECUTED
    out = h.out.getvalue()
    assert "Parameters changed:\n  FargateSpot: true -> false" in out
    assert "Note: Service changes capacity provider strategy (fargate_spot switched)" in out


def test_a_replaced_service_gets_no_note_only_the_block(harness):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h))
    h.ready([_service_change("True", "LaunchType", "CapacityProviderStrategy")])
    h.deleted_change_set()

    assert h.run("--yes") == ExitCode.BLOCKED
    out = h.out.getvalue()
    assert "Note: Service" not in out
    assert "Blocked: the update replaces the ECS service Service" in out


def test_turning_autoscaling_off_warns_that_the_count_goes_to_desired_count(harness):
    # GIVEN a stack with autoscaling on, and a stage file that turns it off with 2 tasks
    values = {**STAGE_VALUES, "autoscaling": False, "desired_count": 2}
    h = harness("dev", values)
    before = previous_parameters(h, Autoscaling="true", DesiredCount="1")
    h.stack("UPDATE_COMPLETE", parameters=before)
    h.created(**update_request(h, Parameters=expected_parameters(values, h.stage)))
    after = {**before, "Autoscaling": "false", "DesiredCount": "2"}
    h.ready(
        [_service_change("False", "DesiredCount")],
        parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in after.items()],
    )

    # WHEN deploying without a terminal
    assert h.run() == ExitCode.NOT_EXECUTED

    # THEN the review warns that this deploy sets the count, whatever autoscaling reached
    out = h.out.getvalue()
    assert "Autoscaling: true -> false" in out
    assert (
        "Warning: Autoscaling true -> false: this update deletes the scalable target and its "
        "policies and sets the service's task count to DesiredCount (2), whatever count "
        "autoscaling had reached: the running tasks drop (or rise) to 2 in this deploy."
    ) in out


@pytest.mark.parametrize(
    ("was", "now"), [("false", "true"), ("true", "true"), ("false", "false"), (None, "false")]
)
def test_no_autoscaling_warning_unless_it_is_turned_off(was, now):
    before = {} if was is None else {"Autoscaling": was}
    ready = _computed(parameters={"Autoscaling": now, "DesiredCount": "1"})
    assert review.warnings(ready, before) == []


def test_a_create_gets_no_warnings():
    ready = _computed(
        changes=(Change("Add", "Service", "AWS::ECS::Service", ""),),
        parameters={"Autoscaling": "false"},
    )
    assert review.warnings(ready, None) == []


def _computed(**fields) -> ChangeSet:
    return ChangeSet(
        "cs", "stack", ChangeSetState.READY, "CREATE_COMPLETE", "AVAILABLE", "", **fields
    )
