"""The `build.py` command: render, lint and write stage templates."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from . import deploy, publish
from .config import StackConfig
from .render import INLINE_TEMPLATE_LIMIT, TEMPLATES_DIR, Rendered, render, template_path
from .stage_file import STAGES_DIR, shown
from .stages import DEFAULT_STAGES, STAGE_NAMES, Stage, stage_names

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def _parser(prog: str = "build.py", stages: Sequence[str] = STAGE_NAMES) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Build, lint and deploy the Planar stack's CloudFormation templates.",
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--stage", choices=stages, help="the stage to build")
    which.add_argument("--all-stages", action="store_true", help="build every stage")
    parser.add_argument(
        "--no-deploy", action="store_true", help="render, lint and write only; call no AWS API"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when a committed template differs from a fresh render",
    )
    parser.add_argument(
        "--templates-dir",
        type=Path,
        default=TEMPLATES_DIR,
        metavar="DIR",
        help="where templates are written (default: templates/)",
    )
    deploy.add_arguments(parser)
    publish.add_arguments(parser)
    return parser


def lint_bodies(bodies: dict[str, str]) -> dict[str, list]:
    """cfn-lint, imported only to lint (0.4 s): a refused input is reported without it."""
    from .lint import lint_bodies as lint

    return lint(bodies)


def _regions_line() -> str:
    """The regions the lint checked, and any a stage file names that it could not."""
    from cfnlint.version import __version__ as cfn_lint_version

    from .lint import lint_regions, unknown_regions

    line = (
        f"lint regions: {', '.join(lint_regions())} "
        f"(us-east-1 and every region a stage file in {shown(STAGES_DIR)}/ names)"
    )
    unknown = unknown_regions()
    if unknown:
        line += f"; not linted: {', '.join(unknown)}, unknown to cfn-lint {cfn_lint_version}"
    return line


def _brief(rendered: Rendered, findings: list, out: TextIO) -> None:
    """One line before a deploy or publish: what is about to be sent."""
    counts = rendered.resource_counts()
    size = len(rendered.minified.encode())
    fits = "inline" if rendered.fits_inline else f"over {INLINE_TEMPLATE_LIMIT:,}: sent through S3"
    lint = f"{len(findings)} lint finding(s)" if findings else "lint clean"
    print(
        f"{rendered.stage}: {sum(counts.values())} resources, {size:,} bytes ({fits}), {lint}",
        file=out,
    )
    for finding in findings:
        print(f"    {finding}", file=out)


def _summary(rendered: Rendered, path: str, findings: list, out: TextIO) -> None:
    counts = rendered.resource_counts()
    size = len(rendered.body.encode())
    minified = len(rendered.minified.encode())
    fits = "fits" if rendered.fits_inline else "does NOT fit; deploy uploads it to S3"
    print(f"{rendered.stage}: {path}", file=out)
    print(f"  resources: {sum(counts.values())}", file=out)
    for kind, count in counts.items():
        print(f"    {count:>3}  {kind}", file=out)
    print(
        f"  size: {size:,} bytes; minified {minified:,} of {INLINE_TEMPLATE_LIMIT:,} "
        f"inline ({fits})",
        file=out,
    )
    if findings:
        print(f"  lint: {len(findings)} finding(s)", file=out)
        for finding in findings:
            print(f"    {finding}", file=out)
    else:
        print("  lint: clean (cfn-lint, informational rules included)", file=out)


def _mode_problem(args: argparse.Namespace) -> str | None:
    """A flag that does not go with the others, before anything is rendered."""
    renders_only = "--check" if args.check else "--no-deploy" if args.no_deploy else None
    aws_flags = [
        flag
        for flag, given in (
            ("--publish", publish.requested(args)),
            ("--destroy", args.destroy),
            ("--watch", args.watch),
            ("--image-tag", args.image_tag is not None),
            ("--dry-run", args.dry_run),
        )
        if given
    ]
    if renders_only and aws_flags:
        return f"argument {aws_flags[0]}: not allowed with argument {renders_only}"
    if args.all_stages and not renders_only:
        return (
            "argument --all-stages: only renders; add --no-deploy, or deploy one --stage at a time"
        )
    if publish.requested(args):
        if len(aws_flags) > 1:
            return f"argument {aws_flags[1]}: not allowed with argument --publish"
        if not args.artifact_bucket:
            return "argument --artifact-bucket: required with --publish (the S3 bucket that holds the published templates)"
    return None


def _configs(stages: Sequence[Stage | StackConfig]) -> dict[str, StackConfig]:
    """The stages the command builds, by name, each as the configuration it renders."""
    configs = [s if isinstance(s, StackConfig) else StackConfig(stage=s) for s in stages]
    return dict(zip(stage_names([c.stage for c in configs]), configs, strict=True))


def _deploy(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    runtime: deploy.Runtime | None,
    config: StackConfig,
) -> int:
    """Deploy one stage, or act on its stack (--image-tag, --destroy, --watch)."""
    # Every local input first: a typo in the stage file costs no render and no lint.
    deployment = deploy.prepare(args, out, err, runtime=runtime)
    if isinstance(deployment, int):
        return deployment
    if not deployment.needs_template:
        if args.image_tag:
            print(
                f"{args.stage}: --image-tag reuses the stack's deployed template (UsePreviousTemplate); "
                "the local template is not rendered, linted or sent",
                file=out,
            )
        return deployment.run()
    # Deploying uses the render in memory and writes no file: templates/ changes
    # only through --no-deploy, as a reviewed commit.
    rendered = render(config)
    code = deployment.use_template(rendered)  # too big, and no bucket: before the lint
    if code is not None:
        return code
    findings = lint_bodies({args.stage: rendered.body})[args.stage]
    _brief(rendered, findings, out)
    if findings:
        print("build.py: lint findings: nothing was sent to AWS", file=err)
        return EXIT_FINDINGS
    return deployment.run()


def main(
    argv: Sequence[str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    *,
    runtime: deploy.Runtime | None = None,  # tests: stubbed AWS, a fake terminal and clock
    prog: str = "build.py",  # the name --help and usage errors show
    # What --stage accepts and --all-stages builds: Stage definitions, or StackConfigs
    # for stages built with extensions.
    stages: Sequence[Stage | StackConfig] = DEFAULT_STAGES,
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    configs = _configs(stages)
    parser = _parser(prog, tuple(configs))
    args = parser.parse_args(argv)
    problem = _mode_problem(args)
    if problem:
        parser.error(problem)
    if not (args.no_deploy or args.check or publish.requested(args)):
        # The deploy reads a stage's protection and readers from DEFAULT_STAGES.
        if configs[args.stage].stage not in DEFAULT_STAGES:
            parser.error(
                f"argument --stage: {args.stage} differs from the stages a deploy knows "
                f"({', '.join(STAGE_NAMES)} as defined in planar_cfn.stages); "
                "build it with --no-deploy, or publish it with --publish"
            )
        gc.enable()  # the command turns it off for the short build (__main__.py)
        return _deploy(args, out, err, runtime, configs[args.stage])
    names = tuple(configs) if args.all_stages else (args.stage,)
    rendered = {stage: render(configs[stage]) for stage in names}

    if args.check:
        paths = {stage: template_path(stage, args.templates_dir) for stage in names}
        stale = [
            shown(paths[s])
            for s in names
            if not paths[s].is_file() or paths[s].read_text() != rendered[s].body
        ]
        for path in stale:
            print(
                f"stale: {path} differs from a fresh render; run build.py --all-stages --no-deploy",
                file=out,
            )
        if not stale:
            print(f"fresh: {', '.join(map(shown, paths.values()))}", file=out)
        return EXIT_FINDINGS if stale else EXIT_OK

    if publish.requested(args):
        gc.enable()
        (stage,) = names
        # Publishing, too, uses the render in memory and writes no file.
        findings = lint_bodies({stage: rendered[stage].body})[stage]
        _brief(rendered[stage], findings, out)
        if findings:
            print("build.py: lint findings: nothing was sent to AWS", file=err)
            return EXIT_FINDINGS
        return publish.run(args, rendered[stage], out, err)

    findings = lint_bodies({stage: r.body for stage, r in rendered.items()})
    args.templates_dir.mkdir(parents=True, exist_ok=True)
    for stage in names:
        path = template_path(stage, args.templates_dir)
        path.write_text(rendered[stage].body)
        findings[stage] = [replace(f, path=shown(path)) for f in findings[stage]]
        _summary(rendered[stage], shown(path), findings[stage], out)
    print(_regions_line(), file=out)
    return EXIT_FINDINGS if any(findings.values()) else EXIT_OK
