"""cfn-lint as a test: every stage is clean with informational rules included,
and the linter really reports what is wrong."""

import json
import multiprocessing
import os
import signal
import threading
from concurrent.futures.process import BrokenProcessPool

import pytest

from planar_cfn.catalog.deploy_role import DEPLOY_ROLE
from planar_cfn.catalog.launch_role import LAUNCH_ROLE, with_launch_role
from planar_cfn.lint import runner as lint_module
from planar_cfn.lint.runner import HOME_REGION, lint_bodies, lint_body, lint_regions


def test_every_stage_is_lint_clean(stage_lint, rendered):
    # The suite's one lint of the stages and the launch and deploy roles
    # (conftest.stage_lint), for the build's regions.
    expected = [*rendered, LAUNCH_ROLE, DEPLOY_ROLE]
    assert stage_lint.findings == {stage: [] for stage in expected}
    assert stage_lint.regions == lint_regions()


def test_lint_reports_errors_warnings_and_informational_findings(templates):
    broken = json.loads(json.dumps(templates["dev"]))
    broken["Resources"]["TargetGroup"]["Properties"]["Port"] = 70000  # error
    broken["Parameters"]["Unused"] = {"Type": "String"}  # warning W2001
    del broken["Resources"]["CustomSecret"]["UpdateReplacePolicy"]  # informational I3011
    del broken["Resources"]["CustomSecret"]["DeletionPolicy"]
    findings = lint_body(json.dumps(broken, indent=2), "broken.json")
    rules = {f.rule for f in findings}
    assert {"W2001", "I3011"} <= rules
    assert any(f.rule.startswith("E") for f in findings)
    assert all(f.path == "broken.json" and f.line > 0 for f in findings)


def test_parallel_and_serial_lint_agree(rendered):
    # The launch role's template: a real one the build lints, a fifth the size of a
    # stage's, so the forked and the in-process lint are compared for less.
    role = with_launch_role(rendered)[LAUNCH_ROLE].body
    broken = json.loads(role)
    broken.setdefault("Parameters", {})["Unused"] = {"Type": "String"}
    bodies = {"a": json.dumps(broken), "b": role}
    # cfn-lint's rules only: the pack's finding in the role is tests/lint/test_rules.py's.
    parallel = lint_bodies(bodies, rule_pack=False)
    assert parallel == {
        name: lint_body(body, name, rule_pack=False) for name, body in bodies.items()
    }
    assert [f.rule for f in parallel["a"]] == ["W2001"]
    assert parallel["b"] == []


def _killed_when_linting_b(body, name, regions, **options):
    if name == "b":
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's out-of-memory killer would
    return []


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the workers are forked")
def test_a_worker_killed_mid_lint_is_an_error_and_the_others_are_stopped(monkeypatch):
    # GIVEN a worker that dies while it lints "b" (a forked worker runs the patched code)
    monkeypatch.setattr(lint_module, "lint_body", _killed_when_linting_b)
    before = set(multiprocessing.active_children())
    raised = []

    def lint():
        try:
            lint_bodies({"a": "{}", "b": "{}", "c": "{}"}, regions=(HOME_REGION,))
        except BaseException as error:
            raised.append(error)

    # WHEN the templates are linted (in a thread, so a hang fails the test)
    caller = threading.Thread(target=lint, daemon=True)
    caller.start()
    caller.join(timeout=60)

    # THEN the caller gets the error instead of waiting forever, and no worker is left
    assert not caller.is_alive(), "lint_bodies waits forever for a dead worker"
    assert [type(error) for error in raised] == [BrokenProcessPool]
    assert set(multiprocessing.active_children()) - before == set()
