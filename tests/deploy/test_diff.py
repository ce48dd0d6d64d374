"""--diff: the rendered template against GetTemplate, and the stage file's values against
the stack's parameters, with no change set and read-only calls only (botocore's Stubber
fails a test on any call not expected); exit 0 same, 1 different, 2 no stack. Also the
pure comparison underneath."""

import copy
import json

import pytest

from planar_cfn.deploy import template_diff
from planar_cfn.deploy.template_diff import compare
from planar_cfn.errors import ExitCode
from tests.deploy.scenarios import previous_parameters
from tests.deploy_stubs import STAGE_VALUES

WRITES = ("create_change_set", "execute_change_set", "delete_change_set", "update_stack")


def deployed(h, template, **parameters):
    """The stack as described (with these parameter values changed), its look-ups, and
    the template it was last deployed with."""
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h, **parameters))
    h.network()
    h.cfn.add_response(
        "get_template",
        {"TemplateBody": json.dumps(template)},
        {"StackName": h.id, "TemplateStage": "Original"},
    )


def test_the_same_template_and_values_exit_0(harness, templates, tmp_path):
    h = harness("dev")
    deployed(h, templates["dev"])
    plan = tmp_path / "plan.json"

    assert h.run("--diff", "--plan-json", str(plan)) == ExitCode.OK
    assert "No differences: stack planar-dev-acme matches what a deploy would send." in (
        h.out.getvalue()
    )
    document = json.loads(plan.read_text())
    assert (document["source"], document["decision"], document["resources"]) == (
        "diff",
        "same",
        [],
    )


def test_each_differing_property_and_parameter_is_listed_with_both_values(harness, templates):
    # GIVEN a stack deployed with smaller tasks, another health check path, a resource
    # since removed from the template, and one the template has not got yet
    before = copy.deepcopy(templates["dev"])
    resources = before["Resources"]
    resources["TargetGroup"]["Properties"]["HealthCheckPath"] = "/healthz"
    resources["OldQueue"] = {"Type": "AWS::SQS::Queue", "Properties": {}}
    added = next(iter(templates["dev"]["Resources"]))
    del resources[added]
    h = harness("dev")
    deployed(h, before, ContainerCpu="1024")

    # WHEN it is compared
    assert h.run("--diff") == ExitCode.FAILED
    out = h.out.getvalue()

    # THEN each difference with both values, in the review's symbols
    assert "Differences from stack planar-dev-acme: 3 resource(s), 1 parameter(s)" in out
    assert "~ HealthCheckPath: /healthz -> /planar/v1/health" in out
    [group] = [line for line in out.splitlines() if "TargetGroup" in line]
    assert group.endswith("replacement: False")
    assert "  - AWS::SQS::Queue" in out
    assert f"  + {templates['dev']['Resources'][added]['Type']}" in out
    assert "Parameters changed:\n  ContainerCpu: 1024 -> 2048\n" in out


def test_a_stack_that_does_not_exist_exits_2_and_says_so(harness):
    h = harness("dev")
    h.no_stack()

    assert h.run("--diff") == ExitCode.BAD_INPUT
    assert (
        "--diff: stack planar-dev-acme does not exist in us-east-1, so there is nothing to "
        "compare with: `build.py --stage dev --dry-run` shows what a first deploy creates"
    ) in h.err.getvalue()


def test_a_noecho_parameter_is_never_compared_nor_shown():
    local = {"Resources": {}}
    diff = compare(
        local,
        local,
        {"RegistryPassword": "****", "ContainerCpu": "1024"},
        {"RegistryPassword": "hunter2", "ContainerCpu": "1024"},
        no_echo=("RegistryPassword",),
    )
    assert diff.same
    assert diff.not_compared == ("RegistryPassword",)
    text = "\n".join(template_diff.lines(diff, "s"))
    assert "hunter2" not in text
    assert "Not compared: RegistryPassword (NoEcho: the stack shows ****)." in text


def test_a_secret_sent_is_masked_in_a_property_value():
    old = {"Resources": {"R": {"Type": "T", "Properties": {"P": "pw=old"}}}}
    new = {"Resources": {"R": {"Type": "T", "Properties": {"P": "pw=hunter2"}}}}
    diff = compare(old, new, {}, {}, mask=lambda v: v and v.replace("hunter2", "****"))
    [resource] = diff.resources
    assert [(v.before, v.after) for v in resource.values] == [("pw=old", "pw=****")]


def test_a_create_only_property_is_said_to_replace_its_resource(harness, templates):
    # GIVEN a stack whose task definition had another CPU size in the template itself
    before = copy.deepcopy(templates["dev"])
    before["Resources"]["TaskDefinition"]["Properties"]["Cpu"] = "512"
    h = harness("dev")
    deployed(h, before)

    assert h.run("--diff") == ExitCode.FAILED
    out = h.out.getvalue()
    # THEN as a change set would say it: Cpu is create-only in the type's schema
    assert "TaskDefinition  replacement: True (Cpu)" in out
    assert "~ Cpu: 512 -> {" in out  # the template's Fn::If, shown as it is written


def test_the_worst_replacement_of_a_resource_wins_and_a_type_change_replaces():
    old = {"Resources": {"R": {"Type": "A", "Properties": {"P": 1, "Q": 1}}}}
    new = {"Resources": {"R": {"Type": "A", "Properties": {"P": 2, "Q": 2}}}}
    says = {"P": "Conditional", "Q": "False"}
    [resource] = compare(old, new, {}, {}, replaces=lambda _, name: says[name]).resources
    assert (resource.replacement, resource.causes) == ("Conditional", ("P",))
    retyped = {"Resources": {"R": {"Type": "B", "Properties": {"P": 1, "Q": 1}}}}
    [resource] = compare(old, retyped, {}, {}, replaces=lambda *_: "False").resources
    assert (resource.replacement, resource.causes) == ("True", ("Type",))


def test_attributes_and_other_sections_are_compared_too():
    old = {"Resources": {"R": {"Type": "T", "DeletionPolicy": "Delete"}}, "Outputs": {"A": 1}}
    new = {"Resources": {"R": {"Type": "T", "DeletionPolicy": "Retain"}}, "Outputs": {"A": 2}}
    diff = compare(old, new, {}, {})
    assert [(v.path, v.before, v.after) for v in diff.resources[0].values] == [
        ("DeletionPolicy", "Delete", "Retain")
    ]
    assert diff.sections == ("Outputs",)
    assert not diff.same


@pytest.mark.parametrize("flag", ["--dry-run", "--allow-replacement", "--revert-drift"])
def test_change_set_flags_are_refused_with_diff(harness, flag):
    h = harness("dev")
    assert h.run("--diff", flag) == ExitCode.BAD_INPUT
    assert f"{flag}: not with --diff; it applies to a change set" in h.err.getvalue()


def test_diff_needs_only_read_permissions(harness, templates):
    # Every call a --diff makes is a read: Describe*, Get*, List*.
    h = harness("dev", {**STAGE_VALUES})
    deployed(h, templates["dev"])
    calls = []
    for service in ("cloudformation", "ec2", "route53"):
        h.aws.client(service).meta.events.register(
            "before-parameter-build.*.*", lambda model, **_: calls.append(model.name)
        )
    assert h.run("--diff") == ExitCode.OK
    assert calls
    assert all(name.startswith(("Describe", "Get", "List")) for name in calls), calls
    assert not any(name in WRITES for name in calls)


def test_diff_from_python_returns_the_differences_as_typed_values(harness, templates):
    from planar_cfn.deploy import TemplateDiff, deploy
    from planar_cfn.options import DeployOptions

    before = copy.deepcopy(templates["dev"])
    before["Resources"]["TargetGroup"]["Properties"]["HealthCheckPath"] = "/healthz"
    h = harness("dev")
    deployed(h, before)

    result = deploy(
        h.rendered,
        DeployOptions(stage="dev", stage_file=h.path, diff=True),
        out=h.out,
        err=h.err,
        runtime=h.runtime(),
    )

    assert result.exit_code == ExitCode.FAILED
    assert isinstance(result.diff, TemplateDiff)
    [resource] = result.diff.resources
    [value] = resource.values
    assert (resource.logical_id, value.name, value.before, value.after) == (
        "TargetGroup",
        "HealthCheckPath",
        "/healthz",
        "/planar/v1/health",
    )
    assert result.plan is not None
    assert result.plan["decision"] == "differs"
    assert result.change_set is None


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--destroy",), "--plan-json: --destroy makes no plan"),
        (("--drift",), "--plan-json: --drift makes no plan"),
        (("--outputs-json", "{plan}"), "is also --outputs-json: name another file for each"),
        (("--revert-drift", "--drift"), "--revert-drift: not with --drift"),
    ],
)
def test_plan_json_and_revert_drift_are_refused_where_they_mean_nothing(
    harness, tmp_path, flags, message
):
    h = harness("dev")
    plan = str(tmp_path / "plan.json")
    given = [flag.format(plan=plan) for flag in flags]
    assert h.run("--plan-json", plan, *given) == ExitCode.BAD_INPUT
    assert message in h.err.getvalue()


def test_a_plan_file_in_a_missing_folder_is_refused_before_any_aws_call(harness, tmp_path):
    h = harness("dev")
    missing = tmp_path / "no-such-dir" / "plan.json"
    assert h.run("--dry-run", "--plan-json", str(missing)) == ExitCode.BAD_INPUT
    assert f"--plan-json {missing}: no such directory" in h.err.getvalue()
