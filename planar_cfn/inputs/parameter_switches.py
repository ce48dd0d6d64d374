"""The hardening switches of the parameter table: where the stack's defaults are wider
than they need be (the Data API, the tasks' egress), the parameter that narrows them,
and the limits that guard the edge and the database (docs/security.md)."""

from __future__ import annotations

from . import constraints as c
from .parameter_spec import DATABASE, NETWORK, SECURITY, ParameterSpec

# The tasks' egress: everything (the default), or HTTPS anywhere and PostgreSQL to the
# database's security group only.
TASK_EGRESS_ALL = "all"
TASK_EGRESS_RESTRICTED = "https-and-database"

SWITCHES: tuple[ParameterSpec, ...] = (
    ParameterSpec(
        "TaskEgress",
        "task_egress",
        NETWORK,
        "Task egress",
        f"{TASK_EGRESS_ALL}: the tasks may open any outbound connection. "
        f"{TASK_EGRESS_RESTRICTED}: only HTTPS (443) anywhere and PostgreSQL (5432) to the "
        "database; Bedrock, Secrets Manager, S3, ECR and CloudWatch Logs are all HTTPS, "
        "through NAT or VPC endpoints, but a registry or a service on another port is cut "
        "off. Recommended for prod.",
        default=TASK_EGRESS_ALL,
        allowed=(TASK_EGRESS_ALL, TASK_EGRESS_RESTRICTED),
    ),
    ParameterSpec(
        "DatabaseDataApi",
        "database_data_api",
        DATABASE,
        "RDS Data API",
        "true: the cluster's HTTP endpoint (RDS Data API) is on, so anyone in the account "
        "allowed rds-data calls and the database secret can run SQL without network access "
        "to the database; false: off. The application does not use it. false recommended "
        "for prod.",
        default="true",
        allowed=("true", "false"),
    ),
    ParameterSpec(
        "DatabaseRequireTls",
        "database_require_tls",
        DATABASE,
        "Require TLS to the database",
        "true: the cluster refuses connections without TLS (rds.force_ssl 1); the "
        "application's PostgreSQL drivers negotiate TLS by default. false: TLS is offered, "
        "not required.",
        default="true",
        allowed=("true", "false"),
    ),
    ParameterSpec(
        "WafRateLimit",
        "waf_rate_limit",
        SECURITY,
        "WAF rate limit",
        "With WebAcl create: requests one client IP address may send in any 5 minutes "
        "before the web ACL blocks it for a while. Each request may call Bedrock, so a "
        "flood costs money: the limit bounds what one address can spend.",
        default=c.WAF_RATE_LIMIT_DEFAULT,
        min_value=c.WAF_RATE_LIMIT_RANGE[0],
        max_value=c.WAF_RATE_LIMIT_RANGE[1],
        template_pattern=c.WAF_RATE_LIMIT,
    ),
)

# The permissions boundary every role of the stack carries (docs/security.md).
BOUNDARY = ParameterSpec(
    "PermissionsBoundary",
    "permissions_boundary",
    SECURITY,
    "Permissions boundary",
    "Name of a managed policy in this account that every role the stack creates carries "
    "as its permissions boundary. Service Catalog launches need planar-permissions-boundary "
    "(the launch role creates no role without it). Empty: no boundary.",
    default="",
    pattern=c.POLICY_NAME.or_empty(),
)
