"""build.py --drift: CloudFormation drift detection on the deployed stack, run through
the real command (cli.main) against botocore Stubbers, and the pure rule that leaves
out the drift we expect."""

from __future__ import annotations

import pytest

from planar_cfn.cli import commands as cli
from planar_cfn.deploy import drift
from planar_cfn.errors import ExitCode
from planar_cfn.inputs.options import DeployOptions
from tests import drift_stubs as stubs
from tests.deploy_stubs import BAD_GATEWAY, on_the_wire
from tests.drift_stubs import (
    AUTOSCALING,
    DESIRED_COUNT,
    DETECTION_ID,
    build_py,
    detection,
    resource,
    resource_drifts,
    service,
)

# --- through build.py ------------------------------------------------------------------


def test_a_stack_in_sync_exits_0(harness):
    h = harness("prod")
    stubs.certificate_stack(h)
    detection(h, "DETECTION_IN_PROGRESS", "DETECTION_COMPLETE")
    resource_drifts(h)
    stubs.healthy_certificate(h)

    assert build_py(h) == ExitCode.OK, h.err.getvalue()
    assert h.out.getvalue() == (
        "Detecting drift on stack planar-prod-acme (UPDATE_COMPLETE) ...\n"
        "Stack planar-prod-acme is in sync with its template.\n"
        f"Certificate {stubs.CERTIFICATE_ARN}: ISSUED, renewal eligibility ELIGIBLE, "
        "managed renewal none yet.\n"
        "  Validation records (ACM renews the certificate through them; keep them in the zone):\n"
        f"    = example.com: CNAME {stubs.BASE_RECORD['Name']} -> {stubs.BASE_RECORD['Value']}: present\n"
        f"    = acme-prod.example.com: CNAME {stubs.app_record(h)['Name']} -> "
        f"{stubs.app_record(h)['Value']}: present\n"
        "Certificate: healthy, and its validation records are in the zone.\n"
    )
    assert h.fake_clock.sleeps == 1


def test_drift_lists_each_resource_and_property_and_exits_1(harness):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE")
    detection(h, "DETECTION_COMPLETE")
    # Two pages: the paginator follows NextToken.
    resource_drifts(
        h,
        resource(
            h,
            "ServiceSecurityGroup",
            "AWS::EC2::SecurityGroup",
            "MODIFIED",
            ("/SecurityGroupIngress/1", "", '{"IpProtocol":"tcp","FromPort":22}', "ADD"),
        ),
        next_token="page-2",
    )
    resource_drifts(
        h,
        service(h, ("/DesiredCount", "1", "3", "NOT_EQUAL")),
        resource(h, "AppBucket", "AWS::S3::Bucket", "DELETED"),
        token="page-2",
    )

    assert build_py(h) == ExitCode.FAILED
    assert h.out.getvalue() == (
        "Detecting drift on stack planar-dev-acme (UPDATE_COMPLETE) ...\n"
        "  ~ AWS::EC2::SecurityGroup  ServiceSecurityGroup  MODIFIED\n"
        '      /SecurityGroupIngress/1: added {"IpProtocol":"tcp","FromPort":22} (ADD)\n'
        "  ~ AWS::ECS::Service        Service               MODIFIED\n"
        "      /DesiredCount: expected 1, actual 3 (NOT_EQUAL)\n"
        "  - AWS::S3::Bucket          AppBucket             DELETED\n"
        "Stack planar-dev-acme has drifted: 3 resource(s) differ from its template.\n"
        "Certificate not checked: the stack has no CertificateArn output.\n"
    )
    assert h.err.getvalue() == ""


def test_desired_count_under_autoscaling_is_left_out_and_said(harness):
    # GIVEN a stack whose autoscaling moved the task count, and nothing else
    h = harness("prod")
    h.stack("UPDATE_COMPLETE", parameters=AUTOSCALING)
    detection(h, "DETECTION_COMPLETE")
    resource_drifts(h, service(h, DESIRED_COUNT))

    # THEN it is in sync, and says what it left out
    assert build_py(h) == ExitCode.OK
    out = h.out.getvalue()
    assert (
        "Left out: 1 expected difference(s): Service /DesiredCount "
        "(2 -> 5: autoscaling sets the running task count).\n" in out
    )
    assert out.endswith(
        "Stack planar-prod-acme is in sync with its template.\n"
        "Certificate not checked: the stack has no CertificateArn output.\n"
    )


def test_other_differences_of_an_autoscaled_service_still_count(harness):
    h = harness("prod")
    h.stack("UPDATE_COMPLETE", parameters=AUTOSCALING)
    detection(h, "DETECTION_COMPLETE")
    resource_drifts(
        h, service(h, DESIRED_COUNT, ("/PlatformVersion", "LATEST", "1.4.0", "NOT_EQUAL"))
    )

    assert build_py(h) == ExitCode.FAILED
    out = h.out.getvalue()
    assert "/PlatformVersion: expected LATEST, actual 1.4.0 (NOT_EQUAL)" in out
    assert "/DesiredCount: expected" not in out
    assert "Left out: 1 expected difference(s)" in out


def test_resources_not_checked_are_reported(harness):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE")
    detection(h, "DETECTION_COMPLETE")
    resource_drifts(
        h,
        resource(
            h,
            "BucketEmptier",
            "Custom::BucketEmptier",
            "UNKNOWN",
            reason="Drift detection is not supported for this resource type",
        ),
        resource(h, "Certificate", "AWS::CertificateManager::Certificate", "NOT_CHECKED"),
    )

    assert build_py(h) == ExitCode.OK
    assert h.out.getvalue().endswith(
        "Not checked: 2 resource(s):\n"
        "  ? Custom::BucketEmptier  BucketEmptier  UNKNOWN: Drift detection is not supported "
        "for this resource type\n"
        "  ? AWS::CertificateManager::Certificate  Certificate  NOT_CHECKED\n"
        "Stack planar-dev-acme is in sync with its template.\n"
        "Certificate not checked: the stack has no CertificateArn output.\n"
    )


def test_a_failed_detection_exits_1_with_its_reason(harness):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE")
    detection(h, "DETECTION_FAILED", reason="Failed to detect drift on resource [Service]")
    resource_drifts(h)

    assert build_py(h) == ExitCode.FAILED
    assert h.out.getvalue() == (
        "Detecting drift on stack planar-dev-acme (UPDATE_COMPLETE) ...\n"
        "Drift detection DETECTION_FAILED: Failed to detect drift on resource [Service]. "
        "What it could check follows.\n"
        "No drift found on stack planar-dev-acme where it could be checked.\n"
        "Certificate not checked: the stack has no CertificateArn output.\n"
    )


def test_no_stack_exits_2_naming_the_stack_and_region(harness):
    h = harness("dev")
    h.no_stack()

    assert build_py(h) == ExitCode.BAD_INPUT
    assert h.err.getvalue() == (
        "build.py: error: --drift: stack planar-dev-acme does not exist in us-east-1\n"
        "build.py: nothing was created or changed\n"
    )


def test_a_stack_being_changed_is_refused(harness):
    h = harness("dev")
    h.stack("UPDATE_IN_PROGRESS")

    assert build_py(h) == ExitCode.BAD_INPUT
    assert (
        "--drift: stack planar-dev-acme in us-east-1 is UPDATE_IN_PROGRESS: wait for it "
        "(build.py --stage dev --watch), then run again" in h.err.getvalue()
    )


def test_a_detection_still_running_at_the_timeout_fails(harness):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE")
    # 60 s at 5 s a poll: the first answer, then one after each of 12 sleeps.
    detection(h, *["DETECTION_IN_PROGRESS"] * 13)

    assert build_py(h, "--timeout", "1") == ExitCode.FAILED
    assert h.err.getvalue() == (
        f"build.py: error: drift detection {DETECTION_ID} still running after 1 minute(s): "
        "run again, with a longer --timeout (it changes nothing)\n"
    )


def test_ctrl_c_while_waiting_exits_130(harness):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE")
    detection(h, "DETECTION_IN_PROGRESS")
    h.fake_clock.interrupt_after = 0

    assert build_py(h) == ExitCode.INTERRUPTED
    assert "interrupted before anything changed" in h.err.getvalue()


def test_aws_refusing_detection_exits_1(harness):
    h = harness("dev")
    h.stack("UPDATE_ROLLBACK_FAILED")
    h.cfn.add_client_error(
        "detect_stack_drift",
        "ValidationError",
        "Drift detection is not supported for stacks in UPDATE_ROLLBACK_FAILED state",
        400,
        expected_params={"StackName": h.id},
    )

    assert build_py(h) == ExitCode.FAILED
    assert (
        "AWS refused DetectStackDrift (ValidationError): Drift detection is not supported"
        in h.err.getvalue()
    )


@pytest.mark.parametrize(
    "flags",
    [
        ("--dry-run",),
        ("--allow-replacement",),
        ("--outputs-json", "out.json"),
        ("--watch",),
        ("--destroy",),
        ("--image-tag", "v2"),
        ("--no-deploy",),
        ("--publish", "--artifact-bucket", "acme-artifacts"),
    ],
)
def test_drift_goes_with_no_other_mode(harness, flags, capsys):
    # No response queued: any AWS call would fail the test.
    h = harness("dev")
    argv = ["--stage", "dev", "--stage-file", str(h.path), "--drift", *flags]
    try:
        code = cli.main(argv, out=h.out, err=h.err, runtime=h.runtime())
    except SystemExit as exit:  # argparse's usage error
        code = exit.code
    assert code == ExitCode.BAD_INPUT
    said = h.err.getvalue() + capsys.readouterr().err
    assert flags[0] in said


def test_from_python_drift_is_an_option_and_the_result_its_exit_code(harness):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE")
    detection(h, "DETECTION_COMPLETE")
    resource_drifts(h, resource(h, "AppBucket", "AWS::S3::Bucket", "DELETED"))

    options = DeployOptions(stage="dev", stage_file=h.path, drift=True)

    assert options.mode == "drift"
    assert h.run_options(options) == ExitCode.FAILED
    assert "  - AWS::S3::Bucket  AppBucket  DELETED\n" in h.out.getvalue()


def test_a_stack_still_in_review_is_refused(harness):
    h = harness("dev")
    h.stack("REVIEW_IN_PROGRESS")

    assert build_py(h) == ExitCode.BAD_INPUT
    assert "is REVIEW_IN_PROGRESS: it has no resources yet" in h.err.getvalue()


# --- the rule, alone ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parameters", "on"),
    [
        ({}, False),
        ({"Autoscaling": "false", "AutoscalingMinCount": "1", "AutoscalingMaxCount": "4"}, False),
        ({"Autoscaling": "true", "AutoscalingMinCount": "1", "AutoscalingMaxCount": "4"}, True),
        ({"Autoscaling": "True"}, False),  # CloudFormation's Equals is exact, as here
    ],
)
def test_autoscaling_is_on_when_the_stacks_switch_is(parameters, on):
    assert drift.autoscaling_on(parameters) is on


def test_the_rule_reads_the_switch_the_templates_scaling_hangs_on(template):
    assert template["Conditions"]["UseAutoscaling"] == {
        "Fn::Equals": [{"Ref": drift.AUTOSCALING_PARAMETER}, "true"]
    }


def test_desired_count_is_drift_without_autoscaling():
    item = {
        "LogicalResourceId": "Service",
        "ResourceType": "AWS::ECS::Service",
        "StackResourceDriftStatus": "MODIFIED",
        "PropertyDifferences": [
            {
                "PropertyPath": "/DesiredCount",
                "ExpectedValue": "1",
                "ActualValue": "3",
                "DifferenceType": "NOT_EQUAL",
            }
        ],
    }
    drifted, left_out, not_checked = drift.classify([item], {"DesiredCount": "1"})
    assert [r.logical_id for r in drifted] == ["Service"]
    assert left_out == ()
    assert not_checked == ()
    # An integrator's own rule: the table is an argument.
    rule = drift.ExpectedDrift("AWS::ECS::Service", "/DesiredCount", "scaled by hand", bool)
    drifted, left_out, _ = drift.classify([item], {"x": "y"}, expected=(rule,))
    assert drifted == ()
    assert left_out[0][2] == "scaled by hand"


def test_an_unreadable_answer_to_detection_is_an_error_naming_the_call(harness):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE")
    on_the_wire(h.aws, "cloudformation", "detect_stack_drift", {"StackName": h.id}, BAD_GATEWAY)

    assert build_py(h) == ExitCode.FAILED
    err = h.err.getvalue()
    assert err.startswith(
        "build.py: error: AWS's answer to DetectStackDrift could not be read (HTTP 502, text/html"
    )
    assert "Traceback" not in err


def test_a_removed_property_and_a_long_value_are_said_as_such(harness):
    # GIVEN a property removed from a resource, and another whose values run long
    h = harness("dev")
    h.stack("UPDATE_COMPLETE")
    detection(h, "DETECTION_COMPLETE")
    policy = "x" * 200  # shown whole
    document = "y" * 201  # shown cut, with its length
    item = resource(
        h,
        "AppBucket",
        "AWS::S3::Bucket",
        "MODIFIED",
        ("/VersioningConfiguration", '{"Status":"Enabled"}', "", "REMOVE"),
        ("/Policy", policy, document, "NOT_EQUAL"),
    )
    resource_drifts(h, item)

    assert build_py(h) == ExitCode.FAILED
    assert h.out.getvalue().splitlines()[1:4] == [
        "  ~ AWS::S3::Bucket  AppBucket  MODIFIED",
        '      /VersioningConfiguration: removed, expected {"Status":"Enabled"} (REMOVE)',
        f"      /Policy: expected {policy}, actual {'y' * 200}... (201 characters) (NOT_EQUAL)",
    ]


def test_a_failed_detection_without_a_reason_says_so(harness):
    h = harness("dev")
    h.stack("UPDATE_COMPLETE")
    detection(h, "DETECTION_FAILED")
    resource_drifts(h)

    assert build_py(h) == ExitCode.FAILED
    assert h.out.getvalue().splitlines()[1] == (
        "Drift detection DETECTION_FAILED: no reason given. What it could check follows."
    )


def drift_item(logical: str, kind: str, status: str, *differences: dict, **extra: str) -> dict:
    """One of DescribeStackResourceDrifts' items, as classify takes them."""
    item = {"LogicalResourceId": logical, "ResourceType": kind, "StackResourceDriftStatus": status}
    if differences:
        item["PropertyDifferences"] = list(differences)
    return {**item, **extra}


def test_classify_passes_over_resources_in_sync_and_keeps_cloudformations_reasons():
    # A caller may pass every item, IN_SYNC ones too (the command asks for none)
    in_sync = drift_item("Cluster", "AWS::ECS::Cluster", "IN_SYNC")
    deleted = drift_item("AppBucket", "AWS::S3::Bucket", "DELETED", DriftStatusReason="gone")
    unknown = drift_item("Emptier", "Custom::BucketEmptier", "UNKNOWN")

    drifted, left_out, not_checked = drift.classify([in_sync, deleted, unknown], {})

    assert drifted == (drift.ResourceDrift("AppBucket", "AWS::S3::Bucket", "DELETED", (), "gone"),)
    assert left_out == ()
    assert not_checked == (drift.ResourceDrift("Emptier", "Custom::BucketEmptier", "UNKNOWN"),)


def test_every_difference_left_out_is_listed():
    count = {"PropertyPath": "/DesiredCount", "ExpectedValue": "2", "ActualValue": "5"}
    version = {
        "PropertyPath": "/PlatformVersion",
        "ExpectedValue": "1.4.0",
        "ActualValue": "LATEST",
    }
    item = drift_item(
        "Service",
        "AWS::ECS::Service",
        "MODIFIED",
        {**count, "DifferenceType": "NOT_EQUAL"},
        {**version, "DifferenceType": "NOT_EQUAL"},
    )
    rules = (
        drift.ExpectedDrift("AWS::ECS::Service", "/DesiredCount", "scaled", bool),
        drift.ExpectedDrift("AWS::ECS::Service", "/PlatformVersion", "pinned by hand", bool),
    )
    drifted, left_out, not_checked = drift.classify([item], {"x": "y"}, expected=rules)
    report = drift.DriftReport(
        "planar-dev-acme", "DETECTION_COMPLETE", "", drifted, left_out, not_checked
    )

    assert drift.lines(report) == [
        "Left out: 2 expected difference(s): Service /DesiredCount (2 -> 5: scaled); "
        "Service /PlatformVersion (1.4.0 -> LATEST: pinned by hand).",
        "Stack planar-dev-acme is in sync with its template.",
    ]
