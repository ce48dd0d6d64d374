"""The estimate's lines, one per service, against cases worked by hand: Fargate by
task size, count, autoscaling and Spot; Aurora by capacity, auto-pause and readers; the
load balancer, secrets, zone, logs, key and web ACL; and what no line counts."""

from decimal import Decimal

from planar_cfn import StackConfig, Stage, estimate
from planar_cfn.reports.prices import price
from tests.reports.estimates import TO, X, dev, line, prod


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
    # An open connection keeps the database awake, and the app's pool holds one.
    assert (
        "any open connection keeps it awake and the app's pool holds one, so this assumes an "
        "idle app"
    ) in aurora.assumption
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


def test_the_stacks_repository_adds_its_storage_line():
    assert dev().line("ECR") is None
    ecr = line(dev(EcrRepository="true"), "ECR")
    # 1 GB low, 10 GB high x $0.10 a GB-month
    assert (ecr.low, ecr.high) == (Decimal("0.10"), Decimal("1.00"))
    assert f"1{TO}10 GB of images {X} $0.10 a GB-month" in ecr.assumption
    assert dev(EcrRepository="true").high == dev().high + ecr.high


def test_a_created_web_acl_adds_its_line_and_an_existing_one_is_yours():
    assert dev().line("WAF") is None
    waf = line(dev(WebAcl="create"), "WAF")
    # $5 + the rate limit and 4 managed rule groups x $1 + 1 million requests x $0.60;
    # 10 million high
    assert (waf.low, waf.high) == (Decimal("10.60"), Decimal("16.00"))
    # Its logs: 1 GB (1 million requests x 1 GB) x ($0.50 + 14/30 x $0.03); high 10 x 2 GB
    logs = line(dev(WebAcl="create"), "WAF logs")
    assert (logs.low, logs.high) == (Decimal("0.514"), Decimal("10.28"))
    assert dev().line("WAF logs") is None
    arn = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/shared/0123abcd-0123-4567-89ab-0123456789ab"
    attached = dev(WebAcl=arn)
    assert attached.line("WAF") is None
    assert attached.line("WAF logs") is None
    assert any("existing web ACL" in item for item in attached.excluded)


def test_readers_multiply_aurora():
    one = estimate(StackConfig(stage=Stage("qa", protected=False, reader_count=0)))
    three = estimate(StackConfig(stage=Stage("qa", protected=False, reader_count=2)))
    assert line(three, "Aurora Serverless v2").low == 3 * line(one, "Aurora Serverless v2").low
    assert line(three, "Aurora Serverless v2").high == 3 * line(one, "Aurora Serverless v2").high
    # prod's one reader: 2 instances x 0.5 ACU x $0.12 x 730 h
    assert line(prod(), "Aurora Serverless v2").low == Decimal("87.60")


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
    # Container Insights has its own line now (test_observability_costs).
    assert "Container Insights" not in excluded


def test_the_collector_adds_its_line_only_when_on_and_no_fargate_of_its_own():
    assert dev().line("OpenTelemetry collector") is None
    assert not any("telemetry endpoint" in item for item in dev().excluded)
    on = dev(Telemetry="true", TelemetryLogRetentionDays="60")
    collector = line(on, "OpenTelemetry collector")
    ingest, store, secret = (
        price("logs_ingest_gb"),
        price("logs_storage_gb_month"),
        price("secret_month"),
    )
    # The token's secret, and 0.1 to 1 GB of its log kept a whole month (60 days, capped at 30).
    assert collector.low == secret + Decimal("0.1") * (ingest + store)
    assert collector.high == secret + 1 * (ingest + store)
    assert "no Fargate charge of its own" in collector.assumption
    # Its log group is on its line, not counted again among the containers' groups.
    assert line(on, "CloudWatch Logs") == line(dev(), "CloudWatch Logs")
    assert line(on, "Fargate") == line(dev(), "Fargate")
    assert any("telemetry endpoint's own charges" in item for item in on.excluded)
