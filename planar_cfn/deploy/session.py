"""One run against a stage's stack: what each of its steps shares (the options, the
stage file, the AWS clients, where it writes, the command's name) and what the run
has done so far, which an error or the result reports."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from ..aws.assume import assume_role
from ..aws.clock import Clock
from ..aws.gateway import Aws, Clients
from ..errors import ExitCode
from ..inputs import stage_file as stage_files
from ..inputs.options import DeployOptions
from ..inputs.parameters import SPECS
from . import plan, plan_document, presentation, progress
from .change_set import ChangeSet
from .protections import Protection
from .template_diff import TemplateDiff

__all__ = ["Runtime", "Session"]


@dataclass
class Runtime:
    """What a deploy takes from the process; tests replace each piece."""

    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    connect: Callable[[str | None, str | None], Clients] = Aws.connect
    clock: Clock = field(default_factory=lambda: Clock(sleep=time.sleep, monotonic=time.monotonic))
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    # A StackSet target's pre-flight credentials: a role in its account, in a region.
    assume: Callable[[Clients, str, str], Clients] = assume_role
    # The command's name, as the user ran it: in every message and suggested command.
    prog: str = "planar-cfn"


class Session:
    """One run's shared state; each mode (apply, destroy, follow, drift) acts through it."""

    def __init__(
        self,
        options: DeployOptions,
        stage_file: stage_files.StageFile,
        aws: Clients,
        out: TextIO,
        err: TextIO,
        runtime: Runtime,
    ) -> None:
        self.options = options
        self.stage = options.stage_definition
        self.stage_file = stage_file
        self.stack_name = stage_file.stack_name
        self.aws = aws
        self.cfn = aws.client("cloudformation")
        self.out = out
        self.err = err
        self.runtime = runtime
        self.prog = runtime.prog
        self.timeout_seconds = options.timeout * 60
        # What this run changed in AWS, for an error to report.
        self.done: list[str] = []
        # Set once the stack may be changing: from then on Ctrl-C is not "nothing changed".
        self.started = False
        # The stack as last described at the end, for the result.
        self.final: Mapping[str, Any] | None = None
        # Protections turned off for the operation under way, which its end settles.
        self.off: list[Protection] = []
        # What the run showed for review: the change set read, or --diff's differences,
        # and the plan as --plan-json writes it.
        self.reviewed: ChangeSet | None = None
        self.diff: TemplateDiff | None = None
        self.plan: Mapping[str, Any] | None = None

    @property
    def role(self) -> dict[str, str]:
        """RoleARN for every CloudFormation call that takes one (--cfn-role-arn), or
        nothing: CloudFormation then uses the stack's role, else the caller's rights."""
        arn = self.options.cfn_role_arn
        return {"RoleARN": arn} if arn else {}

    @property
    def role_flag(self) -> str:
        """--cfn-role-arn as the AWS CLI's --role-arn, for a suggested command that acts
        on the stack (a rollback), or nothing."""
        return "".join(f" --role-arn {arn}" for arn in self.role.values())

    @property
    def no_echo(self) -> tuple[str, ...]:
        """The template's NoEcho parameters: their values are never shown."""
        return tuple(spec.name for spec in SPECS if spec.no_echo)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The NoEcho values this run sends (only a full deploy reads them), masked
        wherever a property value shows them."""
        if self.options.mode != "deploy":
            return ()
        sent = self.stage_file.cloudformation_parameters()
        return tuple(sent[name] for name in self.no_echo if sent.get(name))

    def write_plan(self, document: Mapping[str, Any]) -> None:
        """Keep the reviewed plan for the result, and write it where --plan-json says."""
        self.plan = document
        if self.options.plan_json:
            plan_document.write(self.options.plan_json, document)
            self.say(f"Plan written to {self.options.plan_json}")

    def command(self, flag: str) -> str:
        """The command that runs this stage with `flag`, in the name the user ran, such
        as "build.py --stage prod --watch"."""
        return f"{self.prog} --stage {self.stage.name} {flag}"

    def say(self, *lines: str) -> None:
        """Print to the run's output, each line at once."""
        presentation.say(self.out, *lines)

    def warn(self, *lines: str) -> None:
        """Print to the run's error output."""
        print("\n".join(lines), file=self.err)

    def confirm(self, question: str, accepted: tuple[str, ...]) -> bool | None:
        """Ask, unless --yes; None when there is no terminal to ask."""
        return presentation.confirm(
            question, accepted, yes=self.options.yes, stdin=self.runtime.stdin, out=self.out
        )

    def describe(self) -> Mapping[str, Any] | None:
        """The stage's stack, or None; refused when its stage tag names another stage."""
        stack = progress.describe_stack(self.cfn, self.stack_name)
        plan.check_stage_tag(stack, self.stage.name, self.stage_file)
        return stack

    def deployed_template(self, stack_id: str) -> Mapping[str, Any]:
        """The template the stack was last deployed with, as it was sent."""
        body = self.cfn.get_template(StackName=stack_id, TemplateStage="Original")["TemplateBody"]
        # botocore hands back a JSON template already parsed.
        template: Mapping[str, Any] = json.loads(body) if isinstance(body, str) else body
        return template

    def show_outputs(
        self, stack: Mapping[str, Any], verified: Mapping[str, str] | None = None
    ) -> ExitCode:
        """The run ends well: the stack's outputs shown, and written where
        --outputs-json says (with what the service check verified)."""
        self.final = stack
        outputs = progress.outputs(stack)
        self.say(*presentation.output_lines(outputs))
        if self.options.outputs_json:
            recorded = {**outputs, **(verified or {})}
            self.options.outputs_json.write_text(
                json.dumps(recorded, indent=2, sort_keys=True) + "\n"
            )
            self.say(f"Outputs written to {self.options.outputs_json}")
        return ExitCode.OK
