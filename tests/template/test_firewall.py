"""The optional WAF web ACL (planar_cfn/template/firewall.py), one of the hardening
switches docs/security.md lists. GIVEN a stage's template, WHEN the WebAcl parameter
is none, create or an existing ACL, THEN the firewall is made and attached as said."""

import re

import pytest

from tests.cfn import evaluate, props
from tests.template.resolve import resolved
from tests.template.sample import REFS, SAMPLE


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
    # WafManagedRuleGroups at its default: the groups the stack always ran.
    acl = resolved(template, WebAcl="create")["FirewallWebAcl"]
    assert acl["Scope"] == "REGIONAL"
    assert acl["DefaultAction"] == {"Allow": {}}
    managed = [r for r in acl["Rules"] if "ManagedRuleGroupStatement" in r["Statement"]]
    groups = {r["Statement"]["ManagedRuleGroupStatement"]["Name"]: r for r in managed}
    assert set(groups) == {
        "AWSManagedRulesAmazonIpReputationList",
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
    assert all(r["OverrideAction"] == {"None": {}} for r in managed)
    assert sorted(r["Priority"] for r in acl["Rules"]) == list(range(len(acl["Rules"])))


# A flood of requests, each of which may call Bedrock, is a cost attack: the first rule
# blocks an address over WafRateLimit requests in 5 minutes (docs/security.md).
def test_created_web_acl_limits_each_address_first(template):
    acl = resolved(template, WebAcl="create")["FirewallWebAcl"]
    first = min(acl["Rules"], key=lambda r: r["Priority"])
    assert first["Action"] == {"Block": {}}
    assert first["Statement"]["RateBasedStatement"] == {
        "Limit": "500",  # WafRateLimit's default
        "AggregateKeyType": "IP",
        "EvaluationWindowSec": 300,
    }
    parameter = template["Parameters"]["WafRateLimit"]
    assert parameter["Default"] == "500"
    pattern = re.compile(parameter["AllowedPattern"])
    assert all(pattern.fullmatch(v) for v in ("10", "500", "1999999999", "2000000000"))
    assert not any(pattern.fullmatch(v) for v in ("", "9", "0500", "2000000001", "1e6"))
    # Then AWS's list of addresses known for bots and attacks, before the inspecting rules.
    second = sorted(acl["Rules"], key=lambda r: r["Priority"])[1]
    assert second["Statement"]["ManagedRuleGroupStatement"]["Name"] == (
        "AWSManagedRulesAmazonIpReputationList"
    )


def test_created_web_acl_logs_to_an_encrypted_waf_log_group(template, stage):
    group = template["Resources"]["FirewallLogGroup"]
    logging = template["Resources"]["FirewallLogging"]
    assert group["Condition"] == logging["Condition"] == "CreateWebAcl"
    # WAF logs only to a group named aws-waf-logs-*.
    assert evaluate(group["Properties"]["LogGroupName"], SAMPLE) == (
        f"aws-waf-logs-planar-{stage}-shop"
    )
    assert group["Properties"]["RetentionInDays"] == 14
    # Encrypted with the stack's key when there is one, as the other log groups are.
    service_logs = props(template, "ServiceLogGroup")
    assert group["Properties"]["KmsKeyId"] == service_logs["KmsKeyId"]
    assert group["DeletionPolicy"] == template["Resources"]["ServiceLogGroup"]["DeletionPolicy"]
    p = logging["Properties"]
    assert p["ResourceArn"] == {"Fn::GetAtt": ["FirewallWebAcl", "Arn"]}
    (destination,) = p["LogDestinationConfigs"]
    refs = {**SAMPLE, "AWS::AccountId": "1", "FirewallLogGroup": "aws-waf-logs-x"}
    assert evaluate(destination, refs) == "arn:aws:logs:us-east-1:1:log-group:aws-waf-logs-x"
    # The credentials a request carries never reach the logs.
    assert p["RedactedFields"] == [
        {"SingleHeader": {"Name": "authorization"}},
        {"SingleHeader": {"Name": "cookie"}},
    ]
