"""What a StackSet deploy asks CloudFormation, decided without calling AWS: the
StackSet's parameters (the stage file's), each target's ParameterOverrides, where its
instances go (Accounts, or DeploymentTargets for OUs), the permission model and the
operation preferences. Plain functions over the stage file and the targets file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..inputs.stage_file import StageFile
from ..inputs.targets import SELF_MANAGED, Target, TargetsFile
from .change_set import required_capabilities
from .plan import description, request_tags

__all__ = [
    "create_instances",
    "create_set",
    "delete_instances",
    "parameters",
    "update_instances",
    "update_set",
]


def parameters(values: Mapping[str, str]) -> list[dict[str, str]]:
    """Parameters (or ParameterOverrides) from ParameterKey -> value."""
    return [{"ParameterKey": name, "ParameterValue": value} for name, value in values.items()]


def _permissions(targets: TargetsFile) -> dict[str, Any]:
    if targets.permission_model == SELF_MANAGED:
        roles = {
            "AdministrationRoleARN": targets.administration_role_arn,
            "ExecutionRoleName": targets.execution_role_name,
        }
        # Left out, CloudFormation uses AWSCloudFormationStackSetAdministrationRole and
        # AWSCloudFormationStackSetExecutionRole.
        return {"PermissionModel": SELF_MANAGED, **{k: v for k, v in roles.items() if v}}
    return {
        "PermissionModel": targets.permission_model,
        "AutoDeployment": {
            "Enabled": targets.auto_deployment,
            **(
                {"RetainStacksOnAccountRemoval": targets.retain_stacks_on_account_removal}
                if targets.auto_deployment
                else {}
            ),
        },
    }


def create_set(
    targets: TargetsFile,
    values: StageFile,
    template: Mapping[str, Any],
    template_argument: Mapping[str, str],
    *,
    prog: str,
) -> dict[str, Any]:
    """CreateStackSet's arguments: the set alone; its instances come after."""
    return {
        "StackSetName": targets.stack_set_name,
        "Description": description(prog, values.stage, "--targets"),
        **template_argument,
        "Parameters": parameters(values.cloudformation_parameters()),
        "Capabilities": required_capabilities(template),
        "Tags": request_tags(values),
        **_permissions(targets),
        **targets.call_as_argument,
    }


def update_set(
    targets: TargetsFile,
    values: StageFile,
    template: Mapping[str, Any],
    template_argument: Mapping[str, str],
    *,
    prog: str,
) -> dict[str, Any]:
    """UpdateStackSet's arguments: every instance gets the new template and parameters,
    each keeping its overrides."""
    return {
        **create_set(targets, values, template, template_argument, prog=prog),
        "OperationPreferences": targets.preferences.request(targets.regions),
    }


def _place(self_managed: bool, ids: Sequence[str]) -> dict[str, Any]:
    """Where a call acts: accounts (self-managed) or OUs (service-managed)."""
    if self_managed:
        return {"Accounts": list(ids)}
    return {"DeploymentTargets": {"OrganizationalUnitIds": list(ids)}}


def create_instances(
    targets: TargetsFile, target: Target, regions: Sequence[str]
) -> dict[str, Any]:
    """CreateStackInstances' arguments for a target's new instances, with its values."""
    return {
        "StackSetName": targets.stack_set_name,
        **_place(bool(target.accounts), target.accounts or target.organizational_units),
        "Regions": targets.preferences.ordered(regions),
        "ParameterOverrides": parameters(target.overrides),
        "OperationPreferences": targets.preferences.request(regions),
        **targets.call_as_argument,
    }


def update_instances(
    targets: TargetsFile, target: Target, regions: Sequence[str]
) -> dict[str, Any]:
    """UpdateStackInstances' arguments: the target's overrides, whole. A parameter left
    out of the list goes back to the StackSet's value."""
    return create_instances(targets, target, regions)


def delete_instances(
    targets: TargetsFile, instances: Sequence[Mapping[str, Any]], *, retain: bool
) -> list[dict[str, Any]]:
    """DeleteStackInstances' arguments for every instance, one call per group of regions
    that hold the same accounts (or OUs): a call's accounts and regions are crossed."""
    by_region: dict[str, set[str]] = {}
    for instance in instances:
        where = (
            instance["Account"]
            if targets.permission_model == SELF_MANAGED
            else instance.get("OrganizationalUnitId") or instance["Account"]
        )
        by_region.setdefault(instance["Region"], set()).add(where)
    groups: dict[tuple[str, ...], list[str]] = {}
    for region, where in by_region.items():
        groups.setdefault(tuple(sorted(where)), []).append(region)
    requests = []
    for where, regions in groups.items():
        requests.append(
            {
                "StackSetName": targets.stack_set_name,
                **_place(targets.permission_model == SELF_MANAGED, where),
                "Regions": targets.preferences.ordered(regions),
                "OperationPreferences": targets.preferences.request(regions),
                "RetainStacks": retain,
                **targets.call_as_argument,
            }
        )
    return requests
