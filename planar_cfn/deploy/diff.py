"""--diff: what a deploy would change, without creating a change set. The deployed
template (GetTemplate) against the local render, and the stack's parameters against
the values the deploy would send, after the same look-ups; read-only throughout.
Exit 0 when nothing differs, 1 when something does, as --drift."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ExitCode, InputError
from ..lint.schemas import replacement
from . import lookups, plan, plan_document, property_values, template_diff
from .session import Session

__all__ = ["run"]


def sent_values(planned: plan.Plan, values: Any) -> dict[str, str]:
    """The parameter values the deploy would send, a kept one at the stack's."""
    return {
        p["ParameterKey"]: planned.previous.get(p["ParameterKey"], "")
        if p.get("UsePreviousValue")
        else p["ParameterValue"]
        for p in planned.parameters(values)
    }


def run(s: Session, template: Mapping[str, Any]) -> ExitCode:
    """Compare, show the differences, and write the plan where --plan-json says."""
    stack = s.describe()
    if stack is None or stack["StackStatus"] == "REVIEW_IN_PROGRESS":
        raise InputError(
            f"--diff: stack {s.stack_name} does not exist in {s.aws.region}, so there is "
            f"nothing to compare with: `{s.command('--dry-run')}` shows what a first deploy "
            "creates"
        )
    planned = plan.plan_deploy(
        s.stage, s.stage_file, stack, s.aws.region, prog=s.prog, role=s.role_flag
    )
    values = lookups.resolve(s.stage_file, s.aws.client, planned.keep)
    diff = template_diff.compare(
        s.deployed_template(planned.stack_id),
        template,
        planned.previous,
        sent_values(planned, values),
        no_echo=s.no_echo,
        mask=property_values.masker(s.secrets),
        replaces=replacement,
    )
    s.say(*template_diff.lines(diff, s.stack_name))
    s.diff = diff
    s.write_plan(
        plan_document.from_diff(diff, stack=s.stack_name, stage=s.stage.name, region=s.aws.region)
    )
    return ExitCode.OK if diff.same else ExitCode.FAILED
