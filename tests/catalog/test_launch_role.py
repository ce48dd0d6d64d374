"""The Service Catalog launch role (templates/planar-launch-role.json): it covers every
permission the stage templates' resource types need, per cfn-lint's resource provider
schemas, less the documented exclusions; it grants nothing beyond them without a
reason; it is fresh, lint-clean, within IAM's size limits and passes parliament."""

import fnmatch
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cfnlint.data import AdditionalSpecs
from cfnlint.helpers import load_resource
from parliament import analyze_policy_string

from planar_cfn import build_launch_role, get_stage
from planar_cfn.catalog import launch_boundary
from planar_cfn.catalog.launch_boundary import WITHHELD_ACTIONS
from planar_cfn.catalog.launch_grants import SCOPES, SERVICE_CATALOG_GRANTS, managed_policy_arns
from planar_cfn.catalog.launch_role import (
    EXCLUDED_SERVICES,
    MANAGED_POLICY_LIMIT,
    NOT_IAM_ACTIONS,
    launch_role_body,
    launch_role_path,
    required_actions,
)
from planar_cfn.catalog.resource_schemas import resource_types, schema_permissions
from planar_cfn.cli import commands as cli
from planar_cfn.lint.runner import lint_body
from tests.catalog.policy_eval import decide, role_statements
from tests.catalog.test_resource_schemas import schema_union
from tests.cfn import evaluate

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "templates"
IAM_ACTIONS = {
    f"{service}:{action}"
    for service, spec in load_resource(AdditionalSpecs, "Policies.json").items()
    for action in spec["Actions"]
}
# An IAM service prefix per CloudFormation service namespace, where the two differ.
IAM_PREFIX = {
    "ApplicationAutoScaling": "application-autoscaling",
    "CertificateManager": "acm",
    "CloudFormation": "cloudformation",
    "ElasticLoadBalancingV2": "elasticloadbalancing",
}
REFS = {
    "AWS::Partition": "aws",
    "AWS::Region": "eu-west-1",
    "AWS::AccountId": "123456789012",
    "LaunchRoleName": "planar-launch-role",
    "PermissionsBoundaryName": "planar-permissions-boundary",
}


def test_building_the_role_does_not_import_cfn_lint():
    code = (
        "import sys\n"
        "from planar_cfn.catalog.launch_role import build_launch_role\n"
        "build_launch_role()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'cfnlint'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def role():
    return json.loads(launch_role_path(COMMITTED).read_text())


def statements(role):
    """The Allow statements of the policies attached to the launch role (not the
    permissions boundary, a policy of the template that no role of it carries)."""
    for resource in role["Resources"].values():
        if resource["Type"] == "AWS::IAM::ManagedPolicy" and resource["Properties"].get("Roles"):
            document = resource["Properties"]["PolicyDocument"]
            yield from (s for s in document["Statement"] if s["Effect"] == "Allow")


def granted(role):
    """The role's allowed actions, lowercased as IAM compares them."""
    return {a.lower() for s in statements(role) for a in s["Action"]}


def covers(patterns, action):
    return any(fnmatch.fnmatchcase(action.lower(), p) for p in patterns)


def uncovered(types, role):
    """The schema permissions of `types` the role does not grant and no table excuses."""
    patterns = granted(role)
    return sorted(
        a
        for a in schema_union(types)
        if not covers(patterns, a)
        and a.split(":")[0] not in EXCLUDED_SERVICES
        and a not in NOT_IAM_ACTIONS
        and a not in WITHHELD_ACTIONS
    )


def test_the_role_covers_every_permission_of_every_stage_resource_type(templates, role):
    types = resource_types(templates.values())
    # Conditional resources are in the templates: the WAF association, the key, the
    # registry secret, the bucket emptier (dev), autoscaling.
    assert {
        "AWS::WAFv2::WebACLAssociation",
        "AWS::KMS::Key",
        "AWS::SecretsManager::Secret",
        "AWS::Lambda::Function",
        "AWS::CloudFormation::CustomResource",
        "AWS::ApplicationAutoScaling::ScalingPolicy",
    } <= types
    assert len(schema_union(types)) > 300
    assert uncovered(types, role) == []


def test_a_new_resource_type_fails_the_coverage_until_the_role_covers_it(templates, role):
    types = resource_types(templates.values()) | {"AWS::SQS::Queue"}
    missing = uncovered(types, role)
    assert "sqs:CreateQueue" in missing
    assert all(a.startswith("sqs:") for a in missing)
    # Built for a template that holds a queue, the role covers it.
    stage_bodies = [json.dumps(t) for t in templates.values()]
    stage_bodies.append(json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}))
    assert uncovered(types, json.loads(launch_role_body(stage_bodies))) == []


def test_every_grant_is_in_the_union_or_explained(templates, role):
    union = {a.lower() for a in schema_union(resource_types(templates.values()))}
    extras = {a.lower() for g in SERVICE_CATALOG_GRANTS for a in g.actions}
    unexplained = granted(role) - union - extras
    assert unexplained == set()
    for grant in SERVICE_CATALOG_GRANTS:
        assert "docs.aws.amazon.com" in grant.reason or ".html" in grant.reason, grant.sid
    # No wildcard: every grant is one action, exactly as listed.
    assert not any("*" in a or "?" in a for a in granted(role))


def test_every_excluded_service_is_one_the_stack_never_creates_a_resource_of(templates):
    types = resource_types(templates.values())
    namespaces = {t.split("::")[1] for t in types}
    prefixes = {IAM_PREFIX.get(n, n.lower()) for n in namespaces}
    union_services = {a.split(":")[0] for a in schema_union(types)}
    for service, reason in EXCLUDED_SERVICES.items():
        assert service not in prefixes, service
        assert service in union_services, f"{service}: no schema lists it; drop the entry"
        assert reason.startswith("AWS::"), service  # names the schema that lists it


def test_the_entries_that_are_no_iam_action_are_exactly_those_cfn_lint_does_not_know(
    templates, role
):
    union = schema_union(resource_types(templates.values()))
    known = {a.lower() for a in IAM_ACTIONS}
    unknown = {
        a for a in union if a.lower() not in known and a.split(":")[0] not in EXCLUDED_SERVICES
    }
    assert unknown == set(NOT_IAM_ACTIONS)
    # The S3 operations are granted under the action that authorizes them.
    for name, reason in NOT_IAM_ACTIONS.items():
        if reason.startswith("S3 authorizes"):
            assert reason.split()[-1].lower() in granted(role), name


def test_scopes_grant_only_required_actions(templates):
    required = {a.lower() for a in required_actions(resource_types(templates.values()))}
    for scope in SCOPES:
        for action in scope.actions:
            assert action.split(":")[0] in {"iam", "secretsmanager", "s3", "logs", "lambda", "ecr"}
        assert scope.reason
    assert {a.lower() for s in SCOPES for a in s.actions} <= required | {
        a.lower() for g in SERVICE_CATALOG_GRANTS for a in g.actions
    }


def test_roles_are_passed_only_to_their_services_and_scoped_to_the_stack(role):
    by_sid = {s["Sid"]: s for s in statements(role)}
    passing = [s for s in statements(role) if "iam:PassRole" in s["Action"]]
    assert passing == [by_sid["PassStackRoles"]]
    resolved = evaluate(by_sid["PassStackRoles"], REFS, {})
    assert "*" not in resolved["Resource"]
    assert set(resolved["Condition"]["StringEquals"]["iam:PassedToService"]) == {
        "ecs-tasks.amazonaws.com",
        # ECS's deployment role, with a traffic-shifting DeploymentStrategy.
        "ecs.amazonaws.com",
        "lambda.amazonaws.com",
        "monitoring.rds.amazonaws.com",
        "rds.amazonaws.com",
    }
    for sid in ("StackRoles", "StackSecrets", "StackBucket", "StackLogGroups", "StackRepository"):
        assert "*" not in evaluate(by_sid[sid], REFS, {})["Resource"], sid
    # Every ecr action the repository's schema lists, only on the stack's repositories.
    ecr = [s for s in statements(role) if any(a.startswith("ecr:") for a in s["Action"])]
    assert ecr == [by_sid["StackRepository"]]
    assert {a.lower() for a in ecr[0]["Action"]} == {
        a.lower() for a in schema_permissions("AWS::ECR::Repository") if a.startswith("ecr:")
    }
    (repositories,) = evaluate(ecr[0], REFS, {})["Resource"]
    assert repositories.endswith(":repository/planar-app-*")
    linked = by_sid["ServiceLinkedRoles"]
    assert linked["Action"] == ["iam:CreateServiceLinkedRole"]
    assert "iam:AWSServiceName" in linked["Condition"]["StringEquals"]


def test_trust_name_and_outputs(role):
    launch = role["Resources"]["LaunchRole"]["Properties"]
    (trust,) = launch["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "servicecatalog.amazonaws.com"}
    assert trust["Action"] == ["sts:AssumeRole"]
    # The confused-deputy guard: only launches in the role's own account.
    assert trust["Condition"] == {
        "StringEqualsIfExists": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    }
    assert launch["RoleName"] == {"Ref": "LaunchRoleName"}
    assert role["Parameters"]["LaunchRoleName"]["Default"] == "planar-launch-role"
    assert set(role["Outputs"]) == {"LaunchRoleArn", "LaunchRoleName"}


def test_each_policy_fits_the_managed_policy_limit(role):
    policies = [r for r in role["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"]
    attached = [p for p in policies if "Roles" in p["Properties"]]
    assert 1 < len(attached) <= 10  # a role takes 10 managed policies by default
    # The one policy no role of the template carries is the permissions boundary.
    assert [p for p in policies if p not in attached] == [
        role["Resources"]["PermissionsBoundaryPolicy"]
    ]
    for policy in policies:
        document = evaluate(policy["Properties"]["PolicyDocument"], REFS, {})
        assert len("".join(json.dumps(document).split())) <= MANAGED_POLICY_LIMIT
    for policy in attached:
        assert policy["Properties"]["Roles"] == [{"Ref": "LaunchRole"}]


def test_the_committed_template_is_fresh_and_lint_clean(role):
    assert launch_role_path(COMMITTED).read_text() == (
        json.dumps(build_launch_role().to_dict(), indent=2, ensure_ascii=False) + "\n"
    )
    # cfn-lint's rules; the rule pack's one finding in it (E9104) is asserted, with the
    # other templates', in tests/lint/test_rules.py.
    body = launch_role_path(COMMITTED).read_text()
    assert lint_body(body, "launch-role", rule_pack=False) == []


def test_check_reports_a_stale_launch_role(tmp_path):
    assert (
        cli.main(
            ["--all-stages", "--no-deploy", "--templates-dir", str(tmp_path)], out=io.StringIO()
        )
        == 0
    )
    path = launch_role_path(tmp_path)
    path.write_text(path.read_text().replace("iam:PassRole", "iam:PassRoles"))
    out = io.StringIO()
    assert cli.main(["--all-stages", "--check", "--templates-dir", str(tmp_path)], out=out) == 1
    assert f"stale: {path} differs from a fresh render" in out.getvalue()


def test_a_single_stage_build_does_not_write_it(tmp_path):
    cli.main(["--stage", "dev", "--no-deploy", "--templates-dir", str(tmp_path)], out=io.StringIO())
    assert not launch_role_path(tmp_path).exists()


def test_every_policy_passes_parliament(role):
    # Two allowances for parliament 1.6.4. Its action list predates some actions the
    # schemas name (S3 metadata tables, ECS service deployments, ...): those are allowed
    # as unknown when cfn-lint's newer list knows them. And it reports RESOURCE_STAR for
    # actions on `*` that could name a resource: allowed only in the statements on `*`
    # (the remainder no scope names, and the template objects read under the
    # servicecatalog:provisioning tag), never in a scoped one.
    # The permissions boundary allows its actions on `*`: it grants nothing, and caps
    # the stack's roles, whose own policies name their resources.
    on_star = {a for s in statements(role) if s["Resource"] == ["*"] for a in s["Action"]}
    boundary = role["Resources"]["PermissionsBoundaryPolicy"]["Properties"]["PolicyDocument"]
    on_star |= {a for s in boundary["Statement"] for a in s["Action"]}
    known_prefixes = {a.split(":")[0] for a in IAM_ACTIONS}
    checked = 0
    for resource in role["Resources"].values():
        if resource["Type"] != "AWS::IAM::ManagedPolicy":
            continue
        checked += 1
        document = evaluate(resource["Properties"]["PolicyDocument"], REFS, {})
        findings = analyze_policy_string(json.dumps(document)).findings
        unexpected = [
            (f.issue, f.detail)
            for f in findings
            if f.issue != "UNKNOWN_ACTION"
            and not (f.issue == "RESOURCE_STAR" and set(f.detail) <= on_star)
            # A service newer than parliament's list (Bedrock Mantle), known to cfn-lint's.
            and not (f.issue == "UNKNOWN_PREFIX" and f.detail.split()[-1] in known_prefixes)
        ]
        assert unexpected == []
        for finding in findings:
            if finding.issue == "UNKNOWN_ACTION":
                action = finding.detail.removeprefix("Unknown action ")
                assert action.lower() in {a.lower() for a in IAM_ACTIONS}, action
    assert checked >= 2


# CloudFormation checks a parameter of an AWS-specific type with the caller's
# credentials ("Parameters", AWSCloudFormation/latest/UserGuide/parameters-section-
# structure.html): the launch role must be able to look each one up.
PARAMETER_LOOKUPS = {
    "AWS::EC2::VPC::Id": "ec2:DescribeVpcs",
    "List<AWS::EC2::Subnet::Id>": "ec2:DescribeSubnets",
    "AWS::Route53::HostedZone::Id": "route53:ListHostedZones",
}


def test_the_role_can_look_up_every_aws_specific_parameter(templates, role):
    types = {p["Type"] for t in templates.values() for p in t["Parameters"].values()}
    specific = {t for t in types if "AWS::" in t}
    assert specific == set(PARAMETER_LOOKUPS)
    for parameter_type in specific:
        assert PARAMETER_LOOKUPS[parameter_type].lower() in granted(role), parameter_type


@pytest.mark.parametrize(
    ("stages", "message"),
    [
        (
            (),
            "build_launch_role: stages = (): must be a non-empty sequence of Stage or StackConfig",
        ),
        ("prod", "build_launch_role: stages = 'prod': must be a non-empty sequence"),
        (["prod"], "build_launch_role: stages[0] = 'prod': must be a Stage or a StackConfig"),
    ],
)
def test_a_bad_stage_list_is_refused_naming_it(stages, message):
    with pytest.raises(TypeError) as error:
        build_launch_role(stages)
    assert str(error.value).startswith(message)


def test_a_custom_stage_list_gets_a_role_for_its_own_resource_types():
    # prod alone has no bucket emptier, but the environment file's writer (under
    # AppEnvironment) is a Lambda function in every stage: the role may create and invoke
    # one and pass it its role; and prod's database, as any stage's.
    prod_only = json.loads(json.dumps(build_launch_role((get_stage("prod"),)).to_dict()))
    actions = granted(prod_only)
    assert {"lambda:createfunction", "lambda:invokefunction"} <= actions
    assert "rds:createdbcluster" in actions
    (passing,) = [s for s in statements(prod_only) if "iam:PassRole" in s["Action"]]
    services = passing["Condition"]["StringEquals"]["iam:PassedToService"]
    assert {"lambda.amazonaws.com", "ecs-tasks.amazonaws.com"} <= set(services)


def test_every_left_out_permission_has_its_reason(templates, role):
    left_out = {
        a: EXCLUDED_SERVICES.get(a.split(":")[0])
        or NOT_IAM_ACTIONS.get(a)
        or WITHHELD_ACTIONS.get(a)
        for a in schema_union(resource_types(templates.values()))
        if not covers(granted(role), a)
    }
    # Printed with -s or on failure: each permission the role leaves out, and why.
    for action, reason in sorted(left_out.items()):
        print(f"{action}: {reason}")
    assert all(left_out.values()), [a for a, r in left_out.items() if not r]
    assert {a.split(":")[0] for a in left_out} >= set(EXCLUDED_SERVICES)


ROLE_ARN = "arn:aws:iam::123456789012:role/ecs-task-role-dev-planar"
BOUNDARY_ARN = "arn:aws:iam::123456789012:policy/planar-permissions-boundary"
STACK_ARN = "arn:aws:cloudformation:eu-west-1:123456789012:stack/SC-123456789012-pp-abc/1"


def allows(role, action, resource, context):
    """Whether the launch role's policies allow `action` on `resource` for a request
    with `context`: an explicit Deny wins (tests/catalog/policy_eval.py)."""
    return decide(list(role_statements(role, REFS)), action, resource, context) == "allow"


def stage_policy_arns(templates):
    return {
        evaluate(arn, REFS, {})
        for template in templates.values()
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::IAM::Role"
        for arn in resource["Properties"].get("ManagedPolicyArns", ())
    }


def test_attach_and_detach_are_limited_to_the_policies_the_stages_attach(templates, role):
    arns = stage_policy_arns(templates)
    assert "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole" in arns
    for action in ("iam:AttachRolePolicy", "iam:DetachRolePolicy"):
        for arn in arns:
            context = {"iam:PolicyARN": arn, "iam:PermissionsBoundary": BOUNDARY_ARN}
            assert allows(role, action, ROLE_ARN, context), (action, arn)
            # Only on a role that carries the Planar boundary.
            assert not allows(role, action, ROLE_ARN, {"iam:PolicyARN": arn}), (action, arn)
        for arn in (
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "arn:aws:iam::123456789012:policy/anything",
        ):
            context = {"iam:PolicyARN": arn, "iam:PermissionsBoundary": BOUNDARY_ARN}
            assert not allows(role, action, ROLE_ARN, context), (action, arn)
        assert not allows(role, action, ROLE_ARN, {})


def test_the_attachable_policies_follow_the_stage_templates(templates, monkeypatch):
    bodies = [json.dumps(t) for t in templates.values()]
    extra = {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess"}
    # The boundary must know what the policy allows (a policy it does not know is refused:
    # tests/catalog/test_launch_boundary.py).
    known = {**launch_boundary.MANAGED_POLICY_ACTIONS, extra["Fn::Sub"]: ("s3:GetObject",)}
    monkeypatch.setattr(launch_boundary, "MANAGED_POLICY_ACTIONS", known)
    bodies.append(
        json.dumps(
            {
                "Resources": {
                    "R": {"Type": "AWS::IAM::Role", "Properties": {"ManagedPolicyArns": [extra]}}
                }
            }
        )
    )
    role = json.loads(launch_role_body(bodies))
    context = {
        "iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "iam:PermissionsBoundary": BOUNDARY_ARN,
    }
    assert allows(role, "iam:AttachRolePolicy", ROLE_ARN, context)


def test_a_managed_policy_arn_the_role_cannot_name_is_refused_by_name():
    role = {"Type": "AWS::IAM::Role", "Properties": {"ManagedPolicyArns": [{"Ref": "Arn"}]}}
    with pytest.raises(ValueError, match="Shared: ManagedPolicyArns entry"):
        managed_policy_arns([{"Resources": {"Shared": role}}])
    literal = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    role["Properties"]["ManagedPolicyArns"] = [literal, {"Fn::Sub": literal}]
    assert managed_policy_arns([{"Resources": {"Shared": role}}]) == (literal,)


def test_the_role_can_tag_the_service_catalog_stacks_only(role):
    # A launch's TagOptions become stack tags, authorized as cloudformation:TagResource,
    # framework=planar among them.
    planar = {"aws:RequestTag/framework": "planar"}
    assert allows(role, "cloudformation:TagResource", STACK_ARN, planar)
    other = STACK_ARN.replace("SC-123456789012-pp-abc", "someone-elses")
    assert not allows(role, "cloudformation:TagResource", other, planar)
    assert not allows(role, "cloudformation:TagResource", STACK_ARN, {})
