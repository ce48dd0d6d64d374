"""The launch role cannot mint an administrator or reach beyond Planar's stacks: every
role it creates or changes carries the Planar permissions boundary, the boundary
caps what the stack's roles are given, and its Route 53, secret and stack rights are
the launch's own."""

import json

import pytest

from planar_cfn.catalog import launch_boundary, launch_records
from planar_cfn.catalog.launch_role import launch_role_path
from planar_cfn.catalog.resource_schemas import schema_permissions
from tests.catalog.policy_eval import decide, role_statements
from tests.catalog.test_launch_role import COMMITTED, REFS
from tests.cfn import evaluate

ACCOUNT = "arn:aws:iam::123456789012"
BOUNDARY = f"{ACCOUNT}:policy/planar-permissions-boundary"
TASK_ROLE = f"{ACCOUNT}:role/ecs-task-role-prod-acme"
STACK = "arn:aws:cloudformation:eu-west-1:123456789012:stack/SC-123456789012-pp-abc/1"
ZONE = "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"
# Every IAM action that can give a role (or a user, group or policy) more permissions
# than it has, or take its boundary away.
ESCALATING = {
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
}
NEVER = {
    "iam:DeleteRolePermissionsBoundary",
    "iam:CreatePolicy",
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:CreateUser",
    "iam:PutUserPolicy",
    "iam:AttachUserPolicy",
    "iam:PutGroupPolicy",
    "iam:AttachGroupPolicy",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:AddUserToGroup",
    "iam:UpdateLoginProfile",
}


@pytest.fixture(scope="module")
def role():
    return json.loads(launch_role_path(COMMITTED).read_text())


@pytest.fixture(scope="module")
def policy(role):
    return list(role_statements(role, REFS))


def _lower(actions):
    return {a.lower() for a in actions}


def test_every_statement_that_changes_a_role_requires_the_planar_boundary(policy):
    # The escalation test: walk every Allow statement; each one that creates a role or
    # changes its permissions is conditioned on the boundary, and nothing else is granted
    # that could create a principal or change a policy.
    checked = set()
    for statement in (s for s in policy if s["Effect"] == "Allow"):
        actions = _lower(statement["Action"])
        assert not actions & _lower(NEVER), statement["Sid"]
        assert not any(a.startswith("iam:") and "*" in a for a in actions), statement["Sid"]
        if actions & _lower(ESCALATING):
            condition = statement["Condition"]["ArnEquals"]
            assert condition["iam:PermissionsBoundary"] == BOUNDARY, statement["Sid"]
            assert "*" not in statement["Resource"], statement["Sid"]
            checked |= actions & _lower(ESCALATING)
        if actions & {"iam:passrole", "iam:updateassumerolepolicy"}:
            # No iam:PermissionsBoundary key for these: the stack's named roles only.
            assert all(r.startswith(f"{ACCOUNT}:role/") for r in statement["Resource"])
            assert not any(r.endswith(":role/*") for r in statement["Resource"])
    assert checked == _lower(ESCALATING - {"iam:DetachRolePolicy"}) | {"iam:detachrolepolicy"}


@pytest.mark.parametrize("action", sorted(ESCALATING))
def test_a_role_without_the_boundary_is_never_created_or_given_permissions(policy, action):
    context = {
        "iam:PolicyARN": "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    }
    with_boundary = {**context, "iam:PermissionsBoundary": BOUNDARY}
    assert decide(policy, action, TASK_ROLE, with_boundary) == "allow"
    assert decide(policy, action, TASK_ROLE, context) == "deny"
    other = {**context, "iam:PermissionsBoundary": f"{ACCOUNT}:policy/AdminLike"}
    assert decide(policy, action, TASK_ROLE, other) == "deny"
    # Only the stack's role names: not any role a stack (SC-*) might name.
    assert decide(policy, action, f"{ACCOUNT}:role/SC-123-pp-abc", with_boundary) != "allow"


def test_administrator_access_cannot_be_attached_even_with_the_boundary(policy):
    context = {
        "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess",
        "iam:PermissionsBoundary": BOUNDARY,
    }
    assert decide(policy, "iam:AttachRolePolicy", TASK_ROLE, context) != "allow"


def test_the_boundary_is_never_removed_or_rewritten(policy):
    assert decide(policy, "iam:DeleteRolePermissionsBoundary", TASK_ROLE, {}) == "deny"
    for action in ("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"):
        assert decide(policy, action, BOUNDARY, {}) == "deny", action


def test_every_role_of_every_stage_carries_the_boundary_named_by_its_parameter(templates, role):
    boundary_name = role["Parameters"]["PermissionsBoundaryName"]["Default"]
    assert boundary_name == launch_boundary.BOUNDARY_NAME
    refs = {**REFS, "AWS::AccountId": "123456789012", "PermissionsBoundary": boundary_name}
    for stage, template in templates.items():
        roles = {k: r for k, r in template["Resources"].items() if r["Type"] == "AWS::IAM::Role"}
        assert len(roles) >= 3, stage
        for logical_id, resource in roles.items():
            value = resource["Properties"]["PermissionsBoundary"]
            on = evaluate(value, refs, {"HasPermissionsBoundary": True})
            assert on == BOUNDARY, (stage, logical_id)
            assert template["Conditions"]["HasPermissionsBoundary"] == {
                "Fn::Not": [{"Fn::Equals": [{"Ref": "PermissionsBoundary"}, ""]}]
            }


def test_every_role_of_every_stage_has_a_name_the_launch_role_scopes(templates, policy):
    for stage, template in templates.items():
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] != "AWS::IAM::Role":
                continue
            name = evaluate(resource["Properties"]["RoleName"], {"AppName": "acme"}, {})
            arn = f"{ACCOUNT}:role/{name}"
            context = {"iam:PermissionsBoundary": BOUNDARY}
            assert decide(policy, "iam:CreateRole", arn, context) == "allow", (stage, logical_id)


def test_the_boundary_allows_what_the_stack_roles_are_given_and_no_iam(templates, role):
    (statement,) = role["Resources"]["PermissionsBoundaryPolicy"]["Properties"]["PolicyDocument"][
        "Statement"
    ]
    allowed = set(statement["Action"])
    assert launch_boundary.role_actions(templates.values()) == allowed
    assert "bedrock:InvokeModel" in allowed
    assert "ecr:BatchGetImage" in allowed
    assert not {a for a in allowed if a.split(":")[0] in {"iam", "sts", "organizations"}}
    properties = role["Resources"]["PermissionsBoundaryPolicy"]["Properties"]
    assert properties["ManagedPolicyName"] == {"Ref": "PermissionsBoundaryName"}
    assert "Roles" not in properties  # a boundary, not a grant to the launch role


def test_a_managed_policy_the_boundary_does_not_know_is_refused_by_name():
    arn = "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess"
    template = {
        "Resources": {
            "Admin": {"Type": "AWS::IAM::Role", "Properties": {"ManagedPolicyArns": [arn]}}
        }
    }
    with pytest.raises(ValueError, match=r"^Admin: ManagedPolicyArns entry") as error:
        launch_boundary.role_actions([template])
    message = str(error.value)
    assert message.startswith(f"Admin: ManagedPolicyArns entry {arn!r}")
    assert "AmazonECSTaskExecutionRolePolicy" in message


def test_the_database_secret_value_is_never_readable(policy):
    rds = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-1234-abcdef"
    assert decide(policy, "secretsmanager:GetSecretValue", rds, {}) != "allow"
    # RDS creates it with the caller's rights: what AWS::RDS::DBCluster's schema lists.
    dbcluster = {a for a in schema_permissions("AWS::RDS::DBCluster") if a.startswith("secrets")}
    for action in dbcluster:
        assert decide(policy, action, rds, {}) == "allow", action
    # The stack's own secrets: GetSecretValue only because their schema lists it.
    assert "secretsmanager:GetSecretValue" in schema_permissions("AWS::SecretsManager::Secret")
    own = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:custom-secret-prod-acme-abcdef"
    assert decide(policy, "secretsmanager:GetSecretValue", own, {}) == "allow"


def test_only_planar_tagged_stacks_are_created_updated_or_deleted(policy):
    planar = {"aws:ResourceTag/framework": "planar"}
    for action in ("cloudformation:UpdateStack", "cloudformation:DeleteStack"):
        assert decide(policy, action, STACK, planar) == "allow", action
        assert decide(policy, action, STACK, {}) != "allow", action
        other = {"aws:ResourceTag/framework": "other"}
        assert decide(policy, action, STACK, other) != "allow", action
    create = {"aws:RequestTag/framework": "planar"}
    assert decide(policy, "cloudformation:CreateStack", STACK, create) == "allow"
    assert decide(policy, "cloudformation:CreateStack", STACK, {}) != "allow"


def _change(names, types):
    return {
        "route53:ChangeResourceRecordSetsNormalizedRecordNames": names,
        "route53:ChangeResourceRecordSetsRecordTypes": types,
    }


@pytest.mark.parametrize(
    ("names", "types", "decision"),
    [
        (["acme-prod.example.com"], ["A"], "allow"),
        (["acme-dev.example.com"], ["A"], "allow"),
        (["_a79865eb4cd1a6ab990a45779b4e0b96.example.com"], ["CNAME"], "allow"),
        (["_a79865eb4cd1a6ab990a45779b4e0b96.acme-prod.example.com"], ["CNAME"], "allow"),
        # The zone's apex, any other name, or another type: refused.
        (["example.com"], ["A"], "implicit deny"),
        (["www.example.com"], ["A"], "implicit deny"),
        (["acme-prod.example.com"], ["CNAME"], "implicit deny"),
        (["acme-prod.example.com"], ["NS"], "implicit deny"),
        (["_acme-challenge.example.com"], ["CNAME"], "implicit deny"),
        (["_a79865eb4cd1a6ab990a45779b4e0b96.example.com"], ["TXT"], "implicit deny"),
        (["acme-prod.example.com", "example.com"], ["A"], "implicit deny"),
    ],
)
def test_records_are_the_applications_and_acms_only(policy, names, types, decision):
    action = "route53:ChangeResourceRecordSets"
    assert decide(policy, action, ZONE, _change(names, types)) == decision


def test_a_change_without_the_route53_keys_is_refused(policy):
    assert decide(policy, "route53:ChangeResourceRecordSets", ZONE, {}) == "implicit deny"


def test_record_patterns_come_from_the_templates_and_refuse_a_name_they_cannot_read(templates):
    assert launch_records.record_patterns(templates.values()) == (
        "*-dev.*",
        "*-prod.*",
        "*-staging.*",
    )
    bad = {
        "Resources": {
            "Rec": {"Type": "AWS::Route53::RecordSet", "Properties": {"Name": {"Ref": "N"}}}
        }
    }
    with pytest.raises(ValueError, match=r"^Rec: Name \{'Ref': 'N'\}: must be a string"):
        launch_records.record_patterns([bad])
