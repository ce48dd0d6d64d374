"""Switching a running stack's deployment strategy (docs/stack.md, Rollouts): an update
that modifies the ECS service in place runs; one that would replace it is refused; and
the weights ECS moves on the production rule afterwards are expected drift."""

from __future__ import annotations

from planar_cfn.deploy import drift
from planar_cfn.errors import ExitCode
from tests.deploy.scenarios import previous_parameters, update_request
from tests.deploy_stubs import STAGE_VALUES, change, event, expected_parameters

TO_CANARY = {**STAGE_VALUES, "deployment_strategy": "CANARY"}
# What a switch from ROLLING adds beside the service.
ADDED = (
    ("AlternateTargetGroup", "AWS::ElasticLoadBalancingV2::TargetGroup"),
    ("ProductionListenerRule", "AWS::ElasticLoadBalancingV2::ListenerRule"),
    ("DeploymentRole", "AWS::IAM::Role"),
    ("ServiceErrorRateAlarm", "AWS::CloudWatch::Alarm"),
    ("ServiceResponseTimeAlarm", "AWS::CloudWatch::Alarm"),
)


def _service_change(replacement: str, *properties: str) -> dict:
    """The service's change as DescribeChangeSet gives it, each property a detail."""
    modify = change("Modify", "Service", "AWS::ECS::Service", replacement)
    recreation = "Always" if replacement == "True" else "Never"
    modify["ResourceChange"]["Details"] = [
        {
            "Target": {"Attribute": "Properties", "Name": name, "RequiresRecreation": recreation},
            "Evaluation": "Static",
            "ChangeSource": "DirectModification",
        }
        for name in properties
    ]
    return modify


def _switch(h, service: dict) -> None:
    """A dev stack on ROLLING, and a stage file that asks for CANARY."""
    before = previous_parameters(h)
    h.stack("UPDATE_COMPLETE", parameters=before)
    h.created(**update_request(h, Parameters=expected_parameters(TO_CANARY, h.stage)))
    after = {**before, "DeploymentStrategy": "CANARY"}
    h.ready(
        [*(change("Add", logical, kind) for logical, kind in ADDED), service],
        parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in after.items()],
    )


def test_rolling_to_canary_updates_the_service_in_place_and_runs(harness):
    h = harness("dev", TO_CANARY)
    _switch(h, _service_change("False", "DeploymentConfiguration", "LoadBalancers"))
    cursor = event("dev", "planar-dev-acme", "UPDATE_COMPLETE")
    h.events(cursor)
    h.executed()
    h.progress(
        "UPDATE_COMPLETE", event("dev", "planar-dev-acme", "UPDATE_COMPLETE", seconds=60), cursor
    )

    assert h.run("--yes") == ExitCode.OK, h.err.getvalue()
    out = h.out.getvalue()
    assert "Parameters changed:\n  DeploymentStrategy: ROLLING -> CANARY" in out
    assert "Blocked" not in out


def test_a_switch_that_would_replace_the_service_is_refused(harness):
    # No strategy parameter touches a create-only property (tests/template/
    # test_rollout.py); were a change set to replace the service anyway, the deploy
    # refuses it before anything runs.
    h = harness("dev", TO_CANARY)
    _switch(h, _service_change("True", "DeploymentConfiguration", "LaunchType"))
    h.deleted_change_set()

    assert h.run("--yes") == ExitCode.BLOCKED
    assert "Blocked: the update replaces the ECS service Service" in h.out.getvalue()


def _rule_drift(path: str) -> dict:
    return {
        "LogicalResourceId": "ProductionListenerRule",
        "ResourceType": "AWS::ElasticLoadBalancingV2::ListenerRule",
        "StackResourceDriftStatus": "MODIFIED",
        "PropertyDifferences": [
            {
                "PropertyPath": path,
                "ExpectedValue": "100",
                "ActualValue": "0",
                "DifferenceType": "NOT_EQUAL",
            }
        ],
    }


def test_the_weights_ecs_moves_are_expected_drift_with_a_traffic_shift():
    weight = _rule_drift("/Actions/0/ForwardConfig/TargetGroups/0/Weight")
    drifted, left_out, _ = drift.classify([weight], {"DeploymentStrategy": "CANARY"})
    assert drifted == ()
    [(resource, difference, why)] = left_out
    assert resource.logical_id == "ProductionListenerRule"
    assert difference.path == "/Actions/0/ForwardConfig/TargetGroups/0/Weight"
    assert "ECS moves the production rule's weights" in why


def test_the_rules_other_drift_and_rolling_stacks_still_count():
    # ROLLING has no production rule of its own: a difference there is not ECS's.
    weight = _rule_drift("/Actions/0/ForwardConfig/TargetGroups/0/Weight")
    drifted, left_out, _ = drift.classify([weight], {"DeploymentStrategy": "ROLLING"})
    assert [r.logical_id for r in drifted] == ["ProductionListenerRule"]
    assert left_out == ()
    # A path that only starts like /Actions is not under it.
    other = _rule_drift("/ActionsX")
    drifted, _, _ = drift.classify([other], {"DeploymentStrategy": "CANARY"})
    assert [r.logical_id for r in drifted] == ["ProductionListenerRule"]
    conditions = _rule_drift("/Conditions/0/Field")
    drifted, _, _ = drift.classify([conditions], {"DeploymentStrategy": "CANARY"})
    assert [r.logical_id for r in drifted] == ["ProductionListenerRule"]
