"""The us-east-1 list prices the cost estimate uses (cost.py), in one dated table.

Each price's `source` names where its figure was read, and when: AWS's own pricing page
for US East (N. Virginia) where its text was found, otherwise the third-party pages that
quote it, saying so. `AS_OF` is the date the table was last checked against those
sources, not a date AWS set the prices. AWS changes prices, and other regions differ:
check the AWS pricing pages before relying on these.
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
    "AWS pricing pages for US East (N. Virginia) as transcribed on 2026-09-20 (Route 53, "
    "load balancer, Secrets Manager, Fargate vCPU) or stored undated (KMS keys, Fargate "
    "Spot), except Fargate memory, Aurora, CloudWatch Logs and metrics, KMS requests, WAF and "
    "ECR: found on "
    "no AWS page, so taken from third-party pages of March to June 2026; table checked "
    f"{AS_OF.isoformat()}. Check aws.amazon.com/pricing before relying on them."
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


_NOT_FOUND = "no AWS pricing page's text with this figure was found"
_TOOLKIT = "AWS's agent-toolkit-for-aws (github.com/aws), as its us-east-1 fallback"

_TABLE = (
    Price(
        "fargate_vcpu_hour",
        Decimal("0.04048"),
        "vCPU-hour (Fargate, Linux/x86, on-demand)",
        "aws.amazon.com/ecs/pricing as transcribed on 2026-09-20: $0.000011244 per "
        "vCPU-second in its US East example, the same rate ($0.04048 an hour as wring.co "
        "quotes it, March 2026)",
    ),
    Price(
        "fargate_gb_hour",
        Decimal("0.004445"),
        "GB-hour of task memory (Fargate, Linux/x86, on-demand)",
        f"AWS Fargate pricing as quoted by vantage.sh and wring.co (March 2026); {_NOT_FOUND}",
    ),
    Price(
        # Not a list price: Spot prices vary with spare capacity. AWS advertises "up to
        # 70%" off on-demand, and the estimate takes that whole discount.
        "fargate_spot_discount",
        Decimal("0.70"),
        "fraction off the on-demand Fargate price on Fargate Spot (AWS: up to 70%)",
        'aws.amazon.com/fargate/pricing, stored copy, undated: Fargate Spot runs "at up '
        'to a 70% discount off the regular Fargate price"',
    ),
    Price(
        "aurora_acu_hour",
        Decimal("0.12"),
        "ACU-hour (Aurora Serverless v2, Aurora Standard, PostgreSQL)",
        "Amazon Aurora pricing as quoted by c3x.dev and factualminds.com (June 2026), and "
        f"{_TOOLKIT} (updated 2026-03-28); {_NOT_FOUND}",
    ),
    Price(
        "aurora_storage_gb_month",
        Decimal("0.10"),
        "GB-month of cluster storage (Aurora Standard)",
        "Amazon Aurora pricing as quoted by jusdb.com and awsnegotiations.com (May 2026), "
        f"and {_TOOLKIT} (updated 2026-03-28); {_NOT_FOUND}",
    ),
    Price(
        "aurora_io_million",
        Decimal("0.20"),
        "million I/O requests (Aurora Standard)",
        f"Amazon Aurora pricing as quoted by jusdb.com (2026), and {_TOOLKIT}; {_NOT_FOUND}",
    ),
    Price(
        "alb_hour",
        Decimal("0.0225"),
        "Application Load Balancer-hour",
        "aws.amazon.com/elasticloadbalancing/pricing as transcribed on 2026-09-20 (its "
        'US East example: "$0.0225 hourly charge")',
    ),
    Price(
        "alb_lcu_hour",
        Decimal("0.008"),
        "LCU-hour (Application Load Balancer capacity unit)",
        "aws.amazon.com/elasticloadbalancing/pricing as transcribed on 2026-09-20 (its "
        'US East example: "$0.008 per LCU")',
    ),
    Price(
        "route53_zone_month",
        Decimal("0.50"),
        "hosted zone-month (the first 25 zones)",
        'aws.amazon.com/route53/pricing as transcribed on 2026-09-20: "$0.50 per hosted '
        'zone per month for the first 25 hosted zones"',
    ),
    Price(
        "secret_month",
        Decimal("0.40"),
        "secret-month (Secrets Manager)",
        "aws.amazon.com/secrets-manager/pricing as transcribed on 2026-09-20 (its pricing "
        'examples: "$0.40 / secret / month")',
    ),
    Price(
        "secret_api_10k",
        Decimal("0.05"),
        "10,000 Secrets Manager API calls",
        "aws.amazon.com/secrets-manager/pricing as transcribed on 2026-09-20 (its pricing "
        'examples: "$0.05/10,000 calls")',
    ),
    Price(
        "logs_ingest_gb",
        Decimal("0.50"),
        "GB of CloudWatch Logs ingested (Standard log class)",
        f"Amazon CloudWatch pricing as quoted by c3x.dev and hykell.com (June 2026); {_NOT_FOUND}",
    ),
    Price(
        "logs_storage_gb_month",
        Decimal("0.03"),
        "GB-month of CloudWatch Logs stored",
        f"Amazon CloudWatch pricing as quoted by c3x.dev and hykell.com (June 2026); {_NOT_FOUND}",
    ),
    Price(
        "kms_key_month",
        Decimal("1.00"),
        "customer-managed KMS key-month (before its first rotation)",
        'aws.amazon.com/kms/pricing, stored copy, undated: each key "costs $1/month", and '
        "each rotation's new backing key an additional $1/month",
    ),
    Price(
        "kms_requests_10k",
        Decimal("0.03"),
        "10,000 KMS requests",
        f"AWS KMS pricing as quoted by wring.co and factualminds.com (June 2026); {_NOT_FOUND}",
    ),
    Price(
        "waf_web_acl_month",
        Decimal("5.00"),
        "WAF web ACL-month",
        f"AWS WAF pricing as quoted by c3x.dev and awsnegotiations.com (2026); {_NOT_FOUND}",
    ),
    Price(
        "waf_rule_month",
        Decimal("1.00"),
        "WAF rule-month (a managed rule group counts as one rule)",
        f"AWS WAF pricing as quoted by c3x.dev (2026); {_NOT_FOUND}",
    ),
    Price(
        "waf_requests_million",
        Decimal("0.60"),
        "million requests the web ACL inspects",
        f"AWS WAF pricing as quoted by c3x.dev and awsnegotiations.com (2026); {_NOT_FOUND}",
    ),
    Price(
        "ecr_storage_gb_month",
        Decimal("0.10"),
        "GB-month of images in a private ECR repository",
        "Amazon ECR pricing (US East) as quoted by cloudburn.io and wring.co (March 2026); "
        f"{_NOT_FOUND}",
    ),
)
# The observability switches' prices (parameter_observability): Container Insights'
# metrics and the web ACL's capacity beyond its included units.
_OBSERVABILITY = (
    Price(
        "cloudwatch_metric_month",
        Decimal("0.30"),
        "metric-month (CloudWatch custom metrics, the first 10,000)",
        "Amazon CloudWatch pricing as quoted in the CloudWatch pricing tiers of "
        "github.com/nishinoshake/aws-rough issue 37 (first 10,000 metrics $0.30); the "
        "CloudWatch User Guide (ContainerInsights.html) says Container Insights' metrics "
        f"are charged as custom metrics; {_NOT_FOUND}",
    ),
    Price(
        "cloudwatch_alarm_metric_month",
        Decimal("0.10"),
        "alarm metric-month (CloudWatch standard-resolution alarm, per metric it reads)",
        "Amazon CloudWatch pricing, from memory: $0.10 per standard-resolution alarm metric "
        "a month, a metric-math alarm billed per metric it reads; the free tier's 10 alarm "
        f"metrics are not counted; {_NOT_FOUND}",
    ),
    Price(
        "waf_extra_wcu_500_million",
        Decimal("0.20"),
        "million requests for each 500 web ACL capacity units beyond the 1,500 included",
        "AWS WAF pricing, as recalled: the web ACL price covers 1,500 WCUs (stated by "
        "aws/agent-toolkit-for-aws's WAF reference, 2026); the per-request figure was "
        f"found on no stored page; {_NOT_FOUND}",
    ),
)
PRICES: Mapping[str, Price] = MappingProxyType({p.name: p for p in (*_TABLE, *_OBSERVABILITY)})


def price(name: str) -> Decimal:
    """The amount of price `name`; KeyError naming the prices when there is none."""
    try:
        return PRICES[name].amount
    except KeyError:
        raise KeyError(f"no price {name!r}; the prices: {', '.join(PRICES)}") from None
