"""planar_cfn/lint/planar.guard, the stack's invariants (E9101-E9106) as CloudFormation
Guard rules, run through the Guard binding cfn_guard_rs (Guard 3.0.1): every stage
template in templates/ complies, each rule applying to prod, and breaking one invariant
in a copy of a rendered template makes exactly its rule fail, with its message."""

import copy
import json
from importlib.resources import files
from pathlib import Path

import cfn_guard_rs
import pytest

from planar_cfn.inputs.stages import STAGE_NAMES

ROOT = Path(__file__).resolve().parents[2]
RULES = (files("planar_cfn.lint") / "planar.guard").read_text()
RULE_NAMES = {
    "E9101": "planar_e9101_stateful_resources_keep_data",
    "E9102": "planar_e9102_https_listeners_keep_tls13",
    "E9103": "planar_e9103_http_only_redirects_to_https",
    "E9104": "planar_e9104_bedrock_stays_scoped_to_the_models_given",
    "E9105": "planar_e9105_prod_database_keeps_deletion_protection",
    "E9106": "planar_e9106_bucket_refuses_plain_http",
}


def check(template):
    """Guard's report on a template: (compliant, not compliant, not applicable) rule names."""
    report = cfn_guard_rs.run_checks(template, RULES)
    failed = {clause.Rule.name for clause in report.not_compliant}
    return set(report.compliant), failed, set(report.not_applicable), report


def committed(stage):
    return json.loads((ROOT / "templates" / f"planar-{stage}.json").read_text())


def test_the_rules_are_named_after_their_ids():
    named = {line.split()[1] for line in RULES.splitlines() if line.startswith("rule planar_e9")}
    assert named == set(RULE_NAMES.values())


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_every_stage_template_complies(stage):
    compliant, failed, not_applicable, _ = check(committed(stage))
    assert failed == set()
    assert compliant | not_applicable == set(RULE_NAMES.values())
    # Only prod's database is prod's: dev and staging have no cluster E9105 is about.
    expected = set(RULE_NAMES.values()) - ({RULE_NAMES["E9105"]} if stage != "prod" else set())
    assert compliant == expected


def test_the_role_templates_comply_too():
    """Their permissions boundary allows Bedrock actions on * but is given to no role in
    the template: it bounds the roles a stack creates and grants nothing itself."""
    for name in ("deploy-role", "launch-role"):
        assert check(committed(name))[1] == set(), name


def resource(template, logical_id):
    return template["Resources"][logical_id]


def bedrock_statement(template):
    """The task role's scoped Bedrock statement (the Fn::If branch for listed models)."""
    for policy in resource(template, "TaskRole")["Properties"]["Policies"]:
        branch = policy.get("Fn::If", [None, None, {}])[2]
        if isinstance(branch, dict) and branch.get("PolicyName") == "bedrock":
            return branch["PolicyDocument"]["Statement"][0]
    raise AssertionError("no bedrock policy")


def retain_nothing(t):
    resource(t, "AppBucket")["DeletionPolicy"] = "Delete"


def replace_the_database(t):
    resource(t, "DatabaseCluster")["UpdateReplacePolicy"] = "Delete"


def tls12(t):
    resource(t, "HttpsListener")["Properties"]["SslPolicy"] = "ELBSecurityPolicy-TLS-1-2-2017-01"


def serve_plain_http(t):
    resource(t, "HttpRedirectListener")["Properties"]["DefaultActions"] = [
        {"Type": "forward", "TargetGroupArn": {"Ref": "TargetGroup"}}
    ]


def redirect_to_http(t):
    action = resource(t, "HttpRedirectListener")["Properties"]["DefaultActions"][0]
    action["RedirectConfig"]["Protocol"] = "HTTP"


def every_model(t):
    bedrock_statement(t)["Resource"] = ["*"]


def every_bedrock_action(t):
    bedrock_statement(t)["Action"] = ["bedrock:*"]


def a_policy_on_every_model(t):
    t["Resources"]["ExtraBedrockPolicy"] = {
        "Type": "AWS::IAM::Policy",
        "Properties": {
            "PolicyName": "extra",
            "Roles": [{"Ref": "TaskRole"}],
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "*"}
                ],
            },
        },
    }


def unprotected_database(t):
    resource(t, "DatabaseCluster")["Properties"]["DeletionProtection"] = False


def https_not_required(t):
    statement = resource(t, "AppBucketPolicy")["Properties"]["PolicyDocument"]["Statement"][0]
    statement["Condition"]["Bool"]["aws:SecureTransport"] = "true"


def a_bucket_without_policy(t):
    t["Resources"]["ExtraBucket"] = {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
    }


@pytest.mark.parametrize(
    ("rule", "stage", "breaking"),
    [
        ("E9101", "prod", retain_nothing),
        ("E9101", "dev", replace_the_database),
        ("E9102", "prod", tls12),
        ("E9103", "prod", serve_plain_http),
        ("E9103", "prod", redirect_to_http),
        ("E9104", "prod", every_model),
        ("E9104", "prod", every_bedrock_action),
        ("E9104", "dev", a_policy_on_every_model),
        ("E9105", "prod", unprotected_database),
        ("E9106", "prod", https_not_required),
        ("E9106", "prod", a_bucket_without_policy),
    ],
)
def test_breaking_an_invariant_fails_exactly_its_rule(rule, stage, breaking, templates):
    broken = copy.deepcopy(templates[stage])
    breaking(broken)
    _, failed, _, report = check(broken)
    assert failed == {RULE_NAMES[rule]}
    assert f"{rule}: " in str(report.not_compliant)  # the rule's own message


PROD = [{"Key": "stage", "Value": "prod"}]
CLUSTER = {"Type": "AWS::RDS::DBCluster", "DeletionPolicy": "Snapshot"}


@pytest.mark.parametrize(
    ("rule", "alone", "message"),
    [
        (
            "E9101",
            {
                "Type": "AWS::KMS::Key",
                "UpdateReplacePolicy": "Retain",
                "Properties": {"Tags": PROD},
            },
            "tagged stage=prod must have DeletionPolicy Retain",
        ),
        (
            "E9101",
            {**CLUSTER, "Properties": {"DeletionProtection": True, "Tags": PROD}},
            "must have UpdateReplacePolicy Snapshot or Retain",
        ),
        (
            "E9105",
            {**CLUSTER, "UpdateReplacePolicy": "Snapshot", "Properties": {"Tags": PROD}},
            "must have DeletionProtection true",
        ),
    ],
)
def test_a_missing_attribute_fails_its_rule(rule, alone, message):
    """On a template of that one resource: with a stage template's resources the binding
    returns a report cut short, which it cannot read (docs/ci.md)."""
    _, failed, _, report = check({"Resources": {"Alone": alone}})
    assert failed == {RULE_NAMES[rule]}
    assert message in str(report.not_compliant)
