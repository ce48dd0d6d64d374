"""A StackSet run against botocore Stubbers: the administrator account's clients and,
for each target account and region, the clients its pre-flight role gives. Every
request is checked against the API model and, where given, the exact arguments; a
call nobody stubbed fails the test, so no write can happen unseen."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

from planar_cfn.cli import arguments
from planar_cfn.cli.report import deploy_voice, report
from planar_cfn.deploy import engine as deploy
from planar_cfn.deploy import stack_sets
from planar_cfn.errors import Interrupted, PlanarError
from planar_cfn.template.render import Rendered
from tests.deploy_stubs import ACCOUNT, NOW, STAGE_VALUES, FakeAws, FakeClock, Terminal, minified

NAME = "planar-dev-acme"
OPERATION = "11111111-2222-3333-4444-555555555555"
ACCOUNT_A, ACCOUNT_B = "111111111111", "222222222222"
ADMIN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/AWSCloudFormationStackSetAdministrationRole"
# Each account's own VPC, subnets and hosted zone; the stage file holds account A's.
VALUES_B = {
    "vpc_id": "vpc-0bbbbbbbbbbbbbbb0",
    "vpc_cidr": "10.1.0.0/16",
    "subnets": ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"],
    "base_domain_name": "b.example.com",
    "hosted_zone_id": "Z0BBBBBBBBBBBBBBBBBBB",
    "database_availability_zones": ["eu-west-1a", "eu-west-1b"],
}
TARGETS: dict[str, Any] = {
    "permission_model": "SELF_MANAGED",
    "administration_role_arn": ADMIN_ROLE,
    "execution_role_name": "AWSCloudFormationStackSetExecutionRole",
    "preflight_role_name": "PlanarPreflight",
    "targets": [
        {
            "accounts": [ACCOUNT_A],
            "regions": ["us-east-1"],
            "values": {"container_image_tag": "1.4.3"},
        },
        {"accounts": [ACCOUNT_B], "regions": ["eu-west-1"], "values": VALUES_B},
    ],
}
# The dev defaults: regions in parallel, ten accounts at a time, no failure tolerated.
PREFERENCES = {
    "RegionConcurrencyType": "PARALLEL",
    "FailureToleranceCount": 0,
    "MaxConcurrentCount": 10,
    "ConcurrencyMode": "SOFT_FAILURE_TOLERANCE",
}


def overrides_b() -> list[dict[str, str]]:
    """Account B's ParameterOverrides, in template order, as written here."""
    return [
        {"ParameterKey": "VpcId", "ParameterValue": "vpc-0bbbbbbbbbbbbbbb0"},
        {"ParameterKey": "VpcCidr", "ParameterValue": "10.1.0.0/16"},
        {
            "ParameterKey": "Subnets",
            "ParameterValue": "subnet-0bbbbbbbbbbbbbbb1,subnet-0bbbbbbbbbbbbbbb2",
        },
        {"ParameterKey": "BaseDomainName", "ParameterValue": "b.example.com"},
        {"ParameterKey": "HostedZoneId", "ParameterValue": "Z0BBBBBBBBBBBBBBBBBBB"},
        {"ParameterKey": "DatabaseAvailabilityZones", "ParameterValue": "eu-west-1a,eu-west-1b"},
    ]


class RecordingAws(FakeAws):
    """FakeAws that records the IAM action of every call its clients make."""

    def __init__(self, region: str = "us-east-1") -> None:
        super().__init__(region=region)
        self.actions: set[str] = set()

    def stub(self, service: str) -> Any:
        stubber = super().stub(service)
        prefix = self.clients[service].meta.service_model.signing_name

        def record(model: Any, **_: Any) -> None:
            self.actions.add(f"{prefix}:{model.name}")

        self.clients[service].meta.events.register(
            "before-parameter-build.*.*", record, unique_id="record-actions"
        )
        return stubber


class StackSetHarness:
    """build.py --stage dev --stage-file FILE --targets FILE, with stubbed AWS."""

    def __init__(self, tmp_path: Path, rendered: Rendered, targets: dict | None = None) -> None:
        self.rendered = rendered
        self.aws = RecordingAws()
        self.cfn = self.aws.stub("cloudformation")
        self.stage_path = tmp_path / "dev.json"
        self.stage_path.write_text(json.dumps(STAGE_VALUES))
        self.targets_path = tmp_path / "dev-targets.json"
        self.targets_path.write_text(json.dumps(TARGETS if targets is None else targets))
        self.fake_clock = FakeClock()
        self.out, self.err = io.StringIO(), io.StringIO()
        self.targets_aws: dict[tuple[str, str], RecordingAws] = {}
        self.assumed: list[tuple[str, str]] = []
        self.result: stack_sets.StackSetResult | None = None

    def target(self, account: str, region: str) -> FakeAws:
        """The clients a target's pre-flight role gives, made on first use."""
        return self.targets_aws.setdefault((account, region), RecordingAws(region=region))

    def assume(self, aws: Any, role: str, region: str) -> Any:
        self.assumed.append((role, region))
        account = role.split(":")[4]
        return self.target(account, region)

    def run(self, *flags: str, stdin: Terminal | None = None) -> int:
        argv = [
            "--stage",
            self.rendered.stage,
            "--stage-file",
            str(self.stage_path),
            "--targets",
            str(self.targets_path),
            *flags,
        ]
        options = arguments.deploy_options(arguments.parser().parse_args(argv))
        runtime = deploy.Runtime(
            environ={},
            stdin=stdin or Terminal(tty=False),
            connect=lambda profile, region: self.aws,
            clock=self.fake_clock.clock(),
            now=NOW,
            prog="build.py",
            assume=self.assume,
        )
        try:
            rendered = None if options.destroy else self.rendered
            self.result = stack_sets.deploy_stack_set(
                rendered, options, out=self.out, err=self.err, runtime=runtime
            )
            code = self.result.exit_code
        except (PlanarError, Interrupted) as error:
            code = report(self.err, error, deploy_voice("build.py"))
        for aws in (self.aws, *self.targets_aws.values()):
            try:
                aws.assert_done()
            except AssertionError as error:
                raise AssertionError(
                    f"{error}\nexit {code}\n{self.out.getvalue()}\n{self.err.getvalue()}"
                ) from None
        return code

    # --- the administrator account ------------------------------------------------------

    def no_stack_set(self) -> None:
        self.cfn.add_client_error(
            "describe_stack_set",
            "StackSetNotFoundException",
            f"StackSet {NAME} not found",
            404,
            expected_params={"StackSetName": NAME},
        )

    def stack_set(self, template: dict, parameters: list[dict], **call_as: str) -> None:
        self.cfn.add_response(
            "describe_stack_set",
            {
                "StackSet": {
                    "StackSetName": NAME,
                    "StackSetId": f"{NAME}:0a1b2c3d",
                    "Status": "ACTIVE",
                    "TemplateBody": json.dumps(template),
                    "Parameters": parameters,
                    "PermissionModel": "SELF_MANAGED",
                }
            },
            {"StackSetName": NAME, **call_as},
        )

    def instances(self, *where: tuple[str, str], status: str = "CURRENT") -> None:
        self.cfn.add_response(
            "list_stack_instances",
            {
                "Summaries": [
                    {
                        "StackSetId": f"{NAME}:0a1b2c3d",
                        "Account": account,
                        "Region": region,
                        "Status": status,
                        "StackId": f"arn:aws:cloudformation:{region}:{account}:stack/StackSet-{NAME}/1",
                    }
                    for account, region in where
                ]
            },
            {"StackSetName": NAME},
        )

    def instance(self, account: str, region: str, overrides: list[dict]) -> None:
        self.cfn.add_response(
            "describe_stack_instance",
            {
                "StackInstance": {
                    "StackSetId": f"{NAME}:0a1b2c3d",
                    "Account": account,
                    "Region": region,
                    "Status": "CURRENT",
                    "ParameterOverrides": overrides,
                }
            },
            {"StackSetName": NAME, "StackInstanceAccount": account, "StackInstanceRegion": region},
        )

    @property
    def template_url(self) -> str:
        digest = hashlib.sha256(minified(self.rendered.body).encode()).hexdigest()[:16]
        return (
            f"https://acme-cfn-templates.s3.us-east-1.amazonaws.com/planar-cfn/{NAME}/{digest}.json"
        )

    def upload(self) -> None:
        self.aws.stub("sts").add_response(
            "get_caller_identity",
            {"UserId": "AIDA0123456789EXAMPLE", "Account": ACCOUNT, "Arn": "arn:aws:iam::1:user/x"},
            {},
        )
        digest = hashlib.sha256(minified(self.rendered.body).encode()).hexdigest()[:16]
        self.aws.stub("s3").add_response(
            "put_object",
            {"ETag": '"etag"'},
            {
                "Bucket": "acme-cfn-templates",
                "Key": f"planar-cfn/{NAME}/{digest}.json",
                "Body": minified(self.rendered.body).encode(),
                "ContentType": "application/json",
                "ExpectedBucketOwner": ACCOUNT,
            },
        )

    def operation(self, *results: tuple[str, str, str, str], status: str = "SUCCEEDED") -> None:
        """One poll: the operation's status and each instance's (account, region,
        status, reason)."""
        self.cfn.add_response(
            "describe_stack_set_operation",
            {"StackSetOperation": {"OperationId": OPERATION, "Status": status}},
            {"StackSetName": NAME, "OperationId": OPERATION},
        )
        self.cfn.add_response(
            "list_stack_set_operation_results",
            {
                "Summaries": [
                    {
                        "Account": account,
                        "Region": region,
                        "Status": state,
                        **({"StatusReason": reason} if reason else {}),
                    }
                    for account, region, state, reason in results
                ]
            },
            {"StackSetName": NAME, "OperationId": OPERATION},
        )

    # --- a target account ---------------------------------------------------------------

    def preflight(
        self,
        account: str,
        region: str,
        values: dict,
        *,
        vpc: str | None = None,
        ecs_role: bool | None = True,
    ) -> None:
        """The target's hosted zone, subnets (in `vpc`, else the values') and, for a
        new instance, the ECS service-linked role (None: not asked)."""
        target = self.target(account, region)
        target.stub("route53").add_response(
            "get_hosted_zone",
            {
                "HostedZone": {
                    "Id": f"/hostedzone/{values['hosted_zone_id']}",
                    "Name": values["base_domain_name"] + ".",
                    "CallerReference": "r",
                    "Config": {"PrivateZone": False},
                },
                "DelegationSet": {"NameServers": ["ns-1.example"]},
            },
            {"Id": values["hosted_zone_id"]},
        )
        target.stub("ec2").add_response(
            "describe_subnets",
            {
                "Subnets": [
                    {"SubnetId": s, "VpcId": vpc or values["vpc_id"], "AvailabilityZone": z}
                    for s, z in zip(
                        values["subnets"], values["database_availability_zones"], strict=True
                    )
                ]
            },
            {"SubnetIds": values["subnets"]},
        )
        if ecs_role is None:
            return
        if ecs_role:
            target.stub("iam").add_response(
                "get_role",
                {
                    "Role": {
                        "Path": "/aws-service-role/ecs.amazonaws.com/",
                        "RoleName": "AWSServiceRoleForECS",
                        "RoleId": "AROA0123456789EXAMPLE",
                        "CreateDate": NOW(),
                        "Arn": f"arn:aws:iam::{account}:role/AWSServiceRoleForECS",
                    }
                },
                {"RoleName": "AWSServiceRoleForECS"},
            )
        else:
            target.stub("iam").add_client_error(
                "get_role",
                "NoSuchEntity",
                "The role with name AWSServiceRoleForECS cannot be found.",
                404,
                expected_params={"RoleName": "AWSServiceRoleForECS"},
            )

    def both_preflights(self, *, ecs_role: bool | None = True) -> None:
        self.preflight(ACCOUNT_A, "us-east-1", STAGE_VALUES, ecs_role=ecs_role)
        self.preflight(ACCOUNT_B, "eu-west-1", VALUES_B, ecs_role=ecs_role)
