"""The dated price table: each us-east-1 figure the estimate uses, with its unit and
its source, and an unknown price refused naming the ones there are."""

import pytest

from planar_cfn import PRICES
from planar_cfn.reports.prices import AS_OF, HOURS_PER_MONTH, price
from tests.reports.estimates import H


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
        "cloudwatch_metric_month": "0.30",
        "cloudwatch_alarm_metric_month": "0.10",
        "waf_extra_wcu_500_million": "0.20",
        "ecr_storage_gb_month": "0.10",
    }
    assert {name: str(p.amount) for name, p in PRICES.items()} == expected
    for p in PRICES.values():
        assert p.unit, p.name
        assert p.source, p.name
    with pytest.raises(KeyError, match="no price 'nat_hour'; the prices: fargate_vcpu_hour"):
        price("nat_hour")
