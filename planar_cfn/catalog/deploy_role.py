"""The CloudFormation service role a deployer passes with --cfn-role-arn:
templates/planar-deploy-role.json.

CloudFormation then creates, updates and deletes a stage's stack with this role, and
the deployer needs only CloudFormation on `planar-*` stacks and iam:PassRole of it
(docs/deploying.md, "A deployer who is not an administrator"). Its permissions are the
launch role's (launch_role.py derives them from the resource provider schemas of the
stage templates' resource types), less what only Service Catalog does with a launch
role (its own stack and template calls, and reading its own template objects), with
the scopes that follow the stack's name
set to the deploy's stacks, `planar-*`, instead of Service Catalog's `SC-*`. It trusts
CloudFormation, for stacks in its own account only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ..template import boundary
from ..template.render import Rendered
from . import launch_boundary, launch_role

__all__ = ["DEFAULT_ROLE_NAME", "DEPLOY_ROLE", "deploy_role_body", "with_deploy_role"]

# Its name among the templates the command writes: no stage can take it (a stage's
# name has no hyphen), and template_path gives planar-deploy-role.json.
DEPLOY_ROLE = "deploy-role"
DEFAULT_ROLE_NAME = "planar-deploy-role"
# The stacks CloudFormation names resources after: Service Catalog's, and the deploy's.
_SERVICE_CATALOG_STACKS, _DEPLOY_STACKS = "SC-*", "planar-*"


def _renamed(node: Any) -> Any:
    """The launch role's document, its Service Catalog names made the deploy's."""
    if isinstance(node, str):
        return (
            node.replace(_SERVICE_CATALOG_STACKS, _DEPLOY_STACKS)
            .replace(launch_role.DEFAULT_ROLE_NAME, DEFAULT_ROLE_NAME)
            .replace(launch_boundary.BOUNDARY_NAME, boundary.DEPLOY_BOUNDARY_NAME)
        )
    if isinstance(node, list):
        return [_renamed(item) for item in node]
    if isinstance(node, dict):
        return {_renamed(key): _renamed(value) for key, value in node.items()}
    return node


def _service_catalogs(statement: Mapping[str, Any]) -> bool:
    """What only Service Catalog uses: its stack and template calls, and reading the
    template objects it tags servicecatalog:provisioning in its own bucket."""
    return str(statement.get("Sid", "")).startswith("ServiceCatalog") or (
        "servicecatalog:" in json.dumps(statement.get("Condition", {}))
    )


def _deploy_role(launch: Mapping[str, Any]) -> dict[str, Any]:
    template: dict[str, Any] = _renamed(dict(launch))
    template["Description"] = (
        "IAM role CloudFormation assumes to create, update and delete Planar stacks for "
        "a deployer who passes it with --cfn-role-arn (planar-cfn)"
    )
    parameter = template["Parameters"].pop("LaunchRoleName")
    parameter["Description"] = "The role's name (what --cfn-role-arn names, by its ARN)"
    template["Parameters"]["DeployRoleName"] = parameter
    resources: dict[str, Any] = {}
    for logical_id, resource in template["Resources"].items():
        new_id = logical_id.replace("Launch", "Deploy")
        properties = resource["Properties"]
        if resource["Type"] == "AWS::IAM::Role":
            properties["RoleName"] = {"Ref": "DeployRoleName"}
            properties["Description"] = "Assumed by CloudFormation to deploy Planar stacks"
            (trust,) = properties["AssumeRolePolicyDocument"]["Statement"]
            trust["Principal"] = {"Service": "cloudformation.amazonaws.com"}
        else:
            # Only the policies attached to the launch role: the permissions boundary
            # bounds the roles a stack creates and grants the deploy role nothing.
            if "Roles" in properties:
                properties["Roles"] = [{"Ref": "DeployRole"}]
            properties["Description"] = properties["Description"].replace("launch", "deploy")
            document = properties["PolicyDocument"]
            document["Statement"] = [s for s in document["Statement"] if not _service_catalogs(s)]
            if not document["Statement"]:
                continue
        resources[new_id] = resource
    template["Resources"] = resources
    template["Outputs"] = {
        "DeployRoleArn": {"Value": {"Fn::GetAtt": ["DeployRole", "Arn"]}},
        "DeployRoleName": {"Value": {"Ref": "DeployRole"}},
    }
    return template


def deploy_role_body(stage_bodies: Iterable[str]) -> str:
    """The deploy-role template as written to templates/, for stage templates given as
    the JSON text the command writes."""
    launch = json.loads(launch_role.launch_role_body(stage_bodies))
    return json.dumps(_deploy_role(launch), indent=2, ensure_ascii=False) + "\n"


def with_deploy_role(rendered: Mapping[str, Rendered]) -> dict[str, Rendered]:
    """The rendered templates and, after them, the deploy role for the stage templates'
    resource types, as `build.py --all-stages` writes, lints and checks them."""
    stages = [r.body for name, r in rendered.items() if name != launch_role.LAUNCH_ROLE]
    body = deploy_role_body(stages)
    return {**rendered, DEPLOY_ROLE: Rendered(stage=DEPLOY_ROLE, body=body)}
