"""The command's runs: a build exits 0 clean, 1 on lint findings or stale templates,
and --cost still reads a stage file. Which flags go together: test_modes.py; the
process's command surviving a reader that leaves and Ctrl-C: tests/test_main.py;
templates written whole: tests/test_paths.py."""

import io
import json
from pathlib import Path

from planar_cfn.cli import commands as cli
from planar_cfn.template.render import Rendered, render

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "templates"
STAGE_FILE = str(ROOT / "stages" / "example.json")
# CloudFormation's limit on a template passed inline (TemplateBody), in bytes.
INLINE_LIMIT = 51_200


def run(argv, capsys=None):
    out = io.StringIO()
    try:
        code = cli.main(argv, out=out)
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue()


def test_builds_lints_writes_and_summarises_one_stage(tmp_path, stage_lint):
    code, out = run(["--stage", "prod", "--no-deploy", "--templates-dir", str(tmp_path)])
    assert code == 0
    committed = (COMMITTED / "planar-prod.json").read_text()
    assert (tmp_path / "planar-prod.json").read_text() == committed
    assert [p.name for p in tmp_path.iterdir()] == ["planar-prod.json"]
    assert "prod: " in out
    assert "AWS::RDS::DBInstance" in out
    size = len(json.dumps(json.loads(committed), separators=(",", ":")).encode())
    fits = "fits" if size <= INLINE_LIMIT else "does NOT fit; deploy uploads it to S3"
    assert f"minified {size:,} of 51,200 inline ({fits})" in out
    assert "lint: clean" in out


def test_all_stages(tmp_path, stage_lint):
    code, out = run(["--all-stages", "--no-deploy", "--templates-dir", str(tmp_path)])
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "planar-deploy-role.json",
        "planar-dev.json",
        "planar-launch-role.json",
        "planar-prod.json",
        "planar-staging.json",
    ]
    assert out.count("lint: clean") == 5
    assert f"launch-role: {tmp_path / 'planar-launch-role.json'}" in out
    assert f"deploy-role: {tmp_path / 'planar-deploy-role.json'}" in out


def test_lint_findings_exit_1_and_are_listed(tmp_path, monkeypatch):
    def broken(config):
        template = json.loads(render(config).body)
        template["Parameters"]["Unused"] = {"Type": "String"}
        return Rendered(config.stage.name, json.dumps(template, indent=2) + "\n")

    monkeypatch.setattr(cli, "render", broken)
    code, out = run(["--stage", "dev", "--no-deploy", "--templates-dir", str(tmp_path)])
    assert code == 1
    assert "lint: 1 finding(s)" in out
    assert f"W2001 [warning] {tmp_path / 'planar-dev.json'}:" in out


def test_cost_still_reads_a_stage_file(capsys):
    code, out = run(["--stage", "dev", "--cost", "--stage-file", STAGE_FILE])
    assert code == 0
    assert "dev: monthly cost estimate" in out
    assert "stages/example.json" in out


def test_check_reports_stale_templates_without_writing(tmp_path, stage_lint):
    run(["--all-stages", "--no-deploy", "--templates-dir", str(tmp_path)])
    code, out = run(["--all-stages", "--check", "--templates-dir", str(tmp_path)])
    assert code == 0
    assert "fresh:" in out
    stale = tmp_path / "planar-staging.json"
    stale.write_text(stale.read_text().replace("staging", "stagin"))
    code, out = run(["--all-stages", "--check", "--templates-dir", str(tmp_path)])
    assert code == 1
    assert f"stale: {stale} differs from a fresh render; run build.py --all-stages" in out
    assert "stagin" in stale.read_text()  # --check never writes
    (tmp_path / "planar-dev.json").unlink()
    code, out = run(["--all-stages", "--check", "--templates-dir", str(tmp_path)])
    assert code == 1
    assert f"stale: {tmp_path / 'planar-dev.json'} is missing; run build.py --all-stages" in out
