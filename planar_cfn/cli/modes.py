"""Which mode a command line asks for, and which flags go with it: a build or check
(--no-deploy, --check), an estimate (--cost), a publish (--publish) or a deploy (none
of them). A flag that does not go with the others is refused before anything is
rendered, in argparse's words; the deploy and publish flags by their declarations."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ..inputs.options import Flag
from . import arguments

# The modes other than a deploy, which a deploy's own flags name when refused.
MODES = ("--no-deploy", "--check", "--publish", "--cost")


def _given(args: argparse.Namespace, flag: Flag) -> bool:
    value = getattr(args, flag.field)
    return value is not None and value is not False


def _only_when_deploying(refused: Sequence[Flag]) -> str | None:
    """The refusal of the first deploy flag given outside a deploy (and outside the one
    other mode that reads it), or None when there is none."""
    if not refused:
        return None
    flag, also = refused[0].name, refused[0].also
    modes = [m for m in MODES if m != also]
    without = f"{', '.join(modes[:-1])} or {modes[-1]}"
    return f"argument {flag}: only when deploying{f' or with {also}' if also else ''} (without {without})"


def _cost_problem(
    args: argparse.Namespace, given: Sequence[Flag], actions: list[str]
) -> str | None:
    """An estimate renders one stage and prints; it never deploys or publishes."""
    refused = [
        flag
        for flag, named in (
            ("--all-stages", args.all_stages),
            ("--docs-dir", args.docs_dir),
            ("--check", args.check),
        )
        if named
    ]
    refused += [flag.name for flag in given if flag.approves] + actions
    if refused:
        return (
            f"argument {refused[0]}: not allowed with argument --cost, which prints one "
            "--stage's estimate and calls no AWS API (--all-stages --no-deploy prints "
            "every stage's range)"
        )
    return None


def _publish_problem(
    args: argparse.Namespace, given: Sequence[Flag], actions: list[str]
) -> str | None:
    """A publish acts alone, and each publish flag comes with what it needs."""
    if len(actions) > 1:
        return f"argument {actions[1]}: not allowed with argument --publish"
    for flag in arguments.PUBLISH_FLAGS:
        if flag.required and not _given(args, flag):
            return f"argument {flag.name}: required with --publish ({flag.purpose})"
    for needed in arguments.PUBLISH_FLAGS:  # the portfolio's first: a role needs one
        for flag in given:
            if flag.needs == needed.field and not _given(args, needed):
                return f"argument {flag.name}: needs {needed.name} ({needed.purpose})"
    return None


def _sarif_problem(args: argparse.Namespace) -> str | None:
    """--sarif names the template files a build writes, so it goes with a build only."""
    if args.sarif is None:
        return None
    for mode, why in (
        ("--check", "which lints nothing (it compares the templates with a fresh render)"),
        ("--cost", "which lints nothing"),
        ("--publish", "which lints the template in memory and writes no template file"),
    ):
        if getattr(args, mode[2:]):
            return (
                f"argument --sarif: not allowed with argument {mode}, {why}; build with --no-deploy"
            )
    if not args.no_deploy:
        return (
            "argument --sarif: only with --no-deploy: its results point at the template files "
            "a build writes, and a deploy lints the template in memory and writes none"
        )
    return None


def problem(args: argparse.Namespace) -> str | None:
    """A flag that does not go with the others, before anything is rendered."""
    renders_only = "--check" if args.check else "--no-deploy" if args.no_deploy else None
    given = [
        flag for flag in (*arguments.DEPLOY_FLAGS, *arguments.PUBLISH_FLAGS) if _given(args, flag)
    ]
    # What would act in AWS: the publish, the deploy's one action, then a dry run.
    actions = ["--publish"] if args.publish else []
    actions += [flag.name for flag in given if flag.acts and flag.exclusive]
    actions += [flag.name for flag in given if flag.acts and not flag.exclusive]
    publish_only = [flag for flag in given if flag in arguments.PUBLISH_FLAGS]
    if publish_only and not args.publish:
        # Said rather than ignored: a share or a constraint the user asked for must not
        # silently not happen.
        return f"argument {publish_only[0].name}: only with --publish"
    given_modes = [mode for mode in MODES if getattr(args, mode[2:].replace("-", "_"))]
    # The deploy's own flags, unless the one other mode that reads it is the only mode.
    refused_here = [
        flag
        for flag in given
        if flag in arguments.DEPLOY_FLAGS and not flag.acts and given_modes != [flag.also]
    ]
    if sarif := _sarif_problem(args):
        return sarif
    if args.cost:
        return _cost_problem(args, given, actions) or _only_when_deploying(refused_here)
    if renders_only and actions:
        return f"argument {actions[0]}: not allowed with argument {renders_only}"
    if args.docs_dir and not args.all_stages:
        return "argument --docs-dir: only with --all-stages (architecture.md holds every stage)"
    if args.all_stages and not renders_only:
        return (
            "argument --all-stages: only renders; add --no-deploy, or deploy one --stage at a time"
        )
    if args.publish and (problem := _publish_problem(args, given, actions)):
        return problem
    return _only_when_deploying(refused_here) if given_modes else None
