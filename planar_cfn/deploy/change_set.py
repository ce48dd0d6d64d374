"""Change sets: what a template needs to be accepted, creating one, waiting for
it, and reading every page of it, with each changed property's values
(review_lines.py shows them)."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError, WaiterError

from ..aws import buckets
from ..aws.gateway import error_code, error_message, rejects_credentials, s3_object_url
from ..errors import InputError
from . import property_values
from .property_values import PropertyValue

if TYPE_CHECKING:
    from ..template.render import Rendered

__all__ = [
    "LOAD_BALANCER",
    "STATEFUL_TYPES",
    "Change",
    "ChangeSet",
    "ChangeSetState",
    "ChangeSetTimeout",
    "classify",
    "describe",
    "policy_denies",
    "required_capabilities",
    "stack_policy",
    "stateful_logical_ids",
    "template_argument",
    "upload_template",
    "wait",
]

# Resources whose replacement or removal loses data.
STATEFUL_TYPES = frozenset(
    {
        "AWS::RDS::DBCluster",
        "AWS::RDS::DBInstance",
        "AWS::S3::Bucket",
        "AWS::SecretsManager::Secret",
        # Removing the customer-managed key schedules its deletion: whatever it
        # encrypted (snapshots, retained secrets) becomes unreadable.
        "AWS::KMS::Key",
    }
)
# IAM resources whose name property makes CloudFormation ask for CAPABILITY_NAMED_IAM.
IAM_NAME_PROPERTIES = {
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::User": "UserName",
    "AWS::IAM::Group": "GroupName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::IAM::InstanceProfile": "InstanceProfileName",
}
# The two wordings AWS uses for an empty change set.
NO_CHANGES_REASONS = (
    "The submitted information didn't contain changes",
    "No updates are to be performed",
)
# The StatusReason of a change set whose property values left some changes out
# (aws/aws-cdk-cli#1780; not in AWS's documentation).
INCOMPLETE_VALUES = "--include-property-values option can return incomplete"
LOAD_BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"
# The ECS service has a fixed ServiceName: CloudFormation creates a replacement before
# deleting the old one, ECS refuses a second service of that name, and the update fails.
ECS_SERVICE = "AWS::ECS::Service"
ACTION_SYMBOLS = {
    "Add": "+",
    "Modify": "~",
    "Remove": "-",
    "Import": "<",
    "Dynamic": "?",
    "SyncWithActual": "=",
}


class ChangeSetState(Enum):
    """What a change set's (Status, ExecutionStatus) pair means for the deploy."""

    PENDING = "pending"
    READY = "ready"
    NO_CHANGES = "no changes"
    FAILED = "failed"


class ChangeSetTimeout(Exception):
    """The change set was still being computed when the wait ran out."""


def classify(status: str, execution_status: str | None, reason: str | None) -> ChangeSetState:
    """Reduce a change set's (Status, ExecutionStatus) pair to what the deploy does next."""
    if status in ("CREATE_PENDING", "CREATE_IN_PROGRESS"):
        return ChangeSetState.PENDING
    if status == "FAILED" and any(text in (reason or "") for text in NO_CHANGES_REASONS):
        return ChangeSetState.NO_CHANGES
    if status == "CREATE_COMPLETE" and execution_status == "AVAILABLE":
        return ChangeSetState.READY
    # FAILED for another reason, being deleted, or complete but not executable
    # (UNAVAILABLE, OBSOLETE, already executing or executed).
    return ChangeSetState.FAILED


def required_capabilities(template: Mapping[str, Any]) -> list[str]:
    """The capabilities CloudFormation will ask for, read from the template itself."""
    resources = template.get("Resources", {}).values()
    iam = [r for r in resources if r.get("Type", "").startswith("AWS::IAM::")]
    capabilities = []
    if any(IAM_NAME_PROPERTIES.get(r["Type"]) in r.get("Properties", {}) for r in iam):
        capabilities.append("CAPABILITY_NAMED_IAM")
    elif iam:
        capabilities.append("CAPABILITY_IAM")
    if "Transform" in template:
        capabilities.append("CAPABILITY_AUTO_EXPAND")
    return capabilities


def upload_template(s3: Any, bucket: str, stack_name: str, body: str, owner: str) -> str:
    """Put a template too big to pass inline in the bucket, which must be `owner`'s
    (the caller's account); returns its TemplateURL. The key holds the content's hash:
    the same template is the same object."""
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    key = f"planar-cfn/{stack_name}/{digest}.json"
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=body.encode(),
        ContentType="application/json",
        ExpectedBucketOwner=owner,
    )
    # The bucket is expected in the stack's region.
    return s3_object_url(bucket, key, s3.meta.region_name)


def template_argument(
    aws: Any, rendered: Rendered, bucket: str, name: str, say: Callable[[str], None]
) -> dict[str, str]:
    """TemplateBody when the template fits inline; else TemplateURL, once it is uploaded
    to `bucket` (the caller's account's) under `name` and `say` has told so. A bucket that
    refuses it is an InputError naming template_bucket; refused credentials are raised
    as they are, said as for any other call."""
    if rendered.fits_inline:
        return {"TemplateBody": rendered.minified}
    account = buckets.caller_account(aws.client("sts"))
    try:
        url = upload_template(aws.client("s3"), bucket, name, rendered.minified, account)
    except ClientError as error:
        if rejects_credentials(error):
            raise
        refused = buckets.owner_error(error, bucket, account, "s3:PutObject", "template_bucket")
        if refused:
            raise refused from None
        raise InputError(
            f"template_bucket {bucket!r}: cannot upload the template "
            f"({error_code(error)}: {error_message(error)}); "
            f"name a bucket in {aws.region} these credentials can write to"
        ) from None
    say(f"Uploaded the template to {url}")
    return {"TemplateURL": url}


def stateful_logical_ids(template: Mapping[str, Any]) -> list[str]:
    """The template's resources whose replacement or removal loses data."""
    return [
        logical_id
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") in STATEFUL_TYPES
    ]


@dataclass(frozen=True)
class Change:
    """One resource change of a change set."""

    action: str
    logical_id: str
    resource_type: str
    replacement: str  # "True", "Conditional", "False"; empty for adds and removals
    policy_action: str = ""  # what happens to the old resource: Delete, Retain, Snapshot...
    causes: tuple[str, ...] = ()  # properties whose change forces the replacement
    physical_id: str = ""  # the resource as it is now; empty for adds
    properties: tuple[str, ...] = ()  # every property the change touches, replaced or not
    values: tuple[PropertyValue, ...] = ()  # each one's values, when read with them
    drift_status: str = ""  # a drift-aware change set's: IN_SYNC, MODIFIED, DELETED...
    drift_ignored: tuple[str, ...] = ()  # its properties not compared: "PATH (REASON)"

    @property
    def stateful(self) -> bool:
        """Whether the resource holds data."""
        return self.resource_type in STATEFUL_TYPES

    @property
    def replaced_or_removed(self) -> bool:
        """The current resource goes (maybe): the stack's cleanup deletes it."""
        return self.action == "Remove" or self.replacement in ("True", "Conditional")

    @property
    def loses_data(self) -> bool:
        """A stateful resource replaced (maybe) or removed."""
        return self.stateful and self.replaced_or_removed

    def line(self, id_width: int = 0) -> str:
        """The review's line: symbol, type, logical id, replacement and its causes."""
        symbol = ACTION_SYMBOLS.get(self.action, "?")
        text = f"  {symbol} {self.resource_type:<44} {self.logical_id:<{id_width}}"
        if self.action == "Modify":
            text += f"  replacement: {self.replacement}"
            if self.causes and self.replacement != "False":
                text += f" ({', '.join(self.causes)})"
        if self.policy_action and self.action != "Add":
            text += f"  [{self.policy_action}]"
        return text

    @classmethod
    def from_api(
        cls, change: Mapping[str, Any], mask: property_values.Masker | None = None
    ) -> Change:
        """From one of DescribeChangeSet's Changes; `mask` hides the secrets the run sent."""
        rc = change["ResourceChange"]
        causes = tuple(
            dict.fromkeys(
                d["Target"].get("Name") or d["Target"].get("Attribute", "")
                for d in rc.get("Details", [])
                if d.get("Target", {}).get("RequiresRecreation") in ("Always", "Conditionally")
            )
        )
        properties = tuple(
            dict.fromkeys(
                d["Target"]["Name"]
                for d in rc.get("Details", [])
                if d.get("Target", {}).get("Attribute") == "Properties" and d["Target"].get("Name")
            )
        )
        return cls(
            action=rc.get("Action", ""),
            logical_id=rc.get("LogicalResourceId", ""),
            resource_type=rc.get("ResourceType", ""),
            replacement=rc.get("Replacement", ""),
            policy_action=rc.get("PolicyAction", ""),
            causes=causes,
            physical_id=rc.get("PhysicalResourceId", ""),
            properties=properties,
            values=property_values.from_details(rc.get("Details", []), mask),
            drift_status=rc.get("ResourceDriftStatus", ""),
            drift_ignored=tuple(
                f"{a.get('Path', '')} ({a.get('Reason', '')})"
                for a in rc.get("ResourceDriftIgnoredAttributes", [])
            ),
        )


@dataclass(frozen=True)
class ChangeSet:
    """A computed change set: its state and every change, from every page."""

    id: str
    stack_id: str
    state: ChangeSetState
    status: str
    execution_status: str
    reason: str
    changes: tuple[Change, ...] = ()
    parameters: Mapping[str, str] = field(default_factory=dict)
    # CloudFormation warned that the read with property values left some out: the
    # changes are those of a read without values, with the values it did give.
    values_incomplete: bool = False
    drift_aware: bool = False  # created with DeploymentMode REVERT_DRIFT
    stack_drift_status: str = ""  # a drift-aware change set's: DRIFTED, IN_SYNC...

    @property
    def data_loss(self) -> tuple[Change, ...]:
        """The changes that replace (maybe) or remove a stateful resource."""
        return tuple(c for c in self.changes if c.loses_data)

    @property
    def services_replaced(self) -> tuple[Change, ...]:
        """ECS services the update replaces: with their fixed names, that fails."""
        return tuple(
            c for c in self.changes if c.resource_type == ECS_SERVICE and c.replacement == "True"
        )

    @property
    def load_balancers_going(self) -> tuple[Change, ...]:
        """Load balancers that the update replaces (a new one first) or removes: the
        cleanup at its end deletes the current one, which deletion protection refuses."""
        return tuple(
            c
            for c in self.changes
            if c.resource_type == LOAD_BALANCER and c.replaced_or_removed and c.physical_id
        )


def _from_pages(
    pages: list[Mapping[str, Any]], mask: property_values.Masker | None = None
) -> ChangeSet:
    first = pages[0]
    return ChangeSet(
        id=first.get("ChangeSetId", ""),
        stack_id=first.get("StackId", ""),
        state=classify(first["Status"], first.get("ExecutionStatus"), first.get("StatusReason")),
        status=first["Status"],
        execution_status=first.get("ExecutionStatus", ""),
        reason=first.get("StatusReason", ""),
        changes=tuple(
            Change.from_api(c, mask)
            for page in pages
            for c in page.get("Changes", [])
            if c.get("Type") == "Resource"
        ),
        parameters={
            p["ParameterKey"]: p.get("ParameterValue", "") for p in first.get("Parameters", [])
        },
        drift_aware=first.get("DeploymentMode") == "REVERT_DRIFT",
        stack_drift_status=first.get("StackDriftStatus", ""),
    )


def _pages(cfn: Any, change_set_id: str, **values: bool) -> list[Mapping[str, Any]]:
    paginator = cfn.get_paginator("describe_change_set")
    return list(paginator.paginate(ChangeSetName=change_set_id, **values))


def describe(cfn: Any, change_set_id: str, secrets: Collection[str] = ()) -> ChangeSet:
    """The change set with the changes of every page (NextToken followed), each with its
    property values; `secrets` (the NoEcho values the run sent) masked wherever they show.
    When CloudFormation warns that the values left changes out, the changes are read
    again without them, as the CDK does."""
    mask = property_values.masker(secrets)
    read = _from_pages(_pages(cfn, change_set_id, IncludePropertyValues=True), mask)
    if INCOMPLETE_VALUES not in read.reason:
        return read
    with_values = {c.logical_id: c for c in read.changes}
    plain = _from_pages(_pages(cfn, change_set_id), mask)
    changes = tuple(with_values.get(c.logical_id, c) for c in plain.changes)
    return replace(read, changes=changes, values_incomplete=True)


def wait(
    cfn: Any,
    change_set_id: str,
    timeout_seconds: int,
    delay: float,
    secrets: Collection[str] = (),
) -> ChangeSet:
    """Wait, bounded, until the change set is computed; then read all of it."""
    # At least a second per attempt in the bound, so a zero delay (tests) still ends.
    attempts = max(1, math.ceil(timeout_seconds / max(delay, 1)))
    try:
        cfn.get_waiter("change_set_create_complete").wait(
            ChangeSetName=change_set_id, WaiterConfig={"Delay": delay, "MaxAttempts": attempts}
        )
    except WaiterError as error:
        last = error.last_response or {}
        if "Status" in last and classify(last["Status"], None, None) is not ChangeSetState.PENDING:
            return _from_pages([last])
        if "Error" in last:
            # AWS refused the describe (expired credentials, say): its error, not the waiter's.
            raise ClientError(last, "DescribeChangeSet") from None
        if "Max attempts exceeded" in str(error):
            raise ChangeSetTimeout(
                f"change set {change_set_id} was not ready after {timeout_seconds // 60} minute(s)"
            ) from None
        raise
    return describe(cfn, change_set_id, secrets)


def stack_policy(template: Mapping[str, Any]) -> str:
    """Allow every update except replacing or deleting the stateful resources."""
    return json.dumps(
        {
            "Statement": [
                {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"},
                {
                    "Effect": "Deny",
                    "Action": ["Update:Replace", "Update:Delete"],
                    "Principal": "*",
                    "Resource": [f"LogicalResourceId/{i}" for i in stateful_logical_ids(template)],
                },
            ]
        },
        indent=2,
    )


def _matches(patterns: Any, value: str) -> bool:
    patterns = [patterns] if isinstance(patterns, str) else list(patterns or [])
    return any(
        re.fullmatch(re.escape(p).replace(r"\*", ".*").replace(r"\?", "."), value) for p in patterns
    )


def policy_denies(policy_body: str | None, change: Change) -> bool:
    """Whether a stack policy has a Deny that covers this replacement or removal
    (conditions are not evaluated: a conditional Deny counts as a Deny)."""
    if not policy_body:
        return False
    action = "Update:Delete" if change.action == "Remove" else "Update:Replace"
    for statement in json.loads(policy_body).get("Statement", []):
        if statement.get("Effect") != "Deny":
            continue
        if _matches(statement.get("Action"), action) and _matches(
            statement.get("Resource"), f"LogicalResourceId/{change.logical_id}"
        ):
            return True
    return False
