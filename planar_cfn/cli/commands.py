"""The command's runs: render, lint and write stage templates (or check them), estimate
one's cost, or deploy or publish one. It only translates: flags into the library's
options, the library's results and errors into lines and an exit code
(errors.ExitCode), each in the name the command was started by (`prog`)."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from dataclasses import replace
from itertools import chain
from typing import TYPE_CHECKING, TextIO

from ..catalog.deploy_role import DEPLOY_ROLE, with_deploy_role
from ..catalog.launch_role import LAUNCH_ROLE, with_launch_role
from ..errors import ExitCode, Interrupted, PlanarError
from ..inputs.stage_file import StageFileError, load
from ..inputs.stages import DEFAULT_STAGES, Stage, stage_names
from ..lint.cache import LintCache, Linted, lint_cached
from ..lint.sarif import write_sarif
from ..paths import shown, unwritable
from ..reports import cost, diagram
from ..reports.prices import SOURCE
from ..template.config import StackConfig
from ..template.render import Rendered, render, staleness, template_path, write_if_changed
from . import arguments, modes, summary

# The deploy and publish modules (and botocore) load only for a command that talks to AWS:
# a build, a check or a refused flag is quicker without them.
if TYPE_CHECKING:
    from ..deploy.engine import Runtime
    from ..inputs.options import PublishOptions

__all__ = ["main"]


def lint_bodies(bodies: dict[str, str], *, cache: bool = True) -> Linted:
    """Lint templates by name, each result from the lint cache when it holds one (unless
    `cache` is False); cfn-lint is imported only for a template that is linted."""
    return lint_cached(bodies, LintCache() if cache else None)


def _cost(
    args: argparse.Namespace, config: StackConfig, out: TextIO, err: TextIO, prog: str
) -> int:
    """--cost: the stage's monthly estimate by service, for --stage-file's values or the
    stage's recommended ones. It renders only and calls no AWS API."""
    stage = config.stage.name
    if args.stage_file:
        try:
            # No parameters are sent: the registry password is not needed.
            values = load(args.stage_file, config.stage, needs_secrets=False).parameters
        except StageFileError as error:
            print(f"{prog}: {error}", file=err)
            return ExitCode.BAD_INPUT
        source = f"the values in {shown(args.stage_file)}"
    else:
        values = cost.recommended_values(stage)
        source = (
            f"the values docs/scaling-and-cost.md recommends for {stage}"
            if values
            else "the template's defaults"
        ) + "; --stage-file FILE estimates a stage file's"
    estimate = cost.estimate(render(config), values)
    print(f"{stage}: monthly cost estimate, {estimate.range()}", file=out)
    print(f"values: {source}", file=out)
    print(estimate.table(), file=out)
    print(f"prices: {SOURCE}", file=out)
    return ExitCode.OK


def _configs(stages: Sequence[Stage | StackConfig]) -> dict[str, StackConfig]:
    """The stages the command builds, by name, each as the configuration it renders."""
    configs = [s if isinstance(s, StackConfig) else StackConfig(stage=s) for s in stages]
    return dict(zip(stage_names([c.stage for c in configs]), configs, strict=True))


def _lint_clean(
    args: argparse.Namespace, rendered: Rendered, out: TextIO, err: TextIO, prog: str
) -> bool:
    """Lint the template about to be sent, in memory (a deploy or publish writes no
    file: templates/ changes only through --no-deploy, as a reviewed commit)."""
    stage = rendered.stage
    findings = lint_bodies({stage: rendered.body}, cache=not args.no_cache).findings[stage]
    summary.brief(rendered, findings, out)
    if findings:
        print(f"{prog}: lint findings: nothing was sent to AWS", file=err)
    return not findings


def _deploy(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    runtime: Runtime | None,
    config: StackConfig,
    prog: str,
) -> int:
    """Deploy one stage, or act on its stack (--image-tag, --destroy, --watch, --drift)."""
    from ..deploy import engine as deploy
    from .report import deploy_voice, report

    runtime = replace(runtime, prog=prog) if runtime else deploy.Runtime(prog=prog)
    if args.targets:
        return _stack_set(args, out, err, runtime, config, prog)
    try:
        # Every local input first: a typo in the stage file costs no render and no lint.
        deployment = deploy.Deployment.prepare(
            arguments.deploy_options(args, (config.stage,)), out=out, err=err, runtime=runtime
        )
        if not deployment.needs_template:
            if args.image_tag:
                print(
                    f"{args.stage}: --image-tag reuses the stack's deployed template (UsePreviousTemplate); "
                    "the local template is not rendered, linted or sent",
                    file=out,
                )
            return deployment.run().exit_code
        rendered = render(config)
        deployment.use_template(rendered)  # too big, and no bucket: before the lint
        if not _lint_clean(args, rendered, out, err, prog):
            return ExitCode.FAILED
        return deployment.run().exit_code
    except (PlanarError, Interrupted) as error:
        return report(err, error, deploy_voice(prog))


def _stack_set(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    runtime: Runtime,
    config: StackConfig,
    prog: str,
) -> int:
    """--targets: deploy the stage as a StackSet, or destroy it (docs/stacksets.md)."""
    from ..deploy import stack_sets
    from .report import deploy_voice, report

    try:
        run = stack_sets.StackSetRun.prepare(
            arguments.deploy_options(args, (config.stage,)), out=out, err=err, runtime=runtime
        )
        if not args.destroy:
            rendered = render(config)
            run.use_template(rendered)
            if not _lint_clean(args, rendered, out, err, prog):
                return ExitCode.FAILED
        return run.run().exit_code
    except (PlanarError, Interrupted) as error:
        return report(err, error, deploy_voice(prog))


def _publish(
    args: argparse.Namespace,
    rendered: Rendered,
    out: TextIO,
    err: TextIO,
    runtime: Runtime | None,
    publishing: PublishOptions | None = None,
    *,
    prog: str,
) -> int:
    """Publish the stage's linted template to Service Catalog."""
    from ..aws.gateway import Aws
    from ..catalog import publish
    from .report import publish_voice, report

    try:
        connect = runtime.connect if runtime else Aws.connect
        clock = runtime.clock if runtime else None
        publishing = publishing or arguments.publish_options(args)
        result = publish.publish(rendered, publishing, out=out, connect=connect, clock=clock)
    except (PlanarError, Interrupted) as error:
        return report(err, error, publish_voice(prog))
    print(f"product id:   {result.product_id}", file=out)
    print(f"version id:   {result.version_id}", file=out)
    print(f"version name: {result.version_name}", file=out)
    print(f"template URL: {result.template_url}", file=out)
    if result.launch_constraint:
        print(f"launch role:  {args.launch_role} ({result.launch_constraint})", file=out)
    for share in result.shares:
        print(f"shared with:  {share.target} ({share.kind}): {share.status}", file=out)
    return ExitCode.OK


def _render_and_publish(
    args: argparse.Namespace,
    config: StackConfig,
    out: TextIO,
    err: TextIO,
    runtime: Runtime | None,
    prog: str,
) -> int:
    """--publish: the options, then the render, its lint and the publish."""
    from .report import publish_voice, report

    try:  # bad publish input costs no render and no lint
        publishing = arguments.publish_options(args)
    except PlanarError as error:
        return report(err, error, publish_voice(prog))
    rendered = render(config)
    gc.enable()
    if not _lint_clean(args, rendered, out, err, prog):
        return ExitCode.FAILED
    return _publish(args, rendered, out, err, runtime, publishing, prog=prog)


def _sarif_unwritable(args: argparse.Namespace, names: Sequence[str]) -> str | None:
    """Why --sarif's file could not be written at the end of the build, or None."""
    written = [*names, LAUNCH_ROLE, DEPLOY_ROLE] if args.all_stages else names
    if any(args.sarif.resolve() == template_path(n, args.templates_dir).resolve() for n in written):
        return "is a template the build writes: name another file, such as cfn-lint.sarif"
    return unwritable(args.sarif, "cfn-lint.sarif")


def _check(
    args: argparse.Namespace,
    rendered: dict[str, Rendered],
    docs_fresh: bool,
    out: TextIO,
    prog: str,
) -> int:
    """--check: exit 1 when a committed template (or architecture.md) is stale."""
    paths = {stage: template_path(stage, args.templates_dir) for stage in rendered}
    why = {stage: staleness(paths[stage], r.body) for stage, r in rendered.items()}
    stale = [stage for stage in rendered if why[stage]]
    for stage in stale:
        print(
            f"stale: {shown(paths[stage])} {why[stage]}; run {prog} --all-stages --no-deploy",
            file=out,
        )
    if not stale:
        print(f"fresh: {', '.join(map(shown, paths.values()))}", file=out)
    return ExitCode.FAILED if stale or not docs_fresh else ExitCode.OK


def _build(args: argparse.Namespace, rendered: dict[str, Rendered], out: TextIO, prog: str) -> int:
    """--no-deploy: lint, write and summarise each template; exit 1 on any finding."""
    linted = lint_bodies({stage: r.body for stage, r in rendered.items()}, cache=not args.no_cache)
    findings = linted.findings
    args.templates_dir.mkdir(parents=True, exist_ok=True)
    paths = {stage: template_path(stage, args.templates_dir) for stage in rendered}
    for stage in rendered:
        findings[stage] = [replace(f, path=shown(paths[stage])) for f in findings[stage]]
    # Every file before any output, which a reader may stop taking.
    for stage, template in rendered.items():
        write_if_changed(paths[stage], template.body)
    if args.sarif:
        write_sarif(args.sarif, chain.from_iterable(findings.values()), linted.regions)
    for stage in rendered:
        summary.stage(
            rendered[stage],
            shown(paths[stage]),
            findings[stage],
            out,
            prog=prog,
            cached=stage in linted.cached,
        )
    print(summary.regions_line(linted), file=out)
    if args.sarif:
        count = sum(map(len, findings.values()))
        print(f"sarif: {shown(args.sarif)}, {count} result(s)", file=out)
    return ExitCode.FAILED if any(findings.values()) else ExitCode.OK


def main(
    argv: Sequence[str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    *,
    runtime: Runtime | None = None,  # tests: stubbed AWS, a fake terminal and clock
    prog: str = "build.py",  # the name every usage line, message and suggested command shows
    # What --stage accepts and --all-stages builds: Stage definitions, or StackConfigs
    # for stages built with extensions.
    stages: Sequence[Stage | StackConfig] = DEFAULT_STAGES,
) -> int:
    """Run the command with `argv` (default: the process's) and return its exit code."""
    out, err = out or sys.stdout, err or sys.stderr
    configs = _configs(stages)
    parser = arguments.parser(prog, tuple(configs))
    args = parser.parse_args(argv)
    problem = modes.problem(args)
    if problem:
        parser.error(problem)
    if args.cost:
        return _cost(args, configs[args.stage], out, err, prog)
    if args.publish:
        return _render_and_publish(args, configs[args.stage], out, err, runtime, prog)
    if not (args.no_deploy or args.check):
        gc.enable()  # the command turns it off for the short build (__main__.py)
        return _deploy(args, out, err, runtime, configs[args.stage], prog)
    names = tuple(configs) if args.all_stages else (args.stage,)
    if args.sarif and (problem := _sarif_unwritable(args, names)):
        parser.error(f"argument --sarif {args.sarif}: {problem}")
    rendered = {stage: render(configs[stage]) for stage in names}
    docs_fresh = not args.all_stages or diagram.refresh_architecture(
        rendered,
        docs_dir=args.docs_dir,
        templates_dir=args.templates_dir,
        check=args.check,
        out=out,
        prog=prog,
    )
    if args.all_stages:  # and the launch and deploy roles for their resources
        rendered = with_deploy_role(with_launch_role(rendered))
    if args.check:
        return _check(args, rendered, docs_fresh, out, prog)
    return _build(args, rendered, out, prog)
