"""Deploying a stage as a reviewed change set, the way Terraform's plan/apply,
cdk deploy, Sceptre and rain do: validate every input before calling AWS, create
a change set, show it (stateful replacements apart and loudly), execute only on
an interactive yes or --yes, stream the stack's events, and end with the
outputs or the root cause. Also --image-tag (a pipeline's image-only update),
--destroy and --watch. docs/deploying.md describes the flags and exit codes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from . import __version__, account_checks, change_set, lookups, progress
from . import stage_file as stage_files
from .aws_session import AwsSetupError, client, make_session
from .naming import stack_tags
from .parameters import SPECS, SPECS_BY_KEY
from .render import Rendered
from .stages import get_stage

if TYPE_CHECKING:
    import boto3


class ExitCode(IntEnum):
    OK = 0  # deployed, no changes, dry run, or destroyed
    FAILED = 1  # lint findings (cli.py), or the deploy failed or rolled back
    BAD_INPUT = 2  # arguments, stage file, credentials, region, bucket, look-ups, stack state
    NOT_EXECUTED = 3  # change set created but not executed; a destroy not confirmed
    BLOCKED = 4  # a stateful resource would be replaced or removed
    STILL_CHANGING = 5  # timed out or interrupted while the stack is still changing
    INTERRUPTED = 130  # Ctrl-C before anything was created (the shell's convention)


CREATE, UPDATE, DELETE = "CREATE", "UPDATE", "DELETE"
DEFAULT_TIMEOUT_MINUTES = 60
MAX_TIMEOUT_MINUTES = 24 * 60
# Stacks a change set of type UPDATE can start from.
UPDATABLE = frozenset(
    {
        "CREATE_COMPLETE",
        "UPDATE_COMPLETE",
        "UPDATE_ROLLBACK_COMPLETE",
        "IMPORT_COMPLETE",
        "IMPORT_ROLLBACK_COMPLETE",
    }
)
# What happened, and what the operator does, for each state a deploy cannot start from.
STUCK = {
    "ROLLBACK_COMPLETE": "its first create failed and was rolled back; such a stack holds "
    "nothing and cannot be updated. See why with `aws cloudformation describe-stack-events "
    "--stack-name {name}`, delete it with `build.py --stage {stage} --destroy`, then deploy again",
    "ROLLBACK_FAILED": "its first create failed and so did the rollback; delete it with "
    "`build.py --stage {stage} --destroy` (resources that cannot be deleted are named in its "
    "events), then deploy again",
    "CREATE_FAILED": "its create failed with rollback disabled; delete it with "
    "`build.py --stage {stage} --destroy`, then deploy again",
    "UPDATE_FAILED": "an update failed with rollback disabled; roll it back with "
    "`aws cloudformation rollback-stack --stack-name {name}`, then deploy again",
    "UPDATE_ROLLBACK_FAILED": "an update failed and its rollback failed too; finish the "
    "rollback with `aws cloudformation continue-update-rollback --stack-name {name}` (add "
    "--resources-to-skip for resources that cannot roll back), wait for "
    "UPDATE_ROLLBACK_COMPLETE, then deploy again",
    "IMPORT_ROLLBACK_FAILED": "an import failed and its rollback failed too; finish the "
    "rollback with `aws cloudformation continue-update-rollback --stack-name {name}`, "
    "then deploy again",
    "DELETE_FAILED": "a delete failed; see why with `aws cloudformation describe-stack-events "
    "--stack-name {name}`, fix it and run `build.py --stage {stage} --destroy` again",
}
IN_PROGRESS = (
    "another operation is running; wait for it with `build.py --stage {stage} --watch` "
    "and deploy again"
)
# Errors that say a resource is already gone.
GONE = frozenset({"DBClusterNotFoundFault", "LoadBalancerNotFound"})
# DeletionPolicy values that leave something behind.
KEPT = {"Retain": "kept", "RetainExceptOnCreate": "kept", "Snapshot": "final snapshot kept"}
# Stage-file keys an UPDATE leaves at the stack's value unless the file sets them: the
# tag a pipeline moves with --image-tag, and the database's zones, which a look-up
# could reorder with the subnets (a named DB instance cannot move to another zone).
KEPT_UNLESS_GIVEN = ("container_image_tag", "database_availability_zones")
WAIT_COMMANDS = {
    CREATE: "stack-create-complete",
    UPDATE: "stack-update-complete",
    DELETE: "stack-delete-complete",
    "IMPORT": "stack-import-complete",
}


class DeployError(Exception):
    """The deploy cannot go on; the message says why and what to do."""

    exit_code = ExitCode.FAILED


class InputError(DeployError):
    """Bad arguments, stage file, credentials or stack state: nothing was created."""

    exit_code = ExitCode.BAD_INPUT


class Aws:
    """One session's clients, each made on first use."""

    def __init__(self, session: boto3.Session) -> None:
        self.session = session
        self.region: str = session.region_name
        self._clients: dict[str, Any] = {}

    @classmethod
    def connect(cls, profile: str | None, region: str | None) -> Aws:
        return cls(make_session(profile, region))

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = client(self.session, service)
        return self._clients[service]


@dataclass(frozen=True)
class Pending:
    """A change set this run created, or may have, and has not executed."""

    change_set: str  # its id; its name until CreateChangeSet answers
    stack: str  # likewise the stack's id or name
    kind: str
    # This run's CreateChangeSet made the stack (REVIEW_IN_PROGRESS) that holds the
    # change set: discarding deletes it too. A stack an earlier run left in review
    # stays, with its change sets: a run deletes only what it created.
    creates_stack: bool
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


@dataclass(frozen=True)
class Protection:
    """One protection that a prod destroy turns off, and back on if the delete fails;
    or the deletion protection of a load balancer that a prod update replaces."""

    what: str
    switch: Callable[[bool], Any]  # on (True) or off
    command: str  # the AWS CLI command that turns it on
    physical_id: str = ""  # the protected resource's, when it is one


@dataclass
class Runtime:
    """What a deploy takes from the process; tests replace each piece."""

    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    connect: Callable[[str | None, str | None], Aws] = Aws.connect
    clock: progress.Clock = field(
        default_factory=lambda: progress.Clock(sleep=time.sleep, monotonic=time.monotonic)
    )
    now: Callable[[], datetime] = lambda: datetime.now(UTC)


# --- arguments ---------------------------------------------------------------------


def _timeout(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_TIMEOUT_MINUTES:
        raise argparse.ArgumentTypeError(
            f"must be a whole number of minutes from 1 to {MAX_TIMEOUT_MINUTES}, not {text!r}"
        )
    return int(text)


def _image_tag(text: str) -> str:
    allowed = SPECS_BY_KEY["container_image_tag"].check(text)
    if allowed:
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed: must be {allowed}")
    return text


def _matching(pattern) -> Callable[[str], str]:
    def check(text: str) -> str:
        if not pattern.matches(text):
            raise argparse.ArgumentTypeError(f"{text!r} is not allowed: must be {pattern.allowed}")
        return text

    return check


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Deploy flags; build.py shows them in --help."""
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
        type=_matching(stage_files.PROFILE),
        metavar="NAME",
        help="AWS CLI profile (default: the stage file's, else the AWS CLI's)",
    )
    add(
        "--region",
        type=_matching(stage_files.REGION),
        metavar="REGION",
        help="AWS region (default: the stage file's, else the AWS CLI's)",
    )
    add(
        "--template-bucket",
        type=_matching(stage_files.BUCKET),
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
        type=_timeout,
        default=DEFAULT_TIMEOUT_MINUTES,
        metavar="MINUTES",
        help=f"stop waiting after this long (default: {DEFAULT_TIMEOUT_MINUTES})",
    )
    add("--outputs-json", type=Path, metavar="FILE", help="also write the stack outputs here")
    mode = group.add_mutually_exclusive_group()
    mode.add_argument(
        "--image-tag",
        type=_image_tag,
        metavar="TAG",
        help="change only the image tag of the deployed stack",
    )
    mode.add_argument("--destroy", action="store_true", help="delete the stage's stack")
    mode.add_argument(
        "--watch", action="store_true", help="follow a stack operation already running, to its end"
    )
    add(
        "--confirm-prod-destroy",
        action="store_true",
        help="with --destroy: yes, delete the production stack",
    )


def prepare(
    args: argparse.Namespace, out: TextIO, err: TextIO, *, runtime: Runtime | None = None
) -> Deployment | int:
    """Every local input checked before anything is rendered (the flags, the stage file,
    the paths the run writes, a region and credentials), each problem reported at
    once: the Deployment, ready for its template, or the exit code of the refusal."""
    deployment = Deployment(args, out, err, runtime or Runtime())
    code = deployment.guarded(deployment.prepare)
    return deployment if code is None else code


def run(
    args: argparse.Namespace,
    rendered: Rendered | None,
    out: TextIO,
    err: TextIO,
    *,
    runtime: Runtime | None = None,
) -> int:
    """Check the inputs, then deploy `rendered` (None for the modes that act on the
    stack as deployed: --image-tag, --destroy, --watch)."""
    deployment = prepare(args, out, err, runtime=runtime)
    if isinstance(deployment, int):
        return deployment
    if deployment.needs_template:
        assert rendered is not None
        code = deployment.use_template(rendered)
        if code is not None:
            return code
    return deployment.run()


# --- the flow ----------------------------------------------------------------------


class Deployment:
    def __init__(
        self,
        args: argparse.Namespace,
        out: TextIO,
        err: TextIO,
        runtime: Runtime,
    ) -> None:
        self.args = args
        self.out = out
        self.err = err
        self.runtime = runtime
        self.stage = get_stage(args.stage)
        # The local render: a full deploy's only (use_template); the other modes act
        # on the stack's deployed template.
        self.rendered: Rendered | None = None
        self.template: Mapping[str, Any] = {}
        self.timeout_seconds = args.timeout * 60
        # Set once the stack may be changing: from then on Ctrl-C is not "nothing changed".
        self.started = False
        # Protections turned off for the operation under way, which its end settles.
        self._off: list[Protection] = []

    @property
    def mode(self) -> str:
        if self.args.destroy:
            return "destroy"
        if self.args.watch:
            return "watch"
        return "image-tag" if self.args.image_tag else "deploy"

    @property
    def needs_template(self) -> bool:
        """Only a full deploy sends the local template."""
        return self.mode == "deploy"

    def say(self, *lines: str) -> None:
        for line in lines:
            print(line, file=self.out, flush=True)

    def guarded(self, step: Callable[[], int | None]) -> int | None:
        """Run one step of the deploy; an error or a Ctrl-C becomes its message and exit code."""
        err = self.err
        try:
            return step()
        except (InputError, lookups.LookupFailed, account_checks.AccountNotReady) as error:
            print(f"build.py: error: {error}".replace("\n", "\nbuild.py: error: "), file=err)
            if getattr(error, "details", ""):  # printed as is, to be copied
                print(error.details, file=err)
            print("build.py: nothing was created or changed", file=err)
            return ExitCode.BAD_INPUT
        except DeployError as error:
            print(f"build.py: error: {error}", file=err)
            return error.exit_code
        except (ClientError, BotoCoreError) as error:
            print(f"build.py: error: AWS: {error}", file=err)
            return ExitCode.FAILED
        except KeyboardInterrupt:
            if self.started:
                print(
                    f"\nbuild.py: interrupted; stack {self.stack_name} may still be changing: "
                    f"follow it with build.py --stage {self.stage.name} --watch",
                    file=err,
                )
                return ExitCode.STILL_CHANGING
            print("\nbuild.py: interrupted before anything changed", file=err)
            return ExitCode.INTERRUPTED

    def use_template(self, rendered: Rendered) -> int | None:
        """Take the local render for a full deploy; refused (exit 2) when it is too big
        to pass inline and no bucket is named."""
        return self.guarded(lambda: self._use_template(rendered))

    def run(self) -> int:
        """After prepare() (and use_template() for a full deploy): talk to AWS."""
        code = self.guarded(
            {
                "deploy": self.deploy,
                "image-tag": self.image_tag,
                "destroy": self.destroy,
                "watch": self.watch,
            }[self.mode]
        )
        assert code is not None
        return code

    # --- inputs, all checked before any AWS call --------------------------------

    def _flag_problems(self, stage_file: Path) -> list[str]:
        args, problems = self.args, []
        if self.mode in ("destroy", "watch"):
            for flag, given in (
                ("--dry-run", args.dry_run),
                ("--allow-replacement", args.allow_replacement),
            ):
                if given:
                    problems.append(f"{flag}: not with --{self.mode}; it applies to a change set")
        if args.confirm_prod_destroy and not args.destroy:
            problems.append("--confirm-prod-destroy: only with --destroy")
        elif args.confirm_prod_destroy and not self.stage.protected:
            problems.append(
                f"--confirm-prod-destroy: only for prod; --destroy alone deletes {self.stage.name}"
            )
        if args.destroy and self.stage.protected and not args.confirm_prod_destroy:
            problems.append(
                f"--destroy: {self.stage.name} is a protected stage; add --confirm-prod-destroy "
                "to delete its stack (the bucket, secrets and a final database snapshot are kept)"
            )
        if args.outputs_json is not None:
            if args.destroy:
                problems.append("--outputs-json: a destroyed stack has no outputs")
            else:
                problem = _unwritable(args.outputs_json, stage_file)
                if problem:
                    problems.append(f"--outputs-json {args.outputs_json}: {problem}")
        return problems

    def prepare(self) -> None:
        """Every local input, before anything is rendered; every problem reported at once."""
        path = self.args.stage_file or stage_files.default_path(self.stage.name)
        problems = self._flag_problems(path)
        self.stage_file: stage_files.StageFile | None = None
        try:
            self.stage_file = stage_files.load(
                path, self.stage.name, self.runtime.environ, needs_secrets=self.mode == "deploy"
            )
        except stage_files.StageFileError as error:
            problems.append(str(error))
        settings = self.stage_file
        profile, region = (
            (settings.profile, settings.region) if settings else stage_files.session_keys(path)
        )
        try:
            self.aws = self.runtime.connect(
                self.args.profile or profile, self.args.region or region
            )
        except AwsSetupError as error:
            problems.append(str(error))
        if problems:
            raise InputError("\n".join(problems))
        assert self.stage_file is not None
        self.cfn = self.aws.client("cloudformation")
        self.stack_name = self.stage_file.stack_name

    def _use_template(self, rendered: Rendered) -> None:
        assert self.stage_file is not None
        assert rendered.stage == self.stage.name
        if not rendered.fits_inline and not (
            self.args.template_bucket or self.stage_file.template_bucket
        ):
            raise InputError(
                f"the {self.stage.name} template is {len(rendered.minified.encode()):,} "
                "bytes, over CloudFormation's 51,200-byte inline limit: name an S3 bucket in "
                "the stack's region with --template-bucket or template_bucket in the stage file"
            )
        self.rendered = rendered
        self.template = json.loads(rendered.body)

    # --- deploy -------------------------------------------------------------------

    def _describe(self) -> Mapping[str, Any] | None:
        """The stage's stack, refused when its stage tag says it belongs to another stage
        (a stack_name copied between stage files must not cross stages)."""
        stack = progress.describe_stack(self.cfn, self.stack_name)
        tags = {t["Key"]: t["Value"] for t in (stack or {}).get("Tags", [])}
        if tags.get("stage", self.stage.name) != self.stage.name:
            raise InputError(
                f"stack {self.stack_name} belongs to stage {tags['stage']!r} (its stage tag), "
                f"not {self.stage.name}: check stack_name in {stage_files.shown(self.stage_file.path)}"
            )
        return stack

    def _change_set_type(self, stack: Mapping[str, Any] | None) -> str:
        """CREATE or UPDATE from the stack's state; refuses a state it cannot start from."""
        status = stack["StackStatus"] if stack else None
        # A deleted stack is only visible by id; by name it is simply absent.
        if status in (None, "REVIEW_IN_PROGRESS", "DELETE_COMPLETE"):
            return CREATE
        if status in UPDATABLE:
            return UPDATE
        hint = STUCK.get(status) or IN_PROGRESS
        reason = f" ({stack['StackStatusReason']})" if stack.get("StackStatusReason") else ""
        raise InputError(
            f"stack {self.stack_name} in {self.aws.region} is {status}{reason}: "
            + hint.format(name=self.stack_name, stage=self.stage.name)
        )

    def deploy(self) -> int:
        stack = self._describe()
        kind = self._change_set_type(stack)
        previous = _parameters(stack) if kind == UPDATE else {}
        self._check_key_choice(previous)
        keep = [
            key
            for key in KEPT_UNLESS_GIVEN
            if SPECS_BY_KEY[key].name in previous and key not in self.stage_file.given
        ]
        values = lookups.resolve(self.stage_file, self.aws.client, keep)
        account_checks.check(
            values,
            self.aws.client,
            creating=kind == CREATE,
            dry_run=self.args.dry_run,
            out=self.out,
            err=self.err,
        )
        kept = {SPECS_BY_KEY[key].name for key in keep}
        sent = values.cloudformation_parameters()
        parameters = [
            {"ParameterKey": spec.name, "UsePreviousValue": True}
            if spec.name in kept
            else {"ParameterKey": spec.name, "ParameterValue": sent[spec.name]}
            for spec in SPECS
            if spec.name in kept or spec.name in sent
        ]
        request = {
            "StackName": self.stack_name,
            "ChangeSetName": self._change_set_name(),
            "ChangeSetType": kind,
            **self._template_argument(),
            "Parameters": parameters,
            "Capabilities": change_set.required_capabilities(self.template),
            "Tags": [
                {"Key": k, "Value": v}
                for k, v in stack_tags(self.stage.name, values.app_name).items()
            ],
            "Description": self._description(),
        }
        return self._through_change_set(request, kind, stack, self.template)

    def _check_key_choice(self, previous: Mapping[str, str]) -> None:
        """Refuse an update that switches the customer-managed key: it changes the database
        cluster's KmsKeyId, which replaces the named cluster, and CloudFormation refuses
        that replacement and rolls back."""
        was, now = previous.get("CustomerManagedKey"), self.stage_file.value("customer_managed_key")
        if was is None or was == now:
            return
        source = "" if "customer_managed_key" in self.stage_file.given else " (the default)"
        raise InputError(
            f"{stage_files.shown(self.stage_file.path)}: customer_managed_key = {now}{source}, but "
            f"stack {self.stack_name} has CustomerManagedKey {was}. The key choice is made when "
            "the stack is created: switching it would replace the named database cluster "
            "(its KmsKeyId), which CloudFormation refuses. To keep the stack's choice, set "
            f"customer_managed_key back to {was}"
        )

    def image_tag(self) -> int:
        tag = self.args.image_tag
        stack = self._describe()
        if stack is None or stack["StackStatus"] == "REVIEW_IN_PROGRESS":
            raise InputError(
                f"--image-tag {tag}: stack {self.stack_name} does not exist in "
                f"{self.aws.region}; deploy the stage once without --image-tag first"
            )
        self._change_set_type(stack)
        previous = _parameters(stack)
        if "ContainerImageTag" not in previous:
            raise InputError(
                f"--image-tag {tag}: stack {self.stack_name} has no ContainerImageTag parameter; "
                "deploy the stage once without --image-tag first"
            )
        template = self._deployed_template(stack["StackId"])
        request = {
            "StackName": self.stack_name,
            "ChangeSetName": self._change_set_name(),
            "ChangeSetType": UPDATE,
            "UsePreviousTemplate": True,
            "Parameters": [
                {"ParameterKey": key, "ParameterValue": tag}
                if key == "ContainerImageTag"
                else {"ParameterKey": key, "UsePreviousValue": True}
                for key in previous
            ],
            "Capabilities": change_set.required_capabilities(template),
            # No Tags: the stack keeps the ones it has.
            "Description": self._description(),
        }
        return self._through_change_set(request, UPDATE, stack, template)

    def _change_set_name(self) -> str:
        return f"planar-{self.stage.name}-{self.runtime.now():%Y%m%d-%H%M%S}"

    def _description(self) -> str:
        what = f" --image-tag {self.args.image_tag}" if self.args.image_tag else ""
        return f"build.py --stage {self.stage.name}{what} (planar-cfn {__version__})"

    def _template_argument(self) -> dict[str, str]:
        assert self.rendered is not None
        if self.rendered.fits_inline:
            return {"TemplateBody": self.rendered.minified}
        bucket = self.args.template_bucket or self.stage_file.template_bucket
        try:
            url = change_set.upload_template(
                self.aws.client("s3"), bucket, self.stack_name, self.rendered.minified
            )
        except ClientError as error:
            raise InputError(
                f"template_bucket {bucket!r}: cannot upload the template "
                f"({error.response['Error'].get('Code')}: {error.response['Error'].get('Message')}); "
                f"name a bucket in {self.aws.region} these credentials can write to"
            ) from None
        self.say(f"Uploaded the template to {url}")
        return {"TemplateURL": url}

    def _deployed_template(self, stack_id: str) -> Mapping[str, Any]:
        body = self.cfn.get_template(StackName=stack_id, TemplateStage="Original")["TemplateBody"]
        # botocore hands back a JSON template already parsed.
        return json.loads(body) if isinstance(body, str) else body

    # --- the change set, from creation to execution ---------------------------------

    def _through_change_set(
        self, request: dict, kind: str, stack: Mapping[str, Any] | None, template: Mapping
    ) -> int:
        # A CREATE change set makes its stack, unless an earlier run left one in review.
        creates_stack = kind == CREATE and (
            stack is None or stack["StackStatus"] == "DELETE_COMPLETE"
        )
        # Until CreateChangeSet answers, what it makes is known by name only: a Ctrl-C
        # during or just after the call must still find it and delete it.
        self._pending = Pending(
            request["ChangeSetName"], self.stack_name, kind, creates_stack, by_name=True
        )
        try:
            try:
                created = self.cfn.create_change_set(**request)
            except ClientError:
                self._pending = None  # refused: AWS made nothing
                raise
            self._pending = Pending(created["Id"], created["StackId"], kind, creates_stack)
            self.say(
                f"Creating change set {request['ChangeSetName']} ({kind} {self.stack_name}) ..."
            )
            ready = change_set.wait(
                self.cfn, created["Id"], self.timeout_seconds, self.runtime.clock.poll_seconds
            )
            outcome = self._review(ready, kind, stack, template)
            if outcome is not None:
                return outcome
            stream = progress.EventStream(self.cfn, created["StackId"])
            stream.start()
            self._execute(request["ChangeSetName"], ready)
            self.started, self._pending = True, None
        except change_set.ChangeSetTimeout as error:
            # A failure, not "stopped waiting": nothing was executed, nothing goes on.
            deleted = self._discard()
            again = (
                ": run again, with a longer --timeout if CloudFormation is slow" if deleted else ""
            )
            raise DeployError(f"{error}; {_discarded(deleted, 'it')}{again}") from None
        except KeyboardInterrupt:
            if self.started:
                raise
            self.say("", f"Interrupted before execution: {_discarded(self._discard())}.")
            return ExitCode.NOT_EXECUTED
        except BaseException:
            self._discard()
            raise
        self.say(f"Executing change set on {self.stack_name} ...")
        return self._follow(stream, kind, template)

    def _execute(self, name: str, ready: change_set.ChangeSet) -> None:
        """ExecuteChangeSet. In a protected stage, a load balancer the update replaces or
        removes has deletion protection, which would make the cleanup at the update's end
        fail to delete it (the stack still ends UPDATE_COMPLETE, the old load balancer
        left running outside it): its protection goes off just before, and back on when
        the update does not run (refused, Ctrl-C) or keeps it (_settle)."""
        balancers = (
            [
                self._balancer_protection(
                    f"deletion protection of the old load balancer {c.physical_id}", c.physical_id
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
                self._turn_off(balancers, turned_off)
            except ClientError as error:
                refused = (
                    f"cannot turn off the {balancers[len(turned_off)].what} ({_why(error)}), "
                    "so the update's cleanup could not delete it: not executed"
                )
            else:
                try:
                    self.cfn.execute_change_set(ChangeSetName=ready.id)
                except ClientError as error:  # refused: it never started
                    refused = f"CloudFormation refused to execute change set {name} ({_why(error)})"
        except BaseException:
            # Ctrl-C, or no answer: the update is not known to run, so nothing may stay unprotected.
            self._turn_on(turned_off)
            raise
        if refused:
            self._turn_on(turned_off)
            raise DeployError(f"{refused}; {_discarded(self._discard())}")
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
            self.say(
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
                f"build.py: the change set could not be deleted ({_why(error)}); delete what "
                "is left with:",
                *(f"  {command}" for command in left),
                sep="\n",
                file=self.err,
            )
            return False

    def _review(
        self,
        ready: change_set.ChangeSet,
        kind: str,
        stack: Mapping[str, Any] | None,
        template: Mapping[str, Any],
    ) -> int | None:
        """Show the change set and decide; None means execute it."""
        if ready.state is change_set.ChangeSetState.NO_CHANGES:
            deleted = self._discard()
            self.say(f"No changes: stack {self.stack_name} is up to date.")
            if stack and self.stage.protected:
                self._protect(ready.stack_id, template)
            if stack:
                self._show_outputs(stack)
            return ExitCode.OK if deleted else ExitCode.FAILED
        if ready.state is not change_set.ChangeSetState.READY:
            raise DeployError(
                f"the change set failed ({ready.status}, {ready.execution_status or 'not executable'}): "
                f"{ready.reason or 'no reason given'}; {_discarded(self._discard(), 'it')}"
            )
        before = _parameters(stack) if kind == UPDATE else None
        self.say("", *change_set.review(ready, self.stack_name, kind, before), "")
        going = ready.load_balancers_going if self.stage.protected else ()
        if going:
            self.say(*_balancer_warning(going, self.stage.name), "")
        blocked = self._blocked(ready, kind)
        if blocked:
            self.say(*blocked, _sentence(_discarded(self._discard())))
            return ExitCode.BLOCKED
        if self.args.dry_run:
            deleted = self._discard()
            self.say(f"Dry run: {_discarded(deleted)}.")
            return ExitCode.OK if deleted else ExitCode.FAILED
        answer = self._confirm(
            f"Execute this change set on {self.stack_name}? [y/N] ", ("y", "yes")
        )
        if answer is None:
            region = self.aws.region
            self.say(
                "Not executed: no terminal to ask and no --yes. The change set is kept for review:",
                f"  execute: aws cloudformation execute-change-set --change-set-name {ready.id} --region {region}",
                f"  discard: aws cloudformation delete-change-set --change-set-name {ready.id} --region {region}",
            )
            if self._pending and self._pending.creates_stack:
                self.say(
                    f"           aws cloudformation delete-stack --stack-name {self.stack_name} --region {region}"
                )
            if going:
                self.say(
                    "Before executing it, turn off the deletion protection of the old load "
                    "balancer, or the update leaves it behind:"
                )
                self.say(*(f"  {_balancer_command(c.physical_id, False, region)}" for c in going))
            if self.stage.protected:
                self.say(
                    f"After executing it, run build.py --stage {self.stage.name} --watch: it "
                    "turns on termination protection and the stack policy."
                )
            return ExitCode.NOT_EXECUTED
        if not answer:
            self.say(f"Not executed: {_discarded(self._discard())}.")
            return ExitCode.NOT_EXECUTED
        return None

    def _blocked(self, ready: change_set.ChangeSet, kind: str) -> list[str]:
        """Why the change set must not run, or nothing when it may."""
        losses = ready.data_loss
        if not losses:
            return []
        if not self.args.allow_replacement:
            lines = [
                f"Blocked: {len(losses)} stateful resource(s) would be replaced or removed "
                "(listed above). If you mean it (after a backup), run again with "
                "--allow-replacement."
            ]
            if self.stage.protected and kind == UPDATE:
                lines.append(
                    f"In {self.stage.name} the stack policy refuses it too: "
                    "docs/deploying.md says how to lift it for one deploy."
                )
            return lines
        if not (self.stage.protected and kind == UPDATE):
            return []
        policy = self.cfn.get_stack_policy(StackName=ready.stack_id).get("StackPolicyBody")
        denied = [c.logical_id for c in losses if change_set.policy_denies(policy, c)]
        if not denied:
            return []
        # ExecuteChangeSet takes no StackPolicyDuringUpdateBody: lifting the policy is
        # the operator's own, deliberate step, and the next deploy puts it back.
        return [
            f"Blocked: the {self.stage.name} stack policy denies replacing or removing "
            f"{', '.join(denied)}, even with --allow-replacement. To go ahead deliberately:",
            f"  1. aws cloudformation set-stack-policy --stack-name {self.stack_name} "
            f"--region {self.aws.region} --stack-policy-body "
            '\'{"Statement":[{"Effect":"Allow","Action":"Update:*","Principal":"*","Resource":"*"}]}\'',
            f"  2. build.py --stage {self.stage.name} --allow-replacement  "
            "(it restores the protective policy when the update ends)",
        ]

    def _confirm(self, question: str, accepted: tuple[str, ...]) -> bool | None:
        """True on --yes or an accepted answer; None when there is no terminal to ask."""
        if self.args.yes:
            return True
        if not self.runtime.stdin.isatty():
            return None
        print(question, end="", file=self.out, flush=True)
        answer = self.runtime.stdin.readline()
        if not answer:  # end of input
            self.say("")
        return answer.strip().lower() in accepted

    # --- following the stack to its end -------------------------------------------

    def _follow(
        self, stream: progress.EventStream, operation: str, template: Mapping | None
    ) -> int:
        view = progress.LiveView(self.out) if self.out.isatty() else progress.PlainView(self.out)
        try:
            final = progress.watch(self.cfn, stream, view, self.runtime.clock, self.timeout_seconds)
        except KeyboardInterrupt:
            return self._stopped(stream, operation, template, "interrupted")
        except progress.WatchTimeout:
            return self._stopped(
                stream, operation, template, f"timed out after {self.args.timeout} minute(s)"
            )
        except (ClientError, BotoCoreError) as error:
            # Expired credentials, say: the operation goes on whatever we can read.
            return self._stopped(
                stream, operation, template, f"AWS error: {_why(error)}", aws_error=True
            )
        return self._finish(final, stream, operation, template)

    def _stopped(self, stream, operation: str, template, why: str, aws_error: bool = False) -> int:
        try:
            stack = progress.describe_stack(self.cfn, stream.stack_id) or {}
        except (ClientError, BotoCoreError):
            stack = {}
        status = stack.get("StackStatus")
        if status and progress.is_final(status):
            return self._finish(stack, stream, operation, template)
        waiter = WAIT_COMMANDS.get(operation, "stack-update-complete")
        state = (
            f"is {status} and still changing"
            if status
            else "may still be changing (its state could not be read)"
        )
        print(
            f"\nbuild.py: stopped waiting ({why}): stack {self.stack_name} {state}; "
            "CloudFormation carries on without us.\n"
            f"  follow it:  build.py --stage {self.stage.name} --watch\n"
            f"  or wait:    aws cloudformation wait {waiter} --stack-name {self.stack_name} "
            f"--region {self.aws.region}",
            file=self.err,
        )
        if aws_error:
            print(
                "  Both need AWS to answer again: renew the credentials first if they expired.",
                file=self.err,
            )
        ending = (
            "the delete fails" if operation == DELETE else f"the {operation.lower()} rolls back"
        )
        for protection in self._off:
            print(
                f"  {protection.what[:1].upper()}{protection.what[1:]} is off; if {ending}, turn "
                f"it back on:\n    {protection.command}",
                file=self.err,
            )
        if self.stage.protected and operation != DELETE:
            print(
                "  --watch also turns on termination protection and the stack policy at the end.",
                file=self.err,
            )
        return ExitCode.STILL_CHANGING

    def _finish(self, final, stream: progress.EventStream, operation: str, template) -> int:
        status = final["StackStatus"]
        if status in progress.SUCCEEDED:
            self.say("", f"Stack {self.stack_name}: {status}.")
        if operation != DELETE:
            self._settle(stream, status)
        # Also after a rolled-back update: it may follow a policy lifted for a replacement.
        protect = self.stage.protected and operation != DELETE
        if protect and status in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"):
            self._protect(final["StackId"], template)
        if status in progress.SUCCEEDED:
            if operation != DELETE:
                self._show_outputs(final)
            return ExitCode.OK
        causes = progress.root_causes(stream.seen)
        lines = [
            f"build.py: error: {operation.lower()} failed: stack {self.stack_name} is {status}"
        ]
        if causes:
            lines += ["Root cause:"] + [f"  {progress.event_line(e)}" for e in causes]
        elif final.get("StackStatusReason"):
            lines += [f"Reason: {final['StackStatusReason']}"]
        if status in STUCK:
            lines += ["Next: " + STUCK[status].format(name=self.stack_name, stage=self.stage.name)]
        print("\n".join(lines), file=self.err)
        return ExitCode.FAILED

    def _settle(self, stream: progress.EventStream, status: str) -> None:
        """At the end of an update: each old load balancer whose protection went off was
        deleted by the cleanup, or is still there (rolled back, not replaced after all)
        and protected again. A load balancer that a cleanup could not delete (the new
        one, after a rollback, or one whose protection stayed on) is no longer the
        stack's but still runs: it is named, with the commands that delete it."""
        events = [
            e
            for e in stream.seen
            if e.get("ResourceType") == change_set.LOAD_BALANCER and e.get("PhysicalResourceId")
        ]
        deleted = {
            e["PhysicalResourceId"]
            for e in events
            if e.get("ResourceStatus", "") == "DELETE_COMPLETE"
        }
        off, self._off = self._off, []
        for protection in off:
            if protection.physical_id in deleted:
                self.say(
                    f"The old load balancer {protection.physical_id} was deleted by the update's cleanup."
                )
        self._turn_on([p for p in off if p.physical_id not in deleted])
        if status not in ("UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"):
            return  # no cleanup ran to its end
        left = {
            e["PhysicalResourceId"]: e
            for e in events
            if e.get("ResourceStatus", "") == "DELETE_FAILED"
            and e["PhysicalResourceId"] not in deleted
        }
        region = self.aws.region
        for arn, e in left.items():
            print(
                f"build.py: warning: load balancer {arn} ({e.get('LogicalResourceId')}) was left "
                f"behind: the cleanup could not delete it ({e.get('ResourceStatusReason', 'no reason given')}). "
                f"It is no longer part of stack {self.stack_name}, and it keeps running and billing. "
                "Delete it with:\n"
                f"  {_balancer_command(arn, False, region)}\n"
                f"  aws elbv2 delete-load-balancer --load-balancer-arn {arn} --region {region}",
                file=self.err,
            )

    def _protect(self, stack_id: str, template: Mapping | None) -> None:
        """Prod: termination protection and a stack policy over the stateful resources,
        reasserted after every deploy (it closes again a policy lifted for a replacement)."""
        template = template or self._deployed_template(stack_id)
        self.cfn.update_termination_protection(EnableTerminationProtection=True, StackName=stack_id)
        self.cfn.set_stack_policy(
            StackName=stack_id, StackPolicyBody=change_set.stack_policy(template)
        )
        ids = change_set.stateful_logical_ids(template)
        self.say(
            "Protection: termination protection on; the stack policy denies Update:Replace "
            f"and Update:Delete on {', '.join(ids)}."
        )

    def _show_outputs(self, stack: Mapping[str, Any]) -> None:
        self.say(*progress.output_lines(stack))
        if self.args.outputs_json:
            text = json.dumps(progress.outputs(stack), indent=2, sort_keys=True) + "\n"
            self.args.outputs_json.write_text(text)
            self.say(f"Outputs written to {self.args.outputs_json}")

    # --- watch and destroy ----------------------------------------------------------

    def watch(self) -> int:
        stack = self._describe()
        if stack is None:
            raise InputError(
                f"--watch: stack {self.stack_name} does not exist in {self.aws.region}"
            )
        status = stack["StackStatus"]
        operation = status.split("_")[0].replace("ROLLBACK", CREATE)
        stream = progress.EventStream(self.cfn, stack["StackId"])
        if status == "REVIEW_IN_PROGRESS":
            self.say(
                f"Stack {self.stack_name} is {status}: a change set waits for review "
                "(execute or delete it, or deploy again)."
            )
            return ExitCode.NOT_EXECUTED
        if progress.is_final(status):
            return self._finish(stack, stream, operation, None)
        self.say(f"Watching {self.stack_name} ({status}) ...")
        stream.start()
        return self._follow(stream, operation, None)

    def destroy(self) -> int:
        stack = self._describe()
        if stack is None:
            self.say(
                f"Stack {self.stack_name} does not exist in {self.aws.region}: nothing to destroy."
            )
            return ExitCode.OK
        status, stack_id = stack["StackStatus"], stack["StackId"]
        if status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
            raise InputError(
                f"stack {self.stack_name} is {status}: "
                + IN_PROGRESS.format(stage=self.stage.name).replace("deploy again", "destroy again")
            )
        protected = bool(stack.get("EnableTerminationProtection"))
        if protected and not self.stage.protected:
            raise InputError(
                f"stack {self.stack_name} has termination protection on, though {self.stage.name} "
                "does not set it: someone turned it on on purpose. If it may go, turn it off with "
                f"`aws cloudformation update-termination-protection --no-enable-termination-protection "
                f"--stack-name {self.stack_name} --region {self.aws.region}` and destroy again"
            )
        resources = [] if status == "REVIEW_IN_PROGRESS" else self._resources(stack_id)
        kept = [r for r in resources if r["DeletionPolicy"] in KEPT]
        self.say(
            f"Destroying stack {self.stack_name} in {self.aws.region} ({status}) deletes "
            f"its {len(resources)} resource(s)."
        )
        if kept:
            self.say("Kept after the delete (their DeletionPolicy):", *_kept_lines(kept))
        if self.stage.protected:
            question = f"Type the stack name ({self.stack_name}) to delete it: "
            answer = self._confirm(question, (self.stack_name.lower(),))
        else:
            answer = self._confirm(f"Delete stack {self.stack_name}? [y/N] ", ("y", "yes"))
        if not answer:
            why = "no terminal to ask and no --yes" if answer is None else "not confirmed"
            self.say(f"Not deleted: {why}.")
            return ExitCode.NOT_EXECUTED
        stream = progress.EventStream(self.cfn, stack_id)
        stream.start()
        protections = self._protections(stack_id, resources) if self.stage.protected else []
        turned_off: list[Protection] = []
        try:
            # Only now, after --confirm-prod-destroy and the confirmation.
            self._turn_off(protections, turned_off)
            self.cfn.delete_stack(StackName=stack_id)
        except BaseException:
            # The delete was never sent: nothing may stay unprotected, whatever stopped us.
            self._turn_on(turned_off)
            raise
        self.started = True  # from here on the stack may change
        self._off = turned_off
        self.say(f"Deleting {self.stack_name} ...")
        code = self._follow(stream, DELETE, None)
        if code == ExitCode.FAILED:
            # The template would never turn them back on: it did not change.
            self._turn_on(protections)
        if code == ExitCode.OK and kept:
            self.say("Kept:", *_kept_lines(kept))
            secrets = [k for k in kept if k["ResourceType"] == "AWS::SecretsManager::Secret"]
            if secrets:
                self.say("Schedule the kept secrets for deletion with a 30-day recovery window:")
                self.say(
                    *(
                        f"  aws secretsmanager delete-secret --secret-id {k['PhysicalResourceId']} "
                        f"--recovery-window-in-days 30 --region {self.aws.region}"
                        for k in secrets
                    )
                )
            keys = [k for k in kept if k["ResourceType"] == "AWS::KMS::Key"]
            if keys:
                self.say(
                    "The kept key is billed until its deletion is scheduled; once nothing "
                    "it encrypted is needed (snapshots, kept secrets and buckets):"
                )
                self.say(
                    *(
                        f"  aws kms schedule-key-deletion --key-id {k['PhysicalResourceId']} "
                        f"--pending-window-in-days 30 --region {self.aws.region}"
                        for k in keys
                    )
                )
        return code

    def _resources(self, stack_id: str) -> list[dict[str, str]]:
        """The stack's live resources, each with its DeletionPolicy in the deployed template."""
        template = self._deployed_template(stack_id)
        policies = {
            logical_id: resource.get("DeletionPolicy", "Delete")
            for logical_id, resource in template.get("Resources", {}).items()
        }
        pages = self.cfn.get_paginator("list_stack_resources").paginate(StackName=stack_id)
        return [
            {**r, "DeletionPolicy": policies.get(r["LogicalResourceId"], "Delete")}
            for page in pages
            for r in page["StackResourceSummaries"]
            if r.get("ResourceStatus") != "DELETE_COMPLETE"
        ]

    def _protections(self, stack_id: str, resources: list[dict[str, str]]) -> list[Protection]:
        """Prod's termination protection, and the deletion protection of its database
        cluster and load balancer, which would each refuse the delete."""
        region = self.aws.region
        found = [
            Protection(
                "termination protection",
                lambda on: self.cfn.update_termination_protection(
                    EnableTerminationProtection=on, StackName=stack_id
                ),
                f"aws cloudformation update-termination-protection --enable-termination-protection "
                f"--stack-name {self.stack_name} --region {region}",
            )
        ]
        for r in resources:
            physical, what = (
                r.get("PhysicalResourceId"),
                f"deletion protection of {r['LogicalResourceId']}",
            )
            if r["ResourceType"] == "AWS::RDS::DBCluster" and physical:
                found.append(
                    Protection(
                        what,
                        lambda on, physical=physical: self.aws.client("rds").modify_db_cluster(
                            DBClusterIdentifier=physical,
                            DeletionProtection=on,
                            ApplyImmediately=True,
                        ),
                        f"aws rds modify-db-cluster --db-cluster-identifier {physical} "
                        f"--deletion-protection --apply-immediately --region {region}",
                    )
                )
            elif r["ResourceType"] == change_set.LOAD_BALANCER and physical:
                found.append(self._balancer_protection(what, physical))
        return found

    def _balancer_protection(self, what: str, arn: str) -> Protection:
        return Protection(
            what,
            lambda on: self.aws.client("elbv2").modify_load_balancer_attributes(
                LoadBalancerArn=arn,
                Attributes=[{"Key": "deletion_protection.enabled", "Value": str(on).lower()}],
            ),
            _balancer_command(arn, True, self.aws.region),
            physical_id=arn,
        )

    def _turn_off(self, protections: list[Protection], turned_off: list[Protection]) -> None:
        """Turn each protection off, listing it in `turned_off` as it goes."""
        for protection in protections:
            # Listed before the call: after a Ctrl-C during it, it may be off.
            turned_off.append(protection)
            try:
                protection.switch(False)
            except ClientError:
                turned_off.pop()  # refused: still on
                raise
        if protections:
            self.say(_sentence(f"{', '.join(p.what for p in protections)}: off"))

    def _turn_on(self, protections: list[Protection]) -> None:
        """Turn the protections back on. Best-effort, since it runs on the way out of an
        error or a Ctrl-C: what stays off is printed with the command that turns it on."""
        on: list[str] = []
        for index, protection in enumerate(protections):
            try:
                protection.switch(True)
            except ClientError as error:
                # After a failed delete: what was deleted stays deleted.
                if error.response["Error"].get("Code") not in GONE:
                    self._still_off([protection], error)
            except BotoCoreError as error:
                self._still_off([protection], error)
            except KeyboardInterrupt as error:
                self._still_off(protections[index:], error)
                break
            else:
                on.append(protection.what)
        if on:
            self.say(_sentence(f"{', '.join(on)}: on"))

    def _still_off(self, protections: list[Protection], error: BaseException) -> None:
        for protection in protections:
            print(
                f"build.py: {protection.what} is still off ({_why(error)}); turn it on with:\n"
                f"  {protection.command}",
                file=self.err,
            )


def _unwritable(path: Path, stage_file: Path) -> str | None:
    """Why the run could not write its outputs to `path` (checked before any AWS call,
    so the outputs of a deploy are never lost at its end), or None."""
    if path.is_dir():
        return f"is a directory: name a file in it, such as {path / 'outputs.json'}"
    if not path.parent.is_dir():
        return (
            f"{path.parent} is not a directory"
            if path.parent.exists()
            else f"no such directory {path.parent}"
        )
    if path.exists() and path.resolve() == stage_file.resolve():
        return "is the stage file: the outputs would overwrite it; name another file"
    if path.exists():
        if not os.access(path, os.W_OK):
            return "cannot be written (read-only): make it writable or name another file"
    elif not os.access(path.parent, os.W_OK | os.X_OK):
        return f"cannot create it: the directory {path.parent} is not writable; name a file in one that is"
    return None


def _parameters(stack: Mapping[str, Any] | None) -> dict[str, str]:
    return {
        p["ParameterKey"]: p.get("ParameterValue", "") for p in (stack or {}).get("Parameters", [])
    }


def _not_found(error: ClientError) -> bool:
    """A change set, or the stack that holds it, that is not there (any more)."""
    code, message = error.response["Error"].get("Code"), error.response["Error"].get("Message", "")
    return code == "ChangeSetNotFound" or (
        code == "ValidationError" and "does not exist" in message
    )


def _why(error: BaseException) -> str:
    if isinstance(error, ClientError):
        return f"{error.response['Error'].get('Code')}: {error.response['Error'].get('Message')}"
    return "interrupted" if isinstance(error, KeyboardInterrupt) else str(error)


def _discarded(deleted: bool, it: str = "the change set") -> str:
    """What became of a discarded change set, to end a message."""
    if deleted:
        return f"{it} was deleted and nothing changed"
    return f"nothing changed, but {it} is left behind: the commands above delete it"


def _sentence(text: str) -> str:
    return f"{text[:1].upper()}{text[1:]}."


def _balancer_command(arn: str, on: bool, region: str) -> str:
    return (
        f"aws elbv2 modify-load-balancer-attributes --load-balancer-arn {arn} "
        f"--attributes Key=deletion_protection.enabled,Value={str(on).lower()} --region {region}"
    )


def _balancer_warning(going: tuple[change_set.Change, ...], stage: str) -> list[str]:
    """The review's warning for a load balancer that a protected stage's update replaces."""
    lines = [
        "!" * 72,
        "!! LOAD BALANCER REPLACED: CloudFormation makes a new one, then deletes the old one",
    ]
    for c in going:
        how = "removed" if c.action == "Remove" else f"replacement: {c.replacement}"
        causes = f": {', '.join(c.causes)}" if c.causes else ""
        lines.append(f"!!   {c.logical_id}  {c.physical_id}  ({how}{causes})")
    return [
        *lines,
        f"!! In {stage} its deletion protection is on, so that delete would fail, the stack",
        "!! would still end UPDATE_COMPLETE, and the old load balancer would stay behind,",
        "!! outside the stack, running and billing. So on execute, build.py turns off the",
        "!! deletion protection of the old load balancer just before the update (the cleanup",
        "!! then deletes it), and back on if the update does not run, rolls back or keeps it.",
        "!! The load balancer's DNS name changes; the stack's DNS record follows it.",
        "!" * 72,
    ]


def _kept_lines(kept: list[dict[str, str]]) -> list[str]:
    return [
        f"  {k['ResourceType']:<28} {k['LogicalResourceId']:<16} "
        f"{k.get('PhysicalResourceId', '')}  ({KEPT[k['DeletionPolicy']]})"
        for k in kept
    ]
