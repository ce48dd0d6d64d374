"""Every local input checked before AWS is called: the options that do not go together
or with the stage, the file the outputs go to, and the template a full deploy sends."""

from __future__ import annotations

from pathlib import Path

from .. import paths
from ..errors import InputError
from ..inputs.options import DeployOptions
from ..inputs.stage_file import StageFile
from ..inputs.stages import Stage
from ..paths import shown
from ..template import boundary
from ..template.render import Rendered

__all__ = ["check_template", "option_problems", "unwritable"]


def unwritable(path: Path, stage_file: Path) -> str | None:
    """Why the run could not write its outputs to `path` (checked before any AWS call,
    so the outputs of a deploy are never lost at its end), or None."""
    if path.is_file() and path.resolve() == stage_file.resolve():
        return "is the stage file: the outputs would overwrite it; name another file"
    return paths.unwritable(path, "outputs.json")


def option_problems(options: DeployOptions, stage: Stage, stage_file: Path) -> list[str]:
    """The options that do not go together, or with the stage, each named as its flag."""
    problems = []
    if options.mode in ("destroy", "watch", "drift", "diff"):
        for flag, given in (
            ("--dry-run", options.dry_run),
            ("--allow-replacement", options.allow_replacement),
            ("--revert-drift", options.revert_drift),
        ):
            if given:
                problems.append(f"{flag}: not with --{options.mode}; it applies to a change set")
        if options.plan_json is not None and options.mode != "diff":
            problems.append(f"--plan-json: --{options.mode} makes no plan")
    if options.confirm_prod_destroy and not options.destroy:
        problems.append("--confirm-prod-destroy: only with --destroy")
    elif options.confirm_prod_destroy and not stage.protected:
        problems.append(
            f"--confirm-prod-destroy: only for prod; --destroy alone deletes {stage.name}"
        )
    if options.destroy and stage.protected and not options.confirm_prod_destroy:
        problems.append(
            f"--destroy: {stage.name} is a protected stage; add --confirm-prod-destroy "
            "to delete its stack (the bucket, secrets and a final database snapshot are kept)"
        )
    if options.outputs_json is not None:
        if options.destroy:
            problems.append("--outputs-json: a destroyed stack has no outputs")
        elif options.drift or options.diff:
            problems.append(f"--outputs-json: --{options.mode} reads no outputs")
        else:
            problem = unwritable(options.outputs_json, stage_file)
            if problem:
                problems.append(f"--outputs-json {options.outputs_json}: {problem}")
    if options.plan_json is not None and options.mode in ("deploy", "image-tag", "diff"):
        problem = unwritable(options.plan_json, stage_file)
        if options.outputs_json and options.plan_json.resolve() == options.outputs_json.resolve():
            problem = "is also --outputs-json: name another file for each"
        if problem:
            problems.append(f"--plan-json {options.plan_json}: {problem}")
    return problems


def check_template(rendered: Rendered, stage: str, bucket: str | None, sent: bool = True) -> None:
    """The template is the stage's, and (when `sent`, not only compared) passes inline or
    has a bucket to go through."""
    if rendered.stage != stage:
        raise InputError(
            f"the template given is the {rendered.stage} stage's, but the deploy is of {stage}: "
            f"render {stage}'s"
        )
    if sent and not rendered.fits_inline and not bucket:
        raise InputError(
            f"the {stage} template is {len(rendered.minified.encode()):,} "
            "bytes, over CloudFormation's 51,200-byte inline limit: name an S3 bucket in "
            "the stack's region with --template-bucket or template_bucket in the stage file"
        )


def role_problems(options: DeployOptions, stage_file: StageFile) -> list[str]:
    """--cfn-role-arn with a stage file that sets no permissions boundary: the deploy role
    (templates/planar-deploy-role.json) lets CloudFormation create only roles that carry
    one, so the stack's first role would fail half-way through the deploy."""
    if not options.cfn_role_arn or options.mode != "deploy":
        return []
    if stage_file.value("permissions_boundary"):
        return []
    return [
        f"--cfn-role-arn {options.cfn_role_arn}: {shown(stage_file.path)} sets no "
        "permissions_boundary, and the deploy role (templates/planar-deploy-role.json) lets "
        "CloudFormation create only roles that carry one: set permissions_boundary to "
        f"{boundary.DEPLOY_BOUNDARY_NAME}, the deploy-role template's boundary"
    ]
