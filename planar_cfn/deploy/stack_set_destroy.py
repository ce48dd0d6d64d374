"""--destroy with --targets: the StackSet's instances deleted (their stacks too, unless
the targets file sets retain_stacks_on_destroy), then the StackSet, after the
confirmation a destroy asks for (a protected stage's name typed in full, and
--confirm-prod-destroy)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ExitCode
from . import plan, presentation
from . import stack_set_preview as previewing
from . import stack_set_requests as requests

__all__ = ["destroy"]


def destroy(run: Any) -> ExitCode:
    """Delete the instances, then the StackSet; `run` is the stack_sets.StackSetRun."""
    region, stack_set = run.aws.region, run.describe()
    if stack_set is None:
        run.say(f"StackSet {run.name} does not exist in {region}: nothing to destroy.")
        return ExitCode.OK
    instances = previewing.list_instances(run.cfn, run.name, run.call_as)
    retain = run.targets.retain_stacks_on_destroy
    run.say(
        f"Destroying StackSet {run.name} in {region} deletes its {len(instances)} "
        + (
            "instance(s), keeping their stacks (retain_stacks_on_destroy):"
            if retain
            else "instance(s) and their stacks (what each stack's DeletionPolicy keeps stays):"
        ),
        *(f"  {i['Account']}  {i['Region']}" for i in instances),
    )
    question, accepted = plan.destroy_confirmation(run.stage, run.name)
    question = question.replace("stack name", "StackSet name").replace("stack ", "StackSet ")
    answer = presentation.confirm(
        question, accepted, yes=run.options.yes, stdin=run.runtime.stdin, out=run.out
    )
    if not answer:
        reason = "no terminal to ask and no --yes" if answer is None else "not confirmed"
        run.say(f"Not deleted: {reason}.")
        return ExitCode.NOT_EXECUTED
    steps: list[tuple[str, Callable[[], Mapping[str, Any]]]] = [
        (
            f"Deleting instances in {', '.join(r['Regions'])}",
            run.caller("delete_stack_instances", r),
        )
        for r in requests.delete_instances(run.targets, instances, retain=retain)
    ]
    code: ExitCode = run.operations_in_turn(steps, region)
    if code != ExitCode.OK:
        return code
    run.cfn.delete_stack_set(StackSetName=run.name, **run.call_as)
    run.done.append(f"deleted StackSet {run.name}")
    run.say(f"Deleted StackSet {run.name} in {region}.")
    return ExitCode.OK
