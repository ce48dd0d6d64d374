"""The application's settings as the launch form sets them, evaluated the way
CloudFormation would: the variables and secrets reach the app container, the
execution role may read exactly the named secrets, written into the stack's own
account, Region and application prefix, and the template refuses what ECS or the
least-privilege boundary would not take."""

import json

import pytest

from planar_cfn.inputs import app_settings
from planar_cfn.inputs.parameters import SPECS_BY_NAME
from tests.cfn import Launch
from tests.template.test_launch_matrix import ACCOUNT, BASE, REGION

SECRETS = "OPENAI_API_KEY=openai-AbC123,STRIPE_KEY=payments/stripe-XyZ789:secret_key::"
ENVIRONMENT = '{"LOG_LEVEL":"info","CALLBACK":"https://x.example/cb?a=b,c"}'
PREFIX = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:planar/{{stage}}/acme/"


def launch(template, stage, **values):
    return Launch(
        template, {**BASE, **values}, region=REGION, account=ACCOUNT, stack_name="planar-x"
    )


def app_container(launch):
    return launch.resources["TaskDefinition"]["ContainerDefinitions"][0]


def execution_policy(launch, name):
    found = [p for p in launch.resources["ExecutionRole"]["Policies"] if p["PolicyName"] == name]
    return found[0]["PolicyDocument"]["Statement"] if found else None


def test_variables_and_secrets_reach_the_app_container(template, stage):
    launched = launch(template, stage, AppEnvironment=ENVIRONMENT, AppSecrets=SECRETS)
    assert launched.failures == []
    container = app_container(launched)
    prefix = PREFIX.format(stage=stage)
    assert container["Secrets"] == [
        {"Name": "OPENAI_API_KEY", "ValueFrom": prefix + "openai-AbC123"},
        {"Name": "STRIPE_KEY", "ValueFrom": prefix + "payments/stripe-XyZ789:secret_key::"},
    ]
    (file,) = container["EnvironmentFiles"]
    assert file["Type"] == "s3"
    writer = launched.resources["EnvironmentFile"]
    assert writer["Environment"] == ENVIRONMENT
    assert writer["Reserved"] == list(app_settings.APP_ENVIRONMENT)


def test_the_execution_role_reads_exactly_the_named_secrets_and_the_files(template, stage):
    launched = launch(template, stage, AppEnvironment=ENVIRONMENT, AppSecrets=SECRETS)
    prefix = PREFIX.format(stage=stage)
    (statement,) = execution_policy(launched, "app-secrets")
    assert statement["Action"] == ["secretsmanager:GetSecretValue"]
    # The secrets themselves: ECS's :json-key:: choice is not part of the ARN.
    assert statement["Resource"] == [prefix + "openai-AbC123", prefix + "payments/stripe-XyZ789"]
    get, locate = execution_policy(launched, "environment-file")
    bucket = launched.resources["AppBucket"]["BucketName"]
    assert get["Resource"] == [f"arn:aws:s3:::{bucket}/{app_settings.ENVIRONMENT_FILE_PREFIX}*"]
    assert locate["Action"] == ["s3:GetBucketLocation"]


def test_without_settings_nothing_is_added(template, stage):
    launched = launch(template, stage)
    assert launched.failures == []
    container = app_container(launched)
    assert container["Secrets"] == []
    assert "EnvironmentFiles" not in container
    assert "EnvironmentFile" not in launched.resources
    assert "EnvironmentFileFunction" not in launched.resources
    assert execution_policy(launched, "app-secrets") is None
    assert execution_policy(launched, "environment-file") is None


def test_every_slot_is_filled_and_one_more_is_refused(template, stage):
    pairs = [f"VAR_{i}=s{i}-AbC123" for i in range(app_settings.MAX_SECRETS)]
    launched = launch(template, stage, AppSecrets=",".join(pairs))
    assert [s["Name"] for s in app_container(launched)["Secrets"]] == [
        f"VAR_{i}" for i in range(app_settings.MAX_SECRETS)
    ]
    more = launch(template, stage, AppSecrets=",".join([*pairs, "ONE_MORE=s-AbC123"]))
    assert more.refusals


def test_a_secret_outside_the_application_cannot_be_named(template, stage):
    # A launcher picks the image, so whatever the task may read is theirs: the
    # template writes the account, Region and prefix itself; a whole ARN, another
    # account's or a wildcard is refused before anything is created.
    for value in (
        "A=arn:aws:secretsmanager:us-east-1:999999999999:secret:planar/registry/x-AbC123",
        "A=*-AbC123",
        "A=planar/*",
        "A=rds!cluster-1-AbC123",
        "A=partial",  # no 6-character suffix: no IAM grant would match it
    ):
        assert launch(template, stage, AppSecrets=value).refusals, value


@pytest.mark.parametrize(
    "value",
    [
        '{"DB_HOST":"elsewhere"}',
        '{"A":"line\\nbreak"}',
        '{"1A":"x"}',
        '{"A":1}',
        "not json",
        "{" + ",".join(f'"V{i}":"{"x" * 30}"' for i in range(120)) + "}",  # over 4,096
    ],
)
def test_the_template_refuses_an_environment_ecs_could_not_take(template, stage, value):
    assert launch(template, stage, AppEnvironment=value).refusals


@pytest.mark.parametrize(
    "value",
    ["A=x-AbC123,A=y-XyZ789", "DB_HOST=x-AbC123", "A=x-AbC123, B=y-XyZ789", "A==x-AbC123"],
)
def test_the_template_refuses_secrets_named_twice_reserved_or_malformed(template, stage, value):
    assert launch(template, stage, AppSecrets=value).refusals


def test_plain_values_are_shown_and_no_secret_value_is_in_the_template(template):
    for name in ("AppEnvironment", "AppSecrets"):
        assert "NoEcho" not in template["Parameters"][name]
        assert SPECS_BY_NAME[name].group == "Application"
    # The template names secrets; it holds none but the registry password's (a NoEcho
    # parameter) and the custom secret's placeholder.
    holders = {k for k, r in template["Resources"].items() if "SecretString" in json.dumps(r)}
    assert holders == {"RegistryCredentialsSecret", "CustomSecret"}


def test_the_application_cannot_rewrite_its_own_environment_file(template, stage):
    launched = launch(template, stage, AppEnvironment=ENVIRONMENT)
    (bucket_policy,) = [
        p for p in launched.resources["TaskRole"]["Policies"] if p["PolicyName"] == "bucket"
    ]
    (deny,) = [s for s in bucket_policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny["Action"] == ["s3:PutObject", "s3:DeleteObject"]
    assert deny["Resource"][0].endswith("/" + app_settings.ENVIRONMENT_FILE_PREFIX + "*")


def test_names_the_library_sets_are_refused_in_the_file_too():
    from planar_cfn import StackConfig, build_template

    config = StackConfig.for_stage("dev")
    config = StackConfig(stage=config.stage, environment={"JOB_QUEUE_URL": "https://q"})
    built = build_template(config).to_dict()
    reserved = built["Resources"]["EnvironmentFile"]["Properties"]["Reserved"]
    assert reserved == [*app_settings.APP_ENVIRONMENT, "JOB_QUEUE_URL"]
