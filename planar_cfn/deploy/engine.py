"""Deploying a stage as a reviewed change set, the way Terraform's plan/apply, cdk
deploy, Sceptre and rain do: every input checked before AWS is called, a change set
created, shown (stateful replacements apart and loudly) and executed only on an
interactive yes or `yes`, the stack's events streamed, and the outputs or the root
cause at the end. Also the modes that act on the deployed stack: `image_tag` (a
pipeline's image-only update), `destroy`, `watch` and `drift`.

This module prepares a run and hands it to its mode: apply (a deploy or an image-tag
update, through a change set), destroy, follow (--watch) or drift. docs/deploying.md
describes the options and the exit codes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from .. import paths
from ..aws.gateway import DEPLOYER, aws_errors
from ..errors import ExitCode, InputError, Interrupted
from ..inputs import notifications
from ..inputs import stage_file as stage_files
from ..inputs.options import DeployOptions
from ..template.render import Rendered
from . import apply, destroy, diff, drift, follow, preflight, presentation, progress
from .change_set import ChangeSet
from .session import Runtime, Session
from .template_diff import TemplateDiff

__all__ = ["DeployOptions", "DeployResult", "Deployment", "Runtime", "deploy"]


@dataclass(frozen=True)
class DeployResult:
    """How a deploy ended: its exit code (OK, FAILED for a stack that rolled back or
    failed, or for --diff when something differs, NOT_EXECUTED, BLOCKED,
    STILL_CHANGING), the stack, its last known status and outputs, and what was
    reviewed."""

    exit_code: ExitCode
    stack_name: str
    status: str | None = None
    outputs: Mapping[str, str] = field(default_factory=dict)
    # What the run showed for review: the change set as read (with each property's
    # values), --diff's differences, and the plan as --plan-json writes it.
    change_set: ChangeSet | None = None
    diff: TemplateDiff | None = None
    plan: Mapping[str, Any] | None = None


def deploy(
    rendered: Rendered | None,
    options: DeployOptions,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    runtime: Runtime | None = None,
) -> DeployResult:
    """Deploy `rendered` (the stage's template; None for image_tag, destroy and watch,
    which use the stack's deployed one) as `options` say, as build.py does, writing
    what happens to `out` and `err` (default: the process's).

    It does not lint: lint the template first (planar_cfn.lint.lint), as build.py does.
    Every input is checked before AWS is called. How the stack ended is the result;
    what stopped the run is raised from planar_cfn.errors: InputError (exit 2 while
    nothing had changed), AwsError or OperationFailed (exit 1), Interrupted on a Ctrl-C
    before the stack changes (a Ctrl-C later ends the run, with NOT_EXECUTED or
    STILL_CHANGING). Each error's `done` says what the run had changed before it.
    """
    deployment = Deployment.prepare(options, out=out, err=err, runtime=runtime)
    if deployment.needs_template:
        if rendered is None:
            raise InputError(
                f"a deploy of {options.stage} sends its template: pass the rendered template"
            )
        deployment.use_template(rendered)
    return deployment.run()


class Deployment:
    """One run, in three steps: prepare() checks every local input, use_template()
    takes the local template (a full deploy only), run() talks to AWS."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # The local render: a full deploy's only; the other modes act on the stack's
        # deployed template.
        self.rendered: Rendered | None = None
        self.template: Mapping[str, Any] = {}

    @classmethod
    def prepare(
        cls,
        options: DeployOptions,
        *,
        out: TextIO | None = None,
        err: TextIO | None = None,
        runtime: Runtime | None = None,
    ) -> Deployment:
        """Every local input checked before anything is rendered: the options, the stage
        file, the paths the run writes, a region and credentials. Raises InputError
        with every problem at once."""
        runtime = runtime or Runtime()
        stage = options.stage_definition
        path = options.stage_file or stage_files.default_path(stage.name)
        with aws_errors(DEPLOYER):
            problems = preflight.option_problems(options, stage, path)
            if options.targets is not None:
                problems.append(
                    f"targets: {options.targets} is a StackSet's: deploy_stack_set runs it"
                )
            stage_file = None
            try:
                stage_file = stage_files.load(
                    path, stage, runtime.environ, needs_secrets=options.mode == "deploy"
                )
            except stage_files.StageFileError as error:
                problems.append(str(error))
            else:
                problems += preflight.role_problems(options, stage_file)
            profile, region = (
                (stage_file.profile, stage_file.region)
                if stage_file
                else stage_files.session_keys(path)
            )
            aws = None
            try:
                aws = runtime.connect(options.profile or profile, options.region or region)
            except InputError as error:
                problems.append(str(error))
            if stage_file and aws and options.mode == "deploy":
                topics = stage_file.notification_topic_arns or ()
                problems += [
                    f"{paths.shown(path)}: {problem}"
                    for problem in notifications.region_problems(topics, aws.region)
                ]
            if problems or stage_file is None or aws is None:
                raise InputError("\n".join(problems))
        return cls(Session(options, stage_file, aws, out or sys.stdout, err or sys.stderr, runtime))

    @property
    def needs_template(self) -> bool:
        """Only a full deploy sends the local template; --diff compares it."""
        return self.session.options.mode in ("deploy", "diff")

    def use_template(self, rendered: Rendered) -> None:
        """Take the local render for a full deploy; refused when it is another stage's,
        or too big to pass inline with no bucket named."""
        s = self.session
        bucket = s.options.template_bucket or s.stage_file.template_bucket
        preflight.check_template(rendered, s.stage.name, bucket, sent=s.options.mode == "deploy")
        self.rendered = rendered
        self.template = json.loads(rendered.body)

    def run(self) -> DeployResult:
        """After prepare() (and use_template() for a full deploy): talk to AWS."""
        s = self.session
        step: Callable[[Session], ExitCode] = {
            "deploy": self._deploy,
            "image-tag": apply.image_tag,
            "destroy": destroy.destroy,
            "watch": follow.watch,
            "drift": drift.run,
            "diff": self._diff,
        }[s.options.mode]
        try:
            with aws_errors(DEPLOYER, s.done):
                code = step(s)
        except Interrupted:
            if not s.started:
                raise
            s.warn(presentation.interrupted_while_changing(s.stack_name, s.stage.name, s.prog))
            code = ExitCode.STILL_CHANGING
        final = s.final or {}
        return DeployResult(
            code,
            s.stack_name,
            final.get("StackStatus"),
            progress.outputs(final),
            change_set=s.reviewed,
            diff=s.diff,
            plan=s.plan,
        )

    def _deploy(self, s: Session) -> ExitCode:
        if self.rendered is None:
            raise InputError("a full deploy needs its template: use_template() first")
        return apply.deploy_template(s, self.rendered, self.template)

    def _diff(self, s: Session) -> ExitCode:
        if self.rendered is None:
            raise InputError("--diff compares a template: use_template() first")
        return diff.run(s, self.template)
