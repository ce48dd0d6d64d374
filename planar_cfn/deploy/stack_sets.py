"""One stage across many accounts and regions, as a CloudFormation StackSet
(docs/stacksets.md): `--targets FILE` with a deploy, --dry-run or --destroy.

A run checks every local input first (the options, the stage file, the targets file),
then reads: the StackSet and its instances, each target's pre-flight checks, and for
an update each instance's preview. A stateful replacement blocks it (exit 4); a dry run
stops there. On a yes it uploads the template, creates or updates the StackSet and its
instances, and follows each operation instance by instance. Ctrl-C or the timeout
while an operation runs ends the run with exit 5 and the commands that follow it."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ..aws.gateway import DEPLOYER, aws_errors, call_or_none
from ..errors import ExitCode, InputError
from ..inputs import stage_file as stage_files
from ..inputs import targets as targets_files
from ..inputs.options import DeployOptions
from ..template.render import Rendered
from . import preflight, presentation, stack_set_apply, stack_set_destroy
from . import stack_set_follow as following
from . import stack_set_preview as previewing
from .session import Runtime

__all__ = ["StackSetResult", "StackSetRun", "deploy_stack_set", "option_problems"]


@dataclass(frozen=True)
class StackSetResult:
    """How a StackSet run ended: its exit code (OK; FAILED when an operation failed;
    NOT_EXECUTED; BLOCKED; STILL_CHANGING), the StackSet, each operation's end and each
    instance's preview."""

    exit_code: ExitCode
    stack_set_name: str
    operations: tuple[following.OperationEnd, ...] = ()
    previews: tuple[previewing.InstancePreview, ...] = ()


def option_problems(options: DeployOptions, targets_path: Path) -> list[str]:
    """The flags a StackSet run does not take, and the single stack's own checks."""
    stage = options.stage_definition
    path = options.stage_file or stage_files.default_path(stage.name)
    problems = preflight.option_problems(options, stage, path)
    if options.mode not in ("deploy", "destroy"):
        problems.append(f"--targets: not with --{options.mode}; a StackSet deploys or is destroyed")
    for flag, given in (
        ("--cfn-role-arn", options.cfn_role_arn),
        ("--outputs-json", options.outputs_json),
        ("--plan-json", options.plan_json),
        ("--revert-drift", options.revert_drift),
    ):
        if given and options.mode == "deploy":
            problems.append(f"{flag}: not with --targets {targets_path}; it is a single stack's")
    return problems


def deploy_stack_set(
    rendered: Rendered | None,
    options: DeployOptions,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    runtime: Runtime | None = None,
) -> StackSetResult:
    """Deploy `rendered` to the targets `options.targets` names, or destroy the StackSet
    (`rendered` None), as build.py --targets does. It does not lint: lint first."""
    run = StackSetRun.prepare(options, out=out, err=err, runtime=runtime)
    if options.mode == "deploy":
        if rendered is None:
            raise InputError(f"a StackSet deploy of {options.stage} sends its template")
        run.use_template(rendered)
    return run.run()


class StackSetRun:
    """One run: prepare() checks the local inputs, use_template() takes the render, run()
    talks to AWS."""

    def __init__(
        self,
        options: DeployOptions,
        values: stage_files.StageFile,
        targets: targets_files.TargetsFile,
        aws: Any,
        out: TextIO,
        err: TextIO,
        runtime: Runtime,
    ) -> None:
        self.options, self.values, self.targets = options, values, targets
        self.stage = options.stage_definition
        self.aws, self.cfn = aws, aws.client("cloudformation")
        self.out, self.err, self.runtime = out, err, runtime
        self.name = targets.stack_set_name
        self.call_as = targets.call_as_argument
        self.done: list[str] = []
        self.operations: list[following.OperationEnd] = []
        self.previews: list[previewing.InstancePreview] = []
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
    ) -> StackSetRun:
        """Every local input, every problem at once, before AWS is called."""
        runtime = runtime or Runtime()
        if options.targets is None:
            raise InputError("a StackSet run needs its targets file (--targets FILE)")
        stage = options.stage_definition
        path = options.stage_file or stage_files.default_path(stage.name)
        problems = option_problems(options, options.targets)
        loaded = None
        try:
            loaded = targets_files.load(options.targets, path, stage, runtime.environ)
        except (stage_files.StageFileError, targets_files.TargetsError) as error:
            problems.append(str(error))
        profile, region = stage_files.session_keys(path)
        aws = None
        with aws_errors(DEPLOYER):
            try:
                aws = runtime.connect(options.profile or profile, options.region or region)
            except InputError as error:
                problems.append(str(error))
        if problems or loaded is None or aws is None:
            raise InputError("\n".join(problems))
        values, targets = loaded
        return cls(options, values, targets, aws, out or sys.stdout, err or sys.stderr, runtime)

    def use_template(self, rendered: Rendered) -> None:
        """The local render; refused when another stage's, or too big with no bucket."""
        bucket = self.options.template_bucket or self.values.template_bucket
        preflight.check_template(rendered, self.stage.name, bucket)
        self.rendered = rendered
        self.template = json.loads(rendered.body)

    def say(self, *lines: str) -> None:
        """Print to the run's output, each line at once."""
        presentation.say(self.out, *lines)

    def run(self) -> StackSetResult:
        """Talk to AWS: deploy or destroy."""
        mode = (
            stack_set_destroy.destroy if self.options.mode == "destroy" else stack_set_apply.deploy
        )
        with aws_errors(DEPLOYER, self.done):
            code = mode(self)
        return StackSetResult(code, self.name, tuple(self.operations), tuple(self.previews))

    def describe(self) -> Mapping[str, Any] | None:
        """The StackSet, or None when there is none (or it was deleted)."""
        answer = call_or_none(
            self.cfn.describe_stack_set,
            DEPLOYER,
            absent={"StackSetNotFoundException"},
            action="cloudformation:DescribeStackSet",
            StackSetName=self.name,
            **self.call_as,
        )
        stack_set = (answer or {}).get("StackSet")
        return None if not stack_set or stack_set.get("Status") == "DELETED" else stack_set

    def caller(self, method: str, request: Mapping[str, Any]) -> Callable[[], Mapping[str, Any]]:
        """A step that starts an operation: the CloudFormation `method` with `request`."""
        return lambda: getattr(self.cfn, method)(**request)

    def operations_in_turn(
        self, steps: list[tuple[str, Callable[[], Mapping[str, Any]]]], region: str
    ) -> ExitCode:
        """Start each operation in turn (a StackSet runs one at a time) and follow it."""
        for what, start in steps:
            operation_id = start()["OperationId"]
            self.done.append(f"started operation {operation_id} on StackSet {self.name}")
            self.say(f"{what} (operation {operation_id}) ...")
            try:
                end = following.follow(
                    self.cfn,
                    self.name,
                    operation_id,
                    self.call_as,
                    self.runtime.clock,
                    self.options.timeout * 60,
                    self.out,
                )
            except KeyboardInterrupt:
                return self._left(operation_id, "Interrupted", region)
            except following.StillRunning:
                waited = f"Stopped waiting after {self.options.timeout} minute(s)"
                return self._left(operation_id, waited, region)
            self.operations.append(end)
            if end.status != "SUCCEEDED":
                lines = [
                    f"Operation {operation_id} {end.status}"
                    + (f" ({end.reason})" if end.reason else "")
                    + f": {len(end.failed)} instance(s) failed:"
                ]
                lines += [following.line(r) for r in end.failed]
                print("\n".join(lines), file=self.err)
                return ExitCode.FAILED
            self.say(f"Operation {operation_id} SUCCEEDED.")
        return ExitCode.OK

    def _left(self, operation_id: str, why: str, region: str) -> ExitCode:
        """The run stops while the operation goes on: how to follow it (exit 5)."""
        lines = [
            f"{why}: operation {operation_id} on StackSet {self.name} goes on. Follow it with:",
            *following.how_to_follow(self.name, operation_id, region, self.call_as),
        ]
        print("\n".join(lines), file=self.err)
        return ExitCode.STILL_CHANGING
