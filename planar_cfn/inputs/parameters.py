"""Deploy-time inputs: the template's Parameters, Conditions, Rules and launch-form
metadata, all generated from one table that Python validation reads as well."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from troposphere import And, Condition, Equals, Not, Or, Parameter, Ref, Template

from . import constraints as c

APPLICATION, NETWORK, DOMAIN, CONTAINER, SCALING, DATABASE, STORAGE, SECURITY = (
    "Application",
    "Network",
    "Domain and certificate",
    "Container",
    "Scaling and capacity",
    "Database",
    "Storage",
    "Security",
)


@dataclass(frozen=True)
class ParameterSpec:
    """One input: its CloudFormation parameter and its key in a stage file."""

    name: str
    key: str
    group: str
    label: str
    description: str
    type: str = "String"
    default: str | None = None
    pattern: c.Pattern | None = None
    allowed: tuple[str, ...] = ()
    min_value: int | None = None
    max_value: int | None = None
    max_length: int | None = None
    no_echo: bool = False
    is_list: bool = False
    max_items: int | None = None
    # May not be written in a stage file (passwords come from the environment).
    secret: bool = False
    constraint_description: str = field(default="")
    # The template's AllowedPattern when it differs from the per-item `pattern`.
    template_pattern: c.Pattern | None = None

    @property
    def required(self) -> bool:
        """True when the input has no default."""
        return self.default is None

    def allowed_text(self) -> str:
        """What the input allows, as the end of a sentence ("one of true, false")."""
        if self.constraint_description:
            return self.constraint_description
        if self.allowed:
            return "one of " + ", ".join(self.allowed)
        if self.pattern:
            return self.pattern.allowed
        if self.min_value is not None:
            return f"a whole number from {self.min_value} to {self.max_value}"
        return "any value"

    def constraint_sentence(self) -> str:
        """What the launch form says when a value is refused. A list is checked item by
        item, so the sentence says so rather than asking for a single value."""
        if self.template_pattern:
            return "Must be " + self.template_pattern.allowed + "."
        text = self.allowed_text()
        if self.is_list:
            item = text.removeprefix("empty, or ")
            text = ("empty, or " if self.default == "" else "one or more ") + (
                "comma-separated values, each " + item
            )
        return "Must be " + text + "."

    def check(self, value: str) -> str | None:
        """Return what is allowed when `value` breaks this input's own constraint."""
        # Not stripped: the value goes to AWS as written, and " subnet-..." is no subnet.
        items = value.split(",") if self.is_list else [value]
        if self.is_list and value == "":
            items = [] if self.default == "" else [""]
        if self.max_length is not None and len(value) > self.max_length:
            return self.allowed_text()
        if self.max_items is not None and len(items) > self.max_items:
            return f"at most {self.max_items} values, each {self.allowed_text()}"
        # The template matches this against the whole value as sent, spaces included: a
        # list with * among models, or a space after a comma, is refused there too.
        if self.template_pattern and not self.template_pattern.matches(value):
            return self.template_pattern.allowed
        for item in items:
            if self.allowed and item not in self.allowed:
                return self.allowed_text()
            if self.pattern and not self.pattern.matches(item):
                return self.allowed_text()
            if self.min_value is not None and (
                not item.lstrip("-").isdigit()
                or not self.min_value <= int(item) <= (self.max_value or 0)
            ):
                return self.allowed_text()
        return None

    def parameter(self) -> Parameter:
        """The template's Parameter for this input."""
        props: dict[str, Any] = {"Type": self.type, "Description": self.description}
        if self.default is not None:
            props["Default"] = self.default
        if self.allowed:
            props["AllowedValues"] = list(self.allowed)
        # AWS documents AllowedPattern for String and CommaDelimitedList only; AWS-specific
        # types are checked against the account instead (the stage file checks the form).
        pattern = self.template_pattern or self.pattern
        aws_typed = self.type.startswith(("AWS::", "List<AWS::"))
        if pattern and not aws_typed:
            props["AllowedPattern"] = pattern.regex
        if self.min_value is not None and self.type == "Number":
            props["MinValue"] = self.min_value
            props["MaxValue"] = self.max_value
        if self.max_length is not None:
            props["MaxLength"] = self.max_length
        if self.no_echo:
            props["NoEcho"] = True
        constrained = self.allowed or (pattern and not aws_typed) or self.max_length is not None
        if constrained or self.min_value is not None:
            props["ConstraintDescription"] = self.constraint_sentence()
        return Parameter(self.name, **props)


def _cpu_memory_text() -> str:
    return "; ".join(
        f"CPU {cpu}: {mems[0]}-{mems[-1]}" for cpu, mems in c.FARGATE_MEMORY_BY_CPU.items()
    )


SPECS: tuple[ParameterSpec, ...] = (
    ParameterSpec(
        "AppName",
        "app_name",
        APPLICATION,
        "Application name",
        "Short name used in every resource name and in the domain {app}-{stage}.{base domain} "
        "(a subject alternative name of the certificate: up to 253 characters, so every "
        "accepted app name and base domain fit).",
        pattern=c.APP_NAME,
        max_length=c.APP_NAME_MAX_LENGTH,
    ),
    ParameterSpec(
        "VpcId",
        "vpc_id",
        NETWORK,
        "VPC",
        "Existing VPC that holds the subnets.",
        type="AWS::EC2::VPC::Id",
        pattern=c.VPC_ID,
    ),
    ParameterSpec(
        "VpcCidr",
        "vpc_cidr",
        NETWORK,
        "VPC CIDR block",
        "The VPC's IPv4 CIDR: an internal load balancer accepts HTTP(S) from it, and the "
        "load balancer reaches the tasks within it.",
        pattern=c.CIDR,
    ),
    ParameterSpec(
        "Subnets",
        "subnets",
        NETWORK,
        "Private subnets",
        "Required: two or more private subnets in two or more Availability Zones (the "
        "database subnet group and an internal load balancer need two zones), for the "
        "tasks and the database; they need a NAT route to reach Bedrock and the registry. "
        "Without AlbSubnets the load balancer takes these, one per zone: with more, set "
        "AlbSubnets.",
        type="List<AWS::EC2::Subnet::Id>",
        pattern=c.SUBNET_ID,
        is_list=True,
    ),
    ParameterSpec(
        "AlbSubnets",
        "alb_subnets",
        NETWORK,
        "Load balancer subnets",
        "Required when the load balancer is internet-facing (AlbInternal false): two or "
        "more public subnets in two or more Availability Zones, one per zone, each routing "
        "0.0.0.0/0 to an internet gateway. Leave empty only for an internal load balancer, "
        "which then uses the private subnets.",
        default="",
        is_list=True,
        pattern=c.SUBNET_ID,
        template_pattern=c.SUBNET_ID.list_of(),
    ),
    ParameterSpec(
        "AlbInternal",
        "alb_internal",
        NETWORK,
        "Internal load balancer",
        "true: the load balancer is reachable only inside the VPC; false: internet-facing.",
        default="false",
        allowed=("true", "false"),
    ),
    ParameterSpec(
        "BaseDomainName",
        "base_domain_name",
        DOMAIN,
        "Base domain",
        "Domain of a public hosted zone, at most 64 characters (ACM's limit on a "
        "certificate's first name, which this domain is); the application answers at "
        "{app}-{stage}.{base domain}.",
        pattern=c.DOMAIN_NAME,
    ),
    ParameterSpec(
        "HostedZoneId",
        "hosted_zone_id",
        DOMAIN,
        "Hosted zone",
        "Public Route 53 hosted zone of the base domain, in this account (the certificate "
        "is validated through it; ACM cannot validate through a private zone).",
        type="AWS::Route53::HostedZone::Id",
        pattern=c.HOSTED_ZONE_ID,
    ),
    ParameterSpec(
        "ContainerRegistryUrl",
        "container_registry_url",
        CONTAINER,
        "Registry",
        "Container registry host and optional path, without scheme.",
        pattern=c.REGISTRY_URL,
    ),
    ParameterSpec(
        "ContainerImageName",
        "container_image_name",
        CONTAINER,
        "Image name",
        "Image path inside the registry.",
        pattern=c.IMAGE_NAME,
    ),
    ParameterSpec(
        "ContainerImageTag",
        "container_image_tag",
        CONTAINER,
        "Image tag",
        "Image tag to run.",
        default="latest",
        pattern=c.IMAGE_TAG,
    ),
    ParameterSpec(
        "RegistryCredentialsSecretArn",
        "registry_credentials_secret_arn",
        CONTAINER,
        "Registry credentials secret",
        "Complete ARN (with the 6-character suffix) of an existing secret holding "
        '{"username","password"} for a private registry. Leave empty for ECR, public '
        "images, or a username below.",
        default="",
        pattern=c.SECRET_ARN,
    ),
    ParameterSpec(
        "RegistryUsername",
        "registry_username",
        CONTAINER,
        "Registry username",
        "Username for a private registry; the stack stores it with the password in a "
        "new secret. Leave empty when no credentials are needed.",
        default="",
        pattern=c.REGISTRY_USERNAME,
    ),
    ParameterSpec(
        "RegistryPassword",
        "registry_password",
        CONTAINER,
        "Registry password",
        "Password or token for the registry username. Required with a username.",
        default="",
        no_echo=True,
        secret=True,
        pattern=c.REGISTRY_PASSWORD,
    ),
    ParameterSpec(
        "ContainerCpu",
        "container_cpu",
        CONTAINER,
        "Task CPU units",
        "Fargate CPU units (1024 = 1 vCPU).",
        default="2048",
        allowed=tuple(str(cpu) for cpu in c.FARGATE_MEMORY_BY_CPU),
    ),
    ParameterSpec(
        "ContainerMemory",
        "container_memory",
        CONTAINER,
        "Task memory (MiB)",
        "Fargate memory in MiB; must suit the CPU (" + _cpu_memory_text() + ").",
        default="4096",
        allowed=tuple(str(m) for m in c.FARGATE_MEMORY_VALUES),
        constraint_description="a Fargate memory size in MiB (" + _cpu_memory_text() + ")",
    ),
    ParameterSpec(
        "DesiredCount",
        "desired_count",
        CONTAINER,
        "Task count",
        "Number of tasks to keep running while Autoscaling is false. With Autoscaling true "
        "it is not sent: a deploy keeps the count autoscaling set.",
        default="1",
        min_value=c.DESIRED_COUNT_RANGE[0],
        max_value=c.DESIRED_COUNT_RANGE[1],
        template_pattern=c.whole_number(*c.DESIRED_COUNT_RANGE),
    ),
    ParameterSpec(
        "Autoscaling",
        "autoscaling",
        SCALING,
        "Autoscaling",
        "true: Application Auto Scaling keeps the task count between the minimum and the "
        "maximum, tracking average CPU and requests per task, and deploys leave the count "
        "alone; false: DesiredCount tasks.",
        default="false",
        allowed=("true", "false"),
    ),
    ParameterSpec(
        "AutoscalingMinCount",
        "autoscaling_min_count",
        SCALING,
        "Autoscaling minimum tasks",
        "Fewest tasks autoscaling keeps running. Not above the maximum.",
        default="1",
        allowed=c.TASK_COUNT_STEPS,
    ),
    ParameterSpec(
        "AutoscalingMaxCount",
        "autoscaling_max_count",
        SCALING,
        "Autoscaling maximum tasks",
        "Most tasks autoscaling starts.",
        default="4",
        allowed=c.TASK_COUNT_STEPS,
    ),
    ParameterSpec(
        "AutoscalingCpuTarget",
        "autoscaling_cpu_target",
        SCALING,
        "Target CPU (%)",
        "Average CPU utilization of the tasks that autoscaling keeps the service near.",
        default="60",
        min_value=c.CPU_TARGET_RANGE[0],
        max_value=c.CPU_TARGET_RANGE[1],
        template_pattern=c.whole_number(*c.CPU_TARGET_RANGE),
    ),
    ParameterSpec(
        "AutoscalingRequestsPerTarget",
        "autoscaling_requests_per_target",
        SCALING,
        "Target requests per task (per minute)",
        "Load balancer requests per task per minute that autoscaling keeps the service near.",
        default="1000",
        min_value=c.REQUESTS_PER_TARGET_RANGE[0],
        max_value=c.REQUESTS_PER_TARGET_RANGE[1],
        template_pattern=c.REQUESTS_PER_TARGET,
    ),
    ParameterSpec(
        "FargateSpot",
        "fargate_spot",
        SCALING,
        "Fargate Spot",
        "true: the tasks run on Fargate Spot, up to 70% cheaper, and AWS may stop a task "
        "with two minutes' notice; false: on-demand Fargate. Refused in prod.",
        default="false",
        allowed=("true", "false"),
    ),
    ParameterSpec(
        "AuroraEngineVersion",
        "aurora_engine_version",
        DATABASE,
        "Aurora PostgreSQL version",
        "Aurora PostgreSQL 16 minor version.",
        default=c.AURORA_ENGINE_VERSION_DEFAULT,
        pattern=c.ENGINE_VERSION,
    ),
    ParameterSpec(
        "AuroraMinCapacity",
        "aurora_min_capacity",
        DATABASE,
        "Minimum capacity (ACU)",
        "Serverless v2 minimum ACUs; 0 pauses an idle database. Not above the maximum.",
        default="0.5",
        allowed=c.AURORA_MIN_CAPACITY_VALUES,
    ),
    ParameterSpec(
        "AuroraMaxCapacity",
        "aurora_max_capacity",
        DATABASE,
        "Maximum capacity (ACU)",
        "Serverless v2 maximum ACUs.",
        default="2",
        allowed=c.AURORA_MAX_CAPACITY_VALUES,
    ),
    ParameterSpec(
        "AuroraSecondsUntilAutoPause",
        "aurora_seconds_until_auto_pause",
        DATABASE,
        "Auto-pause after (seconds)",
        "With a minimum capacity of 0, the database pauses after this many seconds without "
        "connections (0 ACUs billed while paused; the first connection waits for it to "
        "resume). Ignored otherwise.",
        default="300",
        min_value=c.AUTO_PAUSE_SECONDS_RANGE[0],
        max_value=c.AUTO_PAUSE_SECONDS_RANGE[1],
        template_pattern=c.AUTO_PAUSE_SECONDS,
    ),
    ParameterSpec(
        "BackupRetentionDays",
        "backup_retention_days",
        DATABASE,
        "Backup retention (days)",
        "Days of automated backups to keep.",
        default="7",
        min_value=c.BACKUP_RETENTION_RANGE[0],
        max_value=c.BACKUP_RETENTION_RANGE[1],
        template_pattern=c.whole_number(*c.BACKUP_RETENTION_RANGE),
    ),
    ParameterSpec(
        "DatabaseAvailabilityZones",
        "database_availability_zones",
        DATABASE,
        "Database Availability Zones",
        "Availability Zones of the private subnets, writer first; each reader goes in "
        "the next, so prod needs two. Leave empty to let RDS choose.",
        default="",
        is_list=True,
        pattern=c.AVAILABILITY_ZONE,
        template_pattern=c.AVAILABILITY_ZONE.list_of(),
    ),
    ParameterSpec(
        "CorsAllowedOrigins",
        "cors_allowed_origins",
        STORAGE,
        "CORS origins",
        "Origins that may GET objects from the bucket in a browser, comma-separated "
        '("null" is always allowed).',
        default="",
        is_list=True,
        pattern=c.CORS_ORIGIN,
        template_pattern=c.CORS_ORIGIN.list_of(),
    ),
    ParameterSpec(
        "BedrockModelIds",
        "bedrock_model_ids",
        SECURITY,
        "Bedrock models",
        f"Bedrock model ids the tasks may invoke, on demand or through this account's "
        f"cross-region inference profiles (us., eu., global. ...), comma-separated; at most "
        f"{c.MAX_BEDROCK_MODELS}. A single * allows every model.",
        default=",".join(c.CLAUDE_MODELS),
        is_list=True,
        pattern=c.BEDROCK_MODEL_ID,
        max_items=c.MAX_BEDROCK_MODELS,
        # A String, not a CommaDelimitedList, so that the pattern sees the whole list and
        # a launch form refuses a list longer than the policy's model slots.
        template_pattern=c.BEDROCK_MODEL_LIST,
    ),
    ParameterSpec(
        "CustomerManagedKey",
        "customer_managed_key",
        SECURITY,
        "Customer-managed KMS key",
        "true: the stack creates a KMS key, rotated yearly, for the secrets, logs, database, "
        "Performance Insights and bucket; false: AWS-managed keys. Chosen when the stack is "
        "created: the named database cannot be replaced to switch it later. The key outlives "
        "the stack in every stage (what it encrypted may too) and costs 1 USD a month, more "
        "once rotated, until its deletion is scheduled.",
        default="false",
        allowed=("true", "false"),
    ),
    ParameterSpec(
        "AccessLogsBucket",
        "access_logs_bucket",
        SECURITY,
        "Access logs bucket",
        "Existing bucket, in this region, that receives the load balancer's and the "
        "application bucket's access logs (its policy must allow both to write). Empty: no "
        "access logs.",
        default="",
        pattern=c.S3_BUCKET.or_empty(),
    ),
    ParameterSpec(
        "WebAcl",
        "web_acl",
        SECURITY,
        "WAF web ACL",
        "none; create (a web ACL with the AWS managed Common, KnownBadInputs and SQLi rules, "
        "large-body rules counted so uploads keep working); or an existing regional web ACL's ARN.",
        default="none",
        pattern=c.WEB_ACL,
    ),
)
SPECS_BY_NAME = {spec.name: spec for spec in SPECS}
SPECS_BY_KEY = {spec.key: spec for spec in SPECS}
GROUPS = (APPLICATION, NETWORK, DOMAIN, CONTAINER, SCALING, DATABASE, STORAGE, SECURITY)


def fargate_memory_problem(cpu: str, memory: str) -> str | None:
    """What is wrong with this Fargate CPU and memory pair, or None when AWS allows it."""
    allowed = c.memory_allowed(int(cpu)) if cpu.isdigit() else ()
    if memory.isdigit() and int(memory) in allowed:
        return None
    return f"with CPU {cpu}, memory must be one of {', '.join(map(str, allowed))}"


def aurora_capacity_problem(minimum: str, maximum: str) -> str | None:
    """What is wrong with this Aurora capacity range, or None when the minimum is not
    above the maximum."""
    low, high = c.capacity(minimum), c.capacity(maximum)
    if low is None or high is None or low <= high:
        return None
    return f"the minimum capacity {minimum} is above the maximum {maximum}"


def task_count_problem(minimum: str, maximum: str) -> str | None:
    """What is wrong with this autoscaling range, or None when the minimum is not above
    the maximum."""
    if not (minimum.isdigit() and maximum.isdigit()) or int(minimum) <= int(maximum):
        return None
    return f"the minimum task count {minimum} is above the maximum {maximum}"


def registry_problem(secret_arn: str, username: str, password: str) -> str | None:
    """What is wrong with these registry credential inputs, or None when they go together."""
    if secret_arn and username:
        return "give either an existing secret ARN or a username and password, not both"
    if username and not password:
        return "a registry username needs a password"
    if password and not username:
        return "a registry password needs a username"
    return None


@dataclass(frozen=True)
class Params:
    """Handles to the template's inputs: `params["AppName"]` is a `Ref` to that
    parameter (any name in SPECS), and each field below names a condition that
    resources take as `Condition=` or in `If(...)`."""

    refs: Mapping[str, Ref]
    has_alb_subnets: str = "HasAlbSubnets"
    alb_internal: str = "AlbIsInternal"
    create_registry_secret: str = "CreateRegistrySecret"
    use_existing_registry_secret: str = "UseExistingRegistrySecret"
    use_registry_credentials: str = "UseRegistryCredentials"
    has_cors_origins: str = "HasCorsOrigins"
    all_bedrock_models: str = "AllBedrockModels"
    customer_managed_key: str = "UseCustomerManagedKey"
    has_access_logs: str = "HasAccessLogs"
    create_web_acl: str = "CreateWebAcl"
    attach_web_acl: str = "AttachWebAcl"
    autoscaling: str = "UseAutoscaling"
    fargate_spot: str = "UseFargateSpot"
    aurora_auto_pause: str = "AuroraAutoPause"

    def __getitem__(self, name: str) -> Ref:
        """The `Ref` to parameter `name`; KeyError naming the parameters when unknown."""
        try:
            return self.refs[name]
        except KeyError:
            raise KeyError(
                f"no parameter {name!r}; the parameters: {', '.join(self.refs)}"
            ) from None


def _blank(ref: Ref) -> Equals:
    return Equals(ref, "")


def _not_above_rules(
    prefix: str,
    params: Params,
    low_name: str,
    high_name: str,
    low_values: tuple[str, ...],
    high_values: tuple[str, ...],
) -> dict[str, dict[str, Any]]:
    """ "low_name not above high_name", as one rule per maximum: Rules cannot compare
    numbers, only test membership."""
    rules: dict[str, dict[str, Any]] = {}
    for maximum in high_values:
        lows = [v for v in low_values if Decimal(v) <= Decimal(maximum)]
        highs = [v for v in low_values if v not in lows]
        if not highs:
            continue
        # Whichever list is shorter: the rules are a large part of the template.
        contains: object = {"Fn::Contains": [lows, params[low_name]]}
        if len(highs) < len(lows):
            contains = Not({"Fn::Contains": [highs, params[low_name]]})
        rules[prefix + maximum.replace(".", "p")] = {
            "RuleCondition": Equals(params[high_name], maximum),
            "Assertions": [
                {
                    "Assert": contains,
                    "AssertDescription": f"{low_name} must not be above {maximum}.",
                }
            ],
        }
    return rules


def _rules(params: Params) -> dict[str, dict[str, Any]]:
    rules: dict[str, dict[str, Any]] = {}
    for cpu, memories in c.FARGATE_MEMORY_BY_CPU.items():
        rules[f"FargateMemoryForCpu{cpu}"] = {
            "RuleCondition": Equals(params["ContainerCpu"], str(cpu)),
            "Assertions": [
                {
                    "Assert": {
                        "Fn::Contains": [[str(m) for m in memories], params["ContainerMemory"]]
                    },
                    "AssertDescription": f"With {cpu} CPU units, ContainerMemory must be one of "
                    + ", ".join(map(str, memories))
                    + ".",
                }
            ],
        }
    rules.update(
        _not_above_rules(
            "AuroraCapacityMax",
            params,
            "AuroraMinCapacity",
            "AuroraMaxCapacity",
            c.AURORA_MIN_CAPACITY_VALUES,
            c.AURORA_MAX_CAPACITY_VALUES,
        )
    )
    rules.update(
        _not_above_rules(
            "AutoscalingCountMax",
            params,
            "AutoscalingMinCount",
            "AutoscalingMaxCount",
            c.TASK_COUNT_STEPS,
            c.TASK_COUNT_STEPS,
        )
    )
    rules["RegistryCredentials"] = {
        "Assertions": [
            {
                "Assert": Or(
                    _blank(params["RegistryCredentialsSecretArn"]),
                    _blank(params["RegistryUsername"]),
                ),
                "AssertDescription": "Give RegistryCredentialsSecretArn or RegistryUsername, not both.",
            },
            {
                "Assert": Or(
                    And(_blank(params["RegistryUsername"]), _blank(params["RegistryPassword"])),
                    And(
                        Not(_blank(params["RegistryUsername"])),
                        Not(_blank(params["RegistryPassword"])),
                    ),
                ),
                "AssertDescription": "RegistryUsername and RegistryPassword go together.",
            },
        ]
    }
    # Internet-facing in the private subnets is unreachable, or refused where the VPC has
    # no internet gateway.
    rules["InternetFacingLoadBalancerSubnets"] = {
        "RuleCondition": Equals(params["AlbInternal"], "false"),
        "Assertions": [
            {
                "Assert": Not(_blank(params["AlbSubnets"])),
                "AssertDescription": "An internet-facing load balancer (AlbInternal false) needs "
                "AlbSubnets: two or more public subnets in two or more Availability Zones.",
            }
        ],
    }
    return rules


def add_parameters(template: Template) -> Params:
    """Add every input in SPECS as a parameter, with the conditions, the Rules and the
    launch form's groups and labels; return the handles to them."""
    params = Params(
        refs=MappingProxyType(
            {spec.name: Ref(template.add_parameter(spec.parameter())) for spec in SPECS}
        )
    )
    conditions = {
        params.has_alb_subnets: Not(_blank(params["AlbSubnets"])),
        params.alb_internal: Equals(params["AlbInternal"], "true"),
        params.create_registry_secret: Not(_blank(params["RegistryUsername"])),
        params.use_existing_registry_secret: Not(_blank(params["RegistryCredentialsSecretArn"])),
        params.use_registry_credentials: Or(
            Condition(params.create_registry_secret), Condition(params.use_existing_registry_secret)
        ),
        params.has_cors_origins: Not(_blank(params["CorsAllowedOrigins"])),
        params.all_bedrock_models: Equals(params["BedrockModelIds"], "*"),
        params.customer_managed_key: Equals(params["CustomerManagedKey"], "true"),
        params.has_access_logs: Not(_blank(params["AccessLogsBucket"])),
        params.create_web_acl: Equals(params["WebAcl"], "create"),
        params.attach_web_acl: Not(Equals(params["WebAcl"], "none")),
        params.autoscaling: Equals(params["Autoscaling"], "true"),
        params.fargate_spot: Equals(params["FargateSpot"], "true"),
        params.aurora_auto_pause: Equals(params["AuroraMinCapacity"], "0"),
    }
    for name, condition in conditions.items():
        template.add_condition(name, condition)
    for name, rule in _rules(params).items():
        template.add_rule(name, rule)
    template.set_metadata(
        {
            "AWS::CloudFormation::Interface": {
                "ParameterGroups": [
                    {
                        "Label": {"default": group},
                        "Parameters": [s.name for s in SPECS if s.group == group],
                    }
                    for group in GROUPS
                ],
                "ParameterLabels": {s.name: {"default": s.label} for s in SPECS},
            }
        }
    )
    return params
