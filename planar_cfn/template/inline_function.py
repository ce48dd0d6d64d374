"""The shape the stack's two custom resources share: a Lambda function whose source is
inlined into the template, its log group and named role, and the custom resource whose
requests it answers (storage.py's bucket emptier, app_settings.py's environment file)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from awacs import logs as awacs_logs
from awacs.aws import Allow, Statement
from troposphere import AWSHelperFn, GetAtt, Ref, Template
from troposphere.awslambda import Code, Function, LoggingConfig
from troposphere.cloudformation import CustomResource
from troposphere.iam import Policy as RolePolicy
from troposphere.iam import Role
from troposphere.logs import LogGroup

from . import policies
from .encryption import Encryption
from .naming import Naming

LAMBDA_RUNTIME = "python3.13"
# CloudFormation writes inline code (ZipFile) to index.py: the handler is index.handler.
INLINE_HANDLER = "index.handler"
# As long as the service's own logs by default (LogRetentionDays); a group written
# once per stack delete or settings change needs no parameter of its own.
LOG_RETENTION_DAYS = 14


@dataclass(frozen=True)
class InlineFunction:
    """One custom resource's function: what differs between the stack's two."""

    # The custom resource's logical id; its LogGroup, Role and Function add those words.
    logical_id: str
    # The role's name after the stack's prefix (naming.name), and its policy's name.
    role_name: str
    policy_name: str
    description: str
    # The handler's source, inlined as ZipFile (at most 4 KiB).
    source: str
    timeout_seconds: int
    memory_mb: int
    # How much longer than the function may run CloudFormation waits for its answer.
    response_margin_seconds: int
    # For checkov's skip reasons: the services it calls besides the response URL, what
    # runs it, and which stack operation would hang without a way out of the VPC.
    calls: str
    runs_once_per: str
    could_hang: str
    # The Condition all four resources are under; None: always there.
    condition: str | None = None

    @property
    def conditional(self) -> dict[str, str]:
        """The resources' Condition keyword, or none."""
        return {"Condition": self.condition} if self.condition else {}


def checkov_skips(function: InlineFunction) -> list[dict[str, str]]:
    """checkov's Lambda checks that do not fit a custom resource's handler, and why."""
    return [
        {
            "id": "CKV_AWS_116",
            "comment": "A custom-resource handler reports its own failures to CloudFormation; "
            "a dead-letter queue would hold nothing to act on.",
        },
        {
            "id": "CKV_AWS_117",
            "comment": f"It calls only {function.calls} and the response URL; inside the VPC "
            f"it would need NAT or endpoints, or stack {function.could_hang} could hang.",
        },
        {
            "id": "CKV_AWS_115",
            "comment": f"It runs once per {function.runs_once_per}; reserving concurrency "
            "fails stack creation on accounts with a low concurrency quota.",
        },
    ]


def add_inline_function(
    template: Template,
    naming: Naming,
    encryption: Encryption,
    function: InlineFunction,
    statements: Sequence[Statement],
    properties: Mapping[str, object],
    *,
    more_policies: Sequence[AWSHelperFn] = (),
    depends_on: Sequence[object] = (),
) -> CustomResource:
    """Add `function`'s log group, its role (`statements`, then writing its own logs;
    `more_policies` after), the function, and the custom resource with `properties`."""
    logs = template.add_resource(
        LogGroup(
            f"{function.logical_id}LogGroup",
            **function.conditional,
            RetentionInDays=LOG_RETENTION_DAYS,
            KmsKeyId=encryption.arn_or_no_value,
            Tags=naming.tags(),
            DeletionPolicy="Delete",
            UpdateReplacePolicy="Delete",
        )
    )
    role = _add_role(template, naming, function, statements, more_policies, logs)
    handler = template.add_resource(
        Function(
            f"{function.logical_id}Function",
            **function.conditional,
            Description=function.description,
            Runtime=LAMBDA_RUNTIME,
            Handler=INLINE_HANDLER,
            Code=Code(ZipFile=function.source),
            Role=GetAtt(role, "Arn"),
            Timeout=function.timeout_seconds,
            MemorySize=function.memory_mb,
            LoggingConfig=LoggingConfig(LogGroup=Ref(logs)),
            Tags=naming.tags(),
            Metadata={"checkov": {"skip": checkov_skips(function)}},
        )
    )
    after = {"DependsOn": list(depends_on)} if depends_on else {}
    return template.add_resource(
        CustomResource(
            function.logical_id,
            **function.conditional,
            **after,
            ServiceToken=GetAtt(handler, "Arn"),
            # Fail a stuck request after the function's own limit, not CloudFormation's hour.
            ServiceTimeout=function.timeout_seconds + function.response_margin_seconds,
            **properties,
            DeletionPolicy="Delete",
            UpdateReplacePolicy="Delete",
        )
    )


def _add_role(
    template: Template,
    naming: Naming,
    function: InlineFunction,
    statements: Sequence[Statement],
    more_policies: Sequence[AWSHelperFn],
    logs: LogGroup,
) -> Role:
    """The function's role: `statements`, then writing its own logs; `more_policies` after."""
    return template.add_resource(
        Role(
            f"{function.logical_id}Role",
            **function.conditional,
            # A fixed name, like the stack's other roles: the launch role manages roles of
            # these names only (docs/security.md).
            RoleName=naming.name(function.role_name),
            AssumeRolePolicyDocument=policies.assume_role_policy("lambda.amazonaws.com"),
            Policies=[
                RolePolicy(
                    PolicyName=function.policy_name,
                    PolicyDocument=policies.policy_document(
                        [
                            *statements,
                            Statement(
                                Effect=Allow,
                                Action=[awacs_logs.CreateLogStream, awacs_logs.PutLogEvents],
                                Resource=[GetAtt(logs, "Arn")],
                            ),
                        ]
                    ),
                ),
                *more_policies,
            ],
            Tags=naming.tags(),
        )
    )
