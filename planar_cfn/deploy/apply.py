"""A deploy, or an --image-tag update, through a change set: the plan and its
request, the template inline or through the bucket, then the change set created,
reviewed, executed on a yes, and followed to the stack's end. A change set that is
not executed is deleted, on every way out (pending.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from ..errors import ExitCode, OperationFailed
from ..template.render import Rendered
from . import account_checks, change_set, execute, follow, lookups, plan, presentation, progress
from .pending import Pending
from .review import review
from .session import Session
from .topics import check as check_topics

__all__ = ["deploy_template", "image_tag"]


def deploy_template(s: Session, rendered: Rendered, template: Mapping[str, Any]) -> ExitCode:
    """A full deploy of the local render (`template` its parsed body)."""
    stack = s.describe()
    planned = plan.plan_deploy(
        s.stage, s.stage_file, stack, s.aws.region, prog=s.prog, role=s.role_flag
    )
    check_topics(s.aws.client, s.stage_file, stack, s.aws.region)
    values = lookups.resolve(s.stage_file, s.aws.client, planned.keep)
    s.done += account_checks.check(
        values,
        s.aws.client,
        creating=planned.kind == plan.CREATE,
        dry_run=s.options.dry_run,
        out=s.out,
        err=s.err,
        prog=s.prog,
    )
    request = plan.deploy_request(
        planned,
        values,
        template,
        _template_argument(s, rendered),
        s.runtime.now(),
        prog=s.prog,
        revert_drift=s.options.revert_drift,
    )
    if s.options.revert_drift and planned.kind == plan.CREATE:
        s.say(
            f"--revert-drift: stack {s.stack_name} is created by this deploy, so it has no "
            "drift to revert: the change set is an ordinary one."
        )
    return _through_change_set(s, request, planned, stack, template)


def image_tag(s: Session) -> ExitCode:
    """--image-tag: the deployed template, with only ContainerImageTag changed."""
    tag = s.options.image_tag or ""
    stack = s.describe()
    planned = plan.plan_image_tag(
        tag, stack, s.stack_name, s.aws.region, s.stage.name, prog=s.prog, role=s.role_flag
    )
    check_topics(s.aws.client, s.stage_file, stack, s.aws.region, sends_topics=False)
    template = s.deployed_template(planned.stack_id)
    request = plan.image_tag_request(
        planned,
        s.stage.name,
        tag,
        template,
        s.runtime.now(),
        prog=s.prog,
        revert_drift=s.options.revert_drift,
    )
    return _through_change_set(s, request, planned, stack, template)


def _template_argument(s: Session, rendered: Rendered) -> dict[str, str]:
    bucket = s.options.template_bucket or s.stage_file.template_bucket or ""
    return change_set.template_argument(s.aws, rendered, bucket, s.stack_name, s.say)


def _through_change_set(
    s: Session,
    request: dict[str, Any],
    planned: plan.Plan,
    stack: Mapping[str, Any] | None,
    template: Mapping[str, Any],
) -> ExitCode:
    name = request["ChangeSetName"]
    pending = Pending(s)
    pending.asking(name, planned)
    try:
        try:
            created = s.cfn.create_change_set(**request, **s.role)
        except ClientError:
            pending.forget()  # refused: AWS made nothing
            raise
        pending.created(created, planned)
        s.say(f"Creating change set {name} ({planned.kind} {s.stack_name}) ...")
        ready = change_set.wait(
            s.cfn, created["Id"], s.timeout_seconds, s.runtime.clock.poll_seconds, s.secrets
        )
        outcome = review(s, pending, ready, planned, stack, template)
        if outcome is not None:
            return outcome
        stream = progress.EventStream(s.cfn, created["StackId"])
        stream.start()
        unknown = execute.execute(s, pending, name, ready)
        s.started = True
        pending.forget()
        if unknown is not None:  # said: it may run, and nothing was deleted
            return unknown
        s.done.append(f"executed change set {name} on stack {s.stack_name}")
    except change_set.ChangeSetTimeout as error:
        # A failure, not "stopped waiting": nothing was executed, nothing goes on.
        deleted = pending.discard()
        again = ": run again, with a longer --timeout if CloudFormation is slow" if deleted else ""
        raise OperationFailed(f"{error}; {presentation.discarded(deleted, 'it')}{again}") from None
    except KeyboardInterrupt:
        if s.started:
            raise
        s.say("", f"Interrupted before execution: {presentation.discarded(pending.discard())}.")
        return ExitCode.NOT_EXECUTED
    except BaseException:
        if not pending.discard():
            s.done.append(f"created change set {name}, left behind: the commands above delete it")
        raise
    s.say(f"Executing change set on {s.stack_name} ...")
    return follow.follow(s, stream, planned.kind, template)
