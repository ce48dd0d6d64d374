"""IAM roles (planar_cfn/template/iam.py): least-privilege Bedrock access, every
generated policy passes an IAM policy linter (parliament), and the execution role and
task role rows of docs/stack.md's components table ("What the stack holds"), asserted on
the rendered templates."""

import json

import pytest
from cfnlint.data import AdditionalSpecs
from cfnlint.helpers import load_resource
from parliament import analyze_policy_string

from planar_cfn.inputs.parameters import SPECS_BY_NAME
from tests.cfn import evaluate, props, resources_of_type
from tests.template.sample import SAMPLE, name_of

# The rows of docs/stack.md's components table these tests assert, and the tests
# that assert each (test_components.py checks the table against every file's rows).
COMPONENTS = {
    "execution role": ("test_execution_role",),
    "task role": (
        "test_task_role_is_assumed_by_ecs_tasks_only",
        "test_task_role",
    ),
}


REFS = {
    "AWS::Partition": "aws",
    "AWS::Region": "eu-west-1",
    "AWS::AccountId": "123456789012",
    "AWS::StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/planar-dev-shop/5f0c9a70-1234-11ef-9f5a-0a1b2c3d4e5f",
    "AWS::NoValue": None,
    "AppName": "shop",
    "ContainerImageTag": "1.4.3",
    "AppBucket.Arn": "arn:aws:s3:::planar-dev-shop-5f0c9a70",
    "AppBucket": "planar-dev-shop-5f0c9a70",
    "CustomSecret": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:custom-secret-dev-shop-AbCdEf",
    "RegistryCredentialsSecret": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-credentials-dev-shop-AbCdEf",
    "RegistryCredentialsSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mine-AbCdEf",
    "TelemetryTokenSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:planar/telemetry/t-AbCdEf",
    "DatabaseCluster.MasterUserSecret.SecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!cluster-1-AbCdEf",
    "BucketEmptierLogGroup.Arn": "arn:aws:logs:eu-west-1:123456789012:log-group:x:*",
    "EnvironmentFileLogGroup.Arn": "arn:aws:logs:eu-west-1:123456789012:log-group:y:*",
    # Every one of the ten slots filled (REFS gives AWS::NoValue as None, which an empty
    # slot would leave in the list).
    "AppSecrets": ",".join(f"VAR_{i}=app/s{i}-AbC123:key::" for i in range(10)),
    "EncryptionKey.Arn": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    # ECS's deployment role's load balancer resources (a traffic-shifting strategy).
    "TargetGroup": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/ptg-dev-1/0123456789abcdef",
    "AlternateTargetGroup": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/pta-dev-1/0123456789abcdef",
    "HttpsListener": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/plb/50dc6c495c0c9188/f2f7dc8efc522ab2",
    "ProductionListenerRule": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/plb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee",
}
# The Claude models the original README names (docs/stack.md, Bedrock models): the default.
README_MODELS = (
    "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "anthropic.claude-opus-4-5-20251101-v1:0",
)
# How many models a list may hold: the policy's slots (docs/aws-limits.md, "at most 4").
MODEL_SLOTS = 4
CONDITIONS = {
    "AllBedrockModels": False,
    "UseRegistryCredentials": True,
    "UseExistingRegistrySecret": False,
    "UseCustomerManagedKey": True,
    "HasPermissionsBoundary": True,
    # The application's settings: a file of variables and the ten secret slots.
    "HasAppEnvironment": True,
    "HasAppSecrets": True,
    **{f"HasAppSecret{i}": True for i in range(10)},
    "UseTelemetry": True,
    "AllowBedrockMantle": True,
}


def bedrock_statements(template, models, conditions=CONDITIONS):
    refs = {**REFS, "BedrockModelIds": ",".join(models)}
    (policy,) = [
        p
        for p in evaluate(
            template["Resources"]["TaskRole"]["Properties"]["Policies"], refs, conditions
        )
        if p and p["PolicyName"] == "bedrock"
    ]
    return policy["PolicyDocument"]["Statement"]


def expected_arns(models):
    return {
        arn
        for m in models
        for arn in (
            f"arn:aws:bedrock:eu-west-1:123456789012:inference-profile/*.{m}",
            f"arn:aws:bedrock:*::foundation-model/{m}",
            f"arn:aws:bedrock:::foundation-model/{m}",
        )
    }


def test_default_scope_is_the_readme_claude_models_through_inference_profiles(template):
    assert template["Parameters"]["BedrockModelIds"]["Default"] == ",".join(README_MODELS)
    invoke, listing = bedrock_statements(template, README_MODELS)
    assert set(invoke["Resource"]) == expected_arns(README_MODELS)
    assert set(invoke["Action"]) == {
        "bedrock:InvokeModel",
        "bedrock:InvokeModelWithResponseStream",
        "bedrock:GetInferenceProfile",
        "bedrock:GetFoundationModel",
    }
    # Only what AWS cannot scope stays on *.
    assert listing == {
        "Sid": "ListModels",
        "Effect": "Allow",
        "Action": ["bedrock:ListFoundationModels"],
        "Resource": ["*"],
    }


@pytest.mark.parametrize("count", range(1, MODEL_SLOTS + 1))
def test_an_explicit_list_of_models_grants_exactly_those(template, count):
    models = [f"vendor.model-{i}-v1:0" for i in range(count)]
    invoke, _ = bedrock_statements(template, models)
    assert set(invoke["Resource"]) == expected_arns(models)


def test_star_grants_every_model_as_the_original_module_did(template):
    (statement,) = bedrock_statements(template, ["*"], {**CONDITIONS, "AllBedrockModels": True})
    assert statement["Resource"] == ["*"]
    assert "bedrock:InvokeModel" in statement["Action"]


def test_star_grants_exactly_the_bedrock_actions_of_the_listed_models_and_the_listing(template):
    # The same actions as a list of models (invoke, stream, read a profile or a model)
    # plus listing the models: on every model, and nothing beyond Bedrock's read and invoke.
    (statement,) = bedrock_statements(template, ["*"], {**CONDITIONS, "AllBedrockModels": True})
    assert statement["Effect"] == "Allow"
    assert sorted(statement["Action"]) == [
        "bedrock:GetFoundationModel",
        "bedrock:GetInferenceProfile",
        "bedrock:InvokeModel",
        "bedrock:InvokeModelWithResponseStream",
        "bedrock:ListFoundationModels",
    ]


def test_more_models_than_slots_is_refused_before_deploy():
    spec = SPECS_BY_NAME["BedrockModelIds"]
    assert spec.check(",".join(f"a.m{i}" for i in range(MODEL_SLOTS))) is None
    problem = spec.check(",".join(f"a.m{i}" for i in range(MODEL_SLOTS + 1)))
    assert problem.startswith(f"at most {MODEL_SLOTS} values")
    assert spec.check("anthropic.claude model") is not None


# parliament reports RESOURCE_MISMATCH when a statement does not cover every
# resource type an action can target. bedrock:InvokeModel can target eight kinds
# (application profiles, provisioned and imported models, ...); granting only
# the listed models is the point, so those alternatives are expected to be absent.
UNGRANTED_BEDROCK_TARGETS = (
    ":application-inference-profile/",
    ":async-invoke/",
    ":marketplace/model-endpoint/",
    ":default-prompt-router/",
    ":imported-model/",
    ":provisioned-model/",
    ":custom-model-deployment/",
    ":prompt-router/",
    ":custom-model/",
)


# ECS's deployment role moves this stack's application load balancer's rule and
# listener only: a network load balancer's (listener/net/, listener-rule/net/) are
# the other resource types parliament knows for these actions.
def _only_network_load_balancer_targets(finding) -> bool:
    return finding.issue == "RESOURCE_MISMATCH" and all(
        d["action"].startswith("elasticloadbalancing:") and "/net/" in d["required_format"]
        for d in finding.detail
    )


# parliament 1.6.4 refuses a ':' inside a resource id, and every Bedrock model id
# has one (`-v1:0`): the policies are linted with it written as '-', which leaves
# everything else about them to check.
LINTABLE_MODELS = [m.replace(":", "-") for m in README_MODELS]


def _policies(template, conditions):
    """Identity and bucket policies, resolved for one deployment (trust policies
    have no Resource by design, which parliament reads as malformed)."""
    refs = {**REFS, "BedrockModelIds": ",".join(LINTABLE_MODELS)}
    for logical_id, role in resources_of_type(template, "AWS::IAM::Role").items():
        properties = evaluate(role["Properties"], refs, conditions)
        for policy in filter(None, properties.get("Policies") or []):
            yield f"{logical_id} {policy['PolicyName']}", policy["PolicyDocument"]
    for logical_id, resource in resources_of_type(template, "AWS::S3::BucketPolicy").items():
        yield logical_id, evaluate(resource["Properties"]["PolicyDocument"], refs, conditions)


# parliament 1.6.4 predates Bedrock Mantle: its prefix is unknown there, so the actions
# are checked against cfn-lint's newer IAM action list instead.
MANTLE = "bedrock-mantle"
MANTLE_ACTIONS = set(load_resource(AdditionalSpecs, "Policies.json")[MANTLE]["Actions"])


def _unknown_mantle(finding) -> bool:
    return finding.issue == "UNKNOWN_PREFIX" and finding.detail == f"Unknown prefix {MANTLE}"


def test_every_policy_passes_parliament(template):
    checked = 0
    conditions = CONDITIONS
    for name, document in _policies(template, conditions):
        checked += 1
        findings = analyze_policy_string(json.dumps(document)).findings
        unexpected = [
            (f.issue, f.detail)
            for f in findings
            if not (
                f.issue == "RESOURCE_MISMATCH"
                and all(
                    d["action"].startswith("bedrock:")
                    and any(t in d["required_format"] for t in UNGRANTED_BEDROCK_TARGETS)
                    for d in f.detail
                )
            )
            and not _unknown_mantle(f)
            and not _only_network_load_balancer_targets(f)
        ]
        assert unexpected == [], name
        for statement in document["Statement"]:
            for action in statement["Action"]:
                service, _, operation = action.partition(":")
                assert service != MANTLE or operation.lower() in MANTLE_ACTIONS, action
    assert checked >= 5


def test_every_model_is_the_one_place_parliament_sees_resource_star(template):
    findings = {
        name: [
            f.issue
            for f in analyze_policy_string(json.dumps(document)).findings
            if not _unknown_mantle(f) and not _only_network_load_balancer_targets(f)
        ]
        for name, document in _policies(template, {**CONDITIONS, "AllBedrockModels": True})
    }
    assert {name: issues for name, issues in findings.items() if issues} == {
        "TaskRole bedrock": ["RESOURCE_STAR"]
    }


def _statements(role: dict) -> list[dict]:
    """Statements of the role's unconditional inline policies."""
    policies = role["Properties"].get("Policies", [])
    return [s for p in policies if "PolicyDocument" in p for s in p["PolicyDocument"]["Statement"]]


def test_execution_role(template, stage):
    role = template["Resources"]["ExecutionRole"]
    p = role["Properties"]
    assert name_of(p["RoleName"], stage) == f"ecs-execution-role-{stage}-shop"
    assert p["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": ["ecs-tasks.amazonaws.com"]
    }
    assert evaluate(p["ManagedPolicyArns"][0], SAMPLE).endswith(
        "service-role/AmazonECSTaskExecutionRolePolicy"
    )
    refs = {
        "RegistryCredentialsSecretArn": "arn:existing",
        "RegistryCredentialsSecret": "arn:created",
        "AWS::NoValue": None,
    }
    # Only when a registry secret exists, and only on that secret (nor the key, the
    # telemetry token (test_telemetry.py), the application's environment file and secrets).
    no_key = {
        "UseCustomerManagedKey": False,
        "UseTelemetry": False,
        "HasAppEnvironment": False,
        "HasAppSecrets": False,
    }
    assert evaluate(p["Policies"], refs, {**no_key, "UseRegistryCredentials": False}) == [
        None,
        None,
        None,
        None,
        None,
    ]
    policies = evaluate(
        p["Policies"],
        refs,
        {**no_key, "UseRegistryCredentials": True, "UseExistingRegistrySecret": False},
    )
    (policy,) = filter(None, policies)
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Action"] == ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    assert statement["Resource"] == ["arn:created"]


@pytest.mark.parametrize(
    ("given", "read"),
    [
        # The launch form names a registry secret: the role reads that name here.
        (
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:planar/registry/ghcr-AbC123",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:planar/registry/ghcr-AbC123",
        ),
        # Another account's or region's ARN: still only the stack's own account and region.
        (
            "arn:aws:secretsmanager:us-east-1:210987654321:secret:planar/registry/ghcr-AbC123",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:planar/registry/ghcr-AbC123",
        ),
    ],
)
def test_execution_role_reads_a_given_registry_secret_in_its_own_account_only(
    template, given, read
):
    """The audit's exfiltration: the execution role may read the secret the launch form
    names, and ECS sends it to the registry host. The role and the task definition name
    the secret in the stack's own account and region, whatever account the ARN says."""
    p = template["Resources"]["ExecutionRole"]["Properties"]
    refs = {**REFS, "RegistryCredentialsSecretArn": given}
    conditions = {
        "UseCustomerManagedKey": False,
        "UseRegistryCredentials": True,
        "UseExistingRegistrySecret": True,
        "HasAppEnvironment": False,
        "HasAppSecrets": False,
        "UseTelemetry": False,
    }
    (policy,) = filter(None, evaluate(p["Policies"], refs, conditions))
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Resource"] == [read]
    container = template["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    credentials = evaluate(container["RepositoryCredentials"], refs, conditions)
    assert credentials == {"CredentialsParameter": read}


def test_task_role_is_assumed_by_ecs_tasks_only(template):
    trust = props(template, "TaskRole")["AssumeRolePolicyDocument"]
    assert trust == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["ecs-tasks.amazonaws.com"]},
                "Action": ["sts:AssumeRole"],
                # Documented for task roles (docs/security.md): a task of this account.
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                    "ArnLike": {"aws:SourceArn": {"Fn::Sub": ECS_TASKS_OF_THIS_ACCOUNT}},
                },
            }
        ],
    }


ECS_TASKS_OF_THIS_ACCOUNT = "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:*"


def test_execution_role_checks_the_source_only_when_ecs_sends_it(template):
    # AWS documents the keys for task roles only: IfExists, so an unsent key cannot
    # refuse every task start (docs/security.md).
    (trust,) = props(template, "ExecutionRole")["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": ["ecs-tasks.amazonaws.com"]}
    assert trust["Condition"] == {
        "StringEqualsIfExists": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
        "ArnLikeIfExists": {"aws:SourceArn": {"Fn::Sub": ECS_TASKS_OF_THIS_ACCOUNT}},
    }


def test_task_role(template, stage):
    role = template["Resources"]["TaskRole"]
    assert name_of(role["Properties"]["RoleName"], stage) == f"ecs-task-role-{stage}-shop"
    by_action = {}
    for statement in _statements(role):
        if statement["Effect"] == "Deny":  # the environment files (test_app_settings.py)
            continue
        for action in statement["Action"]:
            by_action.setdefault(action, []).extend(statement["Resource"])
    bedrock_policy = [
        p
        for p in role["Properties"]["Policies"]
        if p.get("Fn::If", [None])[0] == "AllBedrockModels"
    ]
    assert bedrock_policy
    assert bedrock_policy[0]["Fn::If"][0] == "AllBedrockModels"
    for branch in bedrock_policy[0]["Fn::If"][1:]:
        for statement in branch["PolicyDocument"]["Statement"]:
            for action in statement["Action"]:
                by_action.setdefault(action, []).append(statement["Resource"])
    read = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    for action in read:
        assert by_action[action] == [
            {"Fn::GetAtt": ["DatabaseCluster", "MasterUserSecret.SecretArn"]},
            {"Ref": "CustomSecret"},
        ]
    bucket = {"Fn::GetAtt": ["AppBucket", "Arn"]}
    objects = {"Fn::Sub": ["${Bucket}/*", {"Bucket": bucket}]}
    for action in (
        "GetObject",
        "PutObject",
        "DeleteObject",
        "AbortMultipartUpload",
        "ListMultipartUploadParts",
    ):
        assert by_action[f"s3:{action}"] == [bucket, objects]
    assert by_action["s3:ListBucket"] == [bucket]
    for action in (
        "InvokeModel",
        "InvokeModelWithResponseStream",
        "ListFoundationModels",
        "GetFoundationModel",
    ):
        assert f"bedrock:{action}" in by_action
