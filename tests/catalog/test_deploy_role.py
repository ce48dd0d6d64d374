"""templates/planar-deploy-role.json: the CloudFormation service role --cfn-role-arn
names. The launch role's permissions for the stage templates' resources, trusted by
CloudFormation of its own account only, scoped to the deploy's planar-* stacks rather
than Service Catalog's SC-*, without what only Service Catalog does."""

import json

from planar_cfn.catalog import deploy_role, launch_role
from planar_cfn.paths import TEMPLATES_DIR


def _templates():
    bodies = [(TEMPLATES_DIR / f"planar-{s}.json").read_text() for s in ("dev", "staging", "prod")]
    return (
        json.loads(deploy_role.deploy_role_body(bodies)),
        json.loads(launch_role.launch_role_body(bodies)),
    )


def _statements(template):
    return [
        statement
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::IAM::ManagedPolicy"
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_the_committed_template_is_the_built_one():
    deploy, _ = _templates()
    assert json.loads((TEMPLATES_DIR / "planar-deploy-role.json").read_text()) == deploy


def test_it_trusts_cloudformation_of_its_own_account_only():
    deploy, _ = _templates()
    role = deploy["Resources"]["DeployRole"]["Properties"]
    assert role["RoleName"] == {"Ref": "DeployRoleName"}
    assert deploy["Parameters"]["DeployRoleName"]["Default"] == "planar-deploy-role"
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "cloudformation.amazonaws.com"},
            "Action": ["sts:AssumeRole"],
            "Condition": {"StringEqualsIfExists": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }
    ]
    assert deploy["Outputs"]["DeployRoleArn"] == {"Value": {"Fn::GetAtt": ["DeployRole", "Arn"]}}


def test_it_grants_the_launch_roles_permissions_on_planar_stacks():
    deploy, launch = _templates()
    text = json.dumps(deploy)
    assert "SC-*" not in text
    assert "servicecatalog" not in text.lower()
    # The stack-named scopes follow the deploy's stack names.
    assert "planar-*" in text
    granted = {a for s in _statements(deploy) for a in s["Action"]}
    launched = {
        a
        for s in _statements(launch)
        if not s.get("Sid", "").startswith("ServiceCatalog")
        and "servicecatalog:" not in json.dumps(s.get("Condition", {}))
        for a in s["Action"]
    }
    assert granted == launched
    # CloudFormation calls CreateStack and the others itself: the role does not.
    assert not any(a.startswith("cloudformation:Create") for a in granted)


def test_the_permissions_boundary_is_given_to_no_role():
    """It bounds the roles a stack creates (and allows Bedrock on *): given to the deploy
    role, it would grant it everything the stack's roles may do."""
    deploy, _ = _templates()
    policies = {
        name: resource["Properties"]
        for name, resource in deploy["Resources"].items()
        if resource["Type"] == "AWS::IAM::ManagedPolicy"
    }
    assert "Roles" not in policies.pop("PermissionsBoundaryPolicy")
    assert policies
    assert all(p["Roles"] == [{"Ref": "DeployRole"}] for p in policies.values())
