"""The CI workflow we ship (.github/workflows/ci.yml, docs/ci.md): its code-scanning job
builds with --sarif and uploads that same file to code scanning, also when the build
fails, with only the permissions the upload needs."""

import shlex
from pathlib import Path

import yaml

from planar_cfn.cli import arguments, modes

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())


def test_the_ci_job_runs_ci_run_with_read_only_contents():
    assert WORKFLOW["permissions"] == {"contents": "read"}
    assert {"run": "bash .ci/run"} in WORKFLOW["jobs"]["ci"]["steps"]


def test_code_scanning_builds_with_sarif_and_uploads_that_file_even_on_failure():
    job = WORKFLOW["jobs"]["code-scanning"]
    assert job["permissions"] == {"contents": "read", "security-events": "write"}
    (build,) = [step for step in job["steps"] if "--sarif" in step.get("run", "")]
    command = shlex.split(build["run"])
    assert command[:2] == ["./run", "build"]
    # ./run build is build.py --all-stages --no-deploy "$@": the flags go together.
    args = arguments.parser().parse_args(["--all-stages", "--no-deploy", *command[2:]])
    assert modes.problem(args) is None
    (upload,) = [s for s in job["steps"] if s.get("uses", "").startswith("github/codeql-action/")]
    assert upload["uses"] == "github/codeql-action/upload-sarif@v4"  # a major, pinned
    assert upload["if"] == "always()"
    assert upload["with"]["sarif_file"] == str(args.sarif)
    assert job["steps"].index(build) < job["steps"].index(upload)
