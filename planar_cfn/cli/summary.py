"""What the command prints about a rendered template: a build's summary of each stage,
the line before a deploy or publish, and the regions the lint checked."""

from __future__ import annotations

import json
from typing import TextIO

from ..catalog.deploy_role import DEPLOY_ROLE
from ..catalog.launch_role import LAUNCH_ROLE
from ..lint.cache import Linted, cfn_lint_version
from ..lint.runner import Finding
from ..paths import STAGES_DIR, shown
from ..reports import cost, rollout
from ..template.render import INLINE_TEMPLATE_LIMIT, Rendered


def regions_line(linted: Linted) -> str:
    """The regions the lint checked, and any a stage file names that it could not."""
    line = (
        f"lint regions: {', '.join(linted.regions)} "
        f"(us-east-1 and every region a stage file in {shown(STAGES_DIR)}/ names)"
    )
    if linted.unknown:
        line += (
            f"; not linted: {', '.join(linted.unknown)}, unknown to cfn-lint {cfn_lint_version()}"
        )
    return line


def brief(rendered: Rendered, findings: list[Finding], out: TextIO) -> None:
    """One line before a deploy or publish: what is about to be sent."""
    counts = rendered.resource_counts()
    size = len(rendered.minified.encode())
    fits = "inline" if rendered.fits_inline else f"over {INLINE_TEMPLATE_LIMIT:,}: sent through S3"
    lint = f"{len(findings)} lint finding(s)" if findings else "lint clean"
    print(
        f"{rendered.stage}: {sum(counts.values())} resources, {size:,} bytes ({fits}), {lint}",
        file=out,
    )
    for finding in findings:
        print(f"    {finding}", file=out)


def stage(
    rendered: Rendered,
    path: str,
    findings: list[Finding],
    out: TextIO,
    *,
    prog: str,
    cached: bool = False,
) -> None:
    """A built stage: its file, resources, size, lint and monthly cost."""
    counts = rendered.resource_counts()
    size = len(rendered.body.encode())
    minified = len(rendered.minified.encode())
    fits = "fits" if rendered.fits_inline else "does NOT fit; deploy uploads it to S3"
    print(f"{rendered.stage}: {path}", file=out)
    print(f"  resources: {sum(counts.values())}", file=out)
    for kind, count in counts.items():
        print(f"    {count:>3}  {kind}", file=out)
    print(
        f"  size: {size:,} bytes; minified {minified:,} of {INLINE_TEMPLATE_LIMIT:,} "
        f"inline ({fits})",
        file=out,
    )
    source = "; cached" if cached else ""
    if findings:
        print(f"  lint: {len(findings)} finding(s){' (cached)' if cached else ''}", file=out)
        for finding in findings:
            print(f"    {finding}", file=out)
    else:
        print(
            f"  lint: clean (cfn-lint, informational rules and the rule pack included{source})",
            file=out,
        )
    line = cost_line(rendered, prog)
    if line:
        print(f"  {line}", file=out)
    line = rollout_line(rendered)
    if line:
        print(f"  {line}", file=out)


def cost_line(rendered: Rendered, prog: str) -> str | None:
    """The stage's monthly range at its recommended values; none for the launch and
    deploy roles, IAM roles, which cost nothing."""
    if rendered.stage in (LAUNCH_ROLE, DEPLOY_ROLE):
        return None
    estimate = cost.estimate(rendered, cost.recommended_values(rendered.stage))
    return cost.summary_line(estimate, prog)


def rollout_line(rendered: Rendered) -> str | None:
    """The stage's modelled image rollout at the template's defaults, beside the same
    rollout with ELB's default drain; none for a template with no ECS service."""
    template = json.loads(rendered.body)
    # The roles' templates, and a library user's own, may hold no service to roll out.
    if not any(r["Type"] == "AWS::ECS::Service" for r in template["Resources"].values()):
        return None
    return rollout.summary_line(template)
