"""--revert-drift: an update's change set created drift-aware (DeploymentMode REVERT_DRIFT,
checked by botocore's Stubber against the API model), and its review: per property the
template's value, the last deployed one and the live one, and which the deploy leaves."""

import json

from planar_cfn.errors import ExitCode
from tests.deploy.scenarios import (
    create_request,
    image_tag_update,
    previous_parameters,
    update_request,
)
from tests.deploy.test_review_values import detail, with_details
from tests.deploy_stubs import change

DRIFT_AWARE = {"DeploymentMode": "REVERT_DRIFT", "StackDriftStatus": "DRIFTED"}


def drifted_security_group():
    """An ingress rule someone opened in the console, which the deploy closes again."""
    resource = with_details(
        change("Modify", "ServiceSecurityGroup", "AWS::EC2::SecurityGroup", "False"),
        detail(
            "SecurityGroupIngress/1",
            before='{"CidrIp":"0.0.0.0/0","FromPort":22,"IpProtocol":"tcp","ToPort":22}',
            kind="Remove",
            target={
                "BeforeValueFrom": "ACTUAL_STATE",
                "Drift": {
                    "ActualValue": '{"CidrIp":"0.0.0.0/0","FromPort":22,"IpProtocol":"tcp","ToPort":22}',
                    "DriftDetectionTimestamp": "2026-11-27T09:58:00Z",
                },
            },
        ),
    )
    resource["ResourceChange"]["ResourceDriftStatus"] = "MODIFIED"
    return resource


def drifted_retention():
    """A backup retention lowered in the console: the template's 7 goes back."""
    resource = with_details(
        change("Modify", "DatabaseCluster", "AWS::RDS::DBCluster", "False"),
        detail(
            "BackupRetentionPeriod",
            "1",
            "7",
            target={
                "BeforeValueFrom": "ACTUAL_STATE",
                "AfterValueFrom": "TEMPLATE",
                "Drift": {"PreviousValue": "7", "ActualValue": "1"},
            },
        ),
    )
    resource["ResourceChange"]["ResourceDriftStatus"] = "MODIFIED"
    resource["ResourceChange"]["ResourceDriftIgnoredAttributes"] = [
        {"Path": "/Properties/MasterUserPassword", "Reason": "WRITE_ONLY_PROPERTY"}
    ]
    return resource


def synced_log_group():
    """A template that now says what the live resource already has: nothing changes."""
    resource = with_details(
        change("SyncWithActual", "AppLogGroup", "AWS::Logs::LogGroup"),
        detail(
            "RetentionInDays",
            "30",
            "30",
            kind="SyncWithActual",
            target={"BeforeValueFrom": "ACTUAL_STATE", "AfterValueFrom": "TEMPLATE"},
        ),
    )
    resource["ResourceChange"]["ResourceDriftStatus"] = "MODIFIED"
    return resource


def test_a_drift_aware_dry_run_shows_template_deployed_and_live_values(harness, tmp_path):
    # GIVEN a stack whose resources drifted, and a drift-aware dry run
    h = harness("dev")
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h, DeploymentMode="REVERT_DRIFT"))
    changes = [drifted_security_group(), drifted_retention(), synced_log_group()]
    h.change_set(changes=[], fields=DRIFT_AWARE)
    h.change_set(changes=changes, values=True, fields=DRIFT_AWARE)
    h.deleted_change_set()
    plan = tmp_path / "plan.json"

    assert h.run("--dry-run", "--revert-drift", "--plan-json", str(plan)) == ExitCode.OK
    out = h.out.getvalue()

    # THEN the review says it is drift-aware, and per property the three values and what
    # the deploy leaves
    assert "Change set for stack planar-dev-acme (UPDATE, drift-aware): 3 resource change(s)" in out
    assert "Stack drift when the change set was made: DRIFTED" in out
    assert (
        "      ~ BackupRetentionPeriod: the deploy puts the template's value back over the live one\n"
        "          template       7\n"
        "          last deployed  7\n"
        "          live           1\n"
    ) in out
    assert "drift not compared: /Properties/MasterUserPassword (WRITE_ONLY_PROPERTY)" in out
    assert (
        "      ~ RetentionInDays: the template now matches the live value: kept, drift status "
        "reset\n"
    ) in out
    assert "  = AWS::Logs::LogGroup" in out
    group = out[out.index("ServiceSecurityGroup") :]
    assert "~ SecurityGroupIngress/1: the template has none: the deploy removes the live value" in (
        group
    )
    assert "last deployed  (none)" in group
    assert 'live           {"CidrIp":"0.0.0.0/0","FromPort":22' in group
    assert "Dry run: the change set was deleted and nothing changed." in out
    # AND the plan records the same
    document = json.loads(plan.read_text())
    assert (document["driftAware"], document["stackDriftStatus"]) == (True, "DRIFTED")
    retention = document["resources"][1]["properties"][0]
    assert (retention["beforeFrom"], retention["drift"]) == (
        "ACTUAL_STATE",
        {"previous": "7", "actual": "1"},
    )


def test_a_first_create_sends_no_deployment_mode_and_says_why(harness):
    h = harness("dev")
    h.no_stack()
    h.created(**create_request(h))  # no DeploymentMode: the Stubber refuses any other
    h.ready([change("Add", "Cluster", "AWS::ECS::Cluster")])
    h.deleted_change_set()
    h.deleted_stack()

    assert h.run("--dry-run", "--revert-drift") == ExitCode.OK
    assert (
        "--revert-drift: stack planar-dev-acme is created by this deploy, so it has no drift "
        "to revert: the change set is an ordinary one."
    ) in h.out.getvalue()


def test_an_image_tag_update_can_be_drift_aware(harness, templates):
    h = harness("prod")
    before = previous_parameters(h)
    h.stack("UPDATE_COMPLETE", parameters=before)
    image_tag_update(h, templates["prod"], before, DeploymentMode="REVERT_DRIFT")
    h.ready([drifted_retention()], fields=DRIFT_AWARE)
    h.deleted_change_set()

    assert h.run("--image-tag", "v42", "--revert-drift", "--dry-run") == ExitCode.OK
    assert "(UPDATE, drift-aware)" in h.out.getvalue()


def test_a_drift_aware_change_set_never_puts_the_production_rule_weights_back(harness):
    # GIVEN ECS moved the production rule's weights in a canary, and a drift-aware deploy
    h = harness("dev")
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h, DeploymentMode="REVERT_DRIFT"))
    rule = with_details(
        change("Modify", "ProductionListenerRule", "AWS::ElasticLoadBalancingV2::ListenerRule"),
        detail(
            "Actions",
            '[{"Type":"forward","ForwardConfig":{"TargetGroups":[{"Weight":0},{"Weight":100}]}}]',
            '[{"Type":"forward","ForwardConfig":{"TargetGroups":[{"Weight":100},{"Weight":0}]}}]',
            target={"BeforeValueFrom": "ACTUAL_STATE"},
        ),
    )
    h.ready([rule], fields=DRIFT_AWARE)
    h.deleted_change_set()

    # THEN it is blocked, even when asked to go ahead, and nothing runs
    assert h.run("--revert-drift", "--yes", "--allow-replacement") == ExitCode.BLOCKED
    out = h.out.getvalue()
    assert "Blocked: this drift-aware change set would put ProductionListenerRule's weights" in out
    assert "Deploy without --revert-drift" in out
    assert "The change set was deleted and nothing changed." in out
