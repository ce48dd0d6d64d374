"""The process's command (planar_cfn.__main__): build.py and `python -m planar_cfn` run
it; Ctrl-C or SIGTERM stops every lint worker and says so without a traceback; a reader
that leaves, or a closed standard output, stops nothing."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from planar_cfn.catalog.deploy_role import DEPLOY_ROLE
from planar_cfn.catalog.launch_role import LAUNCH_ROLE
from planar_cfn.errors import ExitCode
from planar_cfn.inputs.stages import STAGE_NAMES

ROOT = Path(__file__).resolve().parent.parent


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
        f"planar-{name}.json" for name in (*STAGE_NAMES, LAUNCH_ROLE, DEPLOY_ROLE)
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
    assert len(list(tmp_path.iterdir())) == len(STAGE_NAMES) + 2  # and the two roles


def test_build_py_runs_the_console_entry_point():
    source = (ROOT / "build.py").read_text()
    assert "from planar_cfn.__main__ import console" in source
    assert 'sys.exit(console("build.py"))' in source


def test_python_dash_m_is_the_command_too():
    result = subprocess.run(
        [sys.executable, "-m", "planar_cfn", "--all-stages", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("fresh: ")
