"""What a deploy will do, decided without calling AWS: from the stage file and the
stack as described, whether the change set creates or updates, with
which parameters, tags and template; what is refused and why; what blocks a change
set once AWS has computed it; what a destroy keeps. The other modules read AWS and
act on these decisions; every one of them is a plain function, tested without AWS.
Each suggested command names `prog`, the command as the user ran it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .._version import __version__
from ..errors import InputError
from ..inputs.parameters import SPECS, SPECS_BY_KEY
from ..inputs.stage_file import StageFile
from ..inputs.stages import Stage
from ..paths import shown
from ..template.naming import stack_tags
from .change_set import Change, ChangeSet, policy_denies, required_capabilities
from .stack_states import IN_PROGRESS, STUCK, UPDATABLE

__all__ = [
    "CREATE",
    "DELETE",
    "IN_PROGRESS",
    "KEPT",
    "KEPT_UNLESS_GIVEN",
    "STUCK",
    "UPDATABLE",
    "UPDATE",
    "Plan",
    "blocked",
    "change_set_kind",
    "check_destroyable",
    "check_key_choice",
    "check_stage_tag",
    "deploy_request",
    "destroy_confirmation",
    "foreign_removals",
    "image_tag_request",
    "kept",
    "plan_deploy",
    "plan_image_tag",
    "previous_parameters",
    "resources_with_policies",
    "watched_operation",
]

CREATE, UPDATE, DELETE = "CREATE", "UPDATE", "DELETE"
# DeletionPolicy values that leave something behind, and what is left.
KEPT = {"Retain": "kept", "RetainExceptOnCreate": "kept", "Snapshot": "final snapshot kept"}
# Stage-file keys an UPDATE leaves at the stack's value unless the file sets them: the
# tag a pipeline moves with --image-tag, and the database's zones, which a look-up
# could reorder with the subnets (a named DB instance cannot move to another zone).
# notification_topic_arns: a file without it leaves the stack's topics as they are, for
# the stack's events (deploy_request) and for the alarms (AlarmTopicArns) alike.
KEPT_UNLESS_GIVEN = (
    "container_image_tag",
    "database_availability_zones",
    "notification_topic_arns",
)


# --- the stack's state -------------------------------------------------------------------


def previous_parameters(stack: Mapping[str, Any] | None) -> dict[str, str]:
    """The stack's parameter values, by name."""
    return {
        p["ParameterKey"]: p.get("ParameterValue", "") for p in (stack or {}).get("Parameters", [])
    }


# The stack tags that say whose stack it is: a deploy sends them on every change set.
OWNER_TAGS = ("framework", "app.name", "stage")


def check_stage_tag(stack: Mapping[str, Any] | None, stage: str, stage_file: StageFile) -> None:
    """Refuse a stack that is not this stage's Planar stack: its framework, app.name and
    stage tags must be those the deploy puts on it. A stack_name copied between stage
    files must not cross stages, and one naming an unrelated stack must not become an
    update that removes that stack's resources. No stack, or one left empty by a first
    create (REVIEW_IN_PROGRESS), has nothing to lose."""
    if stack is None or stack.get("StackStatus") in ("REVIEW_IN_PROGRESS", "DELETE_COMPLETE"):
        return
    tags = {t["Key"]: t["Value"] for t in stack.get("Tags", [])}
    if tags.get("stage", stage) != stage:
        raise InputError(
            f"stack {stage_file.stack_name} belongs to stage {tags['stage']!r} (its stage tag), "
            f"not {stage}: check stack_name in {shown(stage_file.path)}"
        )
    expected = stack_tags(stage, stage_file.app_name)
    wrong = [key for key in OWNER_TAGS if tags.get(key) != expected[key]]
    if wrong:
        found = ", ".join(f"{k}={tags[k]!r}" if k in tags else f"no {k} tag" for k in wrong)
        wanted = ", ".join(f"{k}={expected[k]!r}" for k in OWNER_TAGS)
        raise InputError(
            f"stack {stage_file.stack_name} is not this stage's Planar stack ({found}); a "
            f"deploy changes only a stack tagged {wanted}: check stack_name in "
            f"{shown(stage_file.path)}"
        )


def change_set_kind(
    stack: Mapping[str, Any] | None,
    stack_name: str,
    region: str,
    stage: str,
    *,
    prog: str,
    role: str = "",
) -> str:
    """CREATE or UPDATE from the stack's state; refuses a state it cannot start from,
    saying what happened and what to do."""
    if stack is None:
        return CREATE
    status = stack["StackStatus"]
    # A deleted stack is only visible by id; by name it is simply absent.
    if status in ("REVIEW_IN_PROGRESS", "DELETE_COMPLETE"):
        return CREATE
    if status in UPDATABLE:
        return UPDATE
    hint = STUCK.get(status) or IN_PROGRESS
    reason = f" ({stack['StackStatusReason']})" if stack.get("StackStatusReason") else ""
    raise InputError(
        f"stack {stack_name} in {region} is {status}{reason}: "
        + hint.format(name=stack_name, stage=stage, prog=prog, role=role)
    )


def check_key_choice(previous: Mapping[str, str], stage_file: StageFile) -> None:
    """Refuse an update that switches the customer-managed key: it changes the database
    cluster's KmsKeyId, which replaces the named cluster, and CloudFormation refuses
    that replacement and rolls back."""
    was, now = previous.get("CustomerManagedKey"), stage_file.value("customer_managed_key")
    if was is None or was == now:
        return
    source = "" if "customer_managed_key" in stage_file.given else " (the default)"
    raise InputError(
        f"{shown(stage_file.path)}: customer_managed_key = {now}{source}, but "
        f"stack {stage_file.stack_name} has CustomerManagedKey {was}. The key choice is made when "
        "the stack is created: switching it would replace the named database cluster "
        "(its KmsKeyId), which CloudFormation refuses. To keep the stack's choice, set "
        f"customer_managed_key back to {was}"
    )


# --- the change set -----------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """The change set a deploy or an --image-tag update will ask for."""

    stack_name: str
    kind: str  # CREATE or UPDATE
    # This run's CreateChangeSet makes the stack (REVIEW_IN_PROGRESS) that holds the
    # change set: discarding deletes it too. A stack an earlier run left in review
    # stays, with its change sets: a run deletes only what it created.
    creates_stack: bool
    previous: Mapping[str, str]  # the stack's parameter values; empty on a create
    keep: tuple[str, ...] = ()  # stage-file keys left at the stack's value
    stack_id: str = ""  # the stack's, when there is one

    def parameters(self, values: StageFile) -> list[dict[str, Any]]:
        """Every parameter the stage file gives or lets default, in template order; the
        kept ones at the stack's value."""
        kept = {SPECS_BY_KEY[key].name for key in self.keep}
        sent = values.cloudformation_parameters()
        return [
            {"ParameterKey": spec.name, "UsePreviousValue": True}
            if spec.name in kept
            else {"ParameterKey": spec.name, "ParameterValue": sent[spec.name]}
            for spec in SPECS
            if spec.name in kept or spec.name in sent
        ]


def plan_deploy(
    stage: Stage,
    stage_file: StageFile,
    stack: Mapping[str, Any] | None,
    region: str,
    *,
    prog: str,
    role: str = "",
) -> Plan:
    """A full deploy of the stage file's values over the stack as described (None:
    there is none)."""
    kind = change_set_kind(stack, stage_file.stack_name, region, stage.name, prog=prog, role=role)
    previous = previous_parameters(stack) if kind == UPDATE else {}
    check_key_choice(previous, stage_file)
    keep = tuple(
        key
        for key in KEPT_UNLESS_GIVEN
        if SPECS_BY_KEY[key].name in previous
        and key not in stage_file.given
        # No alarm topics to keep: the default (none) is sent, as to a new stack.
        and (key != "notification_topic_arns" or previous[SPECS_BY_KEY[key].name])
    )
    creates_stack = kind == CREATE and (stack is None or stack["StackStatus"] == "DELETE_COMPLETE")
    stack_id = stack["StackId"] if stack else ""
    return Plan(stage_file.stack_name, kind, creates_stack, previous, keep, stack_id)


def plan_image_tag(
    tag: str,
    stack: Mapping[str, Any] | None,
    stack_name: str,
    region: str,
    stage: str,
    *,
    prog: str,
    role: str = "",
) -> Plan:
    """An update of the deployed stack that changes only ContainerImageTag."""
    if stack is None or stack["StackStatus"] == "REVIEW_IN_PROGRESS":
        raise InputError(
            f"--image-tag {tag}: stack {stack_name} does not exist in "
            f"{region}; deploy the stage once without --image-tag first"
        )
    change_set_kind(stack, stack_name, region, stage, prog=prog, role=role)
    previous = previous_parameters(stack)
    if "ContainerImageTag" not in previous:
        raise InputError(
            f"--image-tag {tag}: stack {stack_name} has no ContainerImageTag parameter; "
            "deploy the stage once without --image-tag first"
        )
    return Plan(stack_name, UPDATE, False, previous, stack_id=stack["StackId"])


def _change_set_name(stage: str, now: datetime) -> str:
    return f"planar-{stage}-{now:%Y%m%d-%H%M%S}"


# CreateChangeSet's Description takes at most 1,024 characters (the API model's `max`).
DESCRIPTION_MAX = 1024


def description(prog: str, stage: str, flags: str = "") -> str:
    """The command that made the change set (or StackSet), as the user ran it; a build
    script's name is the caller's choice, so a long one is cut to what CreateChangeSet
    and CreateStackSet take."""
    what = f" {flags}" if flags else ""
    return f"{prog} --stage {stage}{what} (planar-cfn {__version__})"[:DESCRIPTION_MAX]


def request_tags(values: StageFile) -> list[dict[str, str]]:
    """The stack's tags (naming.stack_tags) as a request's Tags."""
    return [{"Key": k, "Value": v} for k, v in stack_tags(values.stage, values.app_name).items()]


def deploy_request(
    plan: Plan,
    values: StageFile,
    template: Mapping[str, Any],
    template_argument: Mapping[str, str],
    now: datetime,
    *,
    prog: str,
    revert_drift: bool = False,
) -> dict[str, Any]:
    """CreateChangeSet's arguments for a full deploy; `template_argument` is its
    TemplateBody or TemplateURL; `revert_drift` makes an update's change set drift-aware."""
    return {
        "StackName": plan.stack_name,
        "ChangeSetName": _change_set_name(values.stage, now),
        "ChangeSetType": plan.kind,
        **template_argument,
        "Parameters": plan.parameters(values),
        "Capabilities": required_capabilities(template),
        "Tags": request_tags(values),
        "Description": description(prog, values.stage),
        # Only when the stage file names them: CloudFormation keeps the stack's topics
        # when NotificationARNs is left out, and [] removes them.
        **(
            {"NotificationARNs": list(values.notification_topic_arns)}
            if values.notification_topic_arns is not None
            else {}
        ),
        **_deployment_mode(plan.kind, revert_drift),
    }


def _deployment_mode(kind: str, revert_drift: bool) -> dict[str, str]:
    # A drift-aware change set compares with the live resources: a create has none.
    return {"DeploymentMode": "REVERT_DRIFT"} if revert_drift and kind == UPDATE else {}


def image_tag_request(
    plan: Plan,
    stage: str,
    tag: str,
    template: Mapping[str, Any],
    now: datetime,
    *,
    prog: str,
    revert_drift: bool = False,
) -> dict[str, Any]:
    """CreateChangeSet's arguments for an image-only update: the deployed template and
    every parameter at its previous value but the tag; no Tags and no NotificationARNs,
    so the stack keeps its own."""
    return {
        "StackName": plan.stack_name,
        "ChangeSetName": _change_set_name(stage, now),
        "ChangeSetType": UPDATE,
        "UsePreviousTemplate": True,
        "Parameters": [
            {"ParameterKey": key, "ParameterValue": tag}
            if key == "ContainerImageTag"
            else {"ParameterKey": key, "UsePreviousValue": True}
            for key in plan.previous
        ],
        "Capabilities": required_capabilities(template),
        "Description": description(prog, stage, f"--image-tag {tag}"),
        **_deployment_mode(UPDATE, revert_drift),
    }


def blocked(
    ready: ChangeSet,
    kind: str,
    stage: Stage,
    *,
    allow_replacement: bool,
    stack_name: str,
    region: str,
    stack_policy: Callable[[], str | None],
    prog: str,
    held: Collection[str],
) -> list[str]:
    """Why the change set must not run, or nothing when it may. `stack_policy` reads
    the stack's policy, which only decides a protected stage's allowed replacement;
    `held` is the template's logical ids."""
    if ready.services_replaced:
        # Even with --allow-replacement: this replacement cannot succeed.
        return [
            f"Blocked: the update replaces the ECS service "
            f"{', '.join(c.logical_id for c in ready.services_replaced)}, whose name is fixed: "
            "CloudFormation would create the new service beside the old one, ECS refuses a "
            "second service of that name, and the update would fail and roll back. Undo the "
            "change that forces it (the replacement's causes are listed above; switching "
            "fargate_spot on a running stack can be one: docs/scaling-and-cost.md)."
        ]
    foreign = foreign_removals(ready, held)
    if foreign and not allow_replacement:
        return [
            f"Blocked: the change set removes {', '.join(c.logical_id for c in foreign)}, "
            "which the template does not hold: a stack_name naming a stack that is not this "
            "stage's, or resources added outside this tool. If you mean it, run again with "
            "--allow-replacement."
        ]
    losses = ready.data_loss
    if not losses:
        return []
    if not allow_replacement:
        lines = [
            f"Blocked: {len(losses)} stateful resource(s) would be replaced or removed "
            "(listed above). If you mean it (after a backup), run again with "
            "--allow-replacement."
        ]
        if stage.protected and kind == UPDATE:
            lines.append(
                f"In {stage.name} the stack policy refuses it too: "
                "docs/deploying.md says how to lift it for one deploy."
            )
        return lines
    if not (stage.protected and kind == UPDATE):
        return []
    policy = stack_policy()
    denied = [c.logical_id for c in losses if policy_denies(policy, c)]
    if not denied:
        return []
    # ExecuteChangeSet takes no StackPolicyDuringUpdateBody: lifting the policy is
    # the operator's own, deliberate step, and the next deploy puts it back.
    return [
        f"Blocked: the {stage.name} stack policy denies replacing or removing "
        f"{', '.join(denied)}, even with --allow-replacement. To go ahead deliberately:",
        f"  1. aws cloudformation set-stack-policy --stack-name {stack_name} "
        f"--region {region} --stack-policy-body "
        '\'{"Statement":[{"Effect":"Allow","Action":"Update:*","Principal":"*","Resource":"*"}]}\'',
        f"  2. {prog} --stage {stage.name} --allow-replacement  "
        "(it restores the protective policy when the update ends)",
    ]


def foreign_removals(ready: ChangeSet, held: Collection[str]) -> tuple[Change, ...]:
    """Removals of resources the template does not hold, not even under a condition:
    a removal a Planar template's own switch makes names one of its logical ids."""
    return tuple(c for c in ready.changes if c.action == "Remove" and c.logical_id not in held)


# --- watch and destroy ---------------------------------------------------------------------


def watched_operation(status: str) -> str:
    """The operation a stack status belongs to: CREATE, UPDATE, DELETE or IMPORT."""
    return status.split("_")[0].replace("ROLLBACK", CREATE)


def check_destroyable(
    stack: Mapping[str, Any], stage: Stage, stack_name: str, region: str, *, prog: str
) -> None:
    """Refuse to delete a stack that is changing, or whose termination protection someone
    turned on outside a protected stage."""
    status = stack["StackStatus"]
    if status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
        raise InputError(
            f"stack {stack_name} is {status}: "
            + IN_PROGRESS.format(stage=stage.name, prog=prog).replace(
                "deploy again", "destroy again"
            )
        )
    if stack.get("EnableTerminationProtection") and not stage.protected:
        raise InputError(
            f"stack {stack_name} has termination protection on, though {stage.name} "
            "does not set it: someone turned it on on purpose. If it may go, turn it off with "
            f"`aws cloudformation update-termination-protection --no-enable-termination-protection "
            f"--stack-name {stack_name} --region {region}` and destroy again"
        )


def resources_with_policies(
    template: Mapping[str, Any], summaries: Sequence[Mapping[str, Any]]
) -> list[dict[str, str]]:
    """The stack's live resources, each with its DeletionPolicy in the deployed template."""
    policies = {
        logical_id: resource.get("DeletionPolicy", "Delete")
        for logical_id, resource in template.get("Resources", {}).items()
    }
    return [
        {**r, "DeletionPolicy": policies.get(r["LogicalResourceId"], "Delete")}
        for r in summaries
        if r.get("ResourceStatus") != "DELETE_COMPLETE"
    ]


def kept(resources: Sequence[Mapping[str, str]]) -> list[Mapping[str, str]]:
    """The resources a stack delete leaves behind."""
    return [r for r in resources if r["DeletionPolicy"] in KEPT]


def destroy_confirmation(stage: Stage, stack_name: str) -> tuple[str, tuple[str, ...]]:
    """The question a destroy asks, and the answers that confirm it: a protected
    stage's stack name typed in full."""
    if stage.protected:
        return f"Type the stack name ({stack_name}) to delete it: ", (stack_name.lower(),)
    return f"Delete stack {stack_name}? [y/N] ", ("y", "yes")
