"""cfn-lint as a test: every stage is clean with informational rules included,
and the linter really reports what is wrong."""

import json

from planar_cfn.launch_role import LAUNCH_ROLE, with_launch_role
from planar_cfn.lint import lint_bodies, lint_body, lint_regions


def test_every_stage_is_lint_clean(stage_lint, rendered):
    # The suite's one lint of the stages and the launch role (conftest.stage_lint), for
    # the build's regions.
    assert stage_lint.findings == {stage: [] for stage in [*rendered, LAUNCH_ROLE]}
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
    parallel = lint_bodies(bodies)
    assert parallel == {name: lint_body(body, name) for name, body in bodies.items()}
    assert [f.rule for f in parallel["a"]] == ["W2001"]
    assert parallel["b"] == []
