"""The template as a graph: every Ref, Fn::GetAtt, Fn::Sub name and DependsOn from one
resource to another is an edge, checked against a walk of the template written here; and
every resource type the stack can build has a group, an unknown one failing."""

import copy
import json
import re

import pytest

from planar_cfn.reports import resource_graph
from planar_cfn.reports.diagram import architecture_diagram
from planar_cfn.reports.resource_graph import UnknownResourceTypeError
from planar_cfn.template.config import StackConfig
from planar_cfn.template.render import render
from tests.reports.mermaid import diagrams, parse


def references(template):
    """(source, target) for every Ref, Fn::GetAtt, Fn::Sub name and DependsOn from one
    resource to another, written without the module's code."""
    resources = template["Resources"]
    found = set()

    def walk(name, value, local=()):
        if isinstance(value, dict):
            for key, argument in value.items():
                if key == "Ref":
                    found.add((name, argument))
                elif key == "Fn::GetAtt":
                    found.add(
                        (
                            name,
                            argument[0] if isinstance(argument, list) else argument.split(".")[0],
                        )
                    )
                elif key == "Fn::Sub":
                    text, variables = (argument, {}) if isinstance(argument, str) else argument
                    for var in re.findall(r"\$\{([A-Za-z0-9]+)[.}]", text.replace("${!", "")):
                        if var not in variables:
                            found.add((name, var))
                    walk(name, variables)
                else:
                    walk(name, argument)
        elif isinstance(value, list):
            for item in value:
                walk(name, item)

    for name, resource in resources.items():
        walk(name, resource.get("Properties", {}))
        depends = resource.get("DependsOn", [])
        for target in [depends] if isinstance(depends, str) else depends:
            found.add((name, target))
    return {(s, t) for s, t in found if t in resources and s != t}


def test_no_reference_edge_is_invented_and_every_one_is_drawn(templates):
    for stage, template, (_, edges, _) in diagrams(templates):
        real = references(template)
        drawn = {(s, t) for s, t, _ in edges["reference"]}
        assert len(drawn) == len(edges["reference"]), "an edge drawn twice"
        assert drawn <= real, f"{stage}: invented {drawn - real}"
        # The one collapse: a reference between two resources that a traffic arrow joins
        # is drawn as that arrow only.
        joined = {frozenset((s, t)) for s, t, _ in edges["traffic"]}
        collapsed = real - drawn
        assert {frozenset(e) for e in collapsed} <= joined, f"{stage}: missing {collapsed}"
        assert collapsed, "the listener's forward is a reference drawn as traffic"
        assert len(real) > 40  # the walk found the template's references at all


def test_the_walk_reads_every_reference_form():
    template = {
        "Parameters": {"AppName": {"Type": "String"}},
        "Resources": {
            "Topic": {"Type": "AWS::Logs::LogGroup"},
            "Key": {"Type": "AWS::KMS::Key"},
            "Bucket": {"Type": "AWS::S3::Bucket"},
            "Role": {"Type": "AWS::IAM::Role"},
            "End": {"Type": "AWS::S3::Bucket"},
            "User": {
                "Type": "AWS::IAM::Role",
                "DependsOn": "End",
                "Properties": {
                    "A": {"Fn::If": ["Cond", {"Ref": "Topic"}, {"Ref": "AWS::NoValue"}]},
                    "B": {"Fn::GetAtt": "Key.Arn"},
                    "C": {"Fn::Sub": "${AppName}-${Bucket.Arn}-${!Role}-${AWS::Region}"},
                    "D": {"Fn::Sub": ["${Role}/x", {"Role": "literal"}]},
                    "E": {"Ref": "User"},
                },
            },
            "Other": {"Type": "AWS::IAM::Role", "DependsOn": ["Role"]},
        },
    }
    assert [(e.source, e.target) for e in resource_graph.reference_edges(template)] == [
        ("Other", "Role"),
        ("User", "Bucket"),
        ("User", "End"),
        ("User", "Key"),
        ("User", "Topic"),
    ]
    # "End" is a Mermaid word: it gets another node id and keeps its label.
    nodes, edges, _ = parse(architecture_diagram(template))
    assert "res_End[" in architecture_diagram(template)
    assert ("User", "End", None) in edges["reference"]
    assert set(nodes) == set(template["Resources"])  # no traffic: no external nodes


def test_a_resource_type_without_a_group_fails(templates):
    template = copy.deepcopy(templates["dev"])
    template["Resources"]["JobQueue"] = {"Type": "AWS::SQS::Queue"}
    with pytest.raises(
        UnknownResourceTypeError, match=r"'AWS::SQS::Queue' has no group .* edge, compute"
    ):
        architecture_diagram(template)


def test_every_type_the_stack_can_build_has_a_group():
    # Sidecars add log groups: still a known type.
    from planar_cfn import Sidecar, get_stage

    config = StackConfig(get_stage("dev"), sidecars=(Sidecar("otel", "otel:1"),))
    nodes, _, _ = parse(architecture_diagram(json.loads(render(config).body)))
    assert "SidecarOtelLogGroup" in nodes
