"""docs/stacksets.md's example sessions are the real run's, as it runs now."""

import json
import re

from tests import stack_set_docs


def test_the_example_sessions_are_current():
    page = stack_set_docs.DOC.read_text()
    for name, body in stack_set_docs.transcripts().items():
        assert stack_set_docs.section(page, name) == body, (
            f"{name} is stale: regenerate it with `.venv/bin/python -m tests.stack_set_docs --write`"
        )


def _policy(name):
    page = stack_set_docs.DOC.read_text()
    match = re.search(rf"<!-- {name} -->\s*```json\n(.*?)```", page, re.DOTALL)
    assert match, f"docs/stacksets.md lacks the policy after <!-- {name} -->"
    granted = set()
    for statement in json.loads(match.group(1))["Statement"]:
        actions = statement["Action"]
        granted.update([actions] if isinstance(actions, str) else actions)
    return granted


def _recorded():
    stack_set_docs.RUNS.clear()
    stack_set_docs.transcripts()
    admin, targets = set(), set()
    for h in stack_set_docs.RUNS:
        admin |= h.aws.actions
        for aws in h.targets_aws.values():
            targets |= aws.actions
    return admin, targets


def test_the_iam_policies_cover_every_call_and_grant_no_other():
    admin, targets = _recorded()
    granted = _policy("stackset-admin-policy")
    assert admin <= granted, sorted(admin - granted)
    # Not in the example sessions: an update of a target's values alone (the tests'),
    # the pre-flight role assumed (faked in the tests) and the administration role passed.
    assert granted - admin == {
        "cloudformation:UpdateStackInstances",
        "sts:AssumeRole",
        "iam:PassRole",
    }
    preflight = _policy("stackset-preflight-policy")
    assert targets <= preflight, sorted(targets - preflight)
    # An internet-facing load balancer's route check and a named engine version's.
    assert preflight - targets == {
        "ec2:DescribeInternetGateways",
        "ec2:DescribeRouteTables",
        "rds:DescribeDBEngineVersions",
    }
