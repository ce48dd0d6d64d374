"""The monthly cost estimate: its total the sum of its lines, switches moving the total
the way they should, stage-file values, `build.py --cost` and its bad input, and the
figures of docs/scaling-and-cost.md kept equal to the code's. Each line's arithmetic:
test_cost_lines.py; the price table: test_prices.py; the values checked:
test_resolved_template.py."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from planar_cfn import StackConfig, estimate
from planar_cfn.aws import gateway as aws_gateway
from planar_cfn.deploy import engine as deploy
from planar_cfn.reports.cost import RECOMMENDED, recommended_values, stages_table
from planar_cfn.reports.prices import AS_OF, price
from planar_cfn.template.render import render
from tests.reports.estimates import TO, H, X, cents, dev, line, prod, run

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "scaling-and-cost.md").read_text()
EXAMPLE = ROOT / "stages" / "example.json"
# The Terraform module README's staging figures, by our service names.
TERRAFORM_STAGING = {
    "Fargate": f"~$60{TO}80 (2 vCPU, 4 GB)",
    "Aurora Serverless v2": f"~$50{TO}150 (0.5{TO}2 ACU, usage-dependent)",
    "Aurora storage and I/O": "not counted",
    "Application Load Balancer": f"~$20{TO}25",
    "Route 53": "~$0.50 a hosted zone",
    "Secrets Manager": "~$0.40 a secret",
    "CloudWatch Logs": "variable",
    "total": f"~$130{TO}300",
}


# The total, the sum of lines worked by hand (test_cost_lines.py).


def test_the_total_is_the_sum_of_the_lines_and_defaults_add_no_key_or_web_acl():
    result = dev()
    assert [x.service for x in result.lines] == [
        "Fargate",
        "Aurora Serverless v2",
        "Aurora storage and I/O",
        "Application Load Balancer",
        "Route 53",
        "Secrets Manager",
        "CloudWatch Logs",
        "Container Insights",
        "Performance Insights",
        "RDS enhanced monitoring",
    ]
    # 72.0802 + 43.80 + 3.00 + 22.265 + 0.50 + 0.85 + 1.044, + Container Insights'
    # 60 metrics x $0.30 + Performance Insights' free 7 days + enhanced monitoring's
    # 43,800 records x 2 KB x ($0.50 + $0.03) a GB (0.0464280)
    assert result.low == Decimal("143.5392") + Decimal("18.00") + Decimal("0.046428")
    assert result.range() == f"$161.59{TO}$353.36"


# Each switch moves the estimate the way it should.


def test_spot_lowers_fargate_and_the_total():
    on_demand, spot = dev(), dev(FargateSpot="true")
    assert line(spot, "Fargate").low < line(on_demand, "Fargate").low
    assert line(spot, "Fargate").high < line(on_demand, "Fargate").high
    assert spot.low < on_demand.low


def test_more_tasks_or_capacity_raise_the_high():
    base = prod(Autoscaling="true", AutoscalingMaxCount="4")
    assert prod(Autoscaling="true", AutoscalingMaxCount="8").high > base.high
    assert prod(AuroraMaxCapacity="8").high > prod().high


# A value of the wrong type or a wrong source is refused.


def test_a_value_of_the_wrong_type_and_a_wrong_source_are_refused():
    with pytest.raises(TypeError, match="DesiredCount = 2: give the value as CloudFormation"):
        estimate(StackConfig.for_stage("dev"), {"DesiredCount": 2})
    with pytest.raises(TypeError, match="is not a StackConfig or a Rendered template"):
        estimate("dev")


# Stage-file values, and the command.


def test_a_stage_file_changes_the_estimate():
    from planar_cfn.inputs.stage_file import load

    values = load(EXAMPLE, "prod", environ={}, needs_secrets=False).parameters
    result = estimate(render(StackConfig.for_stage("prod")), values)
    # example.json: 2 tasks, no autoscaling; 0.5-4 ACU on writer and reader; a registry user
    assert line(result, "Fargate").low == line(result, "Fargate").high == 2 * Decimal("72.0802")
    assert line(result, "Aurora Serverless v2").high == 2 * 4 * Decimal("0.12") * H
    assert line(result, "Secrets Manager").low == Decimal("1.25")
    assert result.high != prod().high


def test_cost_prints_the_table_for_the_recommended_values():
    code, out, err = run(["--stage", "staging", "--cost"])
    assert code == 0, err
    expected = estimate(StackConfig.for_stage("staging"), RECOMMENDED["staging"])
    assert out.startswith(f"staging: monthly cost estimate, {expected.range()}\n")
    assert "values: the values docs/scaling-and-cost.md recommends for staging" in out
    assert expected.table() in out
    assert "prices: AWS pricing pages for US East (N. Virginia)" in out


def test_cost_with_a_stage_file_uses_its_values(tmp_path):
    data = json.loads(EXAMPLE.read_text())
    data["desired_count"] = 5
    path = tmp_path / "prod.json"
    path.write_text(json.dumps(data))
    code, out, err = run(["--stage", "prod", "--cost", "--stage-file", str(path)])
    assert code == 0, err
    assert f"730 h {X} 5 tasks; on-demand" in out
    assert f"values: the values in {path}" in out


def test_cost_calls_no_aws_and_writes_nothing(tmp_path, monkeypatch):
    def no_aws(*args, **kwargs):
        raise AssertionError("--cost reached for AWS")

    monkeypatch.setattr(deploy.Deployment, "prepare", no_aws)
    monkeypatch.setattr(aws_gateway.Aws, "connect", no_aws)
    code, _, _ = run(["--stage", "dev", "--cost", "--templates-dir", str(tmp_path)])
    assert code == 0
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--cost"], "one of the arguments --stage --all-stages is required"),
        (["--all-stages", "--cost"], "argument --all-stages: not allowed with argument --cost"),
        (["--stage", "dev", "--cost", "--dry-run"], "argument --dry-run: not allowed with"),
        (["--stage", "dev", "--cost", "--destroy"], "argument --destroy: not allowed with"),
        (["--stage", "dev", "--cost", "--check"], "argument --check: not allowed with"),
        (["--stage", "dev", "--cost", "--yes"], "argument --yes: not allowed with"),
        (
            ["--stage", "dev", "--cost", "--publish", "--artifact-bucket", "acme-artifacts"],
            "argument --publish: not allowed with argument --cost",
        ),
    ],
)
def test_cost_refuses_flags_that_act(argv, message, capsys):
    code, out, _ = run(argv)
    assert code == 2
    assert message in capsys.readouterr().err
    assert out == ""


def test_cost_with_a_missing_stage_file_says_so(tmp_path):
    missing = tmp_path / "nope.json"
    code, out, err = run(["--stage", "dev", "--cost", "--stage-file", str(missing)])
    assert code == 2
    assert f"{missing}: no such stage file; copy stages/example.json" in err
    assert out == ""


def test_cost_with_a_bad_stage_file_names_the_key(tmp_path):
    path = tmp_path / "dev.json"
    path.write_text(json.dumps({**json.loads(EXAMPLE.read_text()), "container_memory": 512}))
    code, _, err = run(["--stage", "dev", "--cost", "--stage-file", str(path)])
    assert code == 2
    assert "container_cpu = 2048, container_memory = 512: with CPU 2048, memory must be" in err


# The figures of docs/scaling-and-cost.md are the code's.


def _section(heading: str) -> str:
    # From the heading to the next one, or to the page's end.
    start = PAGE.index(heading)
    end = PAGE.find("\n## ", start + len(heading))
    return " ".join(PAGE[start : end if end != -1 else len(PAGE)].split())


def test_the_docs_cost_table_is_fresh():
    estimates = {
        stage: estimate(StackConfig.for_stage(stage), recommended_values(stage))
        for stage in ("dev", "staging", "prod")
    }
    table = stages_table(estimates, TERRAFORM_STAGING)
    assert " ".join(table.split()) in _section("## Cost"), (
        "docs/scaling-and-cost.md's cost table differs from the code:\n" + table
    )


def test_what_it_saves_uses_the_price_table():
    section = _section("## What it saves (us-east-1)")
    task = estimate(StackConfig.for_stage("dev"))
    on_demand = line(task, "Fargate").low
    spot = line(dev(FargateSpot="true"), "Fargate").low
    database = line(task, "Aurora Serverless v2").low
    paused = line(dev(AuroraMinCapacity="0"), "Aurora Serverless v2").low
    for figure in (
        f"${price('fargate_vcpu_hour')} per vCPU-hour",
        f"${price('fargate_gb_hour')} per GB-hour",
        f"${price('aurora_acu_hour')} per ACU-hour",
        f"${price('aurora_storage_gb_month')} per GB-month",
        f"${cents(on_demand)} a month on-demand",
        f"${cents(spot)} on Spot",
        f"${cents(on_demand - spot)} a month per task",
        f"${cents(database)} a month",
        f"(${cents(paused)} left)",
        f"{AS_OF.isoformat()}",
    ):
        assert figure in section, figure


def test_the_recommended_values_are_the_docs_scaling_table():
    start = PAGE.index("| stage | `autoscaling` | min-max tasks | `fargate_spot` |")
    rows = {}
    for row in PAGE[start:].splitlines()[2:5]:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        rows[cells[0]] = cells
    assert set(rows) == set(RECOMMENDED) == {"dev", "staging", "prod"}
    for stage, values in RECOMMENDED.items():
        _, autoscaling, tasks, spot, aurora, _ = rows[stage]
        assert autoscaling.startswith(f"`{values['Autoscaling']}`"), stage
        if values["Autoscaling"] == "true":
            assert tasks == f"{values['AutoscalingMinCount']}-{values['AutoscalingMaxCount']}"
        else:
            assert f"({values['DesiredCount']} task)" in autoscaling
        assert spot.startswith(f"`{values['FargateSpot']}`"), stage
        assert aurora.startswith(f"`{values['AuroraMinCapacity']}`"), stage
        if values["AuroraMinCapacity"] == "0":
            assert f"`{values['AuroraSecondsUntilAutoPause']}` s" in aurora
