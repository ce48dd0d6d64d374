"""The monthly cost estimate: the arithmetic against cases worked by hand, each switch
moving the estimate the way it should, stage-file values, `build.py --cost` and its bad
input, the build summary's line, and the figures of docs/scaling-and-cost.md kept equal to
the code's."""

import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from planar_cfn import PRICES, StackConfig, Stage, estimate
from planar_cfn.aws import gateway as aws_gateway
from planar_cfn.cli import commands as cli
from planar_cfn.deploy import engine as deploy
from planar_cfn.reports.cost import RECOMMENDED, Estimate, recommended_values, stages_table
from planar_cfn.reports.prices import AS_OF, HOURS_PER_MONTH, price
from planar_cfn.template.render import render

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "scaling-and-cost.md").read_text()
EXAMPLE = ROOT / "stages" / "example.json"
H = Decimal(730)  # hours in the month AWS's pricing pages count
CENT = Decimal("0.01")
X, TO = "\N{MULTIPLICATION SIGN}", "\N{EN DASH}"  # as the estimate writes them
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


# The table: the figures below are the ones the hand-worked cases use.


def test_the_price_table_holds_the_published_figures_with_units_and_sources():
    assert AS_OF.isoformat() == "2026-12-03"
    assert HOURS_PER_MONTH == H
    expected = {
        "fargate_vcpu_hour": "0.04048",
        "fargate_gb_hour": "0.004445",
        "fargate_spot_discount": "0.70",
        "aurora_acu_hour": "0.12",
        "aurora_storage_gb_month": "0.10",
        "aurora_io_million": "0.20",
        "alb_hour": "0.0225",
        "alb_lcu_hour": "0.008",
        "route53_zone_month": "0.50",
        "secret_month": "0.40",
        "secret_api_10k": "0.05",
        "logs_ingest_gb": "0.50",
        "logs_storage_gb_month": "0.03",
        "kms_key_month": "1.00",
        "kms_requests_10k": "0.03",
        "waf_web_acl_month": "5.00",
        "waf_rule_month": "1.00",
        "waf_requests_million": "0.60",
    }
    assert {name: str(p.amount) for name, p in PRICES.items()} == expected
    for p in PRICES.values():
        assert p.unit, p.name
        assert p.source, p.name
    with pytest.raises(KeyError, match="no price 'nat_hour'; the prices: fargate_vcpu_hour"):
        price("nat_hour")


# Arithmetic, worked by hand.


def test_one_default_task_on_demand():
    # 2 vCPU x $0.04048 x 730 h + 4 GB x $0.004445 x 730 h = 59.1008 + 12.9794
    fargate = line(dev(), "Fargate")
    assert fargate.low == fargate.high == Decimal("72.0802")
    assert f"2 vCPU {X} $0.04048 + 4 GB {X} $0.004445 = $0.09874 a task-hour" in fargate.assumption
    assert "1 task; on-demand" in fargate.assumption


def test_a_smaller_task_and_a_fixed_count():
    # (0.5 vCPU x 0.04048 + 1 GB x 0.004445) x 730 h x 3 tasks = 18.02005 x 3
    fargate = line(dev(ContainerCpu="512", ContainerMemory="1024", DesiredCount="3"), "Fargate")
    assert fargate.low == fargate.high == Decimal("54.06015")


def test_autoscaling_prices_the_minimum_low_and_the_maximum_high():
    fargate = line(
        prod(Autoscaling="true", AutoscalingMinCount="2", AutoscalingMaxCount="6"), "Fargate"
    )
    assert fargate.low == 2 * Decimal("72.0802")
    assert fargate.high == 6 * Decimal("72.0802")
    assert f"2{TO}6 tasks (autoscaling)" in fargate.assumption


def test_spot_takes_the_stated_discount():
    # 72.0802 x (1 - 0.70)
    fargate = line(dev(FargateSpot="true"), "Fargate")
    assert fargate.low == Decimal("21.62406")
    assert "Fargate Spot at 70% off" in fargate.assumption


def test_aurora_at_its_minimum_and_maximum():
    # 0.5 ACU x $0.12 x 730 h = 43.80; 2 ACU x $0.12 x 730 h = 175.20
    aurora = line(dev(), "Aurora Serverless v2")
    assert (aurora.low, aurora.high) == (Decimal("43.80"), Decimal("175.20"))
    # 10 GB x $0.10 + 10 million I/O x $0.20 = 3.00; with 100 million I/O: 21.00
    storage = line(dev(), "Aurora storage and I/O")
    assert (storage.low, storage.high) == (Decimal("3.00"), Decimal("21.00"))


def test_auto_pause_bills_only_the_stated_hours_in_use():
    # 8 h on 22 working days, and 300 s more each day before it pauses:
    # 0.5 ACU x 22 x (8 + 300 / 3600) h x $0.12 = 0.06 x 177.8333 = 10.67; high unchanged
    aurora = line(dev(AuroraMinCapacity="0"), "Aurora Serverless v2")
    assert aurora.low == Decimal("10.67")
    assert aurora.high == Decimal("175.20")
    assert (
        "in use 8 h on 22 days and 5 min more each day before it pauses (177.8 h) at 0.5 ACU"
        in aurora.assumption
    )
    # Half an hour before it pauses: 0.06 x 22 x 8.5 h = 11.22
    later = dev(AuroraMinCapacity="0", AuroraSecondsUntilAutoPause="1800")
    assert line(later, "Aurora Serverless v2").low == Decimal("11.22")


def test_the_load_balancer_secrets_zone_and_logs():
    result = dev()
    alb = line(result, "Application Load Balancer")
    # 730 h x ($0.0225 + 1 LCU x $0.008) = 22.265; with 2 LCU: 28.105
    assert (alb.low, alb.high) == (Decimal("22.265"), Decimal("28.105"))
    # the custom secret and the RDS-managed master secret: 2 x $0.40 + $0.05 for 10,000 calls
    secrets = line(result, "Secrets Manager")
    assert secrets.low == secrets.high == Decimal("0.85")
    route53 = line(result, "Route 53")
    assert route53.low == route53.high == Decimal("0.50")
    # The service's group (14 days) and RDS's PostgreSQL group (counted at 30 days):
    # 1 GB each: 2 x $0.50 ingested + (14 + 30) / 30 GB kept x $0.03 = 1.00 + 0.044
    logs = line(result, "CloudWatch Logs")
    assert logs.low == Decimal("1.044")
    assert logs.high == 10 * Decimal("1.044")
    # The bucket emptier's log group (dev only) is written once per stack delete.
    assert "2 log groups (1 the containers write to, kept 14 days" in logs.assumption


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
    ]
    # 72.0802 + 43.80 + 3.00 + 22.265 + 0.50 + 0.85 + 1.044
    assert result.low == Decimal("143.5392")
    assert result.range() == f"$143.54{TO}$308.18"


# Each switch moves the estimate the way it should.


def test_spot_lowers_fargate_and_the_total():
    on_demand, spot = dev(), dev(FargateSpot="true")
    assert line(spot, "Fargate").low < line(on_demand, "Fargate").low
    assert line(spot, "Fargate").high < line(on_demand, "Fargate").high
    assert spot.low < on_demand.low


def test_auto_pause_lowers_only_aurora_low():
    always, pausing = dev(), dev(AuroraMinCapacity="0")
    assert line(pausing, "Aurora Serverless v2").low < line(always, "Aurora Serverless v2").low
    assert line(pausing, "Aurora Serverless v2").high == line(always, "Aurora Serverless v2").high


def test_the_key_adds_its_line():
    assert dev().line("KMS") is None
    kms = line(dev(CustomerManagedKey="true"), "KMS")
    # $1.00 a key-month + 20,000 requests x $0.03 per 10,000; 100,000 requests high
    assert (kms.low, kms.high) == (Decimal("1.06"), Decimal("1.30"))
    assert dev(CustomerManagedKey="true").low == dev().low + kms.low


def test_a_created_web_acl_adds_its_line_and_an_existing_one_is_yours():
    assert dev().line("WAF") is None
    waf = line(dev(WebAcl="create"), "WAF")
    # $5 + 3 managed rule groups x $1 + 1 million requests x $0.60; 10 million high
    assert (waf.low, waf.high) == (Decimal("8.60"), Decimal("14.00"))
    arn = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/shared/0123abcd-0123-4567-89ab-0123456789ab"
    attached = dev(WebAcl=arn)
    assert attached.line("WAF") is None
    assert any("existing web ACL" in item for item in attached.excluded)


def test_readers_multiply_aurora():
    one = estimate(StackConfig(stage=Stage("qa", protected=False, reader_count=0)))
    three = estimate(StackConfig(stage=Stage("qa", protected=False, reader_count=2)))
    assert line(three, "Aurora Serverless v2").low == 3 * line(one, "Aurora Serverless v2").low
    assert line(three, "Aurora Serverless v2").high == 3 * line(one, "Aurora Serverless v2").high
    # prod's one reader: 2 instances x 0.5 ACU x $0.12 x 730 h
    assert line(prod(), "Aurora Serverless v2").low == Decimal("87.60")


def test_more_tasks_or_capacity_raise_the_high():
    base = prod(Autoscaling="true", AutoscalingMaxCount="4")
    assert prod(Autoscaling="true", AutoscalingMaxCount="8").high > base.high
    assert prod(AuroraMaxCapacity="8").high > prod().high


def test_registry_credentials_add_a_secret():
    assert line(dev(RegistryUsername="bot"), "Secrets Manager").low == Decimal("1.25")


def test_sidecar_logs_count():
    from planar_cfn import Sidecar

    config = StackConfig(
        stage=Stage("qa", protected=False, reader_count=0),
        sidecars=(Sidecar(name="otel", image="public.ecr.aws/x/otel:1"),),
    )
    # three groups at 1 GB: 3 x $0.50 + (14 + 14 + 30) / 30 x $0.03
    assert line(estimate(config), "CloudWatch Logs").low == Decimal("1.558")


def test_bedrock_and_data_transfer_are_said_to_be_left_out():
    excluded = " ".join(dev().excluded)
    assert "Bedrock" in excluded
    assert "data transfer" in excluded
    assert "Container Insights (enhanced)" in excluded


# Bad values are refused, naming the value and what is allowed.


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"Bogus": "1"}, "Bogus: not a template parameter; allowed: AppName"),
        ({"DesiredCount": "x"}, "DesiredCount = 'x': must be a whole number from 0 to 100"),
        ({"ContainerMemory": "512"}, "With 2048 CPU units, ContainerMemory must be one of 4096"),
        ({"AuroraMinCapacity": "4"}, "AuroraMinCapacity must not be above 2."),
        ({"FargateSpot": "true"}, "FargateSpot must be false in prod"),
    ],
)
def test_bad_values_are_refused(values, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        estimate(StackConfig.for_stage("prod"), values)


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
