"""A StackSet deploy, after the local checks (stack_sets.StackSetRun): read the
StackSet and its instances, run each target's pre-flight checks, preview each
instance, say the plan, ask, then create or update the StackSet and its instances,
one operation at a time. `run` is the stack_sets.StackSetRun."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ExitCode, InputError
from ..inputs import targets as targets_files
from ..inputs.parameters import SPECS
from . import change_set, presentation
from . import stack_set_preflight as checks
from . import stack_set_preview as previewing
from . import stack_set_requests as requests

__all__ = ["deploy"]

Targeted = list[tuple[targets_files.Target, list[str]]]
NO_ECHO = tuple(spec.name for spec in SPECS if spec.no_echo)


def new_instances(run: Any, instances: list[dict[str, Any]]) -> Targeted:
    """Each target's regions that lack an instance of one of its accounts (or OUs)."""
    new = []
    for target in run.targets.targets:
        places = target.accounts or target.organizational_units
        regions = [
            region
            for region in target.regions
            if any(
                not any(
                    i["Region"] == region and place in (i["Account"], i.get("OrganizationalUnitId"))
                    for i in instances
                )
                for place in places
            )
        ]
        if regions:
            new.append((target, regions))
    return new


def changed_overrides(
    run: Any,
    instances: list[dict[str, Any]],
    overrides: Mapping[tuple[str, str], Mapping[str, str]],
) -> Targeted:
    """Each target's regions where an instance's overrides differ from its values."""
    changed: dict[int, tuple[targets_files.Target, list[str]]] = {}
    for summary in instances:
        target = previewing.target_of(run.targets, summary)
        key = (summary["Account"], summary["Region"])
        if target is None or dict(overrides.get(key, {})) == dict(target.overrides):
            continue
        regions = changed.setdefault(target.index, (target, []))[1]
        if summary["Region"] not in regions:
            regions.append(summary["Region"])
    return list(changed.values())


def same(run: Any, stack_set: Mapping[str, Any]) -> bool:
    """Whether the StackSet holds the local template and the stage file's values (a
    NoEcho value, which AWS shows masked, cannot be compared)."""
    deployed = json.loads(stack_set.get("TemplateBody") or "{}")
    sent = run.values.cloudformation_parameters()
    before = {p["ParameterKey"]: p.get("ParameterValue") for p in stack_set.get("Parameters", [])}
    return bool(deployed == run.template) and all(
        before.get(k) == v for k, v in sent.items() if k not in NO_ECHO
    )


def preview(
    run: Any,
    stack_set: Mapping[str, Any],
    instances: list[dict[str, Any]],
    overrides: Mapping[tuple[str, str], Mapping[str, str]],
) -> ExitCode | None:
    """Show each instance's preview; BLOCKED when it would lose data somewhere."""
    previews = previewing.preview(
        run.targets,
        stack_set,
        instances,
        overrides,
        run.template,
        run.values.cloudformation_parameters(),
        no_echo=NO_ECHO,
    )
    run.previews = previews
    run.say(f"Preview of StackSet {run.name}, instance by instance:")
    run.say(*previewing.lines(previews, run.name))
    blocks = previewing.blocked(previews, allow_replacement=run.options.allow_replacement)
    if blocks:
        print("\n".join(blocks), file=run.err)
        return ExitCode.BLOCKED
    return None


def plan_lines(
    run: Any, stack_set: Mapping[str, Any] | None, new: Targeted, changed: Targeted
) -> list[str]:
    """What the run will do, before it asks."""
    p = run.targets.preferences
    if not stack_set:
        what = "create"
    elif not same(run, stack_set):
        what = "update every instance"
    else:
        what = "the StackSet's template and values unchanged"
    lines = [f"StackSet {run.name} in {run.aws.region} ({run.targets.permission_model}): {what}"]
    lines += [f"  new instances: {t.label} in {', '.join(regions)}" for t, regions in new]
    lines += [f"  new values: {t.label} in {', '.join(regions)}" for t, regions in changed]
    lines.append(
        f"  operations: regions {p.region_concurrency} ({', '.join(p.region_order)}), "
        f"{p.max_concurrent_count} account(s) at a time, failure tolerance "
        f"{p.failure_tolerance_count}, {p.concurrency_mode}"
    )
    return lines


def template_argument(run: Any) -> dict[str, str]:
    """TemplateBody, or the template uploaded to the template bucket (TemplateURL)."""
    rendered = run.rendered
    if rendered is None:
        raise InputError("a StackSet deploy needs its template: use_template() first")
    bucket = run.options.template_bucket or run.values.template_bucket or ""
    return change_set.template_argument(run.aws, rendered, bucket, run.name, run.say)


def deploy(run: Any) -> ExitCode:
    """The whole deploy; every call before the question reads."""
    region, stack_set = run.aws.region, run.describe()
    instances = previewing.list_instances(run.cfn, run.name, run.call_as) if stack_set else []
    new = new_instances(run, instances)
    creating = {(a, r) for target, regions in new for a in target.accounts for r in regions}
    checks.check(run.targets, run.aws, run.runtime.assume, creating, run.out)
    overrides = previewing.read_overrides(run.cfn, run.targets, instances)
    changed = changed_overrides(run, instances, overrides)
    if stack_set:
        blocked = preview(run, stack_set, instances, overrides)
        if blocked is not None:
            return blocked
    run.say(*plan_lines(run, stack_set, new, changed))
    if run.options.dry_run:
        run.say("Dry run: nothing was created or changed.")
        return ExitCode.OK
    unchanged = stack_set is not None and same(run, stack_set)
    if unchanged and not new and not changed:
        run.say(f"No changes: StackSet {run.name} already holds this template and these values.")
        return ExitCode.OK
    answer = presentation.confirm(
        f"Roll StackSet {run.name} out? [y/N] ",
        ("y", "yes"),
        yes=run.options.yes,
        stdin=run.runtime.stdin,
        out=run.out,
    )
    if not answer:
        reason = "no terminal to ask and no --yes" if answer is None else "not confirmed"
        run.say(f"Not deployed: {reason}. Nothing was created or changed.")
        return ExitCode.NOT_EXECUTED
    # The StackSet itself unchanged: only new instances or the instances' values go out.
    argument = {} if unchanged else template_argument(run)
    steps: list[tuple[str, Callable[[], Mapping[str, Any]]]] = []
    if stack_set is None:
        request = requests.create_set(
            run.targets, run.values, run.template, argument, prog=run.runtime.prog
        )
        run.cfn.create_stack_set(**request)
        run.done.append(f"created StackSet {run.name} in {region}")
        run.say(f"Created StackSet {run.name} in {region}.")
    elif not unchanged:
        request = requests.update_set(
            run.targets, run.values, run.template, argument, prog=run.runtime.prog
        )
        steps.append(("Updating StackSet", run.caller("update_stack_set", request)))
    for target, regions in new:
        create = requests.create_instances(run.targets, target, regions)
        steps.append(
            (f"Creating instances of {target.label}", run.caller("create_stack_instances", create))
        )
    for target, regions in changed:
        update = requests.update_instances(run.targets, target, regions)
        steps.append(
            (
                f"Updating the values of {target.label}",
                run.caller("update_stack_instances", update),
            )
        )
    code: ExitCode = run.operations_in_turn(steps, region)
    return code
