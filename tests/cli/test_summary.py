"""The build summary's cost line: one per stage at its recommended values, none for
the launch role, and the --cost command it suggests named as the command was run; its
rollout line: the modelled image rollout beside ELB's default drain."""

import json

import pytest

from planar_cfn import StackConfig, estimate
from planar_cfn.cli.summary import rollout_line
from planar_cfn.reports import rollout
from planar_cfn.reports.cost import recommended_values
from planar_cfn.template.render import Rendered
from tests.reports.estimates import run
from tests.reports.rollout_templates import committed, with_rollout


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


def test_the_build_summary_has_a_rollout_line_per_stage_after_its_cost(tmp_path):
    code, out, _ = run(["--all-stages", "--no-deploy", "--templates-dir", str(tmp_path)])
    assert code == 0
    for stage in ("dev", "staging", "prod"):
        template = json.loads((tmp_path / f"planar-{stage}.json").read_text())
        block = out[out.index(f"{stage}: ") :].split("lint regions:")[0]
        line = f"  {rollout.summary_line(template)}\n"
        assert line in block
        assert block.index("  cost: ") < block.index(line)
    assert out.count("  image rollout \N{ALMOST EQUAL TO} ") == 3  # none for the roles


def _rendered(stage, strategy):
    return Rendered(stage, json.dumps(with_rollout(committed(stage), strategy)))


def test_a_rolling_stages_line_shows_its_rollout_beside_elbs_default_drain():
    assert rollout_line(_rendered("dev", "ROLLING")) == (
        "image rollout \N{ALMOST EQUAL TO} 2.5 min (ELB default drain: 7.0 min)"
    )


def test_prods_canary_line_shows_the_canarys_price():
    assert rollout_line(_rendered("prod", "CANARY")) == (
        "image rollout \N{ALMOST EQUAL TO} 17.5 min (ELB default drain: 22.0 min); "
        "15.0 min of it the canary's price (5.0 min at 10%, then 10.0 min at 100%)"
    )


def test_the_roles_have_no_rollout_line():
    for role in ("launch-role", "deploy-role"):
        assert rollout_line(Rendered(role, json.dumps(committed(role)))) is None


def test_a_template_without_a_service_has_no_rollout_line():
    template = committed("dev")
    template["Resources"] = {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] != "AWS::ECS::Service"
    }
    assert rollout_line(Rendered("dev", json.dumps(template))) is None
