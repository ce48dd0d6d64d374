"""The command's runs: a build exits 0 clean, 1 on lint findings or stale templates;
the process's command survives a reader that leaves and Ctrl-C; templates are
written whole. Which flags go together: test_modes.py."""

import io
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from planar_cfn import paths
from planar_cfn.catalog.launch_role import LAUNCH_ROLE
from planar_cfn.cli import commands as cli
from planar_cfn.errors import ExitCode
from planar_cfn.inputs.stages import STAGE_NAMES
from planar_cfn.template.render import Rendered, render, write_if_changed

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
        "planar-dev.json",
        "planar-launch-role.json",
        "planar-prod.json",
        "planar-staging.json",
    ]
    assert out.count("lint: clean") == 4
    assert f"launch-role: {tmp_path / 'planar-launch-role.json'}" in out


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


def test_a_template_is_replaced_whole_or_not_at_all(tmp_path, monkeypatch):
    path = tmp_path / "planar-dev.json"
    path.write_text("the template before")

    def interrupted(source, target):
        raise KeyboardInterrupt

    monkeypatch.setattr(paths.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_if_changed(path, "the template after")
    assert path.read_text() == "the template before"
    assert [p.name for p in tmp_path.iterdir()] == ["planar-dev.json"]  # no partial file

    monkeypatch.undo()
    write_if_changed(path, "the template after")
    assert path.read_text() == "the template after"
    assert [p.name for p in tmp_path.iterdir()] == ["planar-dev.json"]


def test_a_new_template_gets_the_permissions_of_any_new_file(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    write_if_changed(tmp_path / "planar-dev.json", "{}")
    (tmp_path / "plain").write_text("{}")
    mode = stat.S_IMODE((tmp_path / "planar-dev.json").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "plain").stat().st_mode) == 0o666 & ~umask


BUILD = (sys.executable, "build.py", "--all-stages", "--no-deploy")


def _children(pid):
    """The processes `pid` forked and that still run (Linux's /proc, with
    CONFIG_PROC_CHILDREN); none once `pid` has exited."""
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []


@pytest.mark.skipif(
    not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists(),
    reason="reads the children of a process in Linux's /proc",
)
@pytest.mark.parametrize(
    "stop",
    [
        lambda pid: os.killpg(pid, signal.SIGINT),  # Ctrl-C in a terminal: its process group
        lambda pid: os.kill(pid, signal.SIGTERM),  # `timeout`, a cancelled job: the command
    ],
    ids=["ctrl-c", "sigterm"],
)
def test_ctrl_c_or_sigterm_during_the_lint_stops_every_worker_and_says_so_without_a_traceback(
    tmp_path, stop
):
    process = subprocess.Popen(
        [*BUILD, "--no-cache", "--templates-dir", str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
        # Ctrl-C's default, as a terminal gives it: a shell that starts the tests in
        # the background hands them SIGINT ignored, which a child would inherit.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while len(_children(process.pid)) < len(STAGE_NAMES) + 1:  # a lint worker per template
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.005)
    workers = _children(process.pid)
    stop(process.pid)
    out, err = process.communicate(timeout=120)
    assert process.returncode == ExitCode.INTERRUPTED == 130
    assert err == "\nbuild.py: interrupted\n"
    assert out == ""
    assert not [w for w in workers if Path(f"/proc/{w}").exists()]
    assert list(tmp_path.iterdir()) == []  # nothing was written


@pytest.mark.parametrize("unbuffered", ["1", ""])
def test_a_reader_that_stops_reading_stops_nothing_and_shows_no_traceback(
    tmp_path, stage_lint, unbuffered
):
    reader, writer = os.pipe()
    os.close(reader)  # a reader gone before the first line, as `| head -0`
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:  # each print a write; else the output leaves when the buffer is flushed
        environment["PYTHONUNBUFFERED"] = unbuffered
    try:
        process = subprocess.run(
            [*BUILD, "--templates-dir", str(tmp_path)],
            cwd=ROOT,
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            env=environment,
            timeout=120,
        )
    finally:
        os.close(writer)
    # The build's own exit code, every template written, and nothing on stderr
    assert process.returncode == ExitCode.OK
    assert process.stderr == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"planar-{name}.json" for name in (*STAGE_NAMES, LAUNCH_ROLE)
    )


def test_a_reader_that_stops_reading_help_sees_no_traceback():
    reader, writer = os.pipe()
    os.close(reader)
    try:
        process = subprocess.run(
            [sys.executable, "build.py", "--help"],
            cwd=ROOT,
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(writer)
    assert (process.returncode, process.stderr) == (0, "")


def test_a_closed_standard_output_is_no_error(tmp_path, stage_lint):
    # `build.py ... >&-`: Python starts with no sys.stdout at all
    process = subprocess.run(
        ["sh", "-c", 'exec "$0" "$@" >&-', *BUILD, "--templates-dir", str(tmp_path)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )
    assert (process.returncode, process.stderr) == (ExitCode.OK, "")
    assert len(list(tmp_path.iterdir())) == len(STAGE_NAMES) + 1


def test_a_template_that_is_a_symbolic_link_has_its_target_written(tmp_path):
    target = tmp_path / "elsewhere" / "planar-dev.json"
    target.parent.mkdir()
    target.write_text("the template before")
    link = tmp_path / "planar-dev.json"
    link.symlink_to(target)
    write_if_changed(link, "the template after")
    assert link.is_symlink()
    assert target.read_text() == "the template after"
    assert [p.name for p in target.parent.iterdir()] == ["planar-dev.json"]


def test_a_rewritten_template_keeps_its_mode(tmp_path):
    path = tmp_path / "planar-dev.json"
    path.write_text("the template before")
    path.chmod(0o640)
    write_if_changed(path, "the template after")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
