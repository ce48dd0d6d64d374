"""The build summary's cost line: one per stage at its recommended values, none for
the launch role, and the --cost command it suggests named as the command was run."""

import pytest

from planar_cfn import StackConfig, estimate
from planar_cfn.reports.cost import recommended_values
from tests.reports.estimates import run


def test_the_build_summary_has_a_cost_line_per_stage(tmp_path):
    code, out, _ = run(["--all-stages", "--no-deploy", "--templates-dir", str(tmp_path)])
    assert code == 0
    for stage in ("dev", "staging", "prod"):
        result = estimate(StackConfig.for_stage(stage), recommended_values(stage))
        assert (
            f"  cost: {result.range()} a month (us-east-1 list prices, table of 2026-12-03; "
            f"excludes Bedrock and data transfer; build.py --stage {stage} --cost for the table)"
        ) in out
    # The launch role, written beside the stages, is an IAM role: no cost line.
    launch_role = out[out.index("launch-role: ") :]
    assert "cost:" not in launch_role.split("lint regions:")[0]
    assert out.count("  cost: ") == 3


@pytest.mark.parametrize("prog", ["planar-cfn", "python -m planar_cfn"])
def test_the_cost_line_suggests_the_command_by_the_name_it_was_run_by(tmp_path, prog):
    code, out, _ = run(["--stage", "dev", "--no-deploy", "--templates-dir", str(tmp_path)], prog)
    assert code == 0
    assert f"; {prog} --stage dev --cost for the table)" in out
    assert "build.py" not in out
