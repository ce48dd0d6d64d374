"""docs/architecture.md: one Mermaid diagram per stage, drawn from the template. The
diagrams are parsed back into nodes and edges here and checked against the template
by a walk of its own: every resource is drawn, every reference is drawn, nothing is
invented, and every traffic arrow stands on the template fact it names."""

import copy
import io
import json
import re
from pathlib import Path

import pytest

from planar_cfn.cli import commands as cli
from planar_cfn.inputs.stages import DEFAULT_STAGES
from planar_cfn.reports import diagram, resource_graph
from planar_cfn.reports.diagram import architecture_diagram, architecture_markdown
from planar_cfn.reports.resource_graph import UnknownResourceTypeError
from planar_cfn.reports.traffic_path import traffic_edges
from planar_cfn.template.config import StackConfig
from planar_cfn.template.render import render

ROOT = Path(__file__).resolve().parents[2]
STAGES = [s.name for s in DEFAULT_STAGES]


@pytest.fixture(scope="module")
def templates():
    return {s: json.loads((ROOT / f"templates/planar-{s}.json").read_text()) for s in STAGES}


# --- the Mermaid we emit, parsed back -----------------------------------------------

ID = r"[A-Za-z][A-Za-z0-9_]*"
LINE_FORMS = {
    "node": re.compile(rf'^    (?P<id>{ID})\["(?P<label>[^"]+)"\]$'),
    "external": re.compile(rf'^  (?P<id>{ID})\(\["(?P<label>[^"]+)"\]\):::external$'),
    "subgraph": re.compile(rf'^  subgraph (?P<id>{ID})\["[^"]+"\]$'),
    "end": re.compile(r"^  end$"),
    "traffic": re.compile(rf'^  (?P<source>{ID}) ==>\|"(?P<label>[^"]+)"\| (?P<target>{ID})$'),
    "reference": re.compile(rf"^  (?P<source>{ID}) -\.-> (?P<target>{ID})$"),
    "classdef": re.compile(rf"^  classDef (?P<id>{ID}) [^\n]+$"),
    "class": re.compile(rf"^  class (?P<ids>{ID}(,{ID})*) (?P<name>{ID})$"),
}
MERMAID_WORDS = {"end", "graph", "flowchart", "subgraph", "style", "class", "classdef", "click"}


def parse(text):
    """Nodes (id -> label lines), edges by kind (as logical ids), and classes of a
    diagram, with a structural check of every line."""
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    nodes, groups, edges, classes = {}, [], {"traffic": [], "reference": []}, {}
    depth = 0
    for line in lines[1:]:
        kind, match = next(
            ((k, m) for k, f in LINE_FORMS.items() if (m := f.match(line))), (None, None)
        )
        assert kind, f"line not in the emitted grammar: {line!r}"
        if kind == "subgraph":
            assert depth == 0, "nested subgraph"
            depth += 1
            groups.append(match["id"])
        elif kind == "end":
            assert depth == 1, "end without subgraph"
            depth -= 1
        elif kind in ("node", "external"):
            assert (kind == "node") == (depth == 1), line
            assert match["id"] not in nodes, f"node {match['id']} declared twice"
            nodes[match["id"]] = match["label"].split("<br/>")
        elif kind in edges:
            edges[kind].append(
                (match["source"], match["target"], match["label"] if kind == "traffic" else None)
            )
        elif kind == "class":
            for node in match["ids"].split(","):
                classes.setdefault(node, set()).add(match["name"])
    assert depth == 0, "subgraph not closed"
    for node in [*nodes, *groups]:
        assert node.lower() not in MERMAID_WORDS, node
    assert not set(nodes) & set(groups)
    # Edges and classes name declared nodes only; translate ids to logical ids.
    logical = {node: label[0] for node, label in nodes.items()}
    for kind, found in edges.items():
        for source, target, _ in found:
            assert source in nodes, source
            assert target in nodes, target
        edges[kind] = [(logical[s], logical[t], label) for s, t, label in found]
    assert set(classes) <= set(nodes)
    return (
        {logical[n]: lines for n, lines in nodes.items()},
        edges,
        {logical[n]: c for n, c in classes.items()},
    )


# --- an independent walk of the template --------------------------------------------


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


def diagrams(templates):
    for stage, template in templates.items():
        yield stage, template, parse(architecture_diagram(template))


def test_every_resource_of_every_stage_is_a_node_in_its_group(templates):
    for stage, template, (nodes, _, _) in diagrams(templates):
        resources = template["Resources"]
        drawn = {n for n in nodes if n in resources}
        assert drawn == set(resources), stage
        for name, label in nodes.items():
            if name in resources:
                kind = resources[name]["Type"].split("::")[-1]
                assert label[1].endswith(f" {kind}"), (name, label)
        assert set(nodes) - set(resources) <= {
            "Internet (users)",
            "Amazon Bedrock (Anthropic Claude)",
        }


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


def test_conditional_resources_are_dashed_and_labelled_with_their_condition(templates):
    for stage, template, (nodes, _, classes) in diagrams(templates):
        conditional = {
            n: r["Condition"] for n, r in template["Resources"].items() if "Condition" in r
        }
        assert {"FirewallWebAcl", "EncryptionKey", "RegistryCredentialsSecret"} <= set(conditional)
        assert {n for n, c in classes.items() if "conditional" in c} == set(conditional), stage
        for name, label in nodes.items():
            assert label[-1].startswith("if ") == (name in conditional), name
            if name in conditional:
                assert label[-1] == f"if {conditional[name]}"
    assert "classDef conditional stroke-dasharray" in architecture_diagram(templates["dev"])


def test_the_diagram_is_deterministic_whatever_the_template_order(templates):
    template = templates["dev"]
    shuffled = {**template, "Resources": dict(reversed(template["Resources"].items()))}
    assert architecture_diagram(template) == architecture_diagram(copy.deepcopy(template))
    assert architecture_diagram(shuffled) == architecture_diagram(template)


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


def test_the_committed_page_is_fresh_and_documents_every_stage():
    page = (ROOT / "docs/architecture.md").read_text()
    assert page == architecture_markdown([render(StackConfig.for_stage(s)) for s in STAGES])
    assert page.startswith("<!-- Generated by build.py --all-stages --no-deploy")
    assert re.findall(r"^## (\w+)$", page, re.M) == STAGES
    # The emptier is dev's and staging's, the reader prod's: a stage's choice, not a condition.
    dev, staging, prod = page.split("\n## ")[1:]
    assert "Not in every stage: BucketEmptier, BucketEmptierFunction," in dev
    assert "Not in every stage: BucketEmptier, BucketEmptierFunction," in staging
    assert "Not in every stage: DatabaseReader1." in prod
    assert page.count("```mermaid\n") == 3
    assert page.count("| `==>` thick arrow, labelled |") == 3
    assert "[docs/architecture.md](docs/architecture.md)" in (ROOT / "README.md").read_text()


def run(argv):
    out = io.StringIO()
    try:
        code = cli.main(argv, out=out)
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue()


def test_check_reports_a_stale_or_missing_page_without_writing(tmp_path):
    dirs = ["--templates-dir", str(tmp_path / "templates"), "--docs-dir", str(tmp_path / "docs")]
    code, out = run(["--all-stages", "--no-deploy", *dirs])
    page = tmp_path / "docs/architecture.md"
    assert code == 0
    assert f"architecture: {page} (3 diagrams)" in out
    assert page.read_text() == (ROOT / "docs/architecture.md").read_text()
    code, out = run(["--all-stages", "--check", *dirs])
    assert (code, out.splitlines()[0]) == (0, f"fresh: {page}")
    page.write_text(page.read_text().replace("TaskRole -.-> AppBucket\n", ""))
    code, out = run(["--all-stages", "--check", *dirs])
    assert code == 1
    assert (
        f"stale: {page} differs from a fresh render; run build.py --all-stages --no-deploy" in out
    )
    assert "fresh: " in out  # the templates are
    assert "TaskRole -.-> AppBucket" not in page.read_text()  # --check never writes
    page.unlink()
    code, out = run(["--all-stages", "--check", *dirs])
    assert (code, f"stale: {page} is missing" in out) == (1, True)


def test_the_page_follows_the_default_templates_dir_only(tmp_path, monkeypatch):
    docs, templates = tmp_path / "docs", tmp_path / "templates"
    monkeypatch.setattr(diagram, "DOCS_DIR", docs)
    monkeypatch.setattr(diagram, "TEMPLATES_DIR", templates)
    # Another templates directory: the page is not the build's to write.
    assert run(["--all-stages", "--no-deploy", "--templates-dir", str(tmp_path / "out")])[0] == 0
    assert not docs.exists()
    # The default one: the page goes to docs/ beside it.
    assert run(["--all-stages", "--no-deploy", "--templates-dir", str(templates)])[0] == 0
    assert (docs / "architecture.md").is_file()
    # One stage is not the whole page.
    assert run(["--stage", "dev", "--no-deploy", "--templates-dir", str(templates)])[0] == 0


def test_docs_dir_needs_all_stages(tmp_path, capsys):
    code, _ = run(["--stage", "dev", "--no-deploy", "--docs-dir", str(tmp_path)])
    assert code == 2
    assert (
        "argument --docs-dir: only with --all-stages (architecture.md holds every stage)"
        in capsys.readouterr().err
    )
    assert not any(tmp_path.iterdir())


def test_the_stack_pages_excerpt_is_lines_of_prods_diagram(templates):
    page = (ROOT / "docs" / "stack.md").read_text()
    (excerpt,) = re.findall(r"```mermaid\n(.*?)```", page, re.S)
    prod = architecture_diagram(templates["prod"]).splitlines()
    for line in excerpt.splitlines():
        assert line.strip() in {p.strip() for p in prod}, line
    assert excerpt.count("==>") == 6
