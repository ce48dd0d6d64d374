"""--destroy: the stage's stack deleted after a confirmation (a protected stage's
stack name typed in full), its protections turned off just before the delete and
back on when it fails, and what its DeletionPolicy keeps named at the end."""

from __future__ import annotations

from ..errors import ExitCode
from . import follow, plan, presentation, progress, protections
from .session import Session

__all__ = ["destroy"]


def destroy(s: Session) -> ExitCode:
    """Delete the stage's stack and follow the delete to its end."""
    stack = s.describe()
    region = s.aws.region
    if stack is None:
        s.say(f"Stack {s.stack_name} does not exist in {region}: nothing to destroy.")
        return ExitCode.OK
    plan.check_destroyable(stack, s.stage, s.stack_name, region, prog=s.prog)
    status, stack_id = stack["StackStatus"], stack["StackId"]
    resources = [] if status == "REVIEW_IN_PROGRESS" else _resources(s, stack_id)
    keeps = plan.kept(resources)
    s.say(
        f"Destroying stack {s.stack_name} in {region} ({status}) deletes "
        f"its {len(resources)} resource(s)."
    )
    if keeps:
        s.say(
            "Kept after the delete (their DeletionPolicy):",
            *presentation.kept_lines(keeps, plan.KEPT),
        )
    answer = s.confirm(*plan.destroy_confirmation(s.stage, s.stack_name))
    if not answer:
        reason = "no terminal to ask and no --yes" if answer is None else "not confirmed"
        s.say(f"Not deleted: {reason}.")
        return ExitCode.NOT_EXECUTED
    stream = progress.EventStream(s.cfn, stack_id)
    stream.start()
    switches = (
        protections.for_destroy(s.aws, stack_id, s.stack_name, resources)
        if s.stage.protected
        else []
    )
    turned_off: list[protections.Protection] = []
    try:
        # Only now, after --confirm-prod-destroy and the confirmation.
        protections.turn_off(switches, turned_off, s.out)
        s.cfn.delete_stack(StackName=stack_id, **s.role)
    except BaseException:
        # The delete was never sent: nothing may stay unprotected, whatever stopped us.
        protections.turn_on(turned_off, s.out, s.err, s.prog)
        raise
    s.started = True  # from here on the stack may change
    s.done.append(f"started deleting stack {s.stack_name}")
    s.off = turned_off
    s.say(f"Deleting {s.stack_name} ...")
    code = follow.follow(s, stream, plan.DELETE, None)
    if code == ExitCode.FAILED:
        # The template would never turn them back on: it did not change.
        protections.turn_on(switches, s.out, s.err, s.prog)
    if code == ExitCode.OK and keeps:
        s.say(*presentation.destroyed_lines(keeps, plan.KEPT, region))
    return code


def _resources(s: Session, stack_id: str) -> list[dict[str, str]]:
    """The stack's live resources, each with its DeletionPolicy in the deployed template."""
    template = s.deployed_template(stack_id)
    pages = s.cfn.get_paginator("list_stack_resources").paginate(StackName=stack_id)
    summaries = [r for page in pages for r in page["StackResourceSummaries"]]
    return plan.resources_with_policies(template, summaries)
