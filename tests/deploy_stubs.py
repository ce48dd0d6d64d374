"""A deploy against botocore Stubbers: every request is checked against the real
API model and, where given, against the exact expected arguments; a call nobody
stubbed fails the test, so no request can leave for AWS. The expected arguments
are written here (parameters, tags, stack policy, the minified template), not
computed by planar_cfn, so a change in what the deploy sends fails the tests."""

from __future__ import annotations

import hashlib
import io
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import botocore.endpoint
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber

from planar_cfn.aws.clock import Clock
from planar_cfn.aws.gateway import note_answers
from planar_cfn.cli import arguments
from planar_cfn.cli.report import deploy_voice, report
from planar_cfn.deploy import engine as deploy
from planar_cfn.errors import Interrupted, PlanarError
from planar_cfn.inputs.options import DeployOptions
from planar_cfn.inputs.stage_file import PASSWORD_ENV
from planar_cfn.inputs.stages import Stage, get_stage
from planar_cfn.template.render import Rendered

REGION = "us-east-1"
ACCOUNT = "123456789012"
T0 = datetime(2026, 11, 27, 10, 0, 0, tzinfo=UTC)


def NOW():
    return T0


CHANGE_SET_NAME = "planar-{stage}-20261127-100000"

# A complete, valid stage file (look-up keys given, so no look-up runs).
STAGE_VALUES: dict[str, Any] = {
    "app_name": "acme",
    "vpc_id": "vpc-0123456789abcdef0",
    "vpc_cidr": "10.0.0.0/16",
    "subnets": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"],
    # Internal: an internet-facing load balancer needs alb_subnets, and their look-up.
    "alb_internal": True,
    "base_domain_name": "example.com",
    "hosted_zone_id": "Z0123456789ABCDEFGHIJ",
    "container_registry_url": "ghcr.io/acme",
    "container_image_name": "planar-app",
    "container_image_tag": "1.4.2",
    "database_availability_zones": ["us-east-1a", "us-east-1b"],
    "template_bucket": "acme-cfn-templates",
}
TEMPLATE_BUCKET = STAGE_VALUES["template_bucket"]
# Every parameter in template order: (name, stage-file key, default; None: required).
PARAMETERS = [
    ("AppName", "app_name", None),
    # The application's settings: a stage file gives them as JSON objects, which
    # tests/deploy/test_app_settings_deploy.py sends in their parameters' forms.
    ("AppEnvironment", "environment", "{}"),
    ("AppSecrets", "secrets", ""),
    ("VpcId", "vpc_id", None),
    ("VpcCidr", "vpc_cidr", None),
    ("Subnets", "subnets", None),
    ("AlbSubnets", "alb_subnets", ""),
    ("AlbInternal", "alb_internal", "false"),
    ("BaseDomainName", "base_domain_name", None),
    ("HostedZoneId", "hosted_zone_id", None),
    ("ContainerRegistryUrl", "container_registry_url", ""),
    ("ContainerImageName", "container_image_name", ""),
    ("ContainerImageTag", "container_image_tag", "latest"),
    ("RegistryCredentialsSecretArn", "registry_credentials_secret_arn", ""),
    ("RegistryUsername", "registry_username", ""),
    ("RegistryPassword", "registry_password", ""),  # from the environment, never the file
    ("ContainerCpu", "container_cpu", "2048"),
    ("ContainerMemory", "container_memory", "4096"),
    ("DesiredCount", "desired_count", "1"),
    ("Autoscaling", "autoscaling", "false"),
    ("AutoscalingMinCount", "autoscaling_min_count", "1"),
    ("AutoscalingMaxCount", "autoscaling_max_count", "4"),
    ("AutoscalingCpuTarget", "autoscaling_cpu_target", "60"),
    ("AutoscalingRequestsPerTarget", "autoscaling_requests_per_target", "1000"),
    ("FargateSpot", "fargate_spot", "false"),
    ("AuroraEngineVersion", "aurora_engine_version", "16.11"),
    ("AuroraMinCapacity", "aurora_min_capacity", "0.5"),
    ("AuroraMaxCapacity", "aurora_max_capacity", "2"),
    ("AuroraSecondsUntilAutoPause", "aurora_seconds_until_auto_pause", "300"),
    ("BackupRetentionDays", "backup_retention_days", "7"),
    ("DatabaseAvailabilityZones", "database_availability_zones", ""),
    ("CorsAllowedOrigins", "cors_allowed_origins", ""),
    (
        "BedrockModelIds",
        "bedrock_model_ids",
        "anthropic.claude-sonnet-4-5-20250929-v1:0,anthropic.claude-opus-4-5-20251101-v1:0",
    ),
    ("CustomerManagedKey", "customer_managed_key", "false"),
    ("AccessLogsBucket", "access_logs_bucket", ""),
    ("WebAcl", "web_acl", "none"),
    ("AccessLogsPrefix", "access_logs_prefix", ""),
    (
        "WafManagedRuleGroups",
        "waf_managed_rule_groups",
        "AWSManagedRulesAmazonIpReputationList,AWSManagedRulesCommonRuleSet,"
        "AWSManagedRulesKnownBadInputsRuleSet,AWSManagedRulesSQLiRuleSet",
    ),
    ("ContainerInsights", "container_insights", "enhanced"),
    ("LogRetentionDays", "log_retention_days", "14"),
    ("PerformanceInsights", "performance_insights", "true"),
    ("DatabaseMonitoringInterval", "database_monitoring_interval", "60"),
    ("DeregistrationDelaySeconds", "deregistration_delay_seconds", "30"),
    # dev's defaults; staging and prod have their own (stages.py).
    ("DeploymentStrategy", "deployment_strategy", "ROLLING"),
    ("TrafficShiftPercent", "traffic_shift_percent", "10"),
    ("TrafficShiftBakeMinutes", "traffic_shift_bake_minutes", "5"),
    ("BakeTimeMinutes", "bake_time_minutes", "10"),
    ("Alarms", "alarms", "false"),
    # The stage file's notification_topic_arns: the stack's event topics and the alarms'.
    ("AlarmTopicArns", "notification_topic_arns", ""),
    ("TaskEgress", "task_egress", "all"),
    ("DatabaseDataApi", "database_data_api", "true"),
    ("DatabaseRequireTls", "database_require_tls", "true"),
    ("WafRateLimit", "waf_rate_limit", "500"),
    ("EcrRepository", "ecr_repository", "false"),
    ("BedrockMantle", "bedrock_mantle", "false"),
    ("PermissionsBoundary", "permissions_boundary", ""),
    ("WorkosClientId", "workos_client_id", ""),
    ("WorkosOrgId", "workos_org_id", ""),
    ("Telemetry", "telemetry", "false"),
    ("TelemetryEndpoint", "telemetry_endpoint", ""),
    ("TelemetryTokenSecretArn", "telemetry_token_secret_arn", ""),
    ("TelemetryCustomerName", "telemetry_customer_name", ""),
    ("TelemetryContainerMetrics", "telemetry_container_metrics", "false"),
    ("TelemetryLogsPipeline", "telemetry_logs_pipeline", "false"),
    ("TelemetryLogRetentionDays", "telemetry_log_retention_days", "7"),
]
# CloudFormation's limit on a template passed inline (TemplateBody), in bytes.
INLINE_TEMPLATE_LIMIT = 51_200
# The prod stack policy: every update allowed but replacing or removing what holds data.
PROD_STACK_POLICY = {
    "Statement": [
        {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"},
        {
            "Effect": "Deny",
            "Action": ["Update:Replace", "Update:Delete"],
            "Principal": "*",
            "Resource": [
                f"LogicalResourceId/{logical_id}"
                for logical_id in (
                    "EncryptionKey",
                    "CustomSecret",
                    "RegistryCredentialsSecret",
                    "AppBucket",
                    "DatabaseCluster",
                    "DatabaseWriter",
                    "DatabaseReader1",
                )
            ],
        },
    ]
}
ACCESS_LOGS_BUCKET = "acme-access-logs"
# AWS's answers to the account checks, by error code: (HTTP status, message).
ACCOUNT_ERRORS = {
    "NoSuchEntity": (404, "The role with name AWSServiceRoleForECS cannot be found."),
    "AccessDenied": (
        403,
        f"User: arn:aws:iam::{ACCOUNT}:user/deployer is not authorized to perform this action",
    ),
    "taken": (
        400,
        "Service role name AWSServiceRoleForECS has been taken in this account, "
        "please try a different suffix.",
    ),
    "NoSuchBucket": (404, "The specified bucket does not exist"),
    "ServerSideEncryptionConfigurationNotFoundError": (
        404,
        "The server side encryption configuration was not found",
    ),
}


def stack_name(stage: str) -> str:
    return f"planar-{stage}-acme"


def stack_id(stage: str) -> str:
    return f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{stack_name(stage)}/5f0c9a70-1234-11ef-9f5a-0a1b2c3d4e5f"


def change_set_id(stage: str) -> str:
    return (
        f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:changeSet/"
        f"{CHANGE_SET_NAME.format(stage=stage)}/0c2e6c2a-aaaa-bbbb-cccc-0123456789ab"
    )


def expected_parameters(
    values: dict[str, Any], stage: str | Stage = "dev", **overrides: Any
) -> list[dict]:
    """CreateChangeSet's Parameters for these stage-file values: every parameter in
    template order, the file's value else the default (`stage`'s, where it has one)."""
    given = {**values, **overrides}
    defined = stage if isinstance(stage, Stage) else get_stage(stage)
    stage_defaults = {
        "deployment_strategy": defined.deployment_strategy,
        "alarms": str(defined.alarms).lower(),
    }
    result = []
    for name, key, default in PARAMETERS:
        raw = given.get(key, stage_defaults.get(key, default))
        if isinstance(raw, dict):  # {"UsePreviousValue": True}
            result.append({"ParameterKey": name, **raw})
            continue
        if isinstance(raw, bool):
            raw = "true" if raw else "false"
        text = ",".join(raw) if isinstance(raw, list) else str(raw)
        result.append({"ParameterKey": name, "ParameterValue": text})
    return result


def stack_tags(stage: str) -> list[dict]:
    """The stack's tags for app acme (docs/stack.md, Naming and tags), sorted by key as the deploy sends them;
    not app.version, which the resources carry as the image tag they run."""
    return [
        {"Key": "app.name", "Value": "acme"},
        {"Key": "framework", "Value": "planar"},
        {"Key": "framework.version", "Value": "0.17"},
        {"Key": "stage", "Value": stage},
        {"Key": "vendor_contact", "Value": "support@coplane.com"},
        {"Key": "vendor_name", "Value": "CoPlane"},
    ]


def minified(body: str) -> str:
    """A template as the deploy must send it: its JSON without whitespace."""
    return json.dumps(json.loads(body), separators=(",", ":"))


class SameJson:
    """Equal to any JSON text holding `value`: what it says, whatever its layout."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and json.loads(other) == self.value

    def __repr__(self) -> str:
        return f"SameJson({self.value!r})"


class FakeClock:
    """Time moves only when the deploy sleeps; a sleep can raise Ctrl-C."""

    def __init__(self, interrupt_after: int | None = None) -> None:
        self.now = 0.0
        self.sleeps = 0
        self.interrupt_after = interrupt_after

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        if self.interrupt_after is not None and self.sleeps > self.interrupt_after:
            raise KeyboardInterrupt
        self.now += max(seconds, 5)  # a zero poll delay must still move time on

    def clock(self, poll_seconds: float = 0) -> Clock:
        return Clock(sleep=self.sleep, monotonic=lambda: self.now, poll_seconds=poll_seconds)


class Terminal(io.StringIO):
    """Standard input that is (or is not) a terminal, with the answers typed into it."""

    def __init__(self, answers: str = "", tty: bool = True) -> None:
        super().__init__(answers)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


class TtyOut(io.StringIO):
    def isatty(self) -> bool:
        return True


class FakeAws:
    """aws_gateway.Aws with stubbed clients, each made on first use (a client costs time);
    a stubbed client with no response queued fails any call made to it."""

    def __init__(self, region: str = REGION, real: dict[str, Any] | None = None) -> None:
        self.region = region
        self.clients: dict[str, Any] = dict(real or {})
        self.stubbers: dict[str, Stubber] = {}

    def stub(self, service: str) -> Stubber:
        if service not in self.stubbers:
            self.clients[service] = boto3.client(service, region_name=self.region)
            self.stubbers[service] = Stubber(self.clients[service])
            self.stubbers[service].activate()
            note_answers(self.clients[service])  # as Aws.client does
        return self.stubbers[service]

    def client(self, service: str) -> Any:
        if service not in self.clients:
            self.stub(service)
        return self.clients[service]

    def assert_done(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


class Harness:
    """Deploy one stage as build.py does, from its flags or from options (its own
    rendered template, neither rendered nor linted), with a stage file, stubs and a
    fake terminal; an error is reported as build.py reports it."""

    def __init__(
        self,
        tmp_path: Path,
        rendered: Rendered,
        values: dict | None = None,
        aws: FakeAws | None = None,
    ) -> None:
        self.stage = rendered.stage
        self.rendered = rendered
        self.aws = aws or FakeAws()
        self.cfn = self.aws.stub("cloudformation")
        self.path = tmp_path / f"{self.stage}.json"
        self.path.write_text(json.dumps(STAGE_VALUES if values is None else values))
        self.tmp_path = tmp_path
        self.fake_clock = FakeClock()
        self.environ: dict[str, str] = {}
        self.out: io.StringIO = io.StringIO()
        self.err = io.StringIO()
        self.account_checked = False
        self.checked_network = False
        # A create or update that ends complete finds its service healthy.
        self.auto_service = True
        # The command's name in its messages: run() runs it as build.py.
        self.prog = "build.py"

    @property
    def name(self) -> str:
        return stack_name(self.stage)

    @property
    def id(self) -> str:
        return stack_id(self.stage)

    @property
    def cs_id(self) -> str:
        return change_set_id(self.stage)

    def run(self, *flags: str, stdin: Terminal | None = None) -> int:
        """build.py --stage STAGE --stage-file FILE with these flags."""
        argv = ["--stage", self.stage, "--stage-file", str(self.path), *flags]
        return self.run_options(
            arguments.deploy_options(arguments.parser().parse_args(argv)), stdin=stdin
        )

    def runtime(self, stdin: Terminal | None = None) -> deploy.Runtime:
        return deploy.Runtime(
            environ=self.environ,
            stdin=stdin or Terminal(tty=False),
            connect=lambda profile, region: self.aws,
            clock=self.fake_clock.clock(),
            now=NOW,
            prog=self.prog,
        )

    def run_options(self, options: DeployOptions, stdin: Terminal | None = None) -> int:
        """planar_cfn.deploy.deploy with these options."""
        try:
            result = deploy.deploy(
                self.rendered, options, out=self.out, err=self.err, runtime=self.runtime(stdin)
            )
            code = result.exit_code
        except (PlanarError, Interrupted) as error:
            code = report(self.err, error, deploy_voice("build.py"))
        try:
            self.aws.assert_done()
        except AssertionError as error:
            raise AssertionError(
                f"{error}\nexit {code}\n{self.out.getvalue()}\n{self.err.getvalue()}"
            ) from None
        return code

    # --- CloudFormation responses -----------------------------------------------

    def no_stack(self) -> None:
        self.cfn.add_client_error(
            "describe_stacks",
            "ValidationError",
            f"Stack with id {self.name} does not exist",
            400,
            expected_params={"StackName": self.name},
        )

    def stack(self, status: str, by: str | None = None, **extra: Any) -> None:
        self.cfn.add_response(
            "describe_stacks",
            {"Stacks": [stack(self.stage, status, **extra)]},
            {"StackName": by or self.name},
        )

    def template_argument(self) -> dict[str, str]:
        """TemplateBody when the template fits inline, else the URL it is uploaded to."""
        body = minified(self.rendered.body)
        if len(body.encode()) <= INLINE_TEMPLATE_LIMIT:
            return {"TemplateBody": body}
        return {
            "TemplateURL": f"https://{TEMPLATE_BUCKET}.s3.{REGION}.amazonaws.com/{self.template_key}"
        }

    @property
    def template_key(self) -> str:
        digest = hashlib.sha256(minified(self.rendered.body).encode()).hexdigest()[:16]
        return f"planar-cfn/{self.name}/{digest}.json"

    def created(self, **request: Any) -> None:
        """The upload of a template too big to pass inline, then CreateChangeSet."""
        if "TemplateURL" in request:
            self.caller()
            self.aws.stub("s3").add_response(
                "put_object",
                {"ETag": '"etag"'},
                {
                    "Bucket": TEMPLATE_BUCKET,
                    "Key": self.template_key,
                    "Body": minified(self.rendered.body).encode(),
                    "ContentType": "application/json",
                    "ExpectedBucketOwner": ACCOUNT,
                },
            )
        if "UsePreviousTemplate" not in request and not self.checked_network:
            self.network()  # what the stage file names exists and fits
        if request.get("ChangeSetType") == "CREATE" and not self.account_checked:
            self.account_checks("ok")  # the ECS service-linked role exists
        self.cfn.add_response("create_change_set", {"Id": self.cs_id, "StackId": self.id}, request)

    def network(
        self,
        zones: tuple[str, ...] = ("us-east-1a", "us-east-1b"),
        vpc: str | None = None,
        zone: dict | None = None,
        routes: list | None = None,
    ) -> None:
        """The look-ups' checks of the stage file's subnets (each in `vpc`, the zones in
        turn), its hosted zone (`zone`: public, the base domain's) and, for an
        internet-facing load balancer, its subnets' `routes` (to an internet gateway)."""
        self.checked_network = True
        values = json.loads(self.path.read_text())
        vpc = vpc or values["vpc_id"]
        if "hosted_zone_id" in values:
            zone = zone or {
                "Id": f"/hostedzone/{values['hosted_zone_id']}",
                "Name": values["base_domain_name"] + ".",
                "CallerReference": "r",
                "Config": {"PrivateZone": False},
            }
            self.aws.stub("route53").add_response(
                "get_hosted_zone",
                {"HostedZone": zone, "DelegationSet": {"NameServers": ["ns-1.example"]}},
                {"Id": values["hosted_zone_id"]},
            )
        public = values.get("alb_subnets", [])
        listed = list(dict.fromkeys(values["subnets"] + public))
        self.aws.stub("ec2").add_response(
            "describe_subnets",
            {
                "Subnets": [
                    {"SubnetId": s, "VpcId": vpc, "AvailabilityZone": zones[i % len(zones)]}
                    for i, s in enumerate(listed)
                ]
            },
            {"SubnetIds": listed},
        )
        if public and values.get("alb_internal") is not True:
            routes = (
                [
                    {
                        "DestinationCidrBlock": "0.0.0.0/0",
                        "GatewayId": "igw-0123456789abcdef0",
                        "State": "active",
                    }
                ]
                if routes is None
                else routes
            )
            self.aws.stub("ec2").add_response(
                "describe_route_tables",
                {
                    "RouteTables": [
                        {
                            "RouteTableId": "rtb-0123456789abcdef0",
                            "VpcId": vpc,
                            "Routes": routes,
                            "Associations": [{"SubnetId": s, "Main": False} for s in public],
                        }
                    ]
                },
                {"Filters": [{"Name": "vpc-id", "Values": [vpc]}]},
            )

    def account_checks(
        self,
        *role: str,
        location: str | None = None,
        encryption: str | None = None,
        caller: bool = False,
    ) -> None:
        """The answers to planar_cfn.account_checks, as asked before the change set: for
        the ECS service-linked role, iam:GetRole's and then iam:CreateServiceLinkedRole's
        ("ok", or an error code; "taken" is the answer when the role exists); the
        access-logs bucket's region ("" is us-east-1's null) and default encryption (an
        algorithm), each else an error code; and the caller's account, asked to fill in
        a failure's bucket policy."""
        self.account_checked = True
        if not self.checked_network:  # the look-ups come first
            self.network()
        the_role = {
            "Role": {
                "Path": "/aws-service-role/ecs.amazonaws.com/",
                "RoleName": "AWSServiceRoleForECS",
                "RoleId": "AROA0123456789EXAMPLE",
                "CreateDate": T0,
                "Arn": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
            }
        }
        role_calls = (
            ("get_role", {"RoleName": "AWSServiceRoleForECS"}),
            ("create_service_linked_role", {"AWSServiceName": "ecs.amazonaws.com"}),
        )
        # A role answered by GetRole needs no CreateServiceLinkedRole: `role` may be shorter.
        for (operation, expected), answer in zip(role_calls, role, strict=False):
            self._answer("iam", operation, answer, the_role, expected)
        bucket = {"Bucket": ACCESS_LOGS_BUCKET, "ExpectedBucketOwner": ACCOUNT}
        if location is not None:
            self.caller()  # the owner every S3 call names
            where = {"LocationConstraint": location} if location else {}
            self._answer("s3", "get_bucket_location", location, where, bucket)
        if encryption is not None:
            rules = {
                "ServerSideEncryptionConfiguration": {
                    "Rules": [
                        {
                            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": encryption},
                            "BucketKeyEnabled": False,
                        }
                    ]
                }
            }
            self._answer("s3", "get_bucket_encryption", encryption, rules, bucket)
        # `caller`: the failure's bucket policy names the account asked for first.

    def caller(self) -> None:
        """sts:GetCallerIdentity's answer: the deployer of account ACCOUNT."""
        identity = {
            "UserId": "AIDA0123456789EXAMPLE",
            "Account": ACCOUNT,
            "Arn": f"arn:aws:iam::{ACCOUNT}:user/deployer",
        }
        self.aws.stub("sts").add_response("get_caller_identity", identity, {})

    def _answer(
        self, service: str, operation: str, answer: str, response: dict, expected: dict
    ) -> None:
        """`response`, unless `answer` is an error code."""
        if answer not in ACCOUNT_ERRORS:
            self.aws.stub(service).add_response(operation, response, expected)
            return
        status, message = ACCOUNT_ERRORS[answer]
        code = "InvalidInput" if answer == "taken" else answer
        self.aws.stub(service).add_client_error(
            operation, code, message, status, expected_params=expected
        )

    def change_set(
        self,
        status: str = "CREATE_COMPLETE",
        execution: str = "AVAILABLE",
        reason: str = "",
        changes: list | None = None,
        next_token: str | None = None,
        token: str | None = None,
        parameters: list | None = None,
        values: bool = False,
        fields: dict | None = None,
    ) -> None:
        """One DescribeChangeSet page; `values`: the review's read, with property values;
        `fields`: more of the answer's fields (a drift-aware change set's)."""
        response = {
            "ChangeSetId": self.cs_id,
            "StackId": self.id,
            "StackName": self.name,
            "ChangeSetName": CHANGE_SET_NAME.format(stage=self.stage),
            "Status": status,
            "ExecutionStatus": execution,
            "Changes": changes or [],
        }
        if reason:
            response["StatusReason"] = reason
        if next_token:
            response["NextToken"] = next_token
        if parameters is not None:
            response["Parameters"] = parameters
        response.update(fields or {})
        expected: dict[str, Any] = {"ChangeSetName": self.cs_id}
        if token:
            expected["NextToken"] = token
        if values:
            expected["IncludePropertyValues"] = True
        self.cfn.add_response("describe_change_set", response, expected)

    def ready(self, changes: list | None = None, **kw: Any) -> None:
        """The waiter's describe, then the review's describe (one page, with values)."""
        self.change_set(changes=changes, **kw)
        self.change_set(changes=changes, values=True, **kw)

    def deleted_change_set(self) -> None:
        self.cfn.add_response("delete_change_set", {}, {"ChangeSetName": self.cs_id})

    def deleted_stack(self) -> None:
        self.cfn.add_response("delete_stack", {}, {"StackName": self.id})

    def events(
        self, *events: dict, next_token: str | None = None, token: str | None = None
    ) -> None:
        response: dict[str, Any] = {"StackEvents": list(events)}
        if next_token:
            response["NextToken"] = next_token
        expected = {"StackName": self.id}
        if token:
            expected["NextToken"] = token
        self.cfn.add_response("describe_stack_events", response, expected)

    def executed(self) -> None:
        self.cfn.add_response("execute_change_set", {}, {"ChangeSetName": self.cs_id})

    def progress(self, status: str, *events: dict, **extra: Any) -> None:
        """One poll: the stack's status, then its events newer than the cursor. A create
        or update that ends complete names its service in its outputs, and (unless
        `auto_service` is off) the service is found healthy (service_healthy)."""
        if status in VERIFIED_AFTER and self.auto_service:
            given = extra.get("outputs") or {}
            extra["outputs"] = {**given, **{**service_outputs(self.stage), **given}}
        self.stack(status, by=self.id, **extra)
        self.events(*events)
        if status in VERIFIED_AFTER and self.auto_service:
            self.service_healthy(image=extra["outputs"]["ContainerImage"])

    # --- the service, checked after a create or update ----------------------------

    def service_healthy(self, image: str | None = None, revision: int = 8) -> None:
        """One reading of a service that runs the stack's task definition and image,
        its rollout COMPLETED, its one target healthy."""
        self.service_reading(service(self.stage, revision), revision, image=image)
        self.target_health(("healthy", ""))

    def service_reading(
        self, answer: dict, revision: int = 8, image: str | None = None, first: bool = True
    ) -> None:
        """DescribeServices' `answer`, and on the `first` reading the stack's task
        definition (the family's newest revision, `revision`, running `image`)."""
        names = service_outputs(self.stage)
        ecs = self.aws.stub("ecs")
        ecs.add_response(
            "describe_services",
            {"services": [answer], "failures": []},
            {"cluster": names["EcsClusterName"], "services": [names["EcsServiceName"]]},
        )
        if first:
            ecs.add_response(
                "describe_task_definition",
                {"taskDefinition": task_definition(self.stage, revision, image)},
                {"taskDefinition": names["TaskDefinitionFamily"]},
            )

    def target_health(self, *states: tuple[str, str]) -> None:
        """DescribeTargetHealth: one target per (state, reason code)."""
        descriptions = []
        for i, (state, reason) in enumerate(states):
            health: dict[str, Any] = {"State": state}
            if reason:
                health["Reason"] = reason
                health["Description"] = TARGET_REASONS.get(reason, reason)
            descriptions.append(
                {"Target": {"Id": f"10.0.1.{10 + i}", "Port": 8000}, "TargetHealth": health}
            )
        self.aws.stub("elbv2").add_response(
            "describe_target_health",
            {"TargetHealthDescriptions": descriptions},
            {"TargetGroupArn": target_group_arn(self.stage)},
        )

    def stopped_tasks(
        self, *tasks: dict, logs: list[str] | None = None, read_log: bool = True
    ) -> None:
        """ListTasks (STOPPED), DescribeTasks, and (with `read_log`) the newest one's
        last log lines."""
        names = service_outputs(self.stage)
        ecs = self.aws.stub("ecs")
        arns = [t["taskArn"] for t in tasks]
        ecs.add_response(
            "list_tasks",
            {"taskArns": arns},
            {
                "cluster": names["EcsClusterName"],
                "serviceName": names["EcsServiceName"],
                "desiredStatus": "STOPPED",
                "maxResults": 5,
            },
        )
        if not tasks:
            return
        ecs.add_response(
            "describe_tasks",
            {"tasks": list(tasks), "failures": []},
            {"cluster": names["EcsClusterName"], "tasks": arns},
        )
        if not read_log:
            return
        newest = max(tasks, key=lambda t: t["stoppedAt"])
        self.aws.stub("logs").add_response(
            "get_log_events",
            {"events": [{"timestamp": 0, "message": m} for m in logs or []]},
            {
                "logGroupName": f"/ecs/planar-service-{self.stage}-acme",
                "logStreamName": f"ecs/planar-app/{newest['taskArn'].rsplit('/', 1)[-1]}",
                "limit": 20,
                "startFromHead": False,
            },
        )

    def protected(self) -> None:
        """Termination protection, then the prod stack policy."""
        self.cfn.add_response(
            "update_termination_protection",
            {"StackId": self.id},
            {"EnableTerminationProtection": True, "StackName": self.id},
        )
        self.cfn.add_response(
            "set_stack_policy",
            {},
            {"StackName": self.id, "StackPolicyBody": SameJson(PROD_STACK_POLICY)},
        )


VERIFIED_AFTER = ("CREATE_COMPLETE", "UPDATE_COMPLETE")
# What --outputs-json records of a service found healthy (Harness.service_healthy).
VERIFIED_STATE = {
    "ServiceRolloutState": "COMPLETED",
    "ServiceTaskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/planar-service-dev-acme:8",
    "ServiceImage": "ghcr.io/acme/planar-app:1.4.2",
    "ServiceHealthyTargets": "1/1",
}
IMAGE = "ghcr.io/acme/planar-app:1.4.2"
# The id of service()'s PRIMARY deployment, which stopped() tasks are started by.
DEPLOYMENT_ID = "ecs-svc/1111111111111111111"
TARGET_REASONS = {
    "Target.FailedHealthChecks": "Health checks failed",
    "Elb.RegistrationInProgress": "Target registration is in progress",
    "Target.ResponseCodeMismatch": "Health checks failed with these codes: [502]",
}


def service_outputs(stage: str, image: str = IMAGE) -> dict[str, str]:
    """The outputs that name the stack's service, as outputs.py writes them."""
    return {
        "EcsClusterName": f"app-cluster-{stage}-acme",
        "EcsServiceName": f"planar-service-{stage}-acme",
        "TaskDefinitionFamily": f"planar-service-{stage}-acme",
        "ContainerImage": image,
    }


def task_definition_arn(stage: str, revision: int) -> str:
    return f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/planar-service-{stage}-acme:{revision}"


def target_group_arn(stage: str) -> str:
    return f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/ptg-{stage}-acme/6d0ecf831eec9f09"


def task_definition(stage: str, revision: int, image: str | None = None) -> dict:
    """The stack's task definition as DescribeTaskDefinition answers: the app container
    logging to the stack's log group."""
    return {
        "taskDefinitionArn": task_definition_arn(stage, revision),
        "family": f"planar-service-{stage}-acme",
        "revision": revision,
        "status": "ACTIVE",
        "containerDefinitions": [
            {
                "name": "planar-app",
                "image": image or IMAGE,
                "essential": True,
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": f"/ecs/planar-service-{stage}-acme",
                        "awslogs-region": REGION,
                        "awslogs-stream-prefix": "ecs",
                    },
                },
            }
        ],
    }


def service(
    stage: str,
    revision: int = 8,
    rollout: str = "COMPLETED",
    reason: str = "ECS deployment ecs-svc/1111111111111111111 completed.",
    events: tuple = (),  # messages, or (message, seconds after T0)
    desired: int = 1,
    failed: int = 0,
) -> dict:
    """DescribeServices' service: its PRIMARY deployment runs `revision` of the family,
    its events (`events`, newest first) as ECS writes them."""
    name = f"planar-service-{stage}-acme"
    return {
        "serviceName": name,
        "clusterArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/app-cluster-{stage}-acme",
        "status": "ACTIVE",
        "desiredCount": desired,
        "runningCount": desired,
        "taskDefinition": task_definition_arn(stage, revision),
        "loadBalancers": [
            {
                "targetGroupArn": target_group_arn(stage),
                "containerName": "planar-app",
                "containerPort": 8000,
            }
        ],
        "deployments": [
            {
                "id": DEPLOYMENT_ID,
                "status": "PRIMARY",
                "taskDefinition": task_definition_arn(stage, revision),
                "desiredCount": desired,
                "runningCount": desired,
                "rolloutState": rollout,
                "rolloutStateReason": reason,
                "failedTasks": failed,
            }
        ],
        "events": [
            {
                "id": hashlib.sha256(m.encode()).hexdigest()[:12],  # an event keeps its id
                "createdAt": T0 + timedelta(seconds=at if at is not None else 300 - i),
                "message": m,
            }
            for i, (m, at) in enumerate((e, None) if isinstance(e, str) else e for e in events)
        ],
    }


def stopped(
    stage: str,
    task_id: str,
    reason: str,
    exit_code: int | None,
    seconds: int,
    started_by: str = DEPLOYMENT_ID,
) -> dict:
    """DescribeTasks' stopped task, its app container's exit code; `started_by` the
    deployment that started it."""
    container: dict[str, Any] = {"name": "planar-app", "lastStatus": "STOPPED"}
    if exit_code is not None:
        container["exitCode"] = exit_code
    return {
        "taskArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/app-cluster-{stage}-acme/{task_id}",
        "lastStatus": "STOPPED",
        "desiredStatus": "STOPPED",
        "startedBy": started_by,
        "taskDefinitionArn": task_definition_arn(stage, 8),
        "stoppedReason": reason,
        "stoppedAt": T0 + timedelta(seconds=seconds),
        "containers": [container],
    }


# A proxy's error page: HTML that is no well-formed XML, which botocore's parser
# cannot read (an answer that starts "<html>" it would call a generic 5xx).
PROXY_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>"
    b"<center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n"
)
BAD_GATEWAY = (502, "text/html", PROXY_PAGE)


class _Body:
    """An HTTP body as urllib3 streams it."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def on_the_wire(aws: FakeAws, service: str, method: str, expected: dict, *answers: Any) -> None:
    """The next `method` call gets past the Stubber (which still checks its arguments and
    its place in the order) to botocore's real sending, retrying and parsing; each
    attempt is answered in the network's place by the next of `answers`: an exception
    to raise (a dropped connection), or (HTTP status, content type, body)."""
    client = aws.client(service)
    operation = client.meta.method_to_api_mapping[method]
    # A queued None is no answer: the Stubber lets the call on to the wire.
    aws.stub(service)._queue.append(
        {"operation_name": operation, "response": None, "expected_params": expected}
    )
    event = f"before-send.{client.meta.service_model.service_id.hyphenize()}.{operation}"
    left = list(answers)

    def answer(request: Any, **_: Any) -> AWSResponse:
        if len(left) == 1:
            client.meta.events.unregister(event, answer)
        given = left.pop(0)
        if isinstance(given, BaseException):
            raise given
        status, kind, body = given
        return AWSResponse(request.url, status, {"Content-Type": kind}, _Body(body))

    client.meta.events.register(event, answer)


def refusal(code: str, message: str) -> tuple[int, str, bytes]:
    """CloudFormation's XML refusal, as on the wire."""
    body = (
        '<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'
        f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>4a0b1c2d-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
    )
    return (400, "text/xml", body.encode())


@pytest.fixture
def no_retry_sleep(monkeypatch):
    """botocore's retries on the wire go on without their real sleep."""
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=lambda seconds: None))


def interrupt_after(client: Any, operation: str) -> None:
    """Ctrl-C as the next `operation` returns: its request reached AWS, its answer was lost."""
    event_name = f"after-call.{client.meta.service_model.service_id.hyphenize()}.{operation}"

    def interrupt(**_: Any) -> None:
        client.meta.events.unregister(event_name, interrupt)
        raise KeyboardInterrupt

    client.meta.events.register(event_name, interrupt)


def stack(
    stage: str,
    status: str,
    parameters: dict | None = None,
    outputs: dict | None = None,
    reason: str = "",
    protection: bool = False,
    tags: list | None = None,
) -> dict:
    result: dict[str, Any] = {
        "StackId": stack_id(stage),
        "StackName": stack_name(stage),
        "StackStatus": status,
        "CreationTime": T0,
        "EnableTerminationProtection": protection,
        "Tags": stack_tags(stage) if tags is None else tags,
    }
    if parameters:
        result["Parameters"] = [
            {"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()
        ]
    if outputs:
        result["Outputs"] = [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()]
    if reason:
        result["StackStatusReason"] = reason
    return result


_event_number = iter(range(1, 10**6))


def event(
    stage: str,
    logical: str,
    status: str,
    kind: str = "",
    reason: str = "",
    seconds: int = 0,
    event_id: str | None = None,
    physical: str | None = None,
) -> dict:
    number = next(_event_number)
    result = {
        "StackId": stack_id(stage),
        "StackName": stack_name(stage),
        "EventId": event_id or f"event-{number}",
        "LogicalResourceId": logical,
        "ResourceType": kind or "AWS::CloudFormation::Stack",
        "Timestamp": T0 + timedelta(seconds=seconds),
        "ResourceStatus": status,
    }
    if reason:
        result["ResourceStatusReason"] = reason
    if physical:
        result["PhysicalResourceId"] = physical
    return result


def change(
    action: str,
    logical: str,
    kind: str,
    replacement: str | None = None,
    policy: str | None = None,
    causes: tuple = (),
    physical: str | None = None,
) -> dict:
    rc: dict[str, Any] = {"Action": action, "LogicalResourceId": logical, "ResourceType": kind}
    if action == "Modify":
        rc["Replacement"] = replacement or "False"
        rc["Scope"] = ["Properties"]
        rc["Details"] = [
            {
                "Target": {"Attribute": "Properties", "Name": name, "RequiresRecreation": "Always"},
                "Evaluation": "Static",
                "ChangeSource": "DirectModification",
            }
            for name in causes
        ]
    if action != "Add":
        rc["PhysicalResourceId"] = physical or f"{logical.lower()}-physical"
    if policy:
        rc["PolicyAction"] = policy
    return {"Type": "Resource", "ResourceChange": rc}


@pytest.fixture
def aws_env(monkeypatch, tmp_path):
    """Fake credentials and region, no config files, no instance metadata: a request
    that escaped the stubs could not authenticate anywhere."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


@pytest.fixture
def harness(aws_env, tmp_path, rendered):
    """harness(stage, values=None, **kw) -> Harness"""

    def make(stage: str, values: dict | None = None, **kw: Any) -> Harness:
        return Harness(tmp_path, rendered[stage], values, **kw)

    return make
