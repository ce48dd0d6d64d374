"""The `build.py` command: render, lint and write stage templates, or deploy or publish
one. It only translates: flags into the library's options, the library's results and
errors into lines and an exit code (errors.ExitCode)."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ..catalog.launch_role import LAUNCH_ROLE, with_launch_role
from ..errors import ExitCode, Interrupted, PlanarError
from ..inputs import options
from ..inputs.stage_file import StageFileError, load, shown
from ..inputs.stages import DEFAULT_STAGES, STAGE_NAMES, Stage, stage_names
from ..lint.cache import LintCache, Linted, cfn_lint_version, lint_cached
from ..lint.runner import Finding
from ..paths import STAGES_DIR, TEMPLATES_DIR
from ..reports import cost, diagram
from ..reports.prices import SOURCE
from ..template.config import StackConfig
from ..template.render import (
    INLINE_TEMPLATE_LIMIT,
    Rendered,
    render,
    staleness,
    template_path,
    write_if_changed,
)

# The deploy and publish modules (and botocore) load only for a command that talks to AWS:
# a build, a check or a refused flag is quicker without them.
if TYPE_CHECKING:
    from ..deploy.engine import Runtime

__all__ = ["main"]


def _flag(check: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type from an options check: the same test, in the same words."""

    def convert(text: str) -> Any:
        try:
            return check(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return convert


def _deploy_arguments(parser: argparse.ArgumentParser) -> None:
    """Deploy flags (docs/deploying.md), one per DeployOptions field."""
    group = parser.add_argument_group(
        "deploy",
        "Without --no-deploy, build.py --stage STAGE deploys the stage as a "
        "reviewed change set (docs/deploying.md).",
    )
    add = group.add_argument
    add(
        "--stage-file",
        type=Path,
        metavar="FILE",
        help="the stage's deployment values (default: stages/STAGE.json)",
    )
    add(
        "--profile",
        type=_flag(options.profile),
        metavar="NAME",
        help="AWS CLI profile (default: the stage file's, else the AWS CLI's)",
    )
    add(
        "--region",
        type=_flag(options.region),
        metavar="REGION",
        help="AWS region (default: the stage file's, else the AWS CLI's)",
    )
    add(
        "--template-bucket",
        type=_flag(options.template_bucket),
        metavar="BUCKET",
        help="S3 bucket for a template over 51,200 bytes (default: the stage file's)",
    )
    add(
        "--dry-run",
        action="store_true",
        help="create and show the change set, then delete it; change nothing",
    )
    add("--yes", action="store_true", help="execute without asking")
    add(
        "--allow-replacement",
        action="store_true",
        help="let the change set replace or remove the database, bucket or secrets",
    )
    add(
        "--timeout",
        type=_flag(options.timeout_minutes),
        metavar="MINUTES",
        help=f"stop waiting after this long (default: {options.DEFAULT_TIMEOUT_MINUTES})",
    )
    add("--outputs-json", type=Path, metavar="FILE", help="also write the stack outputs here")
    mode = group.add_mutually_exclusive_group()
    mode.add_argument(
        "--image-tag",
        type=_flag(options.image_tag),
        metavar="TAG",
        help="change only the image tag of the deployed stack",
    )
    mode.add_argument("--destroy", action="store_true", help="delete the stage's stack")
    mode.add_argument(
        "--watch", action="store_true", help="follow a stack operation already running, to its end"
    )
    mode.add_argument(
        "--drift",
        action="store_true",
        help="detect drift: exit 0 when the stack matches its template, 1 when it drifted",
    )
    add(
        "--confirm-prod-destroy",
        action="store_true",
        help="with --destroy: yes, delete the production stack",
    )


def _publish_arguments(parser: argparse.ArgumentParser) -> None:
    """Publish flags (docs/publishing.md), one per PublishOptions field (--profile and
    --region are the deploy's)."""
    group = parser.add_argument_group(
        "publish to AWS Service Catalog",
        "Upload the linted template to S3 and add it to a Service Catalog product as a "
        "new version (see docs/publishing.md).",
    )
    group.add_argument(
        "--publish",
        action="store_true",
        help="publish the stage's template as a Service Catalog product version",
    )
    group.add_argument(
        "--artifact-bucket",
        type=_flag(options.artifact_bucket),
        metavar="BUCKET",
        help=f"S3 bucket, in the publishing region, for the template "
        f"(key {options.ARTIFACT_KEY_PREFIX}/STAGE/SHA256.json); required with --publish",
    )
    group.add_argument(
        "--product-name",
        type=_flag(options.product_name),
        metavar="NAME",
        help="Service Catalog product to add the version to; created when missing "
        "(default: planar-STAGE)",
    )
    group.add_argument(
        "--portfolio-id",
        type=_flag(options.portfolio_id),
        metavar="ID",
        help="also associate the product with this portfolio (port-...)",
    )
    group.add_argument(
        "--deactivate-old",
        action="store_true",
        help="mark every other version of the product inactive, so launches use this one",
    )
    group.add_argument(
        "--deprecate-old",
        action="store_true",
        help="mark every other version DEPRECATED: launched stacks can still be updated "
        "with it, new launches cannot pick it",
    )
    group.add_argument(
        "--launch-role",
        type=_flag(options.launch_role),
        metavar="ROLE",
        help="with --portfolio-id: the LAUNCH constraint's role, a role name (the role "
        "of that name in each launching account) or a role ARN",
    )
    group.add_argument(
        "--replace-launch-role",
        action="store_true",
        help="with --launch-role: replace a launch constraint that names another role",
    )
    group.add_argument(
        "--share-with",
        type=_flag(options.share_targets),
        action="append",
        metavar="ID[,ID...]",
        help="with --portfolio-id: share the portfolio, its tag options and principals "
        "with these account ids, OU ids (ou-...) or the organization id (o-...); repeatable",
    )
    group.add_argument(
        "--principal",
        type=_flag(options.principals),
        action="append",
        dest="principals",
        metavar="ARN[,ARN...]",
        help="with --portfolio-id: let this IAM role, group or user launch, or every "
        "principal matching an IAM pattern (arn:aws:iam:::role/NAME, * and ? allowed) "
        "in the accounts it is shared with; repeatable",
    )


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
        help="write nothing; exit 1 when a committed template (or, with --all-stages, "
        "architecture.md) differs from a fresh render",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="lint every template, neither reading nor writing the lint cache "
        "(.cache/planar-cfn, or $PLANAR_CFN_CACHE_DIR)",
    )
    parser.add_argument(
        "--templates-dir",
        type=Path,
        default=TEMPLATES_DIR,
        metavar="DIR",
        help="where templates are written (default: templates/)",
    )
    parser.add_argument(
        "--docs-dir",
        type=Path,
        metavar="DIR",
        help="with --all-stages, where architecture.md (every stage's diagram) is written, "
        "or compared with --check (default: docs/, when --templates-dir is not given)",
    )
    parser.add_argument(
        "--cost",
        action="store_true",
        help="with --stage: print the stage's monthly cost estimate by service (us-east-1 list "
        "prices; the stage's recommended values, or --stage-file's); renders only, calls no AWS API",
    )
    _deploy_arguments(parser)
    _publish_arguments(parser)
    return parser


def _deploy_options(
    args: argparse.Namespace, stages: Sequence[Stage] = DEFAULT_STAGES
) -> options.DeployOptions:
    return options.DeployOptions(
        stage=args.stage,
        stages=stages,
        stage_file=args.stage_file,
        profile=args.profile,
        region=args.region,
        template_bucket=args.template_bucket,
        dry_run=args.dry_run,
        yes=args.yes,
        allow_replacement=args.allow_replacement,
        timeout=options.DEFAULT_TIMEOUT_MINUTES if args.timeout is None else args.timeout,
        outputs_json=args.outputs_json,
        image_tag=args.image_tag,
        destroy=args.destroy,
        watch=args.watch,
        drift=args.drift,
        confirm_prod_destroy=args.confirm_prod_destroy,
    )


def _publish_options(args: argparse.Namespace) -> options.PublishOptions:
    return options.PublishOptions(
        artifact_bucket=args.artifact_bucket,
        product_name=args.product_name,
        portfolio_id=args.portfolio_id,
        deactivate_old=args.deactivate_old,
        deprecate_old=args.deprecate_old,
        launch_role=args.launch_role,
        replace_launch_role=args.replace_launch_role,
        share_with=_joined(args.share_with),
        principals=_joined(args.principals),
        profile=args.profile,
        region=args.region,
    )


def _joined(given: list[tuple[str, ...]] | None) -> tuple[str, ...]:
    """A repeated flag's values, each a comma-separated list, as one list (the option's
    check drops repeats)."""
    return tuple(value for values in given or () for value in values)


def lint_bodies(bodies: dict[str, str], *, cache: bool = True) -> Linted:
    """Lint templates by name, each result from the lint cache when it holds one (unless
    `cache` is False); cfn-lint is imported only for a template that is linted."""
    return lint_cached(bodies, LintCache() if cache else None)


def _regions_line(linted: Linted) -> str:
    """The regions the lint checked, and any a stage file names that it could not."""
    line = (
        f"lint regions: {', '.join(linted.regions)} "
        f"(us-east-1 and every region a stage file in {shown(STAGES_DIR)}/ names)"
    )
    if linted.unknown:
        line += (
            f"; not linted: {', '.join(linted.unknown)}, unknown to cfn-lint {cfn_lint_version()}"
        )
    return line


def _brief(rendered: Rendered, findings: list[Finding], out: TextIO) -> None:
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


def _summary(
    rendered: Rendered, path: str, findings: list[Finding], out: TextIO, *, cached: bool = False
) -> None:
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
    source = "; cached" if cached else ""
    if findings:
        print(f"  lint: {len(findings)} finding(s){' (cached)' if cached else ''}", file=out)
        for finding in findings:
            print(f"    {finding}", file=out)
    else:
        print(f"  lint: clean (cfn-lint, informational rules included{source})", file=out)
    line = _cost_line(rendered)
    if line:
        print(f"  {line}", file=out)


def _cost_line(rendered: Rendered) -> str | None:
    """The stage's monthly range at its recommended values; none for the launch role,
    an IAM role, which costs nothing."""
    if rendered.stage == LAUNCH_ROLE:
        return None
    return cost.summary_line(cost.estimate(rendered, cost.recommended_values(rendered.stage)))


def _only_when_deploying(refused: Sequence[tuple[str, str | None]]) -> str | None:
    """The refusal of the first deploy flag given outside a deploy (and outside the one
    other mode that reads it), or None when there is none."""
    if not refused:
        return None
    flag, also = refused[0]
    modes = [m for m in ("--no-deploy", "--check", "--publish", "--cost") if m != also]
    without = f"{', '.join(modes[:-1])} or {modes[-1]}"
    return f"argument {flag}: only when deploying{f' or with {also}' if also else ''} (without {without})"


def _mode_problem(args: argparse.Namespace) -> str | None:
    """A flag that does not go with the others, before anything is rendered."""
    renders_only = "--check" if args.check else "--no-deploy" if args.no_deploy else None
    aws_flags = [
        flag
        for flag, given in (
            ("--publish", args.publish),
            ("--destroy", args.destroy),
            ("--watch", args.watch),
            ("--drift", args.drift),
            ("--image-tag", args.image_tag is not None),
            ("--dry-run", args.dry_run),
        )
        if given
    ]
    publish_only = [
        flag
        for flag, given in (
            ("--artifact-bucket", args.artifact_bucket),
            ("--product-name", args.product_name),
            ("--portfolio-id", args.portfolio_id),
            ("--deactivate-old", args.deactivate_old),
            ("--deprecate-old", args.deprecate_old),
            ("--launch-role", args.launch_role),
            ("--replace-launch-role", args.replace_launch_role),
            ("--share-with", args.share_with),
            ("--principal", args.principals),
        )
        if given
    ]
    if publish_only and not args.publish:
        # Said rather than ignored: a share or a constraint the user asked for must not
        # silently not happen.
        return f"argument {publish_only[0]}: only with --publish"
    # The deploy's own flags, each with the other mode that reads it too (if any).
    deploy_only = [
        (flag, also)
        for flag, given, also in (
            ("--stage-file", args.stage_file, "--cost"),
            ("--profile", args.profile, "--publish"),
            ("--region", args.region, "--publish"),
            ("--template-bucket", args.template_bucket, None),
            ("--yes", args.yes, None),
            ("--allow-replacement", args.allow_replacement, None),
            ("--timeout", args.timeout is not None, None),
            ("--outputs-json", args.outputs_json, None),
            ("--confirm-prod-destroy", args.confirm_prod_destroy, None),
        )
        if given
    ]
    given_modes = [
        mode
        for mode, given in (
            ("--no-deploy", args.no_deploy),
            ("--check", args.check),
            ("--publish", args.publish),
            ("--cost", args.cost),
        )
        if given
    ]
    refused_here = [(flag, also) for flag, also in deploy_only if given_modes != [also]]
    if args.cost:
        # An estimate renders one stage and prints; it never deploys or publishes.
        refused = [
            flag
            for flag, given in (
                ("--all-stages", args.all_stages),
                ("--docs-dir", args.docs_dir),
                ("--check", args.check),
                ("--yes", args.yes),
                ("--allow-replacement", args.allow_replacement),
            )
            if given
        ] + aws_flags
        if refused:
            return (
                f"argument {refused[0]}: not allowed with argument --cost, which prints one "
                "--stage's estimate and calls no AWS API (--all-stages --no-deploy prints "
                "every stage's range)"
            )
        return _only_when_deploying(refused_here)
    if renders_only and aws_flags:
        return f"argument {aws_flags[0]}: not allowed with argument {renders_only}"
    if args.docs_dir and not args.all_stages:
        return "argument --docs-dir: only with --all-stages (architecture.md holds every stage)"
    if args.all_stages and not renders_only:
        return (
            "argument --all-stages: only renders; add --no-deploy, or deploy one --stage at a time"
        )
    if args.publish:
        if len(aws_flags) > 1:
            return f"argument {aws_flags[1]}: not allowed with argument --publish"
        if not args.artifact_bucket:
            return "argument --artifact-bucket: required with --publish (the S3 bucket that holds the published templates)"
        for flag, given in (
            ("--launch-role", args.launch_role),
            ("--share-with", args.share_with),
            ("--principal", args.principals),
        ):
            if given and not args.portfolio_id:
                return f"argument {flag}: needs --portfolio-id (the portfolio it acts on)"
        if args.replace_launch_role and not args.launch_role:
            return "argument --replace-launch-role: needs --launch-role (the role to set)"
    return _only_when_deploying(refused_here) if given_modes else None


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
            f'the values README "Scaling and cost" recommends for {stage}'
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
    from .report import DEPLOY, report

    try:
        # Every local input first: a typo in the stage file costs no render and no lint.
        deployment = deploy.Deployment.prepare(
            _deploy_options(args, (config.stage,)),
            out=out,
            err=err,
            runtime=replace(runtime or deploy.Runtime(), prog=prog),
        )
        if not deployment.needs_template:
            if args.image_tag:
                print(
                    f"{args.stage}: --image-tag reuses the stack's deployed template (UsePreviousTemplate); "
                    "the local template is not rendered, linted or sent",
                    file=out,
                )
            return deployment.run().exit_code
        # Deploying uses the render in memory and writes no file: templates/ changes
        # only through --no-deploy, as a reviewed commit.
        rendered = render(config)
        deployment.use_template(rendered)  # too big, and no bucket: before the lint
        findings = lint_bodies({args.stage: rendered.body}, cache=not args.no_cache).findings[
            args.stage
        ]
        _brief(rendered, findings, out)
        if findings:
            print("build.py: lint findings: nothing was sent to AWS", file=err)
            return ExitCode.FAILED
        return deployment.run().exit_code
    except (PlanarError, Interrupted) as error:
        return report(err, error, DEPLOY)


def _publish(
    args: argparse.Namespace,
    rendered: Rendered,
    out: TextIO,
    err: TextIO,
    runtime: Runtime | None,
    publishing: options.PublishOptions | None = None,
) -> int:
    """Publish the stage's linted template to Service Catalog."""
    from ..aws.gateway import Aws
    from ..catalog import publish
    from .report import PUBLISH, report

    try:
        connect = runtime.connect if runtime else Aws.connect
        clock = runtime.clock if runtime else None
        publishing = publishing or _publish_options(args)
        result = publish.publish(rendered, publishing, out=out, connect=connect, clock=clock)
    except (PlanarError, Interrupted) as error:
        return report(err, error, PUBLISH)
    print(f"product id:   {result.product_id}", file=out)
    print(f"version id:   {result.version_id}", file=out)
    print(f"version name: {result.version_name}", file=out)
    print(f"template URL: {result.template_url}", file=out)
    if result.launch_constraint:
        print(f"launch role:  {args.launch_role} ({result.launch_constraint})", file=out)
    for share in result.shares:
        print(f"shared with:  {share.target} ({share.kind}): {share.status}", file=out)
    return ExitCode.OK


def main(
    argv: Sequence[str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    *,
    runtime: Runtime | None = None,  # tests: stubbed AWS, a fake terminal and clock
    prog: str = "build.py",  # the name --help and usage errors show
    # What --stage accepts and --all-stages builds: Stage definitions, or StackConfigs
    # for stages built with extensions.
    stages: Sequence[Stage | StackConfig] = DEFAULT_STAGES,
) -> int:
    """Run build.py with `argv` (default: the process's) and return its exit code."""
    out, err = out or sys.stdout, err or sys.stderr
    configs = _configs(stages)
    parser = _parser(prog, tuple(configs))
    args = parser.parse_args(argv)
    problem = _mode_problem(args)
    if problem:
        parser.error(problem)
    if args.cost:
        return _cost(args, configs[args.stage], out, err, prog)
    if not (args.no_deploy or args.check or args.publish):
        gc.enable()  # the command turns it off for the short build (__main__.py)
        return _deploy(args, out, err, runtime, configs[args.stage], prog)
    names = tuple(configs) if args.all_stages else (args.stage,)
    publishing = None
    if args.publish:  # bad publish input costs no render and no lint
        from .report import PUBLISH, report

        try:
            publishing = _publish_options(args)
        except PlanarError as error:
            return report(err, error, PUBLISH)
    rendered = {stage: render(configs[stage]) for stage in names}
    docs_fresh = not args.all_stages or diagram.refresh_architecture(
        rendered,
        docs_dir=args.docs_dir,
        templates_dir=args.templates_dir,
        check=args.check,
        out=out,
        prog=prog,
    )
    if args.all_stages:  # and the Service Catalog launch role for their resources
        rendered = with_launch_role(rendered)
        names = tuple(rendered)

    if args.check:
        paths = {stage: template_path(stage, args.templates_dir) for stage in names}
        why = {stage: staleness(paths[stage], rendered[stage].body) for stage in names}
        stale = [stage for stage in names if why[stage]]
        for stage in stale:
            print(
                f"stale: {shown(paths[stage])} {why[stage]}; run {prog} --all-stages --no-deploy",
                file=out,
            )
        if not stale:
            print(f"fresh: {', '.join(map(shown, paths.values()))}", file=out)
        return ExitCode.FAILED if stale or not docs_fresh else ExitCode.OK

    if publishing is not None:
        gc.enable()
        (stage,) = names
        # Publishing, too, uses the render in memory and writes no file.
        linted = lint_bodies({stage: rendered[stage].body}, cache=not args.no_cache)
        publish_findings = linted.findings[stage]
        _brief(rendered[stage], publish_findings, out)
        if publish_findings:
            print("build.py: lint findings: nothing was sent to AWS", file=err)
            return ExitCode.FAILED
        return _publish(args, rendered[stage], out, err, runtime, publishing)

    linted = lint_bodies({stage: r.body for stage, r in rendered.items()}, cache=not args.no_cache)
    findings = linted.findings
    args.templates_dir.mkdir(parents=True, exist_ok=True)
    paths = {stage: template_path(stage, args.templates_dir) for stage in names}
    for stage in names:  # every file before any output, which a reader may stop taking
        write_if_changed(paths[stage], rendered[stage].body)
    for stage in names:
        findings[stage] = [replace(f, path=shown(paths[stage])) for f in findings[stage]]
        _summary(
            rendered[stage],
            shown(paths[stage]),
            findings[stage],
            out,
            cached=stage in linted.cached,
        )
    print(_regions_line(linted), file=out)
    return ExitCode.FAILED if any(findings.values()) else ExitCode.OK
