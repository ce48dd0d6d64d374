"""Security defaults, the optional hardening switches, and the checkov skips
docs/security.md lists. GIVEN a stage's template, WHEN a switch is on or off (its
condition), THEN the resources use the key, the logs and the firewall as said."""

import re
from pathlib import Path

import pytest

from tests.cfn import evaluate, props, resources_of_type

PAGE = Path(__file__).resolve().parents[2] / "docs" / "security.md"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/k"
REFS = {
    "EncryptionKey.Arn": KEY,
    "AWS::NoValue": None,
    "AppName": "shop",
    "AccessLogsBucket": "logs",
    "FirewallWebAcl.Arn": "arn:created",
    "WebAcl": "arn:existing",
}


def with_key(node, on):
    return evaluate(node, REFS, {"UseCustomerManagedKey": on})


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


def test_no_security_group_admits_every_port_or_protocol(template):
    for logical_id, group in resources_of_type(template, "AWS::EC2::SecurityGroup").items():
        for rule in group["Properties"].get("SecurityGroupIngress", []):
            assert rule["IpProtocol"] != "-1", logical_id
            assert rule["FromPort"] == rule["ToPort"], logical_id
            assert rule["Description"]
        for rule in group["Properties"].get("SecurityGroupEgress", []):
            assert rule["Description"]


@pytest.mark.parametrize("on", [True, False])
def test_customer_managed_key_switch(template, stage, on):
    key = KEY if on else None
    assert template["Parameters"]["CustomerManagedKey"]["Default"] == "false"
    assert template["Resources"]["EncryptionKey"]["Condition"] == "UseCustomerManagedKey"
    assert template["Resources"]["EncryptionKey"]["Properties"]["EnableKeyRotation"] is True
    for secret in resources_of_type(template, "AWS::SecretsManager::Secret").values():
        assert with_key(secret["Properties"]["KmsKeyId"], on) == key
    for group in resources_of_type(template, "AWS::Logs::LogGroup").values():
        assert with_key(group["Properties"]["KmsKeyId"], on) == key
    cluster = props(template, "DatabaseCluster")
    assert with_key(cluster["KmsKeyId"], on) == key
    assert with_key(cluster["MasterUserSecret"], on) == {"KmsKeyId": key}
    for instance in resources_of_type(template, "AWS::RDS::DBInstance").values():
        assert with_key(instance["Properties"]["PerformanceInsightsKMSKeyId"], on) == key
    (rule,) = with_key(
        props(template, "AppBucket")["BucketEncryption"]["ServerSideEncryptionConfiguration"], on
    )
    expected = (
        {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY} if on else {"SSEAlgorithm": "AES256"}
    )
    assert rule["ServerSideEncryptionByDefault"] == expected
    # The roles that read secrets and objects may use the key, and only then.
    for role in ("TaskRole", "ExecutionRole"):
        switched = [
            p
            for p in props(template, role)["Policies"]
            if p.get("Fn::If", [None])[0] == "UseCustomerManagedKey"
        ]
        assert len(switched) == 1, role
        key_policies = [p for p in [with_key(switched[0], on)] if p]
        if on:
            (statement,) = key_policies[0]["PolicyDocument"]["Statement"]
            assert statement["Resource"] == [KEY]
            assert statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
        else:
            assert key_policies == []


def test_the_key_outlives_the_stack_in_every_stage(template, stage):
    # What it encrypted can outlive any stage's stack: a snapshot, or a bucket or
    # secret kept by a replacing update.
    key = template["Resources"]["EncryptionKey"]
    assert key["DeletionPolicy"] == "Retain"
    assert key["UpdateReplacePolicy"] == "Retain"


@pytest.mark.parametrize("on", [True, False])
def test_access_logs_switch(template, stage, on):
    conditions = {"HasAccessLogs": on}
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


@pytest.mark.parametrize(
    ("value", "create", "attach", "acl"),
    [
        ("none", False, False, None),
        ("create", True, True, "arn:created"),
        ("arn:existing", False, True, "arn:existing"),
    ],
)
def test_waf_switch(template, value, create, attach, acl):
    parameters = {"WebAcl": value}
    assert evaluate({"Fn::Equals": [{"Ref": "WebAcl"}, "create"]}, parameters) is create
    conditions = template["Conditions"]
    assert evaluate(conditions["CreateWebAcl"], parameters) is create
    assert evaluate(conditions["AttachWebAcl"], parameters) is attach
    assert template["Resources"]["FirewallWebAcl"]["Condition"] == "CreateWebAcl"
    association = template["Resources"]["FirewallWebAclAssociation"]
    assert association["Condition"] == "AttachWebAcl"
    assert association["Properties"]["ResourceArn"] == {"Ref": "LoadBalancer"}
    if attach:
        assert (
            evaluate(association["Properties"]["WebACLArn"], REFS, {"CreateWebAcl": create}) == acl
        )


def test_created_web_acl_counts_large_body_rules(template):
    acl = props(template, "FirewallWebAcl")
    assert acl["Scope"] == "REGIONAL"
    assert acl["DefaultAction"] == {"Allow": {}}
    groups = {r["Statement"]["ManagedRuleGroupStatement"]["Name"]: r for r in acl["Rules"]}
    assert set(groups) == {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
    }
    common = groups["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    assert {o["Name"]: o["ActionToUse"] for o in common["RuleActionOverrides"]} == {
        "SizeRestrictions_BODY": {"Count": {}},
        "CrossSiteScripting_BODY": {"Count": {}},
        "GenericRFI_BODY": {"Count": {}},
    }
    assert all(r["OverrideAction"] == {"None": {}} for r in acl["Rules"])


def test_the_security_page_lists_every_checkov_skip_with_its_reason(templates):
    security = PAGE.read_text().split("# Security", 1)[1].split("\n## ", 1)[0]
    skips = {
        (logical_id, skip["id"])
        for template in templates.values()
        for logical_id, resource in template["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
        if skip["comment"]
    }
    assert len(skips) == 4
    for logical_id, check in skips:
        assert re.search(rf"\| `{check}` \| `{logical_id}` \|", security), (logical_id, check)
