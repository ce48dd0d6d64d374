"""The table of deploy-time inputs: every template Parameter with its stage-file key,
its launch-form group and label, and its constraint."""

from __future__ import annotations

from . import (
    app_settings,
    parameter_integrations,
    parameter_observability,
    parameter_rollout,
    parameter_spec,
    parameter_switches,
    parameter_telemetry,
)
from . import constraints as c
from .parameter_spec import ParameterSpec

GROUPS = parameter_spec.GROUPS
APPLICATION, NETWORK, DOMAIN, CONTAINER, SCALING, DATABASE, STORAGE, SECURITY, _ = GROUPS


# Where a stage file's registry password comes from: passwords never go in the file.
PASSWORD_ENV = "PLANAR_REGISTRY_PASSWORD"


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
    *app_settings.SPECS,
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
        "Container registry host and optional path, without scheme; empty with EcrRepository.",
        default="",
        pattern=c.REGISTRY_URL.or_empty(),
    ),
    ParameterSpec(
        "ContainerImageName",
        "container_image_name",
        CONTAINER,
        "Image name",
        "Image path inside the registry; empty with EcrRepository.",
        default="",
        pattern=c.IMAGE_NAME.or_empty(),
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
        "Complete ARN (with the 6-character suffix) of an existing secret in this "
        'account named planar/registry/..., holding {"username","password"} for a private '
        "registry. Leave empty for ECR, public images, or a username below.",
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
        "Availability Zones of the private subnets for the database, writer first "
        "(a stage with readers needs one per instance). Leave empty to let RDS choose.",
        default="",
        is_list=True,
        pattern=c.AVAILABILITY_ZONE,
        template_pattern=c.DATABASE_ZONES,
    ),
    ParameterSpec(
        "CorsAllowedOrigins",
        "cors_allowed_origins",
        STORAGE,
        "CORS origins",
        "Origins that may GET objects from the bucket in a browser, comma-separated; null "
        "(file: pages, sandboxed frames) only if listed. Empty: no CORS rule.",
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
        "none; create (a web ACL with a per-address rate limit, AWS's IP reputation list and "
        "the AWS managed Common, KnownBadInputs and SQLi rules, large-body rules counted so "
        "uploads keep working, logged to CloudWatch Logs); or an existing regional web ACL's ARN.",
        default="none",
        pattern=c.WEB_ACL,
    ),
    *parameter_observability.SPECS,
    *parameter_rollout.SPECS,
    *parameter_switches.SWITCHES,
    *parameter_integrations.SPECS,
    parameter_switches.BOUNDARY,
    *parameter_telemetry.SPECS,
)
SPECS_BY_NAME = {spec.name: spec for spec in SPECS}
SPECS_BY_KEY = {spec.key: spec for spec in SPECS}
