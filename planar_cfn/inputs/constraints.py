"""What every input may hold: one table read by the template's Parameters and
Rules and by the Python validation of stage files, so the two never disagree."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# Fargate task sizes: CPU units -> memory (MiB) allowed with them.
FARGATE_MEMORY_BY_CPU: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}
FARGATE_MEMORY_VALUES: tuple[int, ...] = tuple(
    sorted({m for mems in FARGATE_MEMORY_BY_CPU.values() for m in mems})
)

# Aurora Serverless v2 capacity in ACUs. CloudFormation Rules cannot compare
# numbers, only test membership, so "min <= max" is written as one rule per
# maximum; a ladder of about x1.5 steps keeps those rules small. 0 turns on auto-pause.
AURORA_CAPACITY_STEPS: tuple[str, ...] = (
    "0",
    "0.5",
    "1",
    "1.5",
    "2",
    "3",
    "4",
    "6",
    "8",
    "12",
    "16",
    "24",
    "32",
    "48",
    "64",
    "96",
    "128",
    "192",
    "256",
)
AURORA_MIN_CAPACITY_VALUES = AURORA_CAPACITY_STEPS
AURORA_MAX_CAPACITY_VALUES = tuple(s for s in AURORA_CAPACITY_STEPS if Decimal(s) >= 1)

# cfn-lint W3690: 16.6 and older can no longer create clusters.
AURORA_ENGINE_VERSION_DEFAULT = "16.11"
BACKUP_RETENTION_RANGE = (1, 35)
DESIRED_COUNT_RANGE = (0, 100)
# Autoscaling's task counts, on a ladder for the same reason as the Aurora capacities:
# "minimum <= maximum" is one Rule per maximum. At least 1 task: with none, the load
# balancer has no target, so the requests-per-target metric never asks for a first one.
TASK_COUNT_STEPS: tuple[str, ...] = (
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "8",
    "10",
    "12",
    "16",
    "20",
    "24",
    "32",
    "40",
    "48",
    "64",
    "80",
    "100",
)
# Target tracking on average CPU, in percent: below 10 it scales out at idle, above 90
# a burst saturates the tasks before new ones start.
CPU_TARGET_RANGE = (10, 90)
# Longest app name for which every derived name fits its service's limit; see naming.py.
APP_NAME_MAX_LENGTH = 36


@dataclass(frozen=True)
class Pattern:
    """A regular expression CloudFormation and Python both enforce, with the
    sentence a person reads when a value does not match."""

    regex: str
    allowed: str

    def matches(self, value: str) -> bool:
        """Whether the whole of `value` matches."""
        return re.fullmatch(self.regex, value) is not None

    def or_empty(self) -> Pattern:
        """The same pattern, or nothing: for an optional value."""
        return Pattern(f"^$|{self.regex}", f"empty, or {self.allowed}")

    def list_of(self) -> Pattern:
        """The whole comma-separated list, empty or each item matching this pattern.
        CloudFormation checks a CommaDelimitedList item by item, and so cannot tell an
        empty list (its default) from an empty item; a String parameter with this can."""
        item = self.regex.removeprefix("^").removesuffix("$")
        return Pattern(
            f"^$|^({item})(,({item}))*$",
            "empty, or comma-separated values without spaces or empty items, each " + self.allowed,
        )


def whole_number(low: int, high: int) -> Pattern:
    """A whole number in [low, high], for a String parameter: a Number parameter would
    also take 1.5, which ECS and RDS refuse."""
    return Pattern(
        "^(" + "|".join(str(n) for n in range(low, high + 1)) + ")$",
        f"a whole number from {low} to {high}",
    )


# Target tracking on ALBRequestCountPerTarget: requests per task per minute.
REQUESTS_PER_TARGET_RANGE = (10, 99999)
REQUESTS_PER_TARGET = Pattern(
    r"^[1-9][0-9]{1,4}$", "a whole number of requests per task per minute from 10 to 99999"
)
# Aurora Serverless v2 pauses after this many idle seconds when the minimum capacity is
# 0: 300 to 86400 (RDS API Reference, ServerlessV2ScalingConfiguration,
# SecondsUntilAutoPause).
AUTO_PAUSE_SECONDS_RANGE = (300, 86400)
AUTO_PAUSE_SECONDS = Pattern(
    r"^(30[0-9]|3[1-9][0-9]|[4-9][0-9]{2}|[1-9][0-9]{3}|[1-7][0-9]{4}|8[0-5][0-9]{3}"
    r"|86[0-3][0-9]{2}|86400)$",
    "a whole number of seconds from 300 (5 minutes) to 86400 (one day)",
)


APP_NAME = Pattern(
    r"^[a-z]([a-z0-9]*(-[a-z0-9]+)*)$",
    f"1-{APP_NAME_MAX_LENGTH} characters: lowercase letters, digits and single hyphens, "
    "starting with a letter and not ending with a hyphen",
)
# ACM refuses a certificate's first name (its Common Name) over 64 octets, while a
# subject alternative name may hold 253 (ACM API Reference, RequestCertificate,
# DomainName). The base domain is the first name, so it is capped at 64.
CERTIFICATE_FIRST_NAME_MAX_LENGTH = 64
DOMAIN_NAME = Pattern(
    rf"^(?=.{{1,{CERTIFICATE_FIRST_NAME_MAX_LENGTH}}}$)([a-z0-9]([a-z0-9-]{{0,61}}[a-z0-9])?\.)+[a-z]{{2,63}}$",
    f"a lowercase DNS name of at most {CERTIFICATE_FIRST_NAME_MAX_LENGTH} characters such as "
    "example.com (no scheme, no trailing dot)",
)
VPC_ID = Pattern(r"^vpc-([0-9a-f]{8}|[0-9a-f]{17})$", "a VPC id such as vpc-0123456789abcdef0")
SUBNET_ID = Pattern(
    r"^subnet-([0-9a-f]{8}|[0-9a-f]{17})$", "a subnet id such as subnet-0123456789abcdef0"
)
HOSTED_ZONE_ID = Pattern(
    r"^Z[0-9A-Z]{1,31}$", "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ"
)
CIDR = Pattern(
    r"^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)/(1[6-9]|2[0-8])$",
    "an IPv4 CIDR block with a /16 to /28 prefix, such as 10.0.0.0/16",
)
REGISTRY_URL = Pattern(
    r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9._-]+)*$",
    "a registry host with optional port and path, no scheme, such as ghcr.io/acme "
    "or 123456789012.dkr.ecr.us-east-1.amazonaws.com",
)
IMAGE_NAME = Pattern(
    r"^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$",
    "a lowercase image path such as planar-app or team/planar-app",
)
# A tag, or an image digest written @sha256:<64 hex>: the template then pins the image
# as {registry}/{name}@sha256:... (registry.py), which a retagged image cannot change.
IMAGE_TAG = Pattern(
    r"^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$",
    "a Docker tag (up to 128 letters, digits, '_', '.' or '-', not starting with '.' or "
    "'-'), or an image digest @sha256: and 64 lowercase hex digits",
)
# No leading zero: "16.02" is no version, and would slip past the auto-pause rule.
ENGINE_VERSION = Pattern(
    r"^16\.(0|[1-9][0-9]*)$", "an Aurora PostgreSQL 16 minor version such as 16.11"
)
# A minimum capacity of 0 (auto-pause) needs Aurora PostgreSQL 16.3 or later in major
# version 16 (Aurora User Guide, "Aurora Serverless v2 capacity"); RDS refuses it before.
AUTO_PAUSE_FIRST_VERSION = "16.3"
NO_AUTO_PAUSE_VERSIONS: tuple[str, ...] = ("16.0", "16.1", "16.2")
# "null" (the origin of file: pages, sandboxed frames and redirects) only when listed.
CORS_ORIGIN = Pattern(
    r"^(https?://[A-Za-z0-9*.-]+(:[0-9]{1,5})?|null)$",
    "an origin with scheme and host, such as https://app.example.com (no path), or null",
)
# A WAF rate-based rule's limit: 10 to 2,000,000,000 requests per evaluation window
# (AWS WAF API Reference, RateBasedStatement). 500 in 5 minutes is 100 a minute from one
# address, above what one person's browser sends.
WAF_RATE_LIMIT_RANGE = (10, 2_000_000_000)
WAF_RATE_LIMIT = Pattern(
    r"^([1-9][0-9]{1,8}|1[0-9]{9}|2000000000)$",
    "a whole number of requests from 10 to 2000000000",
)
WAF_RATE_LIMIT_DEFAULT = "500"

# The name every registry-credentials secret a launch may name starts with. The
# execution role may read the secret and ECS sends its username and password to the
# registry host, so a free ARN would let whoever launches the product send any
# secret of that shape (an RDS-managed master secret, rds!cluster-...) to a host they
# run. Only secrets named under this prefix, which an administrator creates for the
# purpose, are accepted; the execution role reads the name in the stack's own account.
REGISTRY_SECRET_PREFIX = "planar/registry/"
# The complete ARN, with the 6-character suffix Secrets Manager appends to the name:
# the execution role's policy names the secret by this ARN, and a partial one matches
# no secret, so the image pull would be denied.
SECRET_ARN = Pattern(
    r"^$|^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:"
    + REGISTRY_SECRET_PREFIX
    + r"[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$",
    f"empty, or the complete ARN of a Secrets Manager secret in the stack's account "
    f"named {REGISTRY_SECRET_PREFIX}..., ending in the 6-character suffix after the name "
    f"(such as ...:secret:{REGISTRY_SECRET_PREFIX}ghcr-AbC123); no other secret, such as "
    "an RDS-managed rds!... secret",
)
# Stored inside a JSON string by the template: no quote, backslash or control character.
REGISTRY_PASSWORD = Pattern(
    r'^[^"\\\x00-\x1f]{0,4096}$',
    "up to 4096 characters without double quotes, backslashes or control characters",
)
REGISTRY_USERNAME = Pattern(
    r'^[^\s"\\]{0,256}$', "empty, or up to 256 characters without spaces, quotes or backslashes"
)
AVAILABILITY_ZONE = Pattern(
    r"^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$", "an Availability Zone name such as us-east-1a"
)
# Each zone once: the template puts the writer in the first and each reader in the
# next, so a zone named twice would put a reader beside the writer. The lookahead
# and back-reference read alike in Python and in Java, whose syntax CloudFormation's
# patterns follow (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-regexes.html).
_ZONES = AVAILABILITY_ZONE.list_of()
_ONCE_EACH = r"^(?!(.*,)?([^,]+),(.*,)?\2(,|$))"
DATABASE_ZONES = Pattern(
    _ONCE_EACH + "(" + _ZONES.regex + ")$", _ZONES.allowed + ", no zone named twice"
)


def database_zones(instances: int) -> Pattern:
    """The zones of a stage with `instances` database instances: any list for a lone
    writer (empty lets RDS choose), but one distinct zone per instance once there are
    readers, or RDS may put a reader beside the writer. A Rule cannot count a list's
    items (its functions compare and test membership), so the count is in the pattern."""
    if instances < 2:
        return DATABASE_ZONES
    zone = AVAILABILITY_ZONE.regex.removeprefix("^").removesuffix("$")
    return Pattern(
        f"{_ONCE_EACH}({zone})(,({zone})){{{instances - 1},}}$",
        f"{instances} or more comma-separated Availability Zone names without spaces, such as "
        f"us-east-1a, writer first, no zone named twice",
    )


# The Anthropic Claude models the original README names. They run only through
# cross-region inference profiles (us., eu., global., ...), not on demand.
# "IAM and AWS STS quotas": a managed policy's name, 1-128 of these characters.
POLICY_NAME = Pattern(
    r"^[\w+=,.@-]{1,128}$", "an IAM managed policy name such as planar-permissions-boundary"
)
CLAUDE_MODELS = (
    "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "anthropic.claude-opus-4-5-20251101-v1:0",
)
# CloudFormation cannot loop over a list without a Transform: the policy has this
# many model slots, and the parameter's pattern refuses a longer list, so no
# listed model is ever dropped.
MAX_BEDROCK_MODELS = 4
_MODEL = r"[a-z0-9-]+\.[a-z0-9.:-]+"
BEDROCK_MODEL_ID = Pattern(
    rf"^\*$|^{_MODEL}$",
    "a Bedrock model id such as anthropic.claude-sonnet-4-5-20250929-v1:0, or * alone for every model",
)
BEDROCK_MODEL_LIST = Pattern(
    rf"^(\*|{_MODEL}(,{_MODEL}){{0,{MAX_BEDROCK_MODELS - 1}}})$",
    f"1 to {MAX_BEDROCK_MODELS} Bedrock model ids, separated by commas without spaces, such as "
    "anthropic.claude-sonnet-4-5-20250929-v1:0, or * alone for every model",
)


S3_BUCKET = Pattern(
    r"^(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
    "an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and "
    "ending with a letter or digit",
)
WEB_ACL = Pattern(
    r"^(none|create|arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/.+)$",
    "none, create, or the ARN of an existing regional WAF web ACL",
)


def memory_allowed(cpu: int) -> tuple[int, ...]:
    """The Fargate memory sizes (MiB) a task of `cpu` units may have; none for a CPU
    Fargate does not offer."""
    return FARGATE_MEMORY_BY_CPU.get(cpu, ())


def capacity(value: str) -> Decimal | None:
    """An Aurora capacity as a number, or None when `value` is not a finite number."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
