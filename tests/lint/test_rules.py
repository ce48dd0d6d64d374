"""The stack's rule pack (planar_cfn.lint.rules): the templates under it, each rule
seeing what it guards (and not what it allows) in a broken copy of prod, the options
of lint_body, and the one line a user's CI runs."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from planar_cfn.lint import pack
from planar_cfn.lint import runner as lint_module
from planar_cfn.lint.runner import HOME_REGION, lint_bodies, lint_body

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATES = ROOT / "templates"
REGIONS = (HOME_REGION,)
PACK_IDS = ["E9101", "E9102", "E9103", "E9104", "E9105", "E9106", "E9201", "E9202", "E9203"]


def prod():
    return json.loads((TEMPLATES / "planar-prod.json").read_text())


def test_the_pack_holds_one_rule_per_id_each_documented():
    from cfnlint.helpers import create_rules

    import planar_cfn.lint.rules as rules

    made = create_rules(rules)
    assert sorted(rule.id for rule in made) == PACK_IDS
    docs = (ROOT / "docs" / "linting.md").read_text()
    for rule in made:
        assert rule.shortdesc
        assert rule.description
        assert rule.source_url.startswith("https://")
        assert f"| {rule.id} |" in docs, rule.id
    assert pack.pack_version() == rules.PACK_VERSION


def test_cfn_lint_s_own_ids_stop_below_9000():
    # The pack's ids are free: no rule of cfn-lint's has a 9xxx id.
    from cfnlint.rules import Rules

    own = Rules.create_from_directory(
        str(Path(__import__("cfnlint.rules", fromlist=["x"]).__file__).parent)
    )
    assert own
    assert not [rule_id for rule_id in own if re.fullmatch(r"[EWI]9\d{3}", rule_id)]


def test_the_pack_version_follows_the_sources(tmp_path, monkeypatch):
    copied = tmp_path / "rules"
    copied.mkdir()
    for path in pack.PACK_DIR.glob("*.py"):
        (copied / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(pack, "PACK_DIR", copied)
    pack.pack_version.cache_clear()
    try:
        same = pack.pack_version()
        (copied / "stateful_retain.py").write_text("# edited\n", encoding="utf-8")
        pack.pack_version.cache_clear()
        edited = pack.pack_version()
    finally:
        pack.pack_version.cache_clear()
    assert same != edited
    monkeypatch.undo()
    assert pack.pack_version() == same


def _resource(message):
    """The logical id a pack message names first ("TYPE Name: ..." or "Name (...): ...")."""
    found = re.search(r"(\w+)(?: \([^)]*\))?: ", message)
    return found.group(1) if found else message


def test_every_committed_template_is_clean_under_the_pack():
    names = ("dev", "staging", "prod", "deploy-role", "launch-role")
    bodies = {name: (TEMPLATES / f"planar-{name}.json").read_text() for name in names}
    found = lint_bodies(bodies, REGIONS)
    assert {name: [str(f) for f in findings] for name, findings in found.items()} == {
        name: [] for name in names
    }


def _break(template):
    """prod, broken once for every rule, beside what each rule must let pass."""
    resources, properties = template["Resources"], {}
    for name, resource in resources.items():
        properties[name] = resource.setdefault("Properties", {})
    # E9101: the bucket's replacement deletes it, and so does prod's secret's delete; the
    # cluster's Snapshot is allowed, and so is a dev secret deleted with its stack.
    resources["AppBucket"]["UpdateReplacePolicy"] = "Delete"
    resources["CustomSecret"]["DeletionPolicy"] = "Delete"
    resources["DevSecret"] = {
        "Type": "AWS::SecretsManager::Secret",
        "DeletionPolicy": "Delete",
        "UpdateReplacePolicy": "Retain",
        "Properties": {"Tags": [{"Key": "stage", "Value": "dev"}]},
    }
    # E9102: a TLS 1.0 policy; the HTTP listener has no SslPolicy and is not HTTPS.
    properties["HttpsListener"]["SslPolicy"] = "ELBSecurityPolicy-2016-08"
    # E9103: an HTTP listener that forwards; the redirect listener is allowed.
    resources["PlainListener"] = {
        "Type": "AWS::ElasticLoadBalancingV2::Listener",
        "Properties": {
            "LoadBalancerArn": {"Ref": "LoadBalancer"},
            "Port": 8080,
            "Protocol": "HTTP",
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "TargetGroup"}}],
        },
    }
    # E9104: Bedrock on every resource, and every Bedrock action through NotAction; the
    # task role's models, its ListFoundationModels
    # on * and its every-model branch (BedrockModelIds = "*") are allowed.
    resources["WideBedrock"] = {
        "Type": "AWS::IAM::Policy",
        "Properties": {
            "PolicyName": "wide",
            "Roles": [{"Ref": "TaskRole"}],
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "*"}
                ],
            },
        },
    }
    resources["AllButIam"] = {
        "Type": "AWS::IAM::RolePolicy",
        "Properties": {
            "PolicyName": "all-but-iam",
            "RoleName": {"Ref": "TaskRole"},
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}],
            },
        },
    }
    # A managed policy counts only when given to a role, user or group here: one given to
    # none (as a permissions boundary the stack's roles name by a parameter) grants nothing.
    wide = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "*"}],
    }
    resources["UnattachedWide"] = {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {"PolicyDocument": wide},
    }
    resources["AttachedWide"] = {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {"PolicyDocument": wide, "Roles": [{"Ref": "TaskRole"}]},
    }
    # E9105: prod's cluster without deletion protection.
    properties["DatabaseCluster"]["DeletionProtection"] = False
    # E9106: a second bucket no policy covers; the app bucket's policy is kept.
    resources["ExtraBucket"] = {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
    }
    # E9201: a 65-octet literal first name, one from an unbounded parameter, and one
    # that puts "x." before BaseDomainName (66 octets at most); BaseDomainName alone (at
    # most 64 by its pattern) and a parameter with a MaxLength that fits are allowed.
    template["Parameters"]["OtherDomain"] = {"Type": "String"}
    template["Parameters"]["ShortDomain"] = {"Type": "String", "MaxLength": 60}
    for name, domain in {
        "LongCertificate": "a" * 61 + ".com",
        "OtherCertificate": {"Ref": "OtherDomain"},
        "SubCertificate": {"Fn::Sub": "x.${BaseDomainName}"},
        "ShortCertificate": {"Fn::Sub": "app.${ShortDomain}"},
    }.items():
        resources[name] = {
            "Type": "AWS::CertificateManager::Certificate",
            "Properties": {"DomainName": domain, "ValidationMethod": "DNS"},
        }
    # E9202: a one-subnet DB subnet group; a network load balancer may have one.
    properties["DatabaseSubnetGroup"]["SubnetIds"] = ["subnet-0123456789abcdef0"]
    resources["NetworkBalancer"] = {
        "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "Properties": {"Type": "network", "Subnets": ["subnet-0123456789abcdef0"]},
    }
    # E9203: the rule that holds the internet-facing load balancer to AlbSubnets, gone.
    del template["Rules"]["InternetFacingLoadBalancerSubnets"]
    return template


@pytest.fixture(scope="module")
def broken_findings():
    return lint_body(json.dumps(_break(prod()), indent=2), "broken.json", REGIONS)


@pytest.mark.parametrize(
    ("rule", "fires_on", "words"),
    [
        ("E9101", ["AppBucket", "CustomSecret"], ["Policy", "Retain"]),
        ("E9102", ["HttpsListener"], ["SslPolicy", "ELBSecurityPolicy-TLS13-"]),
        ("E9103", ["PlainListener"], ["DefaultActions", "redirect", "HTTPS"]),
        (
            "E9104",
            ["AllButIam", "AttachedWide", "WideBedrock"],
            ["Allow statement", "foundation-model"],
        ),
        ("E9105", ["DatabaseCluster"], ["DeletionProtection", "allowed: true"]),
        ("E9106", ["ExtraBucket"], ["aws:SecureTransport", "Deny"]),
        (
            "E9201",
            ["LongCertificate", "OtherCertificate", "SubCertificate"],
            ["DomainName", "64 octets"],
        ),
        ("E9202", ["DatabaseSubnetGroup"], ["SubnetIds", "two or more"]),
        ("E9203", ["LoadBalancer"], ["AlbSubnets", "Rules", "AlbInternal"]),
    ],
)
def test_each_rule_sees_what_it_guards_and_only_that(broken_findings, rule, fires_on, words):
    mine = [f for f in broken_findings if f.rule == rule]
    named = sorted(_resource(f.message) for f in mine)
    assert named == sorted(fires_on)
    for finding in mine:
        assert finding.severity == "error"
        assert finding.line > 0
        assert all(word in finding.message for word in words), finding.message


def test_a_template_without_the_rules_resources_passes_the_pack():
    body = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}})
    assert lint_body(body, "t.json", REGIONS) == []


SECRET = json.dumps({"Resources": {"Secret": {"Type": "AWS::SecretsManager::Secret"}}})


def test_informational_off_drops_the_informational_findings():
    every = {f.rule for f in lint_body(SECRET, "t.json", REGIONS)}
    assert {"I3011", "E9101"} <= every
    quiet = {f.rule for f in lint_body(SECRET, "t.json", REGIONS, informational=False)}
    assert quiet == every - {r for r in every if r.startswith("I")}
    assert "E9101" in quiet


def test_ignore_rules_and_rule_pack_off_drop_those_rules():
    ignored = {f.rule for f in lint_body(SECRET, "t.json", REGIONS, ignore_rules=["E9101"])}
    assert "E9101" not in ignored
    assert "I3011" in ignored
    without = {f.rule for f in lint_body(SECRET, "t.json", REGIONS, rule_pack=False)}
    assert without == {"I3011"}
    assert lint_bodies({"t": SECRET}, REGIONS, ignore_rules=("I3011", "E9101")) == {"t": []}


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"ignore_rules": ["E91"]}, "'E91'"),
        ({"ignore_rules": "E9101"}, "'E9101'"),
        ({"ignore_rules": [9101]}, "9101"),
        ({"informational": "no"}, "'no'"),
        ({"rule_pack": 0}, "0"),
    ],
)
def test_bad_options_are_refused_with_the_value_and_what_is_allowed(options, named):
    with pytest.raises(ValueError, match=re.escape(named)):
        lint_body(SECRET, "t.json", REGIONS, **options)


def test_the_documented_ci_line_runs_the_pack(tmp_path):
    # The line docs/linting.md gives, with planar-cfn importable as `pip install` makes it.
    broken = prod()
    broken["Resources"]["HttpsListener"]["Properties"]["SslPolicy"] = "ELBSecurityPolicy-2016-08"
    (tmp_path / "broken.json").write_text(json.dumps(broken, indent=2))
    (tmp_path / "planar-prod.json").write_bytes((TEMPLATES / "planar-prod.json").read_bytes())
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run(
        [
            str(cfn_lint),
            "--append-rules",
            "planar_cfn.lint.rules",
            "--",
            "planar-prod.json",
            "broken.json",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2, result.stderr
    assert "E9102" in result.stdout
    assert "HttpsListener" in result.stdout
    assert "planar-prod.json" not in result.stdout


def test_a_cfnlintrc_appending_the_pack_runs_it_once(tmp_path, monkeypatch):
    # cfn-lint refuses a rule id twice: the pack a .cfnlintrc appends is not added again.
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".cfnlintrc").write_text("append_rules:\n  - planar_cfn.lint.rules\n")
    lint_module._runner.cache_clear()
    try:
        with_pack = [f.rule for f in lint_body(SECRET, "t.json", REGIONS)]
        from_file = [f.rule for f in lint_body(SECRET, "t.json", REGIONS, rule_pack=False)]
    finally:
        lint_module._runner.cache_clear()
    # One finding for the missing UpdateReplacePolicy (the secret is not tagged prod, so
    # DeletionPolicy is not required), not two.
    assert sorted(with_pack) == sorted(from_file) == ["E9101", "I3011", "I3011"]
