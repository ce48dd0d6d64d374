"""The command's arguments: its own mode flags, written here, and every deploy and
publish flag made from its options field's declaration (inputs.options.Flag); and the
options read back from the parsed arguments by the same declarations."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..inputs import options
from ..inputs.stages import DEFAULT_STAGES, STAGE_NAMES, Stage
from ..paths import TEMPLATES_DIR

DEPLOY_FLAGS = options.flags(options.DeployOptions)
# --profile and --region are the deploy's: declared on both options, given once.
PUBLISH_FLAGS = tuple(
    flag
    for flag in options.flags(options.PublishOptions)
    if flag.name not in {f.name for f in DEPLOY_FLAGS}
)


def _typed(check: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type from an options check: the same test, in the same words."""

    def convert(text: str) -> Any:
        try:
            return check(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return convert


def _add(group: argparse._ActionsContainer, flag: options.Flag) -> None:
    if flag.metavar is None:
        group.add_argument(flag.name, action="store_true", dest=flag.field, help=flag.help)
        return
    group.add_argument(
        flag.name,
        type=_typed(flag.check or str),
        action="append" if flag.repeatable else "store",
        dest=flag.field,
        metavar=flag.metavar,
        help=flag.help,
    )


def deploy_group(parser: argparse.ArgumentParser, prog: str) -> None:
    """Deploy flags (docs/deploying.md), one per DeployOptions field."""
    group = parser.add_argument_group(
        "deploy",
        f"Without --no-deploy, {prog} --stage STAGE deploys the stage as a "
        "reviewed change set (docs/deploying.md).",
    )
    actions = group.add_mutually_exclusive_group()
    for flag in DEPLOY_FLAGS:
        _add(actions if flag.exclusive else group, flag)


def publish_group(parser: argparse.ArgumentParser) -> None:
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
    for flag in PUBLISH_FLAGS:
        _add(group, flag)


def parser(prog: str = "build.py", stages: Sequence[str] = STAGE_NAMES) -> argparse.ArgumentParser:
    """The command's arguments, its usage and errors in its name (`prog`)."""
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
        "--sarif",
        type=Path,
        metavar="FILE",
        help="with --no-deploy: also write the lint findings of every template built as one "
        "SARIF 2.1.0 file, for code scanning",
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
    deploy_group(parser, prog)
    publish_group(parser)
    return parser


def _given(flags: Sequence[options.Flag], args: argparse.Namespace) -> dict[str, Any]:
    """The given flags' values by field; a flag not given keeps the field's default."""
    values = {flag.field: getattr(args, flag.field) for flag in flags}
    for flag in flags:
        if flag.repeatable:  # each value a list: one list (the check drops repeats)
            values[flag.field] = tuple(v for given in values[flag.field] or () for v in given)
    return {field: value for field, value in values.items() if value is not None}


def deploy_options(
    args: argparse.Namespace, stages: Sequence[Stage] = DEFAULT_STAGES
) -> options.DeployOptions:
    """The deploy's options from the parsed arguments, for one of `stages`."""
    values = _given(DEPLOY_FLAGS, args)
    return options.DeployOptions(stage=args.stage, stages=stages, **values)


def publish_options(args: argparse.Namespace) -> options.PublishOptions:
    """The publish's options from the parsed arguments."""
    values = _given(options.flags(options.PublishOptions), args)
    return options.PublishOptions(**values)
