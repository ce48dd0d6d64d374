"""The optional WAF web ACL (planar_cfn/template/firewall.py), one of the hardening
switches docs/security.md lists. GIVEN a stage's template, WHEN the WebAcl parameter
is none, create or an existing ACL, THEN the firewall is made and attached as said."""

import pytest

from tests.cfn import evaluate, props
from tests.template.sample import REFS


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
