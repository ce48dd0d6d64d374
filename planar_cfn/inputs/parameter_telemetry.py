"""The application's WorkOS sign-on ids and the OpenTelemetry collector beside it: the
rows of the parameter table for both, and what each may hold (docs/stack.md,
"The OpenTelemetry collector"; docs/security.md, "The telemetry token")."""

from __future__ import annotations

from .constraints import Pattern
from .parameter_observability import LOG_RETENTION_DAYS
from .parameter_spec import APPLICATION, OBSERVABILITY, ParameterSpec

# WorkOS ids are a type prefix and an opaque id (a ULID today): a client id client_...
# (older environments show project_...), an organization id org_.... The rest is held to
# letters and digits, which is all a ULID holds, so nothing else reaches the app.
WORKOS_CLIENT_ID = Pattern(
    r"^$|^(client|project)_[A-Za-z0-9]{1,64}$",
    "empty, or a WorkOS client id: client_ (or project_) and 1 to 64 letters or digits, "
    "such as client_01HZX3Y4ABCDEFGHJKMNPQRSTV",
)
WORKOS_ORG_ID = Pattern(
    r"^$|^org_[A-Za-z0-9]{1,64}$",
    "empty, or a WorkOS organization id: org_ and 1 to 64 letters or digits, such as "
    "org_01HZX3Y4ABCDEFGHJKMNPQRSTV",
)
# The collector's destination: an OTLP/HTTP base URL (the exporter adds /v1/traces,
# /v1/metrics and /v1/logs). HTTPS only: the token travels in its Authorization header,
# and TaskEgress https-and-database lets port 443 out. No user info, query or fragment.
TELEMETRY_ENDPOINT_MAX_LENGTH = 256
TELEMETRY_ENDPOINT = Pattern(
    r"^$|^https://[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]*)?$",
    f"empty, or an https:// URL of up to {TELEMETRY_ENDPOINT_MAX_LENGTH} characters: a host, "
    "an optional port and path, no user, query or fragment, such as "
    "https://telemetry.example.com",
)
# The name every telemetry-token secret a launch may name starts with. The execution
# role reads the secret into the collector, which sends it as a bearer token to
# TelemetryEndpoint, a URL the launch chooses: a free ARN would let whoever launches
# the product send any secret the role could be granted (an RDS-managed rds!... secret,
# another stack's) to a host they run. Only secrets named under this prefix, which an
# administrator creates for the purpose, are accepted, and the execution role reads
# the name in the stack's own account and region (secrets.own_account_secret).
TELEMETRY_SECRET_PREFIX = "planar/telemetry/"
TELEMETRY_SECRET_ARN = Pattern(
    r"^$|^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:"
    + TELEMETRY_SECRET_PREFIX
    + r"[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$",
    f"empty, or the complete ARN of a Secrets Manager secret in the stack's account "
    f"named {TELEMETRY_SECRET_PREFIX}..., ending in the 6-character suffix after the name "
    f"(such as ...:secret:{TELEMETRY_SECRET_PREFIX}gateway-AbC123); no other secret",
)
# Written into OTEL_RESOURCE_ATTRIBUTES (comma-separated key=value pairs, values
# percent-encoded) and into the collector's resource attributes: characters that need
# no encoding there.
CUSTOMER_NAME = Pattern(
    r"^$|^[A-Za-z0-9._-]{1,64}$",
    "empty (the application name), or 1 to 64 letters, digits, '.', '_' or '-'",
)
# The Terraform module's otel_log_retention_days.
COLLECTOR_LOG_RETENTION_DEFAULT = "7"
BOOLEAN = ("true", "false")

SPECS: tuple[ParameterSpec, ...] = (
    ParameterSpec(
        "WorkosClientId",
        "workos_client_id",
        APPLICATION,
        "WorkOS client id",
        "The WorkOS client id the application signs users on with, given to it as "
        "WORKOS_CLIENT_ID. Empty: the variable is not set.",
        default="",
        pattern=WORKOS_CLIENT_ID,
    ),
    ParameterSpec(
        "WorkosOrgId",
        "workos_org_id",
        APPLICATION,
        "WorkOS organization id",
        "The WorkOS organization whose users sign on, given to the application as "
        "WORKOS_ORG_ID. Empty: the variable is not set.",
        default="",
        pattern=WORKOS_ORG_ID,
    ),
    ParameterSpec(
        "Telemetry",
        "telemetry",
        OBSERVABILITY,
        "OpenTelemetry collector",
        "true: every task runs an OpenTelemetry collector (AWS Distro for OpenTelemetry) "
        "beside the application, which sends it traces, metrics and logs over OTLP; the "
        "collector forwards them to TelemetryEndpoint with the token in "
        "TelemetryTokenSecretArn, both then required. false: no collector.",
        default="false",
        allowed=BOOLEAN,
    ),
    ParameterSpec(
        "TelemetryEndpoint",
        "telemetry_endpoint",
        OBSERVABILITY,
        "Telemetry endpoint",
        "With Telemetry true: the OTLP/HTTP base URL the collector sends to, such as "
        "https://telemetry.example.com (the collector adds /v1/traces, /v1/metrics, "
        "/v1/logs). TaskEgress https-and-database lets only port 443 out.",
        default="",
        pattern=TELEMETRY_ENDPOINT,
        max_length=TELEMETRY_ENDPOINT_MAX_LENGTH,
    ),
    ParameterSpec(
        "TelemetryTokenSecretArn",
        "telemetry_token_secret_arn",
        OBSERVABILITY,
        "Telemetry token secret",
        "With Telemetry true: the complete ARN of a Secrets Manager secret in this account "
        f"and region, named {TELEMETRY_SECRET_PREFIX}..., whose value is the bearer token "
        "the collector sends to TelemetryEndpoint. ECS reads it when a task starts; it is "
        "never in the template.",
        default="",
        pattern=TELEMETRY_SECRET_ARN,
    ),
    ParameterSpec(
        "TelemetryCustomerName",
        "telemetry_customer_name",
        OBSERVABILITY,
        "Telemetry customer name",
        "The customer.name resource attribute on everything the collector sends. Empty: "
        "the application name.",
        default="",
        pattern=CUSTOMER_NAME,
    ),
    ParameterSpec(
        "TelemetryContainerMetrics",
        "telemetry_container_metrics",
        OBSERVABILITY,
        "Telemetry: task and container metrics",
        "With Telemetry true: true, the collector also reads the task's CPU, memory, "
        "network and storage metrics from the ECS task metadata endpoint and sends them; "
        "false: only what the application sends.",
        default="false",
        allowed=BOOLEAN,
    ),
    ParameterSpec(
        "TelemetryLogsPipeline",
        "telemetry_logs_pipeline",
        OBSERVABILITY,
        "Telemetry: application logs",
        "With Telemetry true: true, the collector also forwards the OTLP logs the "
        "application sends; false: it forwards traces and metrics only. The application's "
        "standard output goes to CloudWatch Logs either way.",
        default="false",
        allowed=BOOLEAN,
    ),
    ParameterSpec(
        "TelemetryLogRetentionDays",
        "telemetry_log_retention_days",
        OBSERVABILITY,
        "Telemetry: collector log retention (days)",
        "With Telemetry true: days CloudWatch Logs keeps the collector's own log.",
        default=COLLECTOR_LOG_RETENTION_DEFAULT,
        allowed=LOG_RETENTION_DAYS,
    ),
)
