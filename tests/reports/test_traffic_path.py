"""The traffic path: internet, listeners, target group, tasks, then database, bucket
and Bedrock, each arrow standing on the template fact it names, and gone without it."""

import copy
import json

from planar_cfn.reports.diagram import architecture_diagram, architecture_markdown
from planar_cfn.reports.traffic_path import traffic_edges
from planar_cfn.template.config import StackConfig
from planar_cfn.template.render import render
from tests.reports.mermaid import diagrams, parse

TRAFFIC = {
    ("Internet (users)", "HttpsListener", "HTTPS 443"),
    ("Internet (users)", "HttpRedirectListener", "HTTP 80"),
    ("HttpsListener", "TargetGroup", "forward"),
    ("TargetGroup", "Service", "HTTP 8000"),
    ("Service", "DatabaseCluster", "PostgreSQL 5432"),
    ("Service", "AppBucket", "S3"),
    ("Service", "Amazon Bedrock (Anthropic Claude)", "InvokeModel"),
}


def test_the_traffic_path_goes_internet_alb_tasks_database_bucket_bedrock(templates):
    for stage, _, (_, edges, _) in diagrams(templates):
        assert set(edges["traffic"]) == TRAFFIC, stage


def test_each_traffic_edge_stands_on_its_template_fact(templates):
    """Each arrow's fact, read from the template here; and without the fact, no arrow."""
    template = templates["prod"]
    resources = template["Resources"]
    lb_group = resources["LoadBalancerSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert {(r["FromPort"], "CidrIp" in r) for r in lb_group} == {(443, True), (80, True)}
    task_ingress = resources["TaskIngressFromLoadBalancer"]["Properties"]
    assert task_ingress["FromPort"] == 8000
    db_ingress = resources["DatabaseSecurityGroup"]["Properties"]["SecurityGroupIngress"]
    assert db_ingress[0]["SourceSecurityGroupId"] == {
        "Fn::GetAtt": ["TaskSecurityGroup", "GroupId"]
    }
    policies = json.dumps(resources["TaskRole"]["Properties"]["Policies"])
    assert '"bedrock:InvokeModel"' in policies
    assert '"s3:GetObject"' in policies
    facts = {(e.source, e.target): e.fact for e in traffic_edges(template)}
    assert facts[("Service", "ext_bedrock")] == "TaskRole may bedrock:InvokeModel"
    assert facts[("Service", "DatabaseCluster")] == (
        "DatabaseSecurityGroup admits port 5432 from Service's security group"
    )
    # The legend quotes each fact.
    page = architecture_markdown([render(StackConfig.for_stage("prod"))])
    for fact in facts.values():
        assert f": {fact}." in page

    def without(change):
        broken = copy.deepcopy(template)
        change(broken["Resources"])
        return {(s, t) for s, t, _ in parse(architecture_diagram(broken))[1]["traffic"]}

    def no_bedrock(r):
        for policy in r["TaskRole"]["Properties"]["Policies"]:
            text = json.dumps(policy).replace("bedrock:InvokeModel", "bedrock:ListFoundationModels")
            policy.clear()
            policy.update(json.loads(text))

    assert ("Service", "Amazon Bedrock (Anthropic Claude)") not in without(no_bedrock)
    assert ("TargetGroup", "Service") not in without(lambda r: r.pop("TaskIngressFromLoadBalancer"))
    assert ("Service", "DatabaseCluster") not in without(
        lambda r: r["DatabaseSecurityGroup"]["Properties"].pop("SecurityGroupIngress")
    )

    def https_from_a_group_only(r):
        rule = r["LoadBalancerSecurityGroup"]["Properties"]["SecurityGroupIngress"][0]
        rule["SourceSecurityGroupId"] = rule.pop("CidrIp")

    def port_from_a_parameter(r):
        r["HttpsListener"]["Properties"]["Port"] = {"Ref": "ListenerPort"}

    assert ("Internet (users)", "HttpsListener") not in without(port_from_a_parameter)

    edges = without(https_from_a_group_only)
    assert ("Internet (users)", "HttpsListener") not in edges
    assert ("Internet (users)", "HttpRedirectListener") in edges
