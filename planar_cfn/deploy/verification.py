"""After a create or update ends complete: the service runs what was deployed, or the
deploy failed (service_health decides), said with the outputs the run records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..aws.gateway import AWS_FAILURES, why
from ..errors import ExitCode
from . import presentation, progress, service_health
from .session import Session

__all__ = ["VERIFIED_AFTER", "after_deploy"]

# A create or update that ends so is checked against the service (service_health).
VERIFIED_AFTER = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE"})


def after_deploy(s: Session, stack: Mapping[str, Any]) -> ExitCode:
    """The service checked against the stack's outputs, bounded by VERIFY_SECONDS and
    --timeout; then the outputs, or why the deploy failed."""
    expected = service_health.Expected.from_outputs(progress.outputs(stack))
    if expected is None:
        s.say(
            f"Service not checked: stack {s.stack_name} lacks the outputs "
            f"{', '.join(service_health.OUTPUTS)}."
        )
        return s.show_outputs(stack)
    reader = service_health.Reader(
        s.aws.client("ecs"), s.aws.client("elbv2"), s.aws.client("logs"), expected
    )
    bound = min(service_health.VERIFY_SECONDS, s.timeout_seconds)
    s.say(f"Checking service {expected.service} ...")
    s.final = stack
    try:
        report = service_health.verify(reader, s.runtime.clock, bound)
    except KeyboardInterrupt:
        s.warn(
            f"\n{s.prog}: interrupted: stack {s.stack_name} is "
            f"{stack['StackStatus']}, service {expected.service} not checked: "
            f"check it with {s.command('--watch')}"
        )
        return ExitCode.INTERRUPTED
    except AWS_FAILURES as error:
        s.warn(
            f"{s.prog}: error: stack {s.stack_name} is {stack['StackStatus']}, but "
            f"service {expected.service} could not be checked ({why(error)}); the "
            "permissions in docs/deploying.md include the reads it needs"
        )
        return ExitCode.FAILED
    lines = presentation.service_lines(report, expected.service, s.stage.name, s.prog)
    if not report.verdict.ok:
        s.warn(*lines)
        return ExitCode.FAILED
    s.say(*lines)
    return s.show_outputs(stack, report.verdict.outputs())
