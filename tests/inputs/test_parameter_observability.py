"""The observability inputs (planar_cfn/inputs/parameter_observability.py): GIVEN a
value for each, WHEN a launch form (the template's Parameter) or a stage file takes it,
THEN both accept and refuse alike, and a refusal names the input, the value and what
is allowed; the web ACL's group conditions find a group only as a whole list item."""

import json

import pytest

from planar_cfn.inputs import parameter_observability as obs
from planar_cfn.inputs.parameters import SPECS_BY_NAME
from planar_cfn.inputs.stage_file import StageFileError, load
from tests.cfn import evaluate, parameter_refusals
from tests.deploy_stubs import STAGE_VALUES

GROUPS = ",".join(obs.WAF_MANAGED_RULE_GROUPS)

# (parameter, stage-file value as a person writes it, the value as CloudFormation takes it)
ACCEPTED = [
    ("ContainerInsights", "enhanced", "enhanced"),
    ("ContainerInsights", "enabled", "enabled"),
    ("ContainerInsights", "disabled", "disabled"),
    ("LogRetentionDays", 1, "1"),
    ("LogRetentionDays", 3653, "3653"),
    ("PerformanceInsights", False, "false"),
    ("DatabaseMonitoringInterval", 0, "0"),
    ("DatabaseMonitoringInterval", 1, "1"),
    ("AccessLogsPrefix", "", ""),
    ("AccessLogsPrefix", "logs/alb-prod", "logs/alb-prod"),
    ("AccessLogsPrefix", "a.b_c-d!*'()", "a.b_c-d!*'()"),
    ("WafManagedRuleGroups", [], ""),
    ("WafManagedRuleGroups", ["AWSManagedRulesPHPRuleSet"], "AWSManagedRulesPHPRuleSet"),
    ("WafManagedRuleGroups", GROUPS.split(","), GROUPS),
]
# (parameter, stage-file value, value as sent, what the refusal says is allowed)
REFUSED = [
    ("ContainerInsights", "on", "on", "one of enhanced, enabled, disabled"),
    ("LogRetentionDays", 15, "15", "one of 1, 3, 5, 7, 14, 30"),
    ("LogRetentionDays", 0, "0", "one of 1, 3, 5, 7, 14, 30"),
    ("PerformanceInsights", "yes", "yes", "one of true, false"),
    ("DatabaseMonitoringInterval", 2, "2", "one of 0, 1, 5, 10, 15, 30, 60"),
    ("DatabaseMonitoringInterval", 120, "120", "one of 0, 1, 5, 10, 15, 30, 60"),
    ("AccessLogsPrefix", "/logs", "/logs", "not starting or ending with '/'"),
    ("AccessLogsPrefix", "logs/", "logs/", "not starting or ending with '/'"),
    ("AccessLogsPrefix", "a//b", "a//b", "separated by single '/'"),
    ("AccessLogsPrefix", "x/AWSLogs/y", "x/AWSLogs/y", "not containing AWSLogs"),
    ("AccessLogsPrefix", "with space", "with space", "letters, digits and"),
    ("AccessLogsPrefix", "a" * 201, "a" * 201, "up to 200 characters"),
    (
        "WafManagedRuleGroups",
        ["AWSManagedRulesBotControlRuleSet"],
        "AWSManagedRulesBotControlRuleSet",
        "one of AWSManagedRulesAmazonIpReputationList",
    ),
    (
        "WafManagedRuleGroups",
        ["AWSManagedRulesSQLiRuleSetV2"],
        "AWSManagedRulesSQLiRuleSetV2",
        "one of AWSManagedRulesAmazonIpReputationList",
    ),
]


def _load(tmp_path, key, value):
    path = tmp_path / "dev.json"
    path.write_text(json.dumps({**STAGE_VALUES, key: value}))
    return load(path, "dev", {})


@pytest.mark.parametrize(("name", "written", "sent"), ACCEPTED)
def test_accepted_alike_by_the_launch_form_and_the_stage_file(
    tmp_path, templates, name, written, sent
):
    spec = SPECS_BY_NAME[name]
    assert _load(tmp_path, spec.key, written).parameters[name] == sent
    for template in templates.values():
        refusals = parameter_refusals(template, {name: sent})
        assert not [r for r in refusals if r.startswith(f"Parameter '{name}'")]


@pytest.mark.parametrize(("name", "written", "sent", "allowed"), REFUSED)
def test_refused_alike_naming_key_value_and_what_is_allowed(
    tmp_path, templates, name, written, sent, allowed
):
    spec = SPECS_BY_NAME[name]
    with pytest.raises(StageFileError) as error:
        _load(tmp_path, spec.key, written)
    message = str(error.value)
    shown = f"{spec.key}[0] = {json.dumps(written[0])}" if spec.is_list else spec.key
    assert shown in message
    assert "must be" in message
    assert allowed in message
    for template in templates.values():
        (refusal,) = [r for r in parameter_refusals(template, {name: sent}) if name in r]
        assert refusal.startswith(f"Parameter '{name}' = ")
        assert allowed.split(",")[0].removeprefix("one of ") in refusal


def test_a_list_with_an_empty_item_or_a_space_is_refused_by_both(tmp_path, templates):
    value = "AWSManagedRulesCommonRuleSet,,AWSManagedRulesSQLiRuleSet"
    assert SPECS_BY_NAME["WafManagedRuleGroups"].check(value) is not None
    assert SPECS_BY_NAME["WafManagedRuleGroups"].check(value.replace(",,", ", ")) is not None
    refusals = parameter_refusals(templates["dev"], {"WafManagedRuleGroups": value})
    assert any(r.startswith("Parameter 'WafManagedRuleGroups'") for r in refusals)


def test_the_defaults_are_what_the_stack_hard_coded(templates):
    for template in templates.values():
        parameters = template["Parameters"]
        assert parameters["ContainerInsights"]["Default"] == "enhanced"
        assert parameters["LogRetentionDays"]["Default"] == "14"
        assert parameters["PerformanceInsights"]["Default"] == "true"
        assert parameters["DatabaseMonitoringInterval"]["Default"] == "60"
        assert parameters["AccessLogsPrefix"]["Default"] == ""
        assert parameters["WafManagedRuleGroups"]["Default"] == (
            "AWSManagedRulesAmazonIpReputationList,AWSManagedRulesCommonRuleSet,"
            "AWSManagedRulesKnownBadInputsRuleSet,AWSManagedRulesSQLiRuleSet"
        )


def test_each_input_is_labelled_and_grouped_on_the_launch_form(templates):
    interface = templates["prod"]["Metadata"]["AWS::CloudFormation::Interface"]
    groups = {g["Label"]["default"]: g["Parameters"] for g in interface["ParameterGroups"]}
    # First in the group, before the OpenTelemetry collector's.
    assert groups["Observability"][:4] == [
        "ContainerInsights",
        "LogRetentionDays",
        "PerformanceInsights",
        "DatabaseMonitoringInterval",
    ]
    # Beside the access-logs bucket and the web ACL they refine.
    assert {"AccessLogsBucket", "AccessLogsPrefix", "WebAcl", "WafManagedRuleGroups"} <= set(
        groups["Security"]
    )
    labels = interface["ParameterLabels"]
    for spec in obs.SPECS:
        assert labels[spec.name]["default"] == spec.label
        assert spec.description in templates["prod"]["Parameters"][spec.name]["Description"]


@pytest.mark.parametrize(
    ("listed", "group", "member"),
    [
        ("AWSManagedRulesSQLiRuleSet", "AWSManagedRulesSQLiRuleSet", True),
        (
            "AWSManagedRulesCommonRuleSet,AWSManagedRulesSQLiRuleSet",
            "AWSManagedRulesSQLiRuleSet",
            True,
        ),
        (
            "AWSManagedRulesSQLiRuleSet,AWSManagedRulesPHPRuleSet",
            "AWSManagedRulesSQLiRuleSet",
            True,
        ),
        ("", "AWSManagedRulesSQLiRuleSet", False),
        ("AWSManagedRulesPHPRuleSet", "AWSManagedRulesSQLiRuleSet", False),
        # A longer name that starts or ends with a group's name is not that group.
        ("AWSManagedRulesSQLiRuleSetV2", "AWSManagedRulesSQLiRuleSet", False),
        ("XAWSManagedRulesSQLiRuleSet", "AWSManagedRulesSQLiRuleSet", False),
        (
            "AWSManagedRulesUnixRuleSetAWSManagedRulesSQLiRuleSet",
            "AWSManagedRulesSQLiRuleSet",
            False,
        ),
    ],
)
def test_a_group_condition_finds_a_whole_item_only(templates, listed, group, member):
    condition = templates["dev"]["Conditions"][obs.waf_group_condition(group)]
    assert evaluate(condition, {"WafManagedRuleGroups": listed}) is member


def test_every_known_group_has_its_own_condition_and_priority():
    priorities = [priority for priority, _ in obs.WAF_MANAGED_RULE_GROUPS.values()]
    assert priorities == list(range(1, len(priorities) + 1))
    assert tuple(obs.WAF_MANAGED_RULE_GROUPS)[:4] == obs.WAF_MANAGED_RULE_GROUPS_DEFAULT
    assert len(set(map(obs.waf_group_condition, obs.WAF_MANAGED_RULE_GROUPS))) == len(priorities)
