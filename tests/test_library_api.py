"""The library as its users call it: docs/library.md's examples run and build lint-clean
templates, the extension points land in the template, bad configuration is refused
with a message naming what is allowed, and every public name is documented. The escape
hatch, the configuration object and the handles are tested beside their modules
(tests/template/test_overrides.py, test_config.py, test_stack.py)."""

import ast
import dataclasses
import inspect
import io
import json
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from awacs import sqs
from awacs.aws import Allow, Statement
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
from troposphere import Ref
from troposphere.secretsmanager import Secret

import planar_cfn
from planar_cfn import (
    DEFAULT_STAGES,
    Sidecar,
    StackConfig,
    Stage,
    UnknownStageError,
    build_template,
    get_stage,
)
from planar_cfn.cli import commands as cli
from planar_cfn.errors import ExitCode, InputError
from planar_cfn.inputs import stages
from planar_cfn.inputs.options import DeployOptions
from planar_cfn.inputs.stage_file import StageFileError, load
from planar_cfn.template.render import render
from tests.cfn import props, tags
from tests.deploy.scenarios import create_request
from tests.deploy_stubs import STAGE_VALUES, FakeAws, Harness, change, event
from tests.template.test_naming import NAME_LIMITS, _names
from tests.template.test_naming import UNVERSIONED as NAMING_UNVERSIONED

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
COMMON_TAGS = {
    "framework": "planar",
    "framework.version": "0.17",
    "app.name": {"Ref": "AppName"},
    "app.version": {"Ref": "ContainerImageTag"},
    "vendor_name": "CoPlane",
    "vendor_contact": "support@coplane.com",
}
# The production rule carries no app.version (tests/template/test_naming.py).
UNVERSIONED = {(logical_id, "app.version") for logical_id in NAMING_UNVERSIONED}
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-keys-AbC123"
PARAMETER_ARN = "arn:aws:ssm:us-east-1:123456789012:parameter/planar/license"


def taggable(resource: dict) -> bool:
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource["Type"])
    return "Tags" in schema.schema.get("properties", {})


def assert_tagged(template: dict, stage: str, extra: dict[str, str]) -> None:
    expected = {**COMMON_TAGS, "stage": stage, **extra}
    checked = 0
    for logical_id, resource in template["Resources"].items():
        if taggable(resource):
            checked += 1
            actual = tags(resource)
            wanted = {k: v for k, v in expected.items() if (logical_id, k) not in UNVERSIONED}
            assert {k: actual.get(k) for k in wanted} == wanted, logical_id
    assert checked >= 20


# --- the examples ----------------------------------------------------------------


def test_every_example_is_in_the_library_page_as_written():
    # The page is the section: docs/library.md is what "Use as a library" was.
    section = (ROOT / "docs" / "library.md").read_text()
    blocks = dict(
        re.findall(r"<!-- example: (examples/\w+\.py) -->\n```python\n(.*?)```\n", section, re.S)
    )
    assert sorted(blocks) == [f"examples/{p.name}" for p in EXAMPLES]
    assert len(EXAMPLES) == 5
    for path in EXAMPLES:
        assert blocks[f"examples/{path.name}"] == path.read_text(), path.name


def _repo_state() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_each_example_runs_from_the_repository_root_and_writes_nothing_there(path):
    before = _repo_state()
    result = subprocess.run(
        [sys.executable, str(path.relative_to(ROOT))],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert _repo_state() == before


@pytest.fixture(scope="module")
def examples():
    """Each example's BuiltStack, its module run as a library (not as __main__)."""
    return {p.stem: runpy.run_path(str(p), run_name="example")["built"] for p in EXAMPLES}


def test_every_example_template_is_lint_clean(examples, lint_clean):
    findings = lint_clean({name: built.to_json() for name, built in examples.items()})
    assert findings == {name: [] for name in examples}


def test_every_example_tags_every_taggable_resource(examples):
    for built in examples.values():
        assert_tagged(built.to_dict(), built.config.stage.name, {})


def test_the_queue_example_references_the_queue_by_object(examples):
    template = examples["queue_for_the_app"].to_dict()
    app = props(template, "TaskDefinition")["ContainerDefinitions"][0]
    assert {"Name": "JOB_QUEUE_URL", "Value": {"Ref": "JobQueue"}} in app["Environment"]
    (extension,) = [
        p for p in props(template, "TaskRole")["Policies"] if p.get("PolicyName") == "extensions"
    ]
    assert extension["PolicyDocument"]["Statement"][0]["Resource"] == [
        {"Fn::GetAtt": ["JobQueue", "Arn"]}
    ]
    assert template["Resources"]["JobQueue"]["Type"] == "AWS::SQS::Queue"


def test_the_qa_example_builds_qa_with_a_reader(examples):
    template = examples["qa_stage"].to_dict()
    assert "DatabaseReader1" in template["Resources"]
    assert "BucketEmptier" in template["Resources"]  # unprotected: emptied on delete


def test_the_override_example_changed_exactly_its_two_properties(examples):
    fresh = build_template(StackConfig.for_stage("prod")).to_dict()
    changed = examples["override_property"].to_dict()
    service = props(changed, "Service")
    assert "AvailabilityZoneRebalancing" not in props(fresh, "Service")
    assert service.pop("AvailabilityZoneRebalancing") == "ENABLED"
    assert service["DeploymentConfiguration"]["MaximumPercent"] == 150
    service["DeploymentConfiguration"]["MaximumPercent"] = 200
    assert changed["Resources"] == fresh["Resources"]


# --- the default stages -------------------------------------------------------------


@pytest.mark.parametrize("stage", ["dev", "staging", "prod"])
def test_build_template_gives_exactly_the_committed_template(stage):
    built = build_template(StackConfig.for_stage(stage))
    assert built.to_json() == (ROOT / "templates" / f"planar-{stage}.json").read_text()
    assert render(StackConfig.for_stage(stage)).body == built.to_json()


# --- the extension points -------------------------------------------------------------


def extended(stage: str) -> StackConfig:
    api_keys = Secret("ApiKeys", Name="api-keys")
    return StackConfig(
        stage=get_stage(stage),
        environment={"FEATURE_FLAGS": "beta", "API_KEYS_ARN": Ref(api_keys)},
        secrets={
            "API_TOKEN": SECRET_ARN + ":token::",
            "LICENSE": PARAMETER_ARN,
            "API_KEYS": Ref(api_keys),
        },
        task_role_statements=(
            Statement(
                Effect=Allow,
                Action=[sqs.SendMessage],
                Resource=["arn:aws:sqs:us-east-1:123456789012:jobs"],
            ),
        ),
        sidecars=(
            Sidecar(
                "otel-collector",
                "public.ecr.aws/aws-observability/aws-otel-collector:v0.41.1",
                port_mappings=(4317,),
                cpu=256,
                memory=512,
                environment={"LOG_LEVEL": "info"},
                command=("--config=/etc/ecs/ecs-xray.yaml",),
            ),
            Sidecar("log_router", "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"),
        ),
        tags={"cost-center": "ml-42", "owner": "platform team"},
    )


def extended_with_api_keys(stage: str, kept: bool = True):
    """The extended stack with its ApiKeys secret added: kept, as the stack's own secrets
    are (its value survives a replacement, and prod's a delete), or not."""
    built = build_template(extended(stage))
    secret = built.config.environment["API_KEYS_ARN"]
    built.template.add_resource(
        Secret(
            secret.data["Ref"],
            Name="api-keys",
            Tags=built.tags(),
            DeletionPolicy=built.config.stage.deletion_policy if kept else "Delete",
            UpdateReplacePolicy="Retain" if kept else "Delete",
        )
    )
    return built


@pytest.fixture(scope="module", params=["dev", "prod"])
def extension(request):
    built = extended_with_api_keys(request.param)
    return request.param, built, built.to_dict()


def test_extra_environment_follows_the_apps_own(extension):
    _, _, template = extension
    app = props(template, "TaskDefinition")["ContainerDefinitions"][0]
    # A variable the stack sets only under a condition is an Fn::If around it.
    names = [e["Name"] if "Name" in e else e["Fn::If"][1]["Name"] for e in app["Environment"]]
    assert names[-2:] == ["FEATURE_FLAGS", "API_KEYS_ARN"]
    assert app["Environment"][-1]["Value"] == {"Ref": "ApiKeys"}
    assert names[:6] == [
        "DB_SECRET_NAME",
        "DB_HOST",
        "S3_BUCKET_NAME",
        "STAGE",
        "APP_NAME",
        "CUSTOM_SECRET_NAME",
    ]


def test_extra_secrets_reach_the_container_and_exactly_those_the_execution_role(extension):
    _, _, template = extension
    app = props(template, "TaskDefinition")["ContainerDefinitions"][0]
    assert app["Secrets"][:3] == [
        {"Name": "API_TOKEN", "ValueFrom": SECRET_ARN + ":token::"},
        {"Name": "LICENSE", "ValueFrom": PARAMETER_ARN},
        {"Name": "API_KEYS", "ValueFrom": {"Ref": "ApiKeys"}},
    ]
    # Then the launch form's slots, each empty unless AppSecrets fills it.
    assert [s["Fn::If"][0] for s in app["Secrets"][3:]] == [f"HasAppSecret{i}" for i in range(10)]
    (policy,) = [
        p
        for p in props(template, "ExecutionRole")["Policies"]
        if p.get("PolicyName") == "container-secrets"
    ]
    assert policy["PolicyDocument"]["Statement"] == [
        {
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            # The secret itself: IAM knows no JSON key.
            "Resource": [SECRET_ARN, {"Ref": "ApiKeys"}],
        },
        {"Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": [PARAMETER_ARN]},
    ]


def test_task_role_statements_are_a_policy_of_their_own(extension):
    _, _, template = extension
    policies = props(template, "TaskRole")["Policies"]
    assert policies[-1] == {
        "PolicyName": "extensions",
        "PolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["sqs:SendMessage"],
                    "Resource": ["arn:aws:sqs:us-east-1:123456789012:jobs"],
                }
            ],
        },
    }


def test_each_sidecar_runs_beside_the_app_with_logs_of_its_own(extension):
    stage, _, template = extension
    _, collector, router, builtin = props(template, "TaskDefinition")["ContainerDefinitions"]
    # The stack's own collector follows, only with Telemetry (tests/template/test_telemetry.py).
    assert builtin["Fn::If"][0] == "UseTelemetry"
    assert collector == {
        "Name": "otel-collector",
        "Image": "public.ecr.aws/aws-observability/aws-otel-collector:v0.41.1",
        "Essential": False,
        "LogConfiguration": {
            "LogDriver": "awslogs",
            "Options": {
                "awslogs-group": {"Ref": "SidecarOtelCollectorLogGroup"},
                "awslogs-region": {"Ref": "AWS::Region"},
                "awslogs-stream-prefix": "ecs",
            },
        },
        "Cpu": 256,
        "Memory": 512,
        "PortMappings": [{"ContainerPort": 4317, "Protocol": "tcp"}],
        "Environment": [{"Name": "LOG_LEVEL", "Value": "info"}],
        "Command": ["--config=/etc/ecs/ecs-xray.yaml"],
    }
    assert router["LogConfiguration"]["Options"]["awslogs-group"] == {
        "Ref": "SidecarLogRouterLogGroup"
    }
    app_logs = template["Resources"]["ServiceLogGroup"]
    for logical_id, name in (
        ("SidecarOtelCollectorLogGroup", "otel-collector"),
        ("SidecarLogRouterLogGroup", "log_router"),
    ):
        logs = template["Resources"][logical_id]
        # As the app's: retention, key, kept or deleted with the stack as the stage says.
        for key in ("Type", "DeletionPolicy", "UpdateReplacePolicy"):
            assert logs[key] == app_logs[key], (logical_id, key)
        for key in ("RetentionInDays", "KmsKeyId"):
            assert logs["Properties"][key] == app_logs["Properties"][key], (logical_id, key)
        assert logs["Properties"]["LogGroupName"] == {
            "Fn::Sub": f"/ecs/planar-service-{stage}-${{AppName}}/{name}"
        }
    assert app_logs["DeletionPolicy"] == ("Retain" if stage == "prod" else "Delete")


def test_the_rule_pack_flags_a_secret_the_extension_would_lose_on_replacement(lint_clean):
    """What the stack's invariants are for: a library user's own secret, added without an
    UpdateReplacePolicy, would be deleted by an update that replaces it."""
    body = extended_with_api_keys("dev", kept=False).to_json()
    (finding,) = lint_clean({"dev": body})["dev"]
    assert finding.rule == "E9101"
    assert "ApiKeys" in finding.message
    assert "UpdateReplacePolicy" in finding.message


def test_extra_tags_are_on_every_taggable_resource(extension):
    stage, _, template = extension
    assert_tagged(template, stage, {"cost-center": "ml-42", "owner": "platform team"})


def test_an_extended_template_is_lint_clean_and_adds_only_the_sidecar_logs(extension, lint_clean):
    stage, built, template = extension
    assert lint_clean({stage: built.to_json()}) == {stage: []}
    plain = build_template(StackConfig.for_stage(stage)).to_dict()
    assert set(template["Resources"]) - set(plain["Resources"]) == {
        "SidecarOtelCollectorLogGroup",
        "SidecarLogRouterLogGroup",
        "ApiKeys",
    }


# --- bad configuration ------------------------------------------------------------------

DEV = get_stage("dev")
BAD = [
    # (what is made, error, every fragment the message must hold)
    (lambda: Stage("QA", False, 0), ValueError, ["Stage.name = 'QA'", "lowercase letters"]),
    (lambda: Stage("qa-eu", False, 0), ValueError, ["'qa-eu'", "letters or digits"]),
    (lambda: Stage("integration", False, 0), ValueError, ["'integration'", "1 to 7"]),
    (lambda: Stage("", False, 0), ValueError, ["Stage.name = ''"]),
    (lambda: Stage("qa", False, 16), ValueError, ["reader_count = 16", "0 to 15", "Aurora"]),
    (lambda: Stage("qa", False, -1), ValueError, ["reader_count = -1", "0 to 15"]),
    (
        lambda: Stage("staging", False, 10),
        ValueError,
        ["reader_count = 10", "'staging'", "at most 6 characters", "63"],
    ),
    (lambda: Stage("qa", "no", 0), TypeError, ["Stage.protected = 'no'", "True or False"]),
    (lambda: Stage("qa", False, True), TypeError, ["reader_count = True", "int"]),
    (lambda: StackConfig.for_stage("qa"), UnknownStageError, ["'qa'", "dev, staging, prod"]),
    (lambda: StackConfig(stage="prod"), TypeError, ["StackConfig.stage = 'prod'", "for_stage"]),
    (
        lambda: StackConfig(DEV, environment={"STAGE": "x"}),
        ValueError,
        ["StackConfig.environment", "'STAGE'", "set by the stack", "choose another"],
    ),
    (
        lambda: StackConfig(DEV, environment={"9LIVES": "x"}),
        ValueError,
        ["'9LIVES'", "not starting with a digit"],
    ),
    (
        lambda: StackConfig(DEV, environment={"PORT": 8080}),
        TypeError,
        ["StackConfig.environment['PORT'] = 8080", "str or a troposphere value"],
    ),
    (
        lambda: StackConfig(DEV, environment=["A=1"]),
        TypeError,
        ["StackConfig.environment = ['A=1']", "mapping"],
    ),
    (
        lambda: StackConfig(DEV, secrets={"TOKEN": "my-secret"}),
        ValueError,
        ["StackConfig.secrets['TOKEN'] = 'my-secret'", "complete Secrets Manager secret ARN"],
    ),
    (
        lambda: StackConfig(DEV, secrets={"TOKEN": SECRET_ARN[:-7]}),
        ValueError,
        ["6-character suffix"],
    ),
    (
        lambda: StackConfig(DEV, environment={"TOKEN": "x"}, secrets={"TOKEN": SECRET_ARN}),
        ValueError,
        ["StackConfig.secrets: 'TOKEN'", "StackConfig.environment"],
    ),
    (
        lambda: StackConfig(DEV, secrets={"DB_HOST": SECRET_ARN}),
        ValueError,
        ["'DB_HOST'", "by the stack"],
    ),
    (
        lambda: StackConfig(DEV, task_role_statements=({"Effect": "Allow"},)),
        TypeError,
        ["task_role_statements", "awacs.aws.Statement"],
    ),
    (
        lambda: StackConfig(DEV, task_role_statements=Statement(Effect=Allow)),
        TypeError,
        ["StackConfig.task_role_statements", "tuple or list"],
    ),
    (
        lambda: StackConfig(DEV, tags={"stage": "qa"}),
        ValueError,
        ["key 'stage'", "set by the stack", "app.version", "Name"],
    ),
    (lambda: StackConfig(DEV, tags={"Name": "x"}), ValueError, ["key 'Name'"]),
    (lambda: StackConfig(DEV, tags={"AWS:owner": "x"}), ValueError, ["'AWS:owner'", "aws:"]),
    (lambda: StackConfig(DEV, tags={"k" * 129: "x"}), ValueError, ["1 to 128"]),
    (lambda: StackConfig(DEV, tags={"": "x"}), ValueError, ["key ''", "1 to 128"]),
    (
        lambda: StackConfig(DEV, tags={"owner": "v" * 257}),
        ValueError,
        ["StackConfig.tags['owner']", "up to 256"],
    ),
    (
        lambda: StackConfig(DEV, tags={"owner": "a&b"}),
        ValueError,
        ["'a&b'", "_ . : / = + - @"],
    ),
    (
        lambda: StackConfig(DEV, tags={f"k{i}": "v" for i in range(43)}),
        ValueError,
        ["43 tags", "at most 42", "50"],
    ),
    (lambda: StackConfig(DEV, tags={"owner": 7}), TypeError, ["keys and values must be str"]),
    (lambda: Sidecar("planar-app", "x:1"), ValueError, ["'planar-app'", "application's"]),
    (lambda: Sidecar("otel collector", "x:1"), ValueError, ["'otel collector'", "'_' or '-'"]),
    (lambda: Sidecar("otel", "x y"), ValueError, ["Sidecar('otel').image = 'x y'"]),
    (lambda: Sidecar("otel", 7), TypeError, ["Sidecar('otel').image = 7"]),
    (lambda: Sidecar("otel", "x:1", cpu=-1), ValueError, ["Sidecar('otel').cpu = -1", "0 to"]),
    (lambda: Sidecar("otel", "x:1", memory=4), ValueError, ["memory = 4", "6 to 122880"]),
    (lambda: Sidecar("otel", "x:1", memory="512"), TypeError, ["memory = '512'", "int or None"]),
    (
        lambda: Sidecar("otel", "x:1", port_mappings=(8000,)),
        ValueError,
        ["port_mappings: 8000", "application's port"],
    ),
    (lambda: Sidecar("otel", "x:1", port_mappings=(70000,)), ValueError, ["70000", "1 to 65535"]),
    (lambda: Sidecar("otel", "x:1", port_mappings=4317), TypeError, ["tuple or list"]),
    (lambda: Sidecar("otel", "x:1", essential="yes"), TypeError, ["essential = 'yes'"]),
    (lambda: Sidecar("otel", "x:1", command="--config=x"), TypeError, ["command", "tuple or list"]),
    (
        lambda: StackConfig(DEV, sidecars=(Sidecar("otel", "x:1"), Sidecar("otel", "y:1"))),
        ValueError,
        ["'otel' is listed twice"],
    ),
    (
        lambda: StackConfig(
            DEV, sidecars=(Sidecar("log-router", "x:1"), Sidecar("log_router", "x:1"))
        ),
        ValueError,
        ["'log_router' and 'log-router'", "SidecarLogRouterLogGroup"],
    ),
    (
        lambda: StackConfig(
            DEV,
            sidecars=(
                Sidecar("a", "x:1", port_mappings=(4317,)),
                Sidecar("b", "x:1", port_mappings=(4317,)),
            ),
        ),
        ValueError,
        ["port 4317", "two sidecars"],
    ),
    (lambda: StackConfig(DEV, sidecars=("otel",)), TypeError, ["'otel' must be a Sidecar"]),
    (lambda: build_template(DEV), TypeError, ["not a StackConfig", "for_stage"]),
    (lambda: get_stage("qa", (Stage("uat", False, 0),)), UnknownStageError, ["'qa'", "uat"]),
    (lambda: stages.stage_names((DEV, DEV)), ValueError, ["'dev' defined more than once"]),
    (lambda: stages.stage_names(()), ValueError, ["at least one Stage"]),
]


@pytest.mark.parametrize(("make", "error", "fragments"), BAD)
def test_bad_configuration_is_refused_naming_the_field_the_value_and_what_is_allowed(
    make, error, fragments
):
    with pytest.raises(error) as raised:
        make()
    for fragment in fragments:
        assert fragment in str(raised.value)


@pytest.mark.parametrize(
    ("name", "readers"), [("abcdefg", 9), ("abcdef", 15), ("a1", 15), ("q", 0)]
)
def test_a_stage_at_the_limits_fits_every_name_with_the_longest_app_name(name, readers):
    template = build_template(StackConfig(stage=Stage(name, False, readers))).to_dict()
    longest = "a" + "b" * 35
    for (logical_id, prop), value in _names(template, longest).items():
        kind = template["Resources"][logical_id]["Type"]
        assert len(value) <= NAME_LIMITS[(kind, prop)], (logical_id, value)
    assert sum(r["Type"] == "AWS::RDS::DBInstance" for r in template["Resources"].values()) == (
        readers + 1
    )


def test_what_a_stage_decides():
    dev, staging, prod = DEFAULT_STAGES
    assert (dev.name, staging.name, prod.name) == ("dev", "staging", "prod")
    assert [s.reader_count for s in DEFAULT_STAGES] == [0, 0, 1]
    assert (prod.deletion_policy, dev.deletion_policy) == ("Retain", "Delete")
    assert (prod.database_deletion_policy, dev.database_deletion_policy) == ("Snapshot", "Delete")
    assert (prod.log_replacement_policy, dev.log_replacement_policy) == ("Retain", "Delete")
    assert (prod.deletion_protection, dev.deletion_protection) == (True, False)
    assert (prod.empties_bucket, dev.empties_bucket) == (False, True)


def test_no_module_holds_a_mutable_stage_registry():
    assert not hasattr(stages, "STAGES")
    assert isinstance(DEFAULT_STAGES, tuple)
    assert isinstance(stages.STAGE_NAMES, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_STAGES[0].reader_count = 2  # type: ignore[misc]
    for name_of_module in MODULES:
        module = __import__(f"planar_cfn.{name_of_module}", fromlist=["_"])
        for name, value in vars(module).items():
            if isinstance(value, dict | list | set):
                held = value.values() if isinstance(value, dict) else value
                assert not any(isinstance(v, Stage) for v in held), f"{name_of_module}.{name}"


# Every module, dotted below planar_cfn (a subpackage by its own name), but the Lambda's,
# whose source is inlined into the templates as written.
MODULES = tuple(
    sorted(
        ".".join(path.relative_to(ROOT / "planar_cfn").with_suffix("").parts).removesuffix(
            ".__init__"
        )
        for path in (ROOT / "planar_cfn").rglob("*.py")
        if path.stem != "bucket_emptier"
    )
)


# --- the command over a stage list ---------------------------------------------------------

QA = Stage("qa", protected=False, reader_count=1)


def run(argv, stage_list, capsys):
    out = io.StringIO()
    try:
        code = cli.main(argv, out=out, stages=stage_list)
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue(), capsys.readouterr().err


def test_the_command_builds_a_stage_defined_as_data(tmp_path, capsys):
    code, out, _ = run(
        ["--stage", "qa", "--no-deploy", "--templates-dir", str(tmp_path)],
        (*DEFAULT_STAGES, QA),
        capsys,
    )
    assert code == 0
    assert "lint: clean" in out
    written = json.loads((tmp_path / "planar-qa.json").read_text())
    assert written == build_template(StackConfig(stage=QA)).to_dict()
    code, out, _ = run(["--all-stages", "--check", "--templates-dir", str(tmp_path)], (QA,), capsys)
    # The stage is fresh; only --all-stages writes the launch role for the stage list.
    role = tmp_path / "planar-launch-role.json"
    deploy_role = tmp_path / "planar-deploy-role.json"
    assert (code, out) == (
        1,
        f"stale: {role} is missing; run build.py --all-stages --no-deploy\n"
        f"stale: {deploy_role} is missing; run build.py --all-stages --no-deploy\n",
    )
    run(["--all-stages", "--no-deploy", "--templates-dir", str(tmp_path)], (QA,), capsys)
    code, out, _ = run(["--all-stages", "--check", "--templates-dir", str(tmp_path)], (QA,), capsys)
    assert (code, out) == (0, f"fresh: {tmp_path / 'planar-qa.json'}, {role}, {deploy_role}\n")


def test_the_command_builds_a_stack_config_with_its_extensions(tmp_path, capsys):
    config = StackConfig(get_stage("prod"), sidecars=(Sidecar("otel", "otel:1"),))
    code, _, _ = run(
        ["--all-stages", "--no-deploy", "--templates-dir", str(tmp_path)], (config,), capsys
    )
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "planar-deploy-role.json",  # the deploy role for the stage list given
        "planar-launch-role.json",  # the launch role for the stage list given
        "planar-prod.json",
    ]
    assert (
        "SidecarOtelLogGroup"
        in json.loads((tmp_path / "planar-prod.json").read_text())["Resources"]
    )


@pytest.mark.parametrize(
    ("argv", "stage_list", "message"),
    [
        (
            ["--stage", "dev", "--no-deploy"],
            (QA,),
            "argument --stage: invalid choice: 'dev' (choose from 'qa')",
        ),
    ],
)
def test_the_command_refuses_what_its_stage_list_cannot_do(argv, stage_list, message, capsys):
    code, _, err = run(argv, stage_list, capsys)
    assert code == 2
    assert message in err


def test_a_stage_defined_as_data_deploys_under_its_own_name(harness, tmp_path):
    """--stage qa over a stage list that defines qa: the stage file is read, the change
    set created and executed under qa's names, as for a built-in stage."""
    rendered = render(StackConfig(stage=QA))
    h = Harness(tmp_path, rendered, aws=FakeAws())
    h.no_stack()
    request = create_request(h, stage=QA)
    request.update(
        StackName="planar-qa-acme",
        ChangeSetName="planar-qa-20261127-100000",
        Description="build.py --stage qa (planar-cfn 0.1.0)",
        Tags=[{**tag, "Value": "qa"} if tag["Key"] == "stage" else tag for tag in request["Tags"]],
    )
    h.created(**request)
    h.ready([change("Add", "DatabaseReader1", "AWS::RDS::DBInstance")])
    h.events(event("qa", "planar-qa-acme", "REVIEW_IN_PROGRESS", reason="User Initiated"))
    h.executed()
    h.progress("CREATE_COMPLETE", event("qa", "planar-qa-acme", "CREATE_COMPLETE"))

    code = h.run_options(DeployOptions(stage="qa", stages=(QA,), stage_file=h.path, yes=True))

    assert code == ExitCode.OK, h.err.getvalue()
    assert "Stack planar-qa-acme: CREATE_COMPLETE." in h.out.getvalue()


def test_a_redefined_stage_is_checked_by_its_own_definition(tmp_path):
    """prod with two readers needs three database zones in its stage file; the built-in
    prod, with one reader, needs two."""
    path = tmp_path / "prod.json"
    path.write_text(json.dumps(STAGE_VALUES))  # two zones
    assert load(path, get_stage("prod"), {}).reader_count == 1
    with pytest.raises(StageFileError, match="prod runs a database writer and 2 reader"):
        load(path, Stage("prod", protected=True, reader_count=2), {})
    with pytest.raises(InputError, match="stage 'qa' is not known; allowed: dev, staging, prod"):
        DeployOptions(stage="qa")


def test_refusing_a_stage_imports_neither_cfn_lint_nor_boto3():
    script = (
        "import io, sys\n"
        "from planar_cfn.cli import commands as cli\n"
        "try:\n"
        "    cli.main(['--stage', 'qa', '--no-deploy'], err=io.StringIO())\n"
        "except SystemExit as e:\n"
        "    assert e.code == 2\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'cfnlint', 'boto3'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --- the public face ---------------------------------------------------------------------------


def test_every_name_in_all_exists_and_is_documented():
    assert "__version__" in planar_cfn.__all__
    for name in planar_cfn.__all__:
        value = getattr(planar_cfn, name)
        if inspect.isclass(value) or callable(value):
            assert documented(value), name
    assert set(planar_cfn.__all__) <= set(dir(planar_cfn))
    exported = {}
    exec("from planar_cfn import *", exported)
    assert set(planar_cfn.__all__) <= set(exported)


def test_the_package_exports_lazily_and_the_version_has_one_source():
    script = (
        "import sys, planar_cfn\n"
        "before = sorted(m for m in sys.modules if m.startswith(('planar_cfn.', 'troposphere', 'cfnlint')))\n"
        "planar_cfn.build_template, planar_cfn.StackConfig\n"
        "print(before, 'cfnlint' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "['planar_cfn._version'] False"
    assert planar_cfn.__version__ == planar_cfn._version.__version__
    with pytest.raises(AttributeError, match="no attribute 'StackConfg'"):
        planar_cfn.StackConfg  # noqa: B018


def test_rendered_is_exported_even_after_the_render_module_is_imported():
    import planar_cfn.render

    assert planar_cfn.Rendered is planar_cfn.render.Rendered


def documented(value: object) -> bool:
    doc = inspect.getdoc(value) or ""
    # A dataclass without a docstring gets its signature as one.
    generated = inspect.isclass(value) and doc.startswith(f"{value.__name__}(")
    return bool(doc.strip()) and not generated


def public_names(module_name: str):
    """Every public function, class, method and property a module defines."""
    module = __import__(f"planar_cfn.{module_name}", fromlist=["_"])
    source = ast.parse(Path(module.__file__).read_text())
    for node in source.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
            value = getattr(module, node.name)
            yield f"{module_name}.{node.name}", value
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and not item.name.startswith("_"):
                        yield f"{module_name}.{node.name}.{item.name}", vars(value)[item.name]


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_name_of_every_module_has_a_docstring(module_name):
    module = __import__(f"planar_cfn.{module_name}", fromlist=["_"])
    assert (module.__doc__ or "").strip(), module_name
    for qualified, value in public_names(module_name):
        target = value.fget if isinstance(value, property) else value
        if isinstance(target, classmethod | staticmethod):
            target = target.__func__
        assert documented(target), f"{qualified} has no docstring"
