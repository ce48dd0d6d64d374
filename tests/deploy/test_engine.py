"""GIVEN a stage file and a stack state, WHEN build.py deploys, THEN the run goes end to
end: the change set created, reviewed, executed and followed, the outputs recorded, even
when the reader of its output goes away; and before any AWS call, every local input is
checked at once (the stage file, the region, the credentials, the image tag), a mode that
acts on the deployed stack needing neither the local template nor the registry password.
Every request is checked by botocore's Stubber against the API model."""

import json
import os

import pytest

from planar_cfn.__main__ import _ReaderMayLeave
from planar_cfn.deploy import engine as deploy
from planar_cfn.errors import ExitCode
from tests.deploy.scenarios import OUTPUTS, create_request, previous_parameters
from tests.deploy_stubs import (
    STAGE_VALUES,
    T0,
    VERIFIED_STATE,
    Terminal,
    change,
    event,
    service_outputs,
)


def test_first_deploy_creates_executes_streams_and_prints_outputs(harness, tmp_path):
    # GIVEN no stack
    h = harness("dev")
    h.no_stack()
    h.created(**create_request(h))
    h.ready(
        [
            change("Add", "AppBucket", "AWS::S3::Bucket"),
            change("Add", "Cluster", "AWS::ECS::Cluster"),
        ]
    )
    review = event("dev", "planar-dev-acme", "REVIEW_IN_PROGRESS", reason="User Initiated")
    h.events(review)
    h.executed()
    started = event(
        "dev", "planar-dev-acme", "CREATE_IN_PROGRESS", reason="User Initiated", seconds=1
    )
    bucket = event("dev", "AppBucket", "CREATE_IN_PROGRESS", "AWS::S3::Bucket", seconds=2)
    h.progress("CREATE_IN_PROGRESS", bucket, started, review)
    done = event("dev", "AppBucket", "CREATE_COMPLETE", "AWS::S3::Bucket", seconds=30)
    stack_done = event("dev", "planar-dev-acme", "CREATE_COMPLETE", seconds=31)
    h.progress("CREATE_COMPLETE", stack_done, done, bucket, outputs=OUTPUTS)
    outputs_file = tmp_path / "outputs.json"

    # WHEN deploying with --yes
    code = h.run("--yes", "--outputs-json", str(outputs_file))

    # THEN the stack was created, its events shown once each, oldest first, then the outputs
    assert code == ExitCode.OK, h.err.getvalue()
    out = h.out.getvalue()
    assert "Change set for stack planar-dev-acme (CREATE): 2 resource change(s)" in out
    assert "  + AWS::S3::Bucket" in out
    lines = out.splitlines()
    shown = [line for line in lines if line[:2].isdigit()]
    assert [line.split()[1] for line in shown] == [
        "CREATE_IN_PROGRESS",
        "CREATE_IN_PROGRESS",
        "CREATE_COMPLETE",
        "CREATE_COMPLETE",
    ]
    assert "REVIEW_IN_PROGRESS" not in "\n".join(shown)
    assert "Stack planar-dev-acme: CREATE_COMPLETE." in out
    # and the service it made runs the image asked for, its target healthy
    assert (
        "Service planar-service-dev-acme: rollout COMPLETED, task definition "
        "planar-service-dev-acme:8, image ghcr.io/acme/planar-app:1.4.2, "
        "1/1 target(s) healthy."
    ) in out
    assert "  ApplicationUrl        https://acme-dev.example.com" in out
    recorded = json.loads(outputs_file.read_text())
    assert recorded == {**service_outputs("dev"), **OUTPUTS, **VERIFIED_STATE}


def test_a_reader_that_stops_reading_does_not_stop_the_deploy(harness, tmp_path):
    # GIVEN the same first deploy, its output to a pipe whose reader has gone (`| head`),
    # wrapped as the command wraps standard output
    reader, writer = os.pipe()
    os.close(reader)
    h = harness("dev")
    pipe = os.fdopen(writer, "w", buffering=1)
    h.out = _ReaderMayLeave(pipe)
    h.no_stack()
    h.created(**create_request(h))
    h.ready([change("Add", "AppBucket", "AWS::S3::Bucket")])
    h.events(event("dev", "planar-dev-acme", "REVIEW_IN_PROGRESS", reason="User Initiated"))
    h.executed()
    h.progress("CREATE_IN_PROGRESS")
    stack_done = event("dev", "planar-dev-acme", "CREATE_COMPLETE", seconds=31)
    h.progress("CREATE_COMPLETE", stack_done, outputs=OUTPUTS)
    outputs_file = tmp_path / "outputs.json"

    # WHEN deploying with --yes
    code = h.run("--yes", "--outputs-json", str(outputs_file))

    # THEN it ran to the end (run() asserts every stubbed AWS call was made), said
    # nothing on stderr, and recorded the outputs
    assert code == ExitCode.OK, h.err.getvalue()
    assert h.err.getvalue() == ""
    assert json.loads(outputs_file.read_text())["ApplicationUrl"] == OUTPUTS["ApplicationUrl"]
    pipe.close()


def test_bad_stage_file_and_missing_credentials_are_reported_together(
    aws_env, monkeypatch, tmp_path, rendered
):
    import io

    from planar_cfn.cli import commands as cli

    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
    ):
        monkeypatch.delenv(name)
    stage_file = tmp_path / "dev.json"
    stage_file.write_text(json.dumps({**STAGE_VALUES, "container_memory": 3000}))
    err = io.StringIO()

    code = cli.main(
        ["--stage", "dev", "--stage-file", str(stage_file), "--dry-run"], io.StringIO(), err
    )

    assert code == ExitCode.BAD_INPUT
    text = err.getvalue()
    assert "container_memory = 3000: must be a Fargate memory size" in text
    assert "no AWS region" in text
    assert "no AWS credentials found" in text
    assert text.endswith("build.py: nothing was created or changed\n")


def test_build_py_without_credentials_says_so_and_exits_2(aws_env, monkeypatch, tmp_path):
    """What `python build.py --stage dev --dry-run` does on a machine with no AWS setup."""
    import io

    from planar_cfn.cli import commands as cli
    from planar_cfn.lint.cache import Linted

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setattr(
        cli,
        "lint_bodies",
        lambda bodies, cache: Linted(
            {stage: [] for stage in bodies}, frozenset(), ("us-east-1",), ()
        ),
    )
    stage_file = tmp_path / "dev.json"
    stage_file.write_text(json.dumps(STAGE_VALUES))
    out, err = io.StringIO(), io.StringIO()

    code = cli.main(
        [
            "--stage",
            "dev",
            "--dry-run",
            "--stage-file",
            str(stage_file),
            "--templates-dir",
            str(tmp_path / "templates"),
        ],
        out=out,
        err=err,
    )

    assert code == ExitCode.BAD_INPUT
    assert err.getvalue() == (
        "build.py: error: no AWS credentials found: pass --profile, set AWS_PROFILE, or set "
        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (`aws configure` writes a profile)\n"
        "build.py: nothing was created or changed\n"
    )


def test_image_tag_does_not_need_the_registry_password(harness):
    h = harness("dev", {**STAGE_VALUES, "registry_username": "bot"})
    h.no_stack()

    assert h.run("--image-tag", "v42") == ExitCode.BAD_INPUT
    assert "PLANAR_REGISTRY_PASSWORD" not in h.err.getvalue()


def test_image_tag_neither_lints_nor_briefs_the_local_template(harness, templates, monkeypatch):
    # GIVEN a working tree whose template would have lint findings, and a deployed prod stack
    from planar_cfn.cli import commands as cli

    def refuse(*_):
        raise AssertionError("--image-tag sends the deployed template: the local one is not used")

    monkeypatch.setattr(cli, "render", refuse)
    monkeypatch.setattr(cli, "lint_bodies", refuse)
    h = harness("prod")
    before = previous_parameters(h)
    h.stack("UPDATE_COMPLETE", parameters=before)
    h.cfn.add_response(
        "get_template",
        {"TemplateBody": json.dumps(templates["prod"])},
        {"StackName": h.id, "TemplateStage": "Original"},
    )
    h.cfn.add_response("create_change_set", {"Id": h.cs_id, "StackId": h.id})
    h.change_set(status="FAILED", execution="UNAVAILABLE", reason="No updates are to be performed.")
    h.deleted_change_set()
    h.protected()
    runtime = deploy.Runtime(
        environ={},
        stdin=Terminal(tty=False),
        connect=lambda *_: h.aws,
        clock=h.fake_clock.clock(),
        now=lambda: T0,
    )

    # WHEN build.py runs the pipeline's image-only update
    code = cli.main(
        ["--stage", "prod", "--stage-file", str(h.path), "--image-tag", "v42", "--yes"],
        out=h.out,
        err=h.err,
        runtime=runtime,
    )

    # THEN no lint finding can block it, and no local size or lint result is shown as sent
    assert code == ExitCode.OK, h.err.getvalue()
    out = h.out.getvalue()
    assert out.startswith(
        "prod: --image-tag reuses the stack's deployed template (UsePreviousTemplate); "
        "the local template is not rendered, linted or sent\n"
    )
    assert "bytes" not in out
    assert "lint" not in out.split("\n", 1)[1]


def test_a_bad_image_tag_is_refused_before_anything(harness, capsys):
    h = harness("dev")
    with pytest.raises(SystemExit) as exit_:
        h.run("--image-tag", "-bad tag")
    assert exit_.value.code == 2
    assert (
        "argument --image-tag: '-bad tag' is not allowed: must be a Docker tag"
        in capsys.readouterr().err
    )
