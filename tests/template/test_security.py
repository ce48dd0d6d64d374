"""Security defaults across the stack, the access-logs switch, and the checkov skips
docs/security.md lists. GIVEN a stage's template, WHEN the switch is on or off (its
condition), THEN the load balancer and bucket log as said. The key and firewall
switches are tested in test_encryption.py and test_firewall.py, the security groups
in test_network.py."""

import re
from pathlib import Path

import pytest

from tests.cfn import evaluate, props, resources_of_type
from tests.template.sample import REFS

PAGE = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def test_secure_defaults(template):
    cluster = props(template, "DatabaseCluster")
    assert cluster["EnableIAMDatabaseAuthentication"] is True
    assert cluster["CopyTagsToSnapshot"] is True
    assert cluster["EnableCloudwatchLogsExports"] == ["postgresql"]
    for instance in resources_of_type(template, "AWS::RDS::DBInstance").values():
        assert instance["Properties"]["AutoMinorVersionUpgrade"] is True
        assert instance["Properties"]["PubliclyAccessible"] is False
    attributes = props(template, "LoadBalancer")["LoadBalancerAttributes"]
    assert {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"} in attributes
    assert (
        props(template, "HttpsListener")["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    )


@pytest.mark.parametrize("on", [True, False])
def test_access_logs_switch(template, stage, on):
    # AccessLogsPrefix at its default (empty): the stack's own prefix.
    conditions = {"HasAccessLogs": on, "HasAccessLogsPrefix": False}
    attributes = evaluate(
        props(template, "LoadBalancer")["LoadBalancerAttributes"], REFS, conditions
    )
    # Off, the bucket and prefix keys are absent: ELB refuses them empty.
    attributes = {a["Key"]: a["Value"] for a in attributes if a is not None}
    assert attributes["access_logs.s3.enabled"] == ("true" if on else "false")
    assert attributes.get("access_logs.s3.bucket") == ("logs" if on else None)
    assert attributes.get("access_logs.s3.prefix") == (f"alb/planar-{stage}-shop" if on else None)
    logging = evaluate(props(template, "AppBucket")["LoggingConfiguration"], REFS, conditions)
    assert logging == (
        {"DestinationBucketName": "logs", "LogFilePrefix": f"s3/planar-{stage}-shop/"}
        if on
        else None
    )


def test_the_security_page_lists_every_checkov_skip_with_its_reason(templates):
    security = PAGE.read_text().split("# Security", 1)[1].split("\n## ", 1)[0]
    skips = {
        (logical_id, skip["id"])
        for template in templates.values()
        for logical_id, resource in template["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
        if skip["comment"]
    }
    assert len(skips) == 7
    for logical_id, check in skips:
        assert re.search(rf"\| `{check}` \| `{logical_id}` \|", security), (logical_id, check)
