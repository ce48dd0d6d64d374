"""What the cost tests share: an estimate of dev or prod at given values, one of its
lines by service, amounts to the cent, and the command run as a user starts it."""

import io
from decimal import Decimal

from planar_cfn import StackConfig, estimate
from planar_cfn.cli import commands as cli
from planar_cfn.reports.cost import Estimate

H = Decimal(730)  # hours in the month AWS's pricing pages count
CENT = Decimal("0.01")
X, TO = "\N{MULTIPLICATION SIGN}", "\N{EN DASH}"  # as the estimate writes them


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT)


def dev(**values: str) -> Estimate:
    return estimate(StackConfig.for_stage("dev"), values)


def prod(**values: str) -> Estimate:
    return estimate(StackConfig.for_stage("prod"), values)


def line(result: Estimate, service: str):
    found = result.line(service)
    assert found is not None, f"no {service} line in {[x.service for x in result.lines]}"
    return found


def run(argv, prog="build.py"):
    out, err = io.StringIO(), io.StringIO()
    try:
        code = cli.main(argv, out=out, err=err, prog=prog)
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), err.getvalue()
