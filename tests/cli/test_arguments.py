"""Every bad input is refused before any AWS call, with exit code 2, a message
that names the input, the value and what is allowed, and no file written or
changed. A table over the command's flags, the stage file and the parameter values."""

import hashlib
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import botocore.client
import pytest

from planar_cfn.cli import commands as cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = json.loads((ROOT / "stages" / "example.json").read_text())

# (case, extra argv, stage-file changes (None deletes a key), what the message must say)
FLAG_CASES = [
    (
        "unknown stage",
        ["--stage", "qa"],
        None,
        ["--stage", "'qa'", "choose from 'dev', 'staging', 'prod'"],
    ),
    ("timeout zero", ["--timeout", "0"], None, ["--timeout", "'0'", "from 1 to 1440"]),
    (
        "timeout not a number",
        ["--timeout", "soon"],
        None,
        ["--timeout", "'soon'", "whole number of minutes"],
    ),
    (
        "image tag with a space",
        ["--image-tag", "v 1"],
        None,
        ["--image-tag", "'v 1'", "a Docker tag"],
    ),
    (
        "malformed region",
        ["--region", "useast1"],
        None,
        ["--region", "'useast1'", "an AWS region such as us-east-1"],
    ),
    (
        "bad template bucket",
        ["--template-bucket", "Bad_Bucket"],
        None,
        ["--template-bucket", "'Bad_Bucket'", "bucket"],
    ),
    ("all stages without --no-deploy", ["--all-stages"], None, ["--all-stages", "only renders"]),
    (
        "publish with --no-deploy",
        ["--publish", "--artifact-bucket", "b-1", "--no-deploy"],
        None,
        ["--publish", "not allowed with argument --no-deploy"],
    ),
    (
        "publish without a bucket",
        ["--publish"],
        None,
        ["--artifact-bucket", "required with --publish"],
    ),
    (
        "publish to a malformed bucket",
        ["--publish", "--artifact-bucket", "UPPER"],
        None,
        ["--artifact-bucket", "'UPPER'"],
    ),
    (
        "malformed portfolio",
        ["--publish", "--artifact-bucket", "b-1", "--portfolio-id", "p1"],
        None,
        ["--portfolio-id", "'p1'", "port-"],
    ),
    ("dry run of a destroy", ["--destroy", "--dry-run"], None, ["--dry-run", "not with --destroy"]),
    (
        "prod confirmation without destroy",
        ["--confirm-prod-destroy"],
        None,
        ["--confirm-prod-destroy", "only with --destroy"],
    ),
    (
        "outputs into a missing folder",
        ["--outputs-json", "/nonexistent/out.json"],
        None,
        ["--outputs-json", "/nonexistent/out.json", "no such directory"],
    ),
]
STAGE_FILE_CASES = [
    (
        "app name too long",
        {"app_name": "a" * 37},
        ["app_name", '"' + "a" * 37 + '"', "1-36 characters"],
    ),
    ("app name uppercase", {"app_name": "Acme"}, ["app_name", '"Acme"', "lowercase letters"]),
    (
        "app name starts with a digit",
        {"app_name": "9lives"},
        ["app_name", '"9lives"', "starting with a letter"],
    ),
    (
        "CPU not a Fargate size",
        {"container_cpu": 3000},
        ["container_cpu", "3000", "one of 256, 512"],
    ),
    (
        "memory too small for the CPU",
        {"container_cpu": 2048, "container_memory": 1024},
        ["container_memory = 1024", "with CPU 2048, memory must be one of 4096"],
    ),
    (
        "memory too large for the CPU",
        {"container_cpu": 256, "container_memory": 4096},
        ["container_memory = 4096", "with CPU 256, memory must be one of 512, 1024, 2048"],
    ),
    (
        "Aurora minimum above maximum",
        {"aurora_min_capacity": 8, "aurora_max_capacity": 4},
        ["aurora_min_capacity = 8", "above the maximum 4"],
    ),
    (
        "Aurora capacity not a multiple of 0.5",
        {"aurora_min_capacity": 0.7},
        ["aurora_min_capacity", "0.7", "one of 0, 0.5, 1"],
    ),
    (
        "Aurora capacity out of range",
        {"aurora_max_capacity": 512},
        ["aurora_max_capacity", "512", "one of 1, 1.5"],
    ),
    (
        "backup retention zero",
        {"backup_retention_days": 0},
        ["backup_retention_days", "0", "from 1 to 35"],
    ),
    (
        "backup retention too long",
        {"backup_retention_days": 36},
        ["backup_retention_days", "36", "from 1 to 35"],
    ),
    ("desired count negative", {"desired_count": -1}, ["desired_count", "-1", "from 0 to 100"]),
    ("empty subnet list", {"subnets": []}, ["subnets", "[]"]),
    ("malformed VPC id", {"vpc_id": "vpc-12"}, ["vpc_id", '"vpc-12"', "a VPC id such as vpc-"]),
    (
        "malformed subnet id",
        {"subnets": ["subnet-1", "subnet-0bbbbbbbbbbbbbbb2"]},
        ["subnets", "subnet-1", "subnet id"],
    ),
    (
        "malformed hosted zone id",
        {"hosted_zone_id": "z123"},
        ["hosted_zone_id", '"z123"', "hosted zone id"],
    ),
    (
        "domain with a scheme",
        {"base_domain_name": "https://example.com"},
        ["base_domain_name", "https://example.com", "DNS name"],
    ),
    ("malformed VPC CIDR", {"vpc_cidr": "10.0.0.0/8"}, ["vpc_cidr", "10.0.0.0/8", "/16 to /28"]),
    (
        "image tag with a space",
        {"container_image_tag": "v 1"},
        ["container_image_tag", '"v 1"', "a Docker tag"],
    ),
    (
        "registry URL with a scheme",
        {"container_registry_url": "https://ghcr.io/acme"},
        ["container_registry_url", "no scheme"],
    ),
    (
        "CORS origin without scheme",
        {"cors_allowed_origins": ["app.example.com"]},
        ["cors_allowed_origins", "app.example.com", "with scheme"],
    ),
    (
        "registry password in the file",
        {"registry_password": "hunter2"},
        ["registry_password", "PLANAR_REGISTRY_PASSWORD"],
    ),
    (
        "secret ARN and username together",
        {
            "registry_credentials_secret_arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:planar/registry/x-AbC123"
        },
        ["registry_credentials_secret_arn", "not both"],
    ),
    ("internal switch not a boolean", {"alb_internal": "maybe"}, ["alb_internal", '"maybe"']),
    (
        "too many Bedrock models",
        {"bedrock_model_ids": [f"a.m{i}" for i in range(5)]},
        ["bedrock_model_ids", "at most 4"],
    ),
    ("WAF setting unknown", {"web_acl": "maybe"}, ["web_acl", '"maybe"', "none, create"]),
    ("unknown key", {"app_nmae": "acme"}, ["unknown key 'app_nmae'", "allowed keys: app_name"]),
    ("required key missing", {"app_name": None}, ["app_name is missing", "lowercase letters"]),
    (
        "Aurora engine not 16",
        {"aurora_engine_version": "15.4"},
        ["aurora_engine_version", '"15.4"', "Aurora PostgreSQL 16"],
    ),
    # What AWS would refuse at launch, refused here first.
    (
        "one subnet",
        {"subnets": ["subnet-0aaaaaaaaaaaaaaa1"]},
        [
            "subnets",
            "subnet-0aaaaaaaaaaaaaaa1",
            "two or more subnets, in two or more Availability Zones",
        ],
    ),
    (
        "one subnet listed twice",
        {"subnets": ["subnet-0aaaaaaaaaaaaaaa1"] * 2},
        ["subnets", "two or more subnets"],
    ),
    (
        "one load balancer subnet",
        {"alb_subnets": ["subnet-0ccccccccccccccc3"]},
        ["alb_subnets", "subnet-0ccccccccccccccc3", "two or more subnets"],
    ),
    (
        "internet-facing without public subnets",
        {"alb_subnets": None, "alb_internal": False},
        [
            "alb_internal = false",
            'alb_subnets = "" (default)',
            "internet-facing load balancer needs public subnets",
            "set alb_internal to true",
        ],
    ),
    (
        "base domain over ACM's 64",
        {"base_domain_name": "a" * 53 + ".example.com"},
        ["base_domain_name", "a" * 53 + ".example.com", "at most 64 characters"],
    ),
    (
        "partial secret ARN",
        {
            "registry_username": None,
            "registry_credentials_secret_arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:registry",
        },
        ["registry_credentials_secret_arn", "secret:registry", "6-character suffix"],
    ),
    (
        "RDS-managed master secret as registry credentials",
        {
            "registry_username": None,
            "registry_credentials_secret_arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-2b5ab3f1-AbC123",
        },
        [
            "registry_credentials_secret_arn",
            "secret:rds!cluster-2b5ab3f1-AbC123",
            "planar/registry/",
        ],
    ),
    (
        "empty Bedrock model list",
        {"bedrock_model_ids": []},
        ["bedrock_model_ids = []", "at least one"],
    ),
    (
        "empty item in a list",
        {"alb_subnets": ["subnet-0ccccccccccccccc3", "", "subnet-0ddddddddddddddd4"]},
        ['alb_subnets[1] = ""', "a subnet id such as subnet-"],
    ),
    (
        "space before a list item",
        {"cors_allowed_origins": [" https://app.example.com"]},
        ['cors_allowed_origins[0] = " https://app.example.com"', "with scheme"],
    ),
    (
        "fraction of a task",
        {"desired_count": 1.5},
        ["desired_count = 1.5", "a whole number from 0 to 100"],
    ),
]
RAW_FILE_CASES = [
    ("stage file is not JSON", "{app_name: acme", ["dev.json", "not valid JSON"]),
    ("stage file is a list", "[]", ["dev.json", "one JSON object"]),
    (
        "stage file in Latin-1",
        '{\n  "app_name": "acm\u00e9"\n}'.encode("latin-1"),
        [
            "dev.json: must be UTF-8 JSON: byte 0xe9 at line 2 column 19 is not UTF-8",
            "save the file as UTF-8",
        ],
    ),
    (
        "stage file in UTF-16",
        json.dumps(EXAMPLE).encode("utf-16"),
        [
            "dev.json: must be UTF-8 JSON: byte 0xff at line 1 column 1",
            "UTF-16",
            "save the file as UTF-8",
        ],
    ),
    # UTF-8 with a byte-order mark is UTF-8: the error is the value's, not the encoding's.
    (
        "stage file with a byte-order mark",
        b"\xef\xbb\xbf" + json.dumps({**EXAMPLE, "app_name": "Acme"}).encode(),
        ['dev.json: app_name = "Acme": must be'],
    ),
    (
        "stage file is a directory",
        None,
        ["dev.json: is a directory: name the stage's JSON file with --stage-file"],
    ),
]
# (case, what to make in the run's folder (its path, the flag's value), what the message must say)
OUTPUT_CASES = [
    (
        "outputs into a folder",
        lambda tmp: tmp,
        ["--outputs-json {path}: is a directory", "name a file"],
    ),
    (
        "outputs over a read-only file",
        lambda tmp: _read_only(tmp / "outputs.json", "{}"),
        ["--outputs-json {path}: cannot be written (read-only)"],
    ),
    (
        "outputs into a read-only folder",
        lambda tmp: _read_only(tmp / "locked", None) / "outputs.json",
        ["--outputs-json {path}: cannot create it:", "is not writable"],
    ),
    (
        "outputs over the stage file",
        lambda tmp: tmp / "stages" / "dev.json",
        ["--outputs-json {path}: is the stage file", "would overwrite it"],
    ),
]


def _read_only(path: Path, text: str | None) -> Path:
    """A read-only file holding `text`, or a read-only folder when `text` is None."""
    if text is None:
        path.mkdir()
    else:
        path.write_text(text)
    path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return path


def _tree_state(*folders: Path) -> dict[str, tuple[str, int]]:
    return {
        str(path): (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
        for folder in folders
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def no_aws(monkeypatch):
    """Credentials that look real, and a client that fails the test on any call."""
    calls = []
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PLANAR_REGISTRY_PASSWORD": "pw",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)

    def refuse(self, operation, params):
        calls.append(operation)
        raise AssertionError(f"AWS call {operation} made for a bad input")

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", refuse)
    return calls


@pytest.fixture(autouse=True)
def no_render(monkeypatch):
    """Bad input is found before the template is rendered or linted (~2 s of work)."""

    def refuse(*_):
        raise AssertionError("rendered or linted before the inputs were checked")

    monkeypatch.setattr(cli, "render", refuse)
    monkeypatch.setattr(cli, "lint_bodies", refuse)


def _run(argv, tmp_path, capsys, no_aws, stage_file_text):
    stage_file = tmp_path / "stages" / "dev.json"
    stage_file.parent.mkdir(exist_ok=True)
    if stage_file_text is None:
        stage_file.mkdir()
    else:
        if isinstance(stage_file_text, str):
            stage_file_text = stage_file_text.encode()
        stage_file.write_bytes(stage_file_text)
    templates = tmp_path / "templates"
    templates.mkdir()
    before = _tree_state(tmp_path, ROOT / "templates", ROOT / "stages")
    if "--stage" not in argv and "--all-stages" not in argv:
        argv = ["--stage", "dev", *argv]
    try:
        code = cli.main(
            [*argv, "--stage-file", str(stage_file), "--templates-dir", str(templates)],
            out=io.StringIO(),
        )
    except SystemExit as exit_:
        code = exit_.code
    assert code == 2
    assert no_aws == []
    assert _tree_state(tmp_path, ROOT / "templates", ROOT / "stages") == before
    return capsys.readouterr().err


@pytest.mark.parametrize(
    ("case", "argv", "changes", "expected"), FLAG_CASES, ids=[c[0] for c in FLAG_CASES]
)
def test_bad_flag(case, argv, changes, expected, tmp_path, capsys, no_aws):
    if "--destroy" in argv or "--confirm-prod-destroy" in argv:
        argv = ["--stage", "staging", *argv]
    err = _run(argv, tmp_path, capsys, no_aws, json.dumps(EXAMPLE))
    for text in expected:
        assert text in err, (case, text, err)


@pytest.mark.parametrize(
    ("case", "changes", "expected"), STAGE_FILE_CASES, ids=[c[0] for c in STAGE_FILE_CASES]
)
def test_bad_stage_file_value(case, changes, expected, tmp_path, capsys, no_aws):
    values = {**EXAMPLE, **changes}
    values = {k: v for k, v in values.items() if v is not None}
    err = _run(["--dry-run"], tmp_path, capsys, no_aws, json.dumps(values))
    assert "stages/dev.json" in err or "dev.json" in err
    for text in expected:
        assert text in err, (case, text, err)
    assert "nothing was created or changed" in err


@pytest.mark.parametrize(
    ("case", "text", "expected"), RAW_FILE_CASES, ids=[c[0] for c in RAW_FILE_CASES]
)
def test_unreadable_stage_file(case, text, expected, tmp_path, capsys, no_aws):
    err = _run(["--dry-run"], tmp_path, capsys, no_aws, text)
    for fragment in expected:
        assert fragment in err, (case, fragment, err)


@pytest.fixture
def as_a_user(monkeypatch, tmp_path):
    """Permission bits as a user meets them: root may write anywhere, so under root
    os.access answers from the owner's write bit. Folders are made writable again
    afterwards, so the temporary tree can be removed."""
    if os.geteuid() == 0:
        real = os.access

        def access(path, mode, **kw):
            if mode & os.W_OK and not os.stat(path).st_mode & stat.S_IWUSR:
                return False
            return real(path, mode, **kw)

        monkeypatch.setattr(os, "access", access)
    yield
    for path in tmp_path.rglob("*"):
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


@pytest.mark.parametrize(
    ("case", "make", "expected"), OUTPUT_CASES, ids=[c[0] for c in OUTPUT_CASES]
)
def test_an_outputs_file_that_cannot_be_written_is_refused_before_any_aws_call(
    case, make, expected, tmp_path, capsys, no_aws, as_a_user
):
    (tmp_path / "stages").mkdir()
    path = make(tmp_path)
    err = _run(
        ["--dry-run", "--outputs-json", str(path)], tmp_path, capsys, no_aws, json.dumps(EXAMPLE)
    )
    for text in expected:
        assert text.format(path=path) in err, (case, text, err)
    assert "nothing was created or changed" in err


def test_a_stage_file_error_comes_before_the_render_and_lint(tmp_path, capsys, no_aws, no_render):
    # GIVEN a typo in the stage file and a bad flag value; render and lint fail the test if called
    values = {**EXAMPLE, "container_cpu": 3000}
    err = _run(
        ["--dry-run", "--outputs-json", "/nonexistent/out.json"],
        tmp_path,
        capsys,
        no_aws,
        json.dumps(values),
    )

    # THEN both are reported at once, with exit 2, nothing rendered, called or written (_run)
    assert "dev.json: container_cpu = 3000: must be one of 256, 512" in err
    assert "--outputs-json /nonexistent/out.json: no such directory /nonexistent" in err
    assert err.endswith("build.py: nothing was created or changed\n")


def test_the_table_is_large_and_the_example_itself_is_valid(tmp_path, monkeypatch):
    from planar_cfn.inputs import stage_file

    assert len(FLAG_CASES) + len(STAGE_FILE_CASES) + len(RAW_FILE_CASES) + len(OUTPUT_CASES) >= 30
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(EXAMPLE))
    stage_file.load(path, "dev", {"PLANAR_REGISTRY_PASSWORD": "pw"}, needs_secrets=True)


def test_a_bad_stage_file_loads_no_cfn_lint_and_renders_nothing(tmp_path):
    # GIVEN a stage file with a misspelt key, in a fresh interpreter (what a user runs)
    stage_file = tmp_path / "dev.json"
    stage_file.write_text(json.dumps({**EXAMPLE, "regoin": "eu-west-1"}))
    script = (
        "import io, sys\n"
        "from planar_cfn.cli import commands as cli\n"
        "rendered = []\n"
        "cli.render = rendered.append\n"
        "err = io.StringIO()\n"
        "code = cli.main(['--stage', 'dev', '--dry-run', '--stage-file', sys.argv[1]], err=err)\n"
        "print(int(code), 'cfnlint' in sys.modules, len(rendered))\n"
        "sys.stderr.write(err.getvalue())\n"
    )
    # WHEN a deploy is started with it
    result = subprocess.run(
        [sys.executable, "-c", script, str(stage_file)],
        cwd=ROOT,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"},
        capture_output=True,
        text=True,
        check=True,
    )
    # THEN it is refused (exit 2) without importing cfn-lint or rendering anything
    assert "unknown key 'regoin'" in result.stderr
    assert result.stdout.split() == ["2", "False", "0"]
