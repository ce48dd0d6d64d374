"""build.py --drift on the certificate: its status, RenewalEligibility and RenewalSummary,
and whether each validation record is still in the hosted zone, which drift detection
cannot see (planar_cfn.deploy.certificate), through the real command against Stubbers."""

from __future__ import annotations

from planar_cfn.errors import ExitCode
from tests import drift_stubs as stubs
from tests.deploy_stubs import Harness


def in_sync(h: Harness, **parameters: str) -> None:
    """A stack whose resources all match its template."""
    stubs.certificate_stack(h, **parameters)
    stubs.detection(h, "DETECTION_COMPLETE")
    stubs.resource_drifts(h)


def test_a_removed_shared_validation_record_fails_the_run_and_names_it(harness):
    # GIVEN a stack in sync whose base-domain validation record was deleted from the zone
    h = harness("prod")
    in_sync(h)
    stubs.described_certificate(h)
    # (the zone's next record from that name is another one)
    stubs.zone_lookup(
        h, stubs.BASE_RECORD, {"Name": "api.example.com.", "Type": "CNAME", "Value": "x."}
    )
    stubs.zone_lookup(h, stubs.app_record(h), stubs.app_record(h))

    # THEN it fails, naming the record ACM needs to renew every certificate of the domain
    assert stubs.build_py(h) == ExitCode.FAILED
    out = h.out.getvalue()
    assert f"    - example.com: CNAME {stubs.BASE_RECORD['Name']} -> " in out
    assert f"{stubs.BASE_RECORD['Value']}: missing\n" in out
    assert ": present\n" in out  # the app's own record
    assert out.endswith(
        "Certificate needs attention: the validation record of example.com is missing.\n"
    )


def test_a_record_with_another_value_fails_the_run(harness):
    h = harness("dev")
    in_sync(h)
    stubs.described_certificate(h)
    changed = {**stubs.BASE_RECORD, "Value": "elsewhere.example.net."}
    stubs.zone_lookup(h, stubs.BASE_RECORD, changed)
    stubs.zone_lookup(h, stubs.app_record(h), stubs.app_record(h))

    assert stubs.build_py(h) == ExitCode.FAILED
    assert "different (the zone has elsewhere.example.net)" in h.out.getvalue()


def test_a_failed_renewal_and_ineligibility_fail_the_run_with_acms_reason(harness):
    h = harness("prod")
    in_sync(h)
    stubs.described_certificate(
        h, eligibility="INELIGIBLE", renewal="FAILED", renewal_reason="CAA_ERROR"
    )
    stubs.zone_lookup(h, stubs.BASE_RECORD, stubs.BASE_RECORD)
    stubs.zone_lookup(h, stubs.app_record(h), stubs.app_record(h))

    assert stubs.build_py(h) == ExitCode.FAILED
    out = h.out.getvalue()
    assert "ISSUED, renewal eligibility INELIGIBLE, managed renewal FAILED (CAA_ERROR).\n" in out
    assert out.endswith(
        "Certificate needs attention: ACM will not renew it (RenewalEligibility INELIGIBLE); "
        "its renewal FAILED (CAA_ERROR).\n"
    )


def test_a_renewal_under_way_with_its_records_in_place_is_reported_not_failed(harness):
    h = harness("prod")
    in_sync(h)
    stubs.described_certificate(h, renewal="PENDING_AUTO_RENEWAL")
    stubs.zone_lookup(h, stubs.BASE_RECORD, stubs.BASE_RECORD)
    stubs.zone_lookup(h, stubs.app_record(h), stubs.app_record(h))

    assert stubs.build_py(h) == ExitCode.OK
    assert "managed renewal PENDING_AUTO_RENEWAL.\n" in h.out.getvalue()


def test_a_certificate_pending_validation_without_records_yet_is_said_not_failed(harness):
    # GIVEN a certificate ACM has not yet given its validation records for
    h = harness("dev")
    in_sync(h)
    stubs.described_certificate(
        h, status="PENDING_VALIDATION", eligibility="INELIGIBLE", records=False
    )

    # THEN no zone look-up, and nothing to fail on
    assert stubs.build_py(h) == ExitCode.OK
    out = h.out.getvalue()
    assert "PENDING_VALIDATION, renewal eligibility INELIGIBLE, managed renewal none yet.\n" in out
    assert "    ? example.com: ACM has not given its validation record yet\n" in out
    assert out.endswith("Certificate: no problem found where it could be checked.\n")


def test_a_zone_in_another_account_is_said_unchecked_once_without_failing(harness):
    # GIVEN a hosted zone these credentials cannot read
    h = harness("prod")
    in_sync(h)
    stubs.described_certificate(h, status="PENDING_VALIDATION")
    h.aws.stub("route53").add_client_error(
        "list_resource_record_sets",
        "AccessDenied",
        "User is not authorized to access this resource",
        403,
        expected_params={
            "HostedZoneId": stubs.ZONE,
            "StartRecordName": stubs.BASE_RECORD["Name"],
            "StartRecordType": "CNAME",
            "MaxItems": "1",
        },
    )

    # THEN both records are unchecked (the zone asked once), and the run does not fail
    assert stubs.build_py(h) == ExitCode.OK, h.err.getvalue()
    out = h.out.getvalue()
    assert out.count(": not checked (hosted zone Z0123456789ABCDEFGHIJ could not be read") == 2
    assert "if it is in another account, check the record there)" in out
    assert out.endswith("Certificate: no problem found where it could be checked.\n")


def test_a_certificate_acm_will_not_describe_is_said_unchecked(harness):
    h = harness("dev")
    in_sync(h)
    h.aws.stub("acm").add_client_error(
        "describe_certificate",
        "AccessDeniedException",
        "not authorized to perform acm:DescribeCertificate",
        400,
        expected_params={"CertificateArn": stubs.CERTIFICATE_ARN},
    )

    assert stubs.build_py(h) == ExitCode.OK
    assert h.out.getvalue().endswith(
        f"Certificate {stubs.CERTIFICATE_ARN} not checked: it could not be read "
        "(AccessDeniedException: not authorized to perform acm:DescribeCertificate).\n"
    )


def test_an_expired_certificate_fails_even_when_the_stack_is_in_sync(harness):
    h = harness("dev")
    in_sync(h)
    stubs.described_certificate(h, status="EXPIRED", eligibility="INELIGIBLE")
    stubs.zone_lookup(h, stubs.BASE_RECORD, stubs.BASE_RECORD)
    stubs.zone_lookup(h, stubs.app_record(h), stubs.app_record(h))

    assert stubs.build_py(h) == ExitCode.FAILED
    assert h.out.getvalue().endswith("Certificate needs attention: the certificate is EXPIRED.\n")
