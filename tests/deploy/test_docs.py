"""docs/deploying.md cannot drift: its key table and example sessions are generated
(tests/deploy_docs.py), and it documents every deploy flag, every exit code, every
stage-file key and every AWS call the deploy makes."""

import argparse
import json
import re
from pathlib import Path

import boto3

from planar_cfn.cli import arguments
from planar_cfn.deploy import engine as deploy
from planar_cfn.errors import ExitCode
from planar_cfn.inputs.stage_file import ALLOWED_KEYS
from tests import deploy_docs
from tests.deploy_stubs import REGION

# Every module of the deploy engine: the calls a deploy makes are made there only.
# The deploy's modules, and the S3 bucket helpers it calls (the caller's account).
# The StackSet modules' calls are the StackSet administrator's, whose policy is in
# docs/stacksets.md (tests/deploy/test_stack_set_docs.py).
SOURCES = [
    *sorted(
        p for p in Path(deploy.__file__).parent.glob("*.py") if not p.name.startswith("stack_set")
    ),
    Path(deploy.__file__).parents[1] / "aws" / "buckets.py",
]
IAM_PREFIX = {"elbv2": "elasticloadbalancing"}
# API operations whose IAM action has another name.
IAM_ACTION = {"s3:GetBucketEncryption": "s3:GetEncryptionConfiguration"}
REGENERATE = "regenerate it with `.venv/bin/python -m tests.deploy_docs --write`"


def doc() -> str:
    return deploy_docs.DOC.read_text()


def test_generated_sections_match_the_code(aws_env):
    text = doc()
    for name, body in deploy_docs.sections().items():
        found = deploy_docs.section(text, name)
        assert deploy_docs.normalized(found) == deploy_docs.normalized(body), (
            f"docs/deploying.md section {name!r} is stale: {REGENERATE}"
        )


def test_every_stage_file_key_is_documented():
    table = deploy_docs.section(doc(), "stage-file-keys")
    for key in ALLOWED_KEYS:
        assert f"| `{key}` |" in table, key


def test_every_deploy_flag_is_documented():
    parser = argparse.ArgumentParser()
    arguments.deploy_group(parser, "build.py")
    flags = {o for action in parser._actions for o in action.option_strings if o.startswith("--")}
    for flag in flags - {"--help"}:
        assert f"| `{flag}" in doc(), flag


def test_every_exit_code_is_documented():
    rows = re.findall(r"^\| (\d+) \|", doc(), re.MULTILINE)
    assert sorted(map(int, rows)) == sorted(int(code) for code in ExitCode)


def _calls() -> set[str]:
    """service:Action for every AWS call in the deploy's sources."""
    variables = {
        "cfn": "cloudformation",
        "ec2": "ec2",
        "route53": "route53",
        "s3": "s3",
        "iam": "iam",
        "sts": "sts",
        "ecs": "ecs",
        "elbv2": "elbv2",
        "logs": "logs",
        "cloudwatch": "cloudwatch",
    }
    found: set[tuple[str, str]] = set()
    for source in SOURCES:
        text = source.read_text()
        for variable, method in re.findall(
            r"\b(cfn|ec2|route53|s3|iam|sts|ecs|elbv2|logs|cloudwatch)\.(\w+)\(", text
        ):
            found.add((variables[variable], method))
        found.update(re.findall(r'client\("(\w+)"\)\.(\w+)\(', text))
        for variable, method in re.findall(r'\b(cfn|ec2)\.get_paginator\(\s*"(\w+)"', text):
            found.add((variables[variable], method))
        if "change_set_create_complete" in text:
            found.add(("cloudformation", "describe_change_set"))
    actions = set()
    for service, method in found:
        if method in ("get_paginator", "get_waiter"):
            continue
        mapping = boto3.client(service, region_name=REGION).meta.method_to_api_mapping
        action = f"{IAM_PREFIX.get(service, service)}:{mapping[method]}"
        actions.add(IAM_ACTION.get(action, action))
    return actions


def test_the_iam_policy_covers_every_call(aws_env):
    match = re.search(r"<!-- deployer-policy -->\s*```json\n(.*?)```", doc(), re.DOTALL)
    assert match, "docs/deploying.md lacks the ```json policy after <!-- deployer-policy -->"
    granted = set()
    for statement in json.loads(match.group(1))["Statement"]:
        actions = statement["Action"]
        granted.update([actions] if isinstance(actions, str) else actions)
    calls = _calls()
    assert "cloudformation:ExecuteChangeSet" in calls
    assert "rds:ModifyDBCluster" in calls
    assert {
        "iam:GetRole",
        "iam:CreateServiceLinkedRole",
        "s3:GetBucketLocation",
        "s3:GetEncryptionConfiguration",
        "sts:GetCallerIdentity",
    } <= calls  # account_checks.py
    assert {
        "ecs:DescribeServices",
        "ecs:DescribeTaskDefinition",
        "ecs:ListTasks",
        "ecs:DescribeTasks",
        "elasticloadbalancing:DescribeTargetHealth",
        "logs:GetLogEvents",
    } <= calls  # service_health.py
    assert {
        "ecs:ListServiceDeployments",
        "ecs:DescribeServiceDeployments",
        "cloudwatch:DescribeAlarms",
    } <= calls  # service_deployments.py
    assert calls == granted, (
        f"missing: {sorted(calls - granted)}; unused: {sorted(granted - calls)}"
    )


def exit_rows() -> dict[int, str]:
    return {
        int(code): text for code, text in re.findall(r"^\| (\d+) \| (.*) \|$", doc(), re.MULTILINE)
    }


def test_a_change_set_timeout_exits_as_the_table_says(harness):
    # GIVEN a change set still being computed when --timeout runs out
    from tests.deploy.scenarios import previous_parameters, update_request

    h = harness("dev")
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h))
    for _ in range(60):
        h.change_set(status="CREATE_IN_PROGRESS", execution="UNAVAILABLE")
    h.deleted_change_set()

    code = h.run("--yes", "--timeout", "1")

    # THEN it failed, nothing changed: the table's row for that code says so, and the
    # "stopped waiting" row is only about a stack still changing
    assert code == ExitCode.FAILED
    assert "it was deleted and nothing changed: run again" in h.err.getvalue()
    rows = exit_rows()
    assert (
        "a change set not ready within `--timeout` (it is deleted; nothing changed)" in rows[code]
    )
    assert "change set" not in rows[ExitCode.STILL_CHANGING]
