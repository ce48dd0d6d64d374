"""The us-east-1 list prices the cost estimate uses (cost.py), in one dated table.

Every figure was read on `AS_OF` from published pages that quote AWS's pricing pages
for US East (N. Virginia); `SOURCE` and each price's `source` name them. AWS changes
prices, and other regions differ: check the AWS pricing pages before relying on these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import MappingProxyType

__all__ = ["AS_OF", "HOURS_PER_MONTH", "PRICES", "REGION", "SOURCE", "Price", "price"]

AS_OF = date(2026, 12, 3)
REGION = "us-east-1"
# AWS's pricing pages and calculator count a month as 730 hours (8,760 / 12).
HOURS_PER_MONTH = Decimal(730)
SOURCE = (
    "AWS pricing pages for US East (N. Virginia) as quoted, with their dates, by the "
    "published pages each price names (vantage.sh and wring.co for Fargate, March 2026; "
    "c3x.dev, factualminds.com and jusdb.com for Aurora, June 2026; cloud-horizons.com "
    "for the load balancer, May 2026; c3x.dev and hykell.com for CloudWatch Logs and "
    "WAF, June 2026; hivebook.wiki for Secrets Manager; eatsip365.com for Route 53; "
    "aws.amazon.com/kms/pricing and wring.co for KMS); "
    f"read on {AS_OF.isoformat()}. Check aws.amazon.com/pricing before relying on them."
)


@dataclass(frozen=True)
class Price:
    """One list price: `amount` US dollars per `unit`, read from `source`."""

    name: str
    amount: Decimal
    unit: str
    source: str

    def __str__(self) -> str:
        return f"${self.amount} per {self.unit}"


_TABLE = (
    Price(
        "fargate_vcpu_hour",
        Decimal("0.04048"),
        "vCPU-hour (Fargate, Linux/x86, on-demand)",
        "AWS Fargate pricing, as quoted by vantage.sh and wring.co (March 2026)",
    ),
    Price(
        "fargate_gb_hour",
        Decimal("0.004445"),
        "GB-hour of task memory (Fargate, Linux/x86, on-demand)",
        "AWS Fargate pricing, as quoted by vantage.sh and wring.co (March 2026)",
    ),
    Price(
        # Not a list price: Spot prices vary with spare capacity. AWS advertises "up to
        # 70%" off on-demand, and the estimate takes that whole discount.
        "fargate_spot_discount",
        Decimal("0.70"),
        "fraction off the on-demand Fargate price on Fargate Spot (AWS: up to 70%)",
        "AWS Fargate pricing, Fargate Spot, as quoted by wring.co (March 2026)",
    ),
    Price(
        "aurora_acu_hour",
        Decimal("0.12"),
        "ACU-hour (Aurora Serverless v2, Aurora Standard, PostgreSQL)",
        "Amazon Aurora pricing, as quoted by c3x.dev and factualminds.com (June 2026)",
    ),
    Price(
        "aurora_storage_gb_month",
        Decimal("0.10"),
        "GB-month of cluster storage (Aurora Standard)",
        "Amazon Aurora pricing, as quoted by jusdb.com and awsnegotiations.com (May 2026)",
    ),
    Price(
        "aurora_io_million",
        Decimal("0.20"),
        "million I/O requests (Aurora Standard)",
        "Amazon Aurora pricing, as quoted by jusdb.com (2026)",
    ),
    Price(
        "alb_hour",
        Decimal("0.0225"),
        "Application Load Balancer-hour",
        "Elastic Load Balancing pricing, as quoted by cloud-horizons.com (May 2026)",
    ),
    Price(
        "alb_lcu_hour",
        Decimal("0.008"),
        "LCU-hour (Application Load Balancer capacity unit)",
        "Elastic Load Balancing pricing, as quoted by cloud-horizons.com (May 2026)",
    ),
    Price(
        "route53_zone_month",
        Decimal("0.50"),
        "hosted zone-month (the first 25 zones)",
        "Amazon Route 53 pricing, as quoted by eatsip365.com",
    ),
    Price(
        "secret_month",
        Decimal("0.40"),
        "secret-month (Secrets Manager)",
        "AWS Secrets Manager pricing, as quoted by hivebook.wiki",
    ),
    Price(
        "secret_api_10k",
        Decimal("0.05"),
        "10,000 Secrets Manager API calls",
        "AWS Secrets Manager pricing, as quoted by hivebook.wiki",
    ),
    Price(
        "logs_ingest_gb",
        Decimal("0.50"),
        "GB of CloudWatch Logs ingested (Standard log class)",
        "Amazon CloudWatch pricing, as quoted by c3x.dev and hykell.com (June 2026)",
    ),
    Price(
        "logs_storage_gb_month",
        Decimal("0.03"),
        "GB-month of CloudWatch Logs stored",
        "Amazon CloudWatch pricing, as quoted by c3x.dev and hykell.com (June 2026)",
    ),
    Price(
        "kms_key_month",
        Decimal("1.00"),
        "customer-managed KMS key-month (before its first rotation)",
        "aws.amazon.com/kms/pricing (each rotation's new key material adds $1 a month)",
    ),
    Price(
        "kms_requests_10k",
        Decimal("0.03"),
        "10,000 KMS requests",
        "AWS KMS pricing, as quoted by wring.co and factualminds.com (June 2026)",
    ),
    Price(
        "waf_web_acl_month",
        Decimal("5.00"),
        "WAF web ACL-month",
        "AWS WAF pricing, as quoted by c3x.dev and awsnegotiations.com (2026)",
    ),
    Price(
        "waf_rule_month",
        Decimal("1.00"),
        "WAF rule-month (a managed rule group counts as one rule)",
        "AWS WAF pricing, as quoted by c3x.dev (2026)",
    ),
    Price(
        "waf_requests_million",
        Decimal("0.60"),
        "million requests the web ACL inspects",
        "AWS WAF pricing, as quoted by c3x.dev and awsnegotiations.com (2026)",
    ),
)
PRICES: Mapping[str, Price] = MappingProxyType({p.name: p for p in _TABLE})


def price(name: str) -> Decimal:
    """The amount of price `name`; KeyError naming the prices when there is none."""
    try:
        return PRICES[name].amount
    except KeyError:
        raise KeyError(f"no price {name!r}; the prices: {', '.join(PRICES)}") from None
