"""Which flags go together: each mode's own flags allowed, any other refused with exit
2 before anything is rendered, in a message naming the flag and where it belongs."""

import pytest

from planar_cfn.cli import arguments, modes
from planar_cfn.cli import commands as cli
from tests.cli.test_commands import STAGE_FILE, run


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--stage", "qa", "--no-deploy"],
            "argument --stage: invalid choice: 'qa' (choose from 'dev', 'staging', 'prod')",
        ),
        (["--no-deploy"], "one of the arguments --stage --all-stages is required"),
        (
            ["--stage", "dev", "--all-stages", "--no-deploy"],
            "argument --all-stages: not allowed with argument --stage",
        ),
        (["--stage", "dev", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys, tmp_path):
    code, _ = run([*argv, "--templates-dir", str(tmp_path)])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


PUBLISH = ["--publish", "--artifact-bucket", "acme-artifacts"]
# The deploy's flags outside a deploy: said rather than ignored.
ONLY_DEPLOYING = "only when deploying (without --no-deploy, --check, --publish or --cost)"
WITH_COST = "only when deploying or with --cost (without --no-deploy, --check or --publish)"
WITH_PUBLISH = "only when deploying or with --publish (without --no-deploy, --check or --cost)"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--no-deploy", "--stage-file", STAGE_FILE, "--yes"], f"--stage-file: {WITH_COST}"),
        (["--no-deploy", "--yes"], f"--yes: {ONLY_DEPLOYING}"),
        (["--check", "--timeout", "60"], f"--timeout: {ONLY_DEPLOYING}"),
        (["--no-deploy", "--allow-replacement"], f"--allow-replacement: {ONLY_DEPLOYING}"),
        (["--no-deploy", "--outputs-json", "out.json"], f"--outputs-json: {ONLY_DEPLOYING}"),
        (["--no-deploy", "--template-bucket", "acme-cfn"], f"--template-bucket: {ONLY_DEPLOYING}"),
        (["--check", "--confirm-prod-destroy"], f"--confirm-prod-destroy: {ONLY_DEPLOYING}"),
        (["--no-deploy", "--profile", "ops"], f"--profile: {WITH_PUBLISH}"),
        (["--check", "--region", "eu-west-1"], f"--region: {WITH_PUBLISH}"),
        (["--cost", "--region", "eu-west-1"], f"--region: {WITH_PUBLISH}"),
        (["--cost", "--timeout", "5"], f"--timeout: {ONLY_DEPLOYING}"),
        (["--cost", "--outputs-json", "out.json"], f"--outputs-json: {ONLY_DEPLOYING}"),
        (
            [*PUBLISH, "--stage-file", STAGE_FILE, "--timeout", "5", "--allow-replacement"],
            f"--stage-file: {WITH_COST}",
        ),
        ([*PUBLISH, "--timeout", "5"], f"--timeout: {ONLY_DEPLOYING}"),
        ([*PUBLISH, "--yes"], f"--yes: {ONLY_DEPLOYING}"),
        ([*PUBLISH, "--template-bucket", "acme-cfn"], f"--template-bucket: {ONLY_DEPLOYING}"),
        ([*PUBLISH, "--outputs-json", "out.json"], f"--outputs-json: {ONLY_DEPLOYING}"),
    ],
)
def test_deploy_flags_outside_a_deploy_exit_2_rendering_nothing(
    argv, message, capsys, tmp_path, monkeypatch
):
    def no_render(config):
        raise AssertionError("rendered")

    monkeypatch.setattr(cli, "render", no_render)
    code, out = run(["--stage", "dev", *argv, "--templates-dir", str(tmp_path)])
    assert code == 2
    assert f"build.py: error: argument {message}" in capsys.readouterr().err
    assert out == ""
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    "argv",
    [
        # A deploy takes every deploy flag.
        [
            *["--stage-file", STAGE_FILE, "--profile", "ops", "--region", "eu-west-1"],
            *["--template-bucket", "acme-cfn", "--yes", "--allow-replacement"],
            *["--timeout", "5", "--outputs-json", "out.json"],
        ],
        ["--destroy", "--confirm-prod-destroy"],
        ["--image-tag", "v2", "--timeout", "5", "--yes"],
        # Publishing reads --profile and --region; --cost reads --stage-file.
        [*PUBLISH, "--profile", "ops", "--region", "eu-west-1"],
        ["--cost", "--stage-file", STAGE_FILE],
        ["--no-deploy", "--no-cache"],
    ],
)
def test_flags_a_mode_reads_are_allowed(argv):
    args = arguments.parser().parse_args(["--stage", "prod", *argv])
    assert modes.problem(args) is None
