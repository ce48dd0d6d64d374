"""The checks before any AWS call (deploy/preflight.py): the options that do not go
together, the outputs file, and the template a full deploy sends; unit tests, then the
same refusals through a deploy."""

import pytest

from planar_cfn.deploy import preflight
from planar_cfn.errors import ExitCode, InputError
from planar_cfn.inputs.options import DeployOptions
from planar_cfn.inputs.stages import get_stage
from planar_cfn.template.render import Rendered
from tests.deploy_stubs import STAGE_VALUES


@pytest.mark.parametrize(
    ("stage", "changes", "problem"),
    [
        ("dev", {"destroy": True, "dry_run": True}, "--dry-run: not with --destroy"),
        (
            "dev",
            {"watch": True, "allow_replacement": True},
            "--allow-replacement: not with --watch",
        ),
        ("dev", {"confirm_prod_destroy": True}, "--confirm-prod-destroy: only with --destroy"),
        (
            "dev",
            {"destroy": True, "confirm_prod_destroy": True},
            "--confirm-prod-destroy: only for prod; --destroy alone deletes dev",
        ),
        (
            "prod",
            {"destroy": True},
            "--destroy: prod is a protected stage; add --confirm-prod-destroy",
        ),
        (
            "dev",
            {"destroy": True, "outputs_json": "o.json"},
            "--outputs-json: a destroyed stack has no outputs",
        ),
    ],
)
def test_options_that_do_not_go_together(tmp_path, stage, changes, problem):
    options = DeployOptions(stage=stage, **changes)
    problems = preflight.option_problems(options, get_stage(stage), tmp_path / "dev.json")
    assert len(problems) == 1
    assert problems[0].startswith(problem)


def test_options_that_go_together(tmp_path):
    for options in (
        DeployOptions(stage="prod", destroy=True, confirm_prod_destroy=True, yes=True),
        DeployOptions(stage="dev", dry_run=True, outputs_json=tmp_path / "o.json"),
        DeployOptions(stage="dev", image_tag="v1", yes=True, allow_replacement=True),
    ):
        stage = get_stage(options.stage)
        assert preflight.option_problems(options, stage, tmp_path / "dev.json") == []


def test_the_outputs_file_may_not_be_the_stage_file(tmp_path):
    path = tmp_path / "dev.json"
    path.write_text("{}")
    assert preflight.unwritable(path, path) == (
        "is the stage file: the outputs would overwrite it; name another file"
    )


def test_the_template_must_be_the_stages_and_fit_or_have_a_bucket(rendered):
    with pytest.raises(InputError, match="the template given is the prod stage's"):
        preflight.check_template(rendered["prod"], "dev", "bucket")
    big = Rendered("dev", '{"Description": "' + "x" * 60_000 + '"}')
    with pytest.raises(InputError, match="over CloudFormation's 51,200-byte inline limit"):
        preflight.check_template(big, "dev", None)
    preflight.check_template(big, "dev", "acme-cfn-templates")


def test_destroying_prod_needs_the_extra_flag(harness):
    h = harness("prod")
    assert h.run("--destroy", "--yes") == ExitCode.BAD_INPUT
    assert "add --confirm-prod-destroy" in h.err.getvalue()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--destroy", "--dry-run"], "--dry-run: not with --destroy"),
        (["--watch", "--allow-replacement"], "--allow-replacement: not with --watch"),
        (["--confirm-prod-destroy"], "--confirm-prod-destroy: only with --destroy"),
        (["--destroy", "--confirm-prod-destroy"], "--confirm-prod-destroy: only for prod"),
        (
            ["--outputs-json", "/no/such/dir/o.json"],
            "--outputs-json /no/such/dir/o.json: no such directory",
        ),
    ],
)
def test_flag_combinations_that_make_no_sense(harness, flags, message):
    h = harness("dev")
    assert h.run(*flags) == ExitCode.BAD_INPUT
    assert message in h.err.getvalue()


def test_a_template_over_the_inline_limit_needs_a_bucket(harness, rendered):
    big = Rendered(
        "dev",
        rendered["dev"].body.replace('"Description": "', '"Description": "' + "x" * 60_000, 1),
    )
    h = harness("dev", {k: v for k, v in STAGE_VALUES.items() if k != "template_bucket"})
    h.rendered = big

    assert h.run("--yes") == ExitCode.BAD_INPUT
    assert "over CloudFormation's 51,200-byte inline limit: name an S3 bucket" in h.err.getvalue()
