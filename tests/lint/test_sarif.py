"""build.py --sarif: the build's lint findings as one SARIF 2.1.0 file, valid against
the OASIS schema (tests/data, see its NOTICE), each result at the file and line that
holds the finding; the same from the lint cache; refused where nothing is built."""

import json
from pathlib import Path

import pytest
from jsonschema import Draft4Validator

from planar_cfn.cli import commands as cli
from planar_cfn.lint.cache import CACHE_DIR_ENV
from planar_cfn.lint.runner import Finding
from planar_cfn.lint.sarif import RULES_DOC, sarif_log
from planar_cfn.template.render import Rendered, render
from tests.cli.test_commands import run

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "sarif-2.1.0-rtm.5.json").read_text())
VALIDATOR = Draft4Validator(SCHEMA, format_checker=Draft4Validator.FORMAT_CHECKER)


def valid(path):
    """The SARIF log at `path`, after checking it against the schema."""
    log = json.loads(path.read_text())
    Draft4Validator.check_schema(SCHEMA)
    errors = sorted(VALIDATOR.iter_errors(log), key=str)
    assert not errors, errors[0]
    return log


def test_the_schema_catches_a_broken_log():
    """The validation can fail: a result with a level SARIF does not have."""
    log = sarif_log([Finding("W2001", "warning", "unused", "t.json", 3)], {})
    log["runs"][0]["results"][0]["level"] = "informational"
    assert any("informational" in str(e) for e in VALIDATOR.iter_errors(log))


def with_unused_parameter(config):
    """The stage's template with a parameter nothing uses: cfn-lint's W2001."""
    template = json.loads(render(config).body)
    template["Parameters"]["NobodyUsesThis"] = {"Type": "String"}
    return Rendered(config.stage.name, json.dumps(template, indent=2) + "\n")


@pytest.fixture
def broken_build(tmp_path, monkeypatch):
    """Build dev with a lint finding in a working directory of its own (and a lint cache
    of its own, empty), --sarif naming `findings.sarif` there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(cli, "render", with_unused_parameter)

    def build(name="findings.sarif", *more):
        argv = ["--stage", "dev", "--no-deploy", "--templates-dir", "templates"]
        return run([*argv, "--sarif", name, *more])

    return build


def test_a_finding_is_a_result_at_its_file_and_line(broken_build, tmp_path):
    code, out = broken_build()
    assert code == 1  # findings still fail the build
    log = valid(tmp_path / "findings.sarif")
    assert log["version"] == "2.1.0"
    (run_,) = log["runs"]
    (result,) = run_["results"]
    assert result["ruleId"] == "W2001"
    assert result["level"] == "warning"
    assert "NobodyUsesThis" in result["message"]["text"]
    (location,) = result["locations"]
    physical = location["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "templates/planar-dev.json"
    lines = (tmp_path / "templates" / "planar-dev.json").read_text().splitlines()
    assert '"NobodyUsesThis"' in lines[physical["region"]["startLine"] - 1]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "cfn-lint"
    assert driver["version"] == "1.58.0"
    assert "cfn-lint 1.58.0 as planar-cfn" in driver["fullDescription"]["text"]
    (rule,) = driver["rules"]
    assert rule["id"] == "W2001"
    assert rule["shortDescription"]["text"] == "Check if Parameters are Used"
    assert rule["fullDescription"]["text"]
    assert rule["helpUri"].startswith("https://")
    assert result["ruleIndex"] == 0
    assert "W2001 [warning] templates/planar-dev.json:" in out
    assert out.endswith("sarif: findings.sarif, 1 result(s)\n")


def with_tls10(config):
    """The stage's template with its HTTPS listener on a TLS 1.0 policy: the pack's E9102."""
    template = json.loads(render(config).body)
    listener = template["Resources"]["HttpsListener"]["Properties"]
    listener["SslPolicy"] = "ELBSecurityPolicy-2016-08"
    return Rendered(config.stage.name, json.dumps(template, indent=2) + "\n")


def test_a_rule_pack_finding_is_a_result_beside_cfn_lints(tmp_path, monkeypatch):
    """The build's lint runs the stack's rule pack: its finding reaches the same file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(cli, "render", lambda config: with_tls10(config))
    argv = ["--stage", "prod", "--no-deploy", "--templates-dir", "templates"]
    code, _ = run([*argv, "--sarif", "pack.sarif"])
    assert code == 1
    log = valid(tmp_path / "pack.sarif")
    (result,) = log["runs"][0]["results"]
    assert result["ruleId"] == "E9102"
    assert result["level"] == "error"
    assert "HttpsListener" in result["message"]["text"]
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "templates/planar-prod.json"
    assert physical["region"]["startLine"] > 1
    driver = log["runs"][0]["tool"]["driver"]
    pack = driver["fullDescription"]["text"].split("planar-cfn's rule pack (")[1]
    assert "E9102" in pack.rstrip(")").split(", ")
    (rule,) = driver["rules"]
    assert rule["shortDescription"]["text"] == "HTTPS listeners keep TLS 1.3"
    assert rule["helpUri"].startswith("https://docs.aws.amazon.com/")


def test_a_cached_build_writes_the_same_sarif(broken_build, tmp_path):
    assert broken_build("linted.sarif")[0] == 1
    code, out = broken_build("cached.sarif")
    assert code == 1
    assert "(cached)" in out  # the findings came from the lint cache
    linted, cached = (tmp_path / name for name in ("linted.sarif", "cached.sarif"))
    assert valid(cached)["runs"][0]["results"]
    assert cached.read_text() == linted.read_text()


def test_a_clean_build_writes_a_log_with_no_results(tmp_path, stage_lint):
    sarif = tmp_path / "clean.sarif"
    code, out = run(
        ["--all-stages", "--no-deploy", "--templates-dir", str(tmp_path), "--sarif", str(sarif)]
    )
    assert code == 0
    assert f"sarif: {sarif}, 0 result(s)" in out
    log = valid(sarif)
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["tool"]["driver"]["rules"] == []


class PackRule:
    """A rule as planar-cfn's rule pack defines them (its class in planar_cfn)."""

    __module__ = "planar_cfn.lint.rules.example"
    shortdesc = "Stateful resources keep their data"
    description = "DeletionPolicy and UpdateReplacePolicy keep the data"
    source_url = "https://example.com/E9101"
    severity = "error"


def test_the_driver_names_planar_cfns_rules_and_each_rule_is_described():
    findings = [
        Finding("E9101", "error", "Bucket: DeletionPolicy Delete", "templates/a b.json", 7),
        Finding("I3011", "informational", "no rule loaded", "/abs/x.json", 0),
    ]
    log = sarif_log(findings, {"E9101": PackRule()})
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["fullDescription"]["text"].endswith(", and planar-cfn's rule pack (E9101)")
    pack, unknown = driver["rules"]
    assert pack == {
        "id": "E9101",
        "shortDescription": {"text": PackRule.shortdesc},
        "fullDescription": {"text": PackRule.description},
        "helpUri": "https://example.com/E9101",
        "defaultConfiguration": {"level": "error"},
    }
    assert unknown["helpUri"] == RULES_DOC
    first, second = log["runs"][0]["results"]
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "templates/a%20b.json"},
        "region": {"startLine": 7},
    }
    assert second["level"] == "note"
    assert second["ruleIndex"] == 1
    where = second["locations"][0]["physicalLocation"]
    assert where == {"artifactLocation": {"uri": "file:///abs/x.json"}, "region": {"startLine": 1}}
    assert not list(VALIDATOR.iter_errors(log))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--all-stages", "--check"], "not allowed with argument --check, which lints nothing"),
        (["--stage", "dev", "--cost"], "not allowed with argument --cost, which lints nothing"),
        (
            ["--stage", "dev", "--publish", "--artifact-bucket", "acme-artifacts"],
            "not allowed with argument --publish, which lints the template in memory",
        ),
        (["--stage", "dev"], "only with --no-deploy: its results point at the template files"),
        (["--stage", "dev", "--dry-run"], "only with --no-deploy"),
    ],
)
def test_refused_where_no_template_file_is_built(argv, message, tmp_path, capsys):
    sarif = tmp_path / "x.sarif"
    code, _ = run([*argv, "--templates-dir", str(tmp_path / "t"), "--sarif", str(sarif)])
    assert code == 2
    assert f"argument --sarif: {message}" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_a_file_that_cannot_be_written_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "render", lambda config: pytest.fail("rendered"))
    templates = tmp_path / "t"
    cases = {
        tmp_path / "missing" / "x.sarif": f"no such directory {tmp_path / 'missing'}",
        tmp_path: f"is a directory: name a file in it, such as {tmp_path / 'cfn-lint.sarif'}",
        templates / "planar-launch-role.json": "is a template the build writes",
    }
    for sarif, problem in cases.items():
        argv = ["--all-stages", "--no-deploy", "--templates-dir", str(templates)]
        code, _ = run([*argv, "--docs-dir", str(tmp_path / "d"), "--sarif", str(sarif)])
        assert code == 2
        assert f"argument --sarif {sarif}: {problem}" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
