"""Deploying a stage as a reviewed change set, the way Terraform's plan/apply, cdk
deploy, Sceptre and rain do: every input checked before AWS is called, a change set
created, shown (stateful replacements apart and loudly) and executed only on an
interactive yes or `yes`, the stack's events streamed, and the outputs or the root
cause at the end. Also the modes that act on the deployed stack: `image_tag` (a
pipeline's image-only update), `destroy`, `watch` and `drift` (drift.py).

This module runs the steps in order: deploy_plan decides, aws_gateway speaks to AWS,
protections keeps a protected stage safe and presentation says what happens.
docs/deploying.md describes the options and the exit codes.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from ..aws.clock import Clock
from ..aws.gateway import (
    DEPLOYER,
    Aws,
    Clients,
    aws_errors,
    error_code,
    error_message,
    rejects_credentials,
    why,
)
from ..errors import AwsRefused, ExitCode, InputError, Interrupted, OperationFailed
from ..inputs import notifications
from ..inputs import stage_file as stage_files
from ..inputs.options import DeployOptions
from ..template.render import Rendered
from . import account_checks, change_set, drift, lookups, progress, protections, service_health
from .plan import (
    CREATE,
    DELETE,
    KEPT,
    STUCK,
    UPDATE,
    Plan,
    blocked,
    check_destroyable,
    check_stage_tag,
    check_template,
    deploy_request,
    destroy_confirmation,
    image_tag_request,
    kept,
    option_problems,
    plan_deploy,
    plan_image_tag,
    resources_with_policies,
    watched_operation,
)
from .presentation import (
    balancer_warning,
    confirm,
    destroyed_lines,
    discarded,
    failure_lines,
    interrupted_while_changing,
    kept_lines,
    not_executed_lines,
    output_lines,
    say,
    sentence,
    service_lines,
    stopped_waiting,
    view_for,
)
from .protections import Protection

__all__ = ["DeployOptions", "DeployResult", "Deployment", "Runtime", "deploy"]


@dataclass
class Runtime:
    """What a deploy takes from the process, and the command's name (`prog`) its
    messages use; tests replace each piece."""

    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    connect: Callable[[str | None, str | None], Clients] = Aws.connect
    clock: Clock = field(default_factory=lambda: Clock(sleep=time.sleep, monotonic=time.monotonic))
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    prog: str = "planar-cfn"


@dataclass(frozen=True)
class DeployResult:
    """How a deploy ended: its exit code (OK, FAILED for a stack that rolled back or
    failed, NOT_EXECUTED, BLOCKED, STILL_CHANGING), the stack, and its last known
    status and outputs."""

    exit_code: ExitCode
    stack_name: str
    status: str | None = None
    outputs: Mapping[str, str] = field(default_factory=dict)


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


@dataclass(frozen=True)
class _Pending:
    """A change set this run created, or may have, and has not executed."""

    change_set: str  # its id; its name until CreateChangeSet answers
    stack: str  # likewise the stack's id or name
    kind: str
    creates_stack: bool  # this run's CreateChangeSet made the stack that holds it
    by_name: bool = False

    @property
    def change_set_argument(self) -> dict[str, str]:
        # A change set given by name needs its stack's name too.
        return {
            "ChangeSetName": self.change_set,
            **({"StackName": self.stack} if self.by_name else {}),
        }

    @property
    def change_set_option(self) -> str:
        option = f"--change-set-name {self.change_set}"
        return f"{option} --stack-name {self.stack}" if self.by_name else option


class Deployment:
    """One run, in three steps: prepare() checks every local input, use_template()
    takes the local template (a full deploy only), run() talks to AWS."""

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
        # The local render: a full deploy's only; the other modes act on the stack's
        # deployed template.
        self.rendered: Rendered | None = None
        self.template: Mapping[str, Any] = {}
        self.timeout_seconds = options.timeout * 60
        # What this run changed in AWS, for an error to report.
        self.done: list[str] = []
        # Set once the stack may be changing: from then on Ctrl-C is not "nothing changed".
        self.started = False
        # The stack as last described at the end, for the result.
        self.final: Mapping[str, Any] | None = None
        self._pending: _Pending | None = None
        # Protections turned off for the operation under way, which its end settles.
        self._off: list[Protection] = []

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
            problems = option_problems(options, stage, path)
            stage_file = None
            try:
                stage_file = stage_files.load(
                    path, stage, runtime.environ, needs_secrets=options.mode == "deploy"
                )
            except stage_files.StageFileError as error:
                problems.append(str(error))
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
                    f"{stage_files.shown(path)}: {problem}"
                    for problem in notifications.region_problems(topics, aws.region)
                ]
            if problems or stage_file is None or aws is None:
                raise InputError("\n".join(problems))
        return cls(options, stage_file, aws, out or sys.stdout, err or sys.stderr, runtime)

    @property
    def needs_template(self) -> bool:
        """Only a full deploy sends the local template."""
        return self.options.mode == "deploy"

    def use_template(self, rendered: Rendered) -> None:
        """Take the local render for a full deploy; refused when it is another stage's,
        or too big to pass inline with no bucket named."""
        bucket = self.options.template_bucket or self.stage_file.template_bucket
        check_template(rendered, self.stage.name, bucket)
        self.rendered = rendered
        self.template = json.loads(rendered.body)

    def run(self) -> DeployResult:
        """After prepare() (and use_template() for a full deploy): talk to AWS."""
        step = {
            "deploy": self._deploy,
            "image-tag": self._image_tag,
            "destroy": self._destroy,
            "watch": self._watch,
            "drift": self._drift,
        }[self.options.mode]
        try:
            with aws_errors(DEPLOYER, self.done):
                code = step()
        except Interrupted:
            if not self.started:
                raise
            print(interrupted_while_changing(self.stack_name, self.stage.name), file=self.err)
            code = ExitCode.STILL_CHANGING
        final = self.final or {}
        return DeployResult(
            code, self.stack_name, final.get("StackStatus"), progress.outputs(final)
        )

    def _say(self, *lines: str) -> None:
        say(self.out, *lines)

    def _confirm(self, question: str, accepted: tuple[str, ...]) -> bool | None:
        return confirm(
            question, accepted, yes=self.options.yes, stdin=self.runtime.stdin, out=self.out
        )

    # --- deploy and --image-tag ---------------------------------------------------------

    def _describe(self) -> Mapping[str, Any] | None:
        """The stage's stack, or None; refused when its stage tag names another stage."""
        stack = progress.describe_stack(self.cfn, self.stack_name)
        check_stage_tag(stack, self.stage.name, self.stage_file)
        return stack

    def _deploy(self) -> ExitCode:
        if self.rendered is None:
            raise InputError("a full deploy needs its template: use_template() first")
        stack = self._describe()
        plan = plan_deploy(self.stage, self.stage_file, stack, self.aws.region)
        values = lookups.resolve(self.stage_file, self.aws.client, plan.keep)
        self.done += account_checks.check(
            values,
            self.aws.client,
            creating=plan.kind == CREATE,
            dry_run=self.options.dry_run,
            out=self.out,
            err=self.err,
        )
        request = deploy_request(
            plan, values, self.template, self._template_argument(self.rendered), self.runtime.now()
        )
        return self._through_change_set(request, plan, stack, self.template)

    def _image_tag(self) -> ExitCode:
        tag = self.options.image_tag or ""
        stack = self._describe()
        plan = plan_image_tag(tag, stack, self.stack_name, self.aws.region, self.stage.name)
        template = self._deployed_template(plan.stack_id)
        request = image_tag_request(plan, self.stage.name, tag, template, self.runtime.now())
        return self._through_change_set(request, plan, stack, template)

    def _template_argument(self, rendered: Rendered) -> dict[str, str]:
        if rendered.fits_inline:
            return {"TemplateBody": rendered.minified}
        bucket = self.options.template_bucket or self.stage_file.template_bucket or ""
        try:
            url = change_set.upload_template(
                self.aws.client("s3"), bucket, self.stack_name, rendered.minified
            )
        except ClientError as error:
            if rejects_credentials(error):
                raise  # not the bucket's fault: said as for any other call
            raise InputError(
                f"template_bucket {bucket!r}: cannot upload the template "
                f"({error_code(error)}: {error_message(error)}); "
                f"name a bucket in {self.aws.region} these credentials can write to"
            ) from None
        self._say(f"Uploaded the template to {url}")
        return {"TemplateURL": url}

    def _deployed_template(self, stack_id: str) -> Mapping[str, Any]:
        body = self.cfn.get_template(StackName=stack_id, TemplateStage="Original")["TemplateBody"]
        # botocore hands back a JSON template already parsed.
        template: Mapping[str, Any] = json.loads(body) if isinstance(body, str) else body
        return template

    # --- the change set, from creation to execution -------------------------------------

    def _through_change_set(
        self,
        request: dict[str, Any],
        plan: Plan,
        stack: Mapping[str, Any] | None,
        template: Mapping[str, Any],
    ) -> ExitCode:
        name = request["ChangeSetName"]
        # Until CreateChangeSet answers, what it makes is known by name only: a Ctrl-C
        # during or just after the call must still find it and delete it.
        self._pending = _Pending(name, self.stack_name, plan.kind, plan.creates_stack, by_name=True)
        try:
            try:
                created = self.cfn.create_change_set(**request)
            except ClientError:
                self._pending = None  # refused: AWS made nothing
                raise
            self._pending = _Pending(
                created["Id"], created["StackId"], plan.kind, plan.creates_stack
            )
            self._say(f"Creating change set {name} ({plan.kind} {self.stack_name}) ...")
            ready = change_set.wait(
                self.cfn, created["Id"], self.timeout_seconds, self.runtime.clock.poll_seconds
            )
            outcome = self._review(ready, plan, stack, template)
            if outcome is not None:
                return outcome
            stream = progress.EventStream(self.cfn, created["StackId"])
            stream.start()
            self._execute(name, ready)
            self.started, self._pending = True, None
            self.done.append(f"executed change set {name} on stack {self.stack_name}")
        except change_set.ChangeSetTimeout as error:
            # A failure, not "stopped waiting": nothing was executed, nothing goes on.
            deleted = self._discard()
            again = (
                ": run again, with a longer --timeout if CloudFormation is slow" if deleted else ""
            )
            raise OperationFailed(f"{error}; {discarded(deleted, 'it')}{again}") from None
        except KeyboardInterrupt:
            if self.started:
                raise
            self._say("", f"Interrupted before execution: {discarded(self._discard())}.")
            return ExitCode.NOT_EXECUTED
        except BaseException:
            if not self._discard():
                self.done.append(
                    f"created change set {name}, left behind: the commands above delete it"
                )
            raise
        self._say(f"Executing change set on {self.stack_name} ...")
        return self._follow(stream, plan.kind, template)

    def _execute(self, name: str, ready: change_set.ChangeSet) -> None:
        """ExecuteChangeSet. In a protected stage, a load balancer the update replaces or
        removes has deletion protection, which would make the cleanup at the update's end
        fail to delete it (the stack still ends UPDATE_COMPLETE, the old load balancer
        left running outside it): its protection goes off just before, and back on when
        the update does not run (refused, Ctrl-C) or keeps it (protections.settle)."""
        balancers = (
            [
                protections.balancer(
                    self.aws,
                    f"deletion protection of the old load balancer {c.physical_id}",
                    c.physical_id,
                )
                for c in ready.load_balancers_going
            ]
            if self.stage.protected
            else []
        )
        turned_off: list[Protection] = []
        refused = None
        try:
            try:
                protections.turn_off(balancers, turned_off, self.out)
            except ClientError as error:
                refused = (
                    f"cannot turn off the {balancers[len(turned_off)].what} ({why(error)}), "
                    "so the update's cleanup could not delete it: not executed"
                )
            else:
                try:
                    self.cfn.execute_change_set(ChangeSetName=ready.id)
                except ClientError as error:  # refused: it never started
                    if rejects_credentials(error):
                        raise  # not the change set's fault: said as for any other call
                    refused = f"CloudFormation refused to execute change set {name} ({why(error)})"
        except BaseException:
            # Ctrl-C, or no answer: the update is not known to run, so nothing may stay unprotected.
            protections.turn_on(turned_off, self.out, self.err)
            raise
        if refused:
            protections.turn_on(turned_off, self.out, self.err)
            raise AwsRefused(f"{refused}; {discarded(self._discard())}")
        self._off = balancers

    def _discard(self) -> bool:
        """Leave nothing of this run behind: its change set, and the empty stack of a
        first create that this run made (a stack an earlier run left in review stays).
        Best-effort, since it runs on the way out of an error or a Ctrl-C: what it
        cannot delete is printed with the command that does, and the original error
        still shows. True when nothing is left."""
        pending, self._pending = self._pending, None
        if pending is None:
            return True
        if pending.kind == CREATE and not pending.creates_stack:
            self._say(
                f"Stack {self.stack_name} stays REVIEW_IN_PROGRESS, as an earlier run left it "
                "(with any change set of its own): this run deletes only its own change set."
            )
        region = self.aws.region
        left = [
            f"aws cloudformation delete-change-set {pending.change_set_option} --region {region}"
        ]
        if pending.creates_stack:
            left.append(
                f"aws cloudformation delete-stack --stack-name {pending.stack} --region {region}"
            )
        try:
            try:
                self.cfn.delete_change_set(**pending.change_set_argument)
            except ClientError as error:
                if not _not_found(error):
                    raise
                if pending.by_name:
                    return True  # CreateChangeSet never reached AWS: nothing of ours exists
            left.pop(0)
            if pending.creates_stack:
                # The stack CloudFormation made to hold the change set (REVIEW_IN_PROGRESS).
                self.cfn.delete_stack(StackName=pending.stack)
                left.pop(0)
            return True
        except (ClientError, BotoCoreError, KeyboardInterrupt) as error:
            print(
                f"build.py: the change set could not be deleted ({why(error)}); delete what "
                "is left with:",
                *(f"  {command}" for command in left),
                sep="\n",
                file=self.err,
            )
            return False

    def _review(
        self,
        ready: change_set.ChangeSet,
        plan: Plan,
        stack: Mapping[str, Any] | None,
        template: Mapping[str, Any],
    ) -> ExitCode | None:
        """Show the change set and decide; None means execute it."""
        if ready.state is change_set.ChangeSetState.NO_CHANGES:
            deleted = self._discard()
            self._say(f"No changes: stack {self.stack_name} is up to date.")
            if stack and self.stage.protected:
                self._say(protections.protect(self.aws, ready.stack_id, template))
            if stack:
                self._show_outputs(stack)
            return ExitCode.OK if deleted else ExitCode.FAILED
        if ready.state is not change_set.ChangeSetState.READY:
            raise OperationFailed(
                f"the change set failed ({ready.status}, {ready.execution_status or 'not executable'}): "
                f"{ready.reason or 'no reason given'}; {discarded(self._discard(), 'it')}"
            )
        before = plan.previous if plan.kind == UPDATE else None
        self._say("", *change_set.review(ready, self.stack_name, plan.kind, before), "")
        going = ready.load_balancers_going if self.stage.protected else ()
        if going:
            self._say(*balancer_warning(going, self.stage.name), "")
        reasons = blocked(
            ready,
            plan.kind,
            self.stage,
            allow_replacement=self.options.allow_replacement,
            stack_name=self.stack_name,
            region=self.aws.region,
            stack_policy=lambda: self.cfn.get_stack_policy(StackName=ready.stack_id).get(
                "StackPolicyBody"
            ),
        )
        if reasons:
            self._say(*reasons, sentence(discarded(self._discard())))
            return ExitCode.BLOCKED
        if self.options.dry_run:
            deleted = self._discard()
            self._say(f"Dry run: {discarded(deleted)}.")
            return ExitCode.OK if deleted else ExitCode.FAILED
        answer = self._confirm(
            f"Execute this change set on {self.stack_name}? [y/N] ", ("y", "yes")
        )
        if answer is None:
            self._say(
                *not_executed_lines(
                    ready.id,
                    self.stack_name,
                    self.aws.region,
                    creates_stack=bool(self._pending and self._pending.creates_stack),
                    going=going,
                    stage=self.stage.name,
                    protected=self.stage.protected,
                )
            )
            return ExitCode.NOT_EXECUTED
        if not answer:
            self._say(f"Not executed: {discarded(self._discard())}.")
            return ExitCode.NOT_EXECUTED
        return None

    # --- following the stack to its end -------------------------------------------------

    def _follow(
        self, stream: progress.EventStream, operation: str, template: Mapping[str, Any] | None
    ) -> ExitCode:
        view = view_for(self.out)
        beside = (
            None
            if operation == DELETE
            else service_health.ServiceEvents(
                self.aws.client("ecs"), self.aws.client("logs"), self.options.timeout
            )
        )
        try:
            final = progress.watch(
                self.cfn, stream, view, self.runtime.clock, self.timeout_seconds, beside
            )
        except KeyboardInterrupt:
            return self._stopped(stream, operation, template, "interrupted")
        except progress.WatchTimeout:
            timed_out = f"timed out after {self.options.timeout} minute(s)"
            return self._stopped(stream, operation, template, timed_out)
        except (ClientError, BotoCoreError) as error:
            # Expired credentials, say: the operation goes on whatever we can read.
            return self._stopped(
                stream, operation, template, f"AWS error: {why(error)}", aws_error=True
            )
        return self._finish(final, stream, operation, template)

    def _stopped(
        self,
        stream: progress.EventStream,
        operation: str,
        template: Mapping[str, Any] | None,
        reason: str,
        aws_error: bool = False,
    ) -> ExitCode:
        try:
            stack = progress.describe_stack(self.cfn, stream.stack_id) or {}
        except (ClientError, BotoCoreError):
            stack = {}
        status = stack.get("StackStatus")
        if status and progress.is_final(status):
            return self._finish(stack, stream, operation, template)
        message = stopped_waiting(
            reason,
            self.stack_name,
            status,
            operation=operation,
            stage=self.stage.name,
            region=self.aws.region,
            protected=self.stage.protected,
            aws_error=aws_error,
            still_off=[(p.what, p.command) for p in self._off],
        )
        print(message, file=self.err)
        return ExitCode.STILL_CHANGING

    def _finish(
        self,
        final: Mapping[str, Any],
        stream: progress.EventStream,
        operation: str,
        template: Mapping[str, Any] | None,
    ) -> ExitCode:
        self.final = final
        status = final["StackStatus"]
        if status in progress.SUCCEEDED:
            self._say("", f"Stack {self.stack_name}: {status}.")
        if operation != DELETE:
            off, self._off = self._off, []
            protections.settle(
                off, stream.seen, status, self.stack_name, self.aws.region, self.out, self.err
            )
        # Also after a rolled-back update: it may follow a policy lifted for a replacement.
        protect = self.stage.protected and operation != DELETE
        if protect and status in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"):
            deployed = template or self._deployed_template(final["StackId"])
            self._say(protections.protect(self.aws, final["StackId"], deployed))
        if status in progress.SUCCEEDED:
            if operation == DELETE:
                return ExitCode.OK
            return self._verified(final) if status in VERIFIED_AFTER else self._show_outputs(final)
        next_step = STUCK.get(status, "").format(name=self.stack_name, stage=self.stage.name)
        lines = failure_lines(
            operation,
            self.stack_name,
            status,
            progress.root_causes(stream.seen),
            final.get("StackStatusReason", ""),
            next_step,
        )
        print("\n".join(lines), file=self.err)
        return ExitCode.FAILED

    def _show_outputs(
        self, stack: Mapping[str, Any], verified: Mapping[str, str] | None = None
    ) -> ExitCode:
        self.final = stack
        outputs = progress.outputs(stack)
        self._say(*output_lines(outputs))
        if self.options.outputs_json:
            recorded = {**outputs, **(verified or {})}
            self.options.outputs_json.write_text(
                json.dumps(recorded, indent=2, sort_keys=True) + "\n"
            )
            self._say(f"Outputs written to {self.options.outputs_json}")
        return ExitCode.OK

    def _verified(self, stack: Mapping[str, Any]) -> ExitCode:
        """After a create or update ends complete: the service runs what was deployed, or
        the deploy failed (service_health). Bounded by VERIFY_SECONDS and --timeout."""
        expected = service_health.Expected.from_outputs(progress.outputs(stack))
        if expected is None:
            self._say(
                f"Service not checked: stack {self.stack_name} lacks the outputs "
                f"{', '.join(service_health.OUTPUTS)}."
            )
            return self._show_outputs(stack)
        reader = service_health.Reader(
            self.aws.client("ecs"),
            self.aws.client("elbv2"),
            self.aws.client("logs"),
            expected,
        )
        bound = min(service_health.VERIFY_SECONDS, self.timeout_seconds)
        self._say(f"Checking service {expected.service} ...")
        try:
            report = service_health.verify(reader, self.runtime.clock, bound)
        except KeyboardInterrupt:
            print(
                f"\nbuild.py: interrupted: stack {self.stack_name} is "
                f"{stack['StackStatus']}, service {expected.service} not checked: "
                f"check it with build.py --stage {self.stage.name} --watch",
                file=self.err,
            )
            self.final = stack
            return ExitCode.INTERRUPTED
        except (ClientError, BotoCoreError) as error:
            print(
                f"build.py: error: stack {self.stack_name} is {stack['StackStatus']}, but "
                f"service {expected.service} could not be checked ({why(error)}); the "
                "permissions in docs/deploying.md include the reads it needs",
                file=self.err,
            )
            self.final = stack
            return ExitCode.FAILED
        lines = service_lines(report, expected.service, self.stage.name)
        if not report.verdict.ok:
            self.final = stack
            print("\n".join(lines), file=self.err)
            return ExitCode.FAILED
        self._say(*lines)
        return self._show_outputs(stack, report.verdict.outputs())

    # --- watch and destroy --------------------------------------------------------------

    def _watch(self) -> ExitCode:
        stack = self._describe()
        if stack is None:
            raise InputError(
                f"--watch: stack {self.stack_name} does not exist in {self.aws.region}"
            )
        status = stack["StackStatus"]
        operation = watched_operation(status)
        stream = progress.EventStream(self.cfn, stack["StackId"])
        if status == "REVIEW_IN_PROGRESS":
            self._say(
                f"Stack {self.stack_name} is {status}: a change set waits for review "
                "(execute or delete it, or deploy again)."
            )
            return ExitCode.NOT_EXECUTED
        if progress.is_final(status):
            return self._finish(stack, stream, operation, None)
        self._say(f"Watching {self.stack_name} ({status}) ...")
        stream.start()
        return self._follow(stream, operation, None)

    def _drift(self) -> ExitCode:
        """Detect drift on the deployed stack and say what differs (drift.py)."""
        stack = self._describe()
        region = self.aws.region
        if stack is None:
            raise InputError(f"--drift: stack {self.stack_name} does not exist in {region}")
        status = stack["StackStatus"]
        if status.endswith("_IN_PROGRESS"):  # REVIEW_IN_PROGRESS too
            raise InputError(
                f"--drift: stack {self.stack_name} in {region} is {status}: "
                + (
                    "it has no resources yet (deploy it, or delete the change set)"
                    if status == "REVIEW_IN_PROGRESS"
                    else f"wait for it (build.py --stage {self.stage.name} --watch), then run again"
                )
            )
        self._say(f"Detecting drift on stack {self.stack_name} ({status}) ...")
        try:
            report = drift.detect(self.cfn, stack, self.runtime.clock, self.timeout_seconds)
        except drift.DriftTimeout as error:
            raise OperationFailed(
                f"{error} after {self.options.timeout} minute(s): run again, with a longer "
                "--timeout (it changes nothing)"
            ) from None
        self._say(*drift.lines(report))
        return report.exit_code

    def _destroy(self) -> ExitCode:
        stack = self._describe()
        region = self.aws.region
        if stack is None:
            self._say(f"Stack {self.stack_name} does not exist in {region}: nothing to destroy.")
            return ExitCode.OK
        check_destroyable(stack, self.stage, self.stack_name, region)
        status, stack_id = stack["StackStatus"], stack["StackId"]
        resources = [] if status == "REVIEW_IN_PROGRESS" else self._resources(stack_id)
        keeps = kept(resources)
        self._say(
            f"Destroying stack {self.stack_name} in {region} ({status}) deletes "
            f"its {len(resources)} resource(s)."
        )
        if keeps:
            self._say("Kept after the delete (their DeletionPolicy):", *kept_lines(keeps, KEPT))
        answer = self._confirm(*destroy_confirmation(self.stage, self.stack_name))
        if not answer:
            reason = "no terminal to ask and no --yes" if answer is None else "not confirmed"
            self._say(f"Not deleted: {reason}.")
            return ExitCode.NOT_EXECUTED
        stream = progress.EventStream(self.cfn, stack_id)
        stream.start()
        switches = (
            protections.for_destroy(self.aws, stack_id, self.stack_name, resources)
            if self.stage.protected
            else []
        )
        turned_off: list[Protection] = []
        try:
            # Only now, after --confirm-prod-destroy and the confirmation.
            protections.turn_off(switches, turned_off, self.out)
            self.cfn.delete_stack(StackName=stack_id)
        except BaseException:
            # The delete was never sent: nothing may stay unprotected, whatever stopped us.
            protections.turn_on(turned_off, self.out, self.err)
            raise
        self.started = True  # from here on the stack may change
        self.done.append(f"started deleting stack {self.stack_name}")
        self._off = turned_off
        self._say(f"Deleting {self.stack_name} ...")
        code = self._follow(stream, DELETE, None)
        if code == ExitCode.FAILED:
            # The template would never turn them back on: it did not change.
            protections.turn_on(switches, self.out, self.err)
        if code == ExitCode.OK and keeps:
            self._say(*destroyed_lines(keeps, KEPT, region))
        return code

    def _resources(self, stack_id: str) -> list[dict[str, str]]:
        """The stack's live resources, each with its DeletionPolicy in the deployed template."""
        template = self._deployed_template(stack_id)
        pages = self.cfn.get_paginator("list_stack_resources").paginate(StackName=stack_id)
        summaries = [r for page in pages for r in page["StackResourceSummaries"]]
        return resources_with_policies(template, summaries)


# A create or update that ends so is checked against the service (service_health).
VERIFIED_AFTER = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE"})


def _not_found(error: ClientError) -> bool:
    """A change set, or the stack that holds it, that is not there (any more)."""
    code, message = error_code(error), error_message(error)
    return code == "ChangeSetNotFound" or (
        code == "ValidationError" and "does not exist" in message
    )
