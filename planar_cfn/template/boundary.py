"""The permissions boundary every role of the stack carries when the PermissionsBoundary
parameter names one: the launch role (templates/planar-launch-role.json) creates and
changes a role only when it carries planar-permissions-boundary (docs/security.md)."""

from __future__ import annotations

from troposphere import If, NoValue, Sub, Template
from troposphere.iam import Role

from ..inputs.parameters import Params

__all__ = ["DEPLOY_BOUNDARY_NAME", "add_permissions_boundary", "boundary_arn"]

# The boundary of the deploy role (templates/planar-deploy-role.json), which lets
# CloudFormation create only roles that carry it. Its own name, so that the launch-role
# and deploy-role templates can both be deployed in one account.
DEPLOY_BOUNDARY_NAME = "planar-deploy-permissions-boundary"


def boundary_arn() -> Sub:
    """The ARN of the managed policy the PermissionsBoundary parameter names, in this
    stack's account."""
    return Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/${PermissionsBoundary}")


def add_permissions_boundary(template: Template, params: Params) -> tuple[Role, ...]:
    """Give every role in `template` the boundary, when the parameter is not empty, and
    return the roles. Run after every role is built: a role added later has none."""
    roles = tuple(r for r in template.resources.values() if isinstance(r, Role))
    for role in roles:
        if "PermissionsBoundary" in role.properties:
            raise ValueError(
                f"{role.title}: PermissionsBoundary = {role.properties['PermissionsBoundary']!r}: "
                "set by the stack from its PermissionsBoundary parameter; a role may not set "
                "its own"
            )
        role.PermissionsBoundary = If(params.has_permissions_boundary, boundary_arn(), NoValue)
    return roles
