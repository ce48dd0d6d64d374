"""Security groups (planar_cfn/template/network.py): the security groups row of
docs/stack.md's components table ("What the stack holds"), asserted on the rendered
templates, and the default docs/security.md holds them to: no group admits every
port or protocol, and every rule says what it is for.

GIVEN the template of a stage, WHEN a component is read from it, THEN it holds
the values that page gives (per stage where the stage matters)."""

import pytest

from tests.cfn import NO_VALUE, evaluate, props, resources_of_type

# The rows of docs/stack.md's components table these tests assert, and the tests
# that assert each (test_components.py checks the table against every file's rows).
COMPONENTS = {
    "security groups": ("test_security_groups",),
}


def _rules(template, group_id):
    return template["Resources"][group_id]["Properties"]


def test_security_groups(template):
    alb = _rules(template, "LoadBalancerSecurityGroup")
    clients = {"Fn::If": ["AlbIsInternal", {"Ref": "VpcCidr"}, "0.0.0.0/0"]}
    assert [(r["FromPort"], r["CidrIp"]) for r in alb["SecurityGroupIngress"]] == [
        (443, clients),
        (80, clients),
    ]
    (egress,) = alb["SecurityGroupEgress"]
    assert (egress["FromPort"], egress["ToPort"]) == (8000, 8000)
    assert egress["DestinationSecurityGroupId"] == {"Fn::GetAtt": ["TaskSecurityGroup", "GroupId"]}
    ingress = props(template, "TaskIngressFromLoadBalancer")
    assert (ingress["FromPort"], ingress["ToPort"]) == (8000, 8000)
    assert ingress["SourceSecurityGroupId"] == {
        "Fn::GetAtt": ["LoadBalancerSecurityGroup", "GroupId"]
    }
    tasks = _rules(template, "TaskSecurityGroup")
    assert "SecurityGroupIngress" not in tasks  # only the rule from the load balancer
    egress = evaluate(tasks["SecurityGroupEgress"], {}, {"RestrictTaskEgress": False})
    assert [r["IpProtocol"] for r in egress] == ["-1"]  # TaskEgress all, the default
    database = _rules(template, "DatabaseSecurityGroup")
    (db_ingress,) = database["SecurityGroupIngress"]
    assert (db_ingress["FromPort"], db_ingress["ToPort"]) == (5432, 5432)
    assert db_ingress["SourceSecurityGroupId"] == {"Fn::GetAtt": ["TaskSecurityGroup", "GroupId"]}
    every_rule = [
        r
        for group in ("LoadBalancerSecurityGroup", "TaskSecurityGroup", "DatabaseSecurityGroup")
        for key in ("SecurityGroupIngress", "SecurityGroupEgress")
        for r in _egress_or_ingress(_rules(template, group), key)
    ] + [ingress, props(template, "TaskEgressToDatabase")]
    assert all(r.get("Description") for r in every_rule)


def _egress_or_ingress(properties, key):
    """A group's rules of `key`, both branches of the tasks' Fn::If egress included."""
    rules = properties.get(key, [])
    if isinstance(rules, dict):
        return [r for on in (True, False) for r in evaluate(rules, {}, {"RestrictTaskEgress": on})]
    return rules


def test_no_security_group_admits_every_port_or_protocol(template):
    for logical_id, group in resources_of_type(template, "AWS::EC2::SecurityGroup").items():
        for rule in group["Properties"].get("SecurityGroupIngress", []):
            assert rule["IpProtocol"] != "-1", logical_id
            assert rule["FromPort"] == rule["ToPort"], logical_id
            assert rule["Description"]
        for rule in _egress_or_ingress(group["Properties"], "SecurityGroupEgress"):
            assert rule["Description"]


# The switch docs/security.md documents: TaskEgress https-and-database narrows the
# tasks' egress to HTTPS anywhere and PostgreSQL to the database's group.
@pytest.mark.parametrize(("value", "restricted"), [("all", False), ("https-and-database", True)])
def test_task_egress_switch(template, value, restricted):
    condition = template["Conditions"]["RestrictTaskEgress"]
    assert evaluate(condition, {"TaskEgress": value}) is restricted
    tasks = _rules(template, "TaskSecurityGroup")
    egress = evaluate(tasks["SecurityGroupEgress"], {}, {"RestrictTaskEgress": restricted})
    if restricted:
        assert [(r["IpProtocol"], r["FromPort"], r["ToPort"], r["CidrIp"]) for r in egress] == [
            ("tcp", 443, 443, "0.0.0.0/0")
        ]
    else:
        assert [(r["IpProtocol"], r["CidrIp"]) for r in egress] == [("-1", "0.0.0.0/0")]
    database_rule = template["Resources"]["TaskEgressToDatabase"]
    assert database_rule["Condition"] == "RestrictTaskEgress"
    p = database_rule["Properties"]
    assert (p["IpProtocol"], p["FromPort"], p["ToPort"]) == ("tcp", 5432, 5432)
    assert p["GroupId"] == {"Fn::GetAtt": ["TaskSecurityGroup", "GroupId"]}
    assert p["DestinationSecurityGroupId"] == {"Fn::GetAtt": ["DatabaseSecurityGroup", "GroupId"]}
    assert template["Parameters"]["TaskEgress"]["Default"] == "all"
    assert NO_VALUE not in egress
