"""The image rollout model: each strategy's phases and total, worked out by hand from
the values in the template (task start 60 s; two health checks 30 s apart; the drain),
and the same rollout with ELB's default drain."""

import copy
import re
from fractions import Fraction

import pytest

from planar_cfn.reports import rollout as model
from planar_cfn.reports.rollout import Phase, compare, linear_steps, rollout, summary_line
from tests.reports.rollout_templates import committed, stage_template, with_rollout

DEV = committed("dev")


def test_a_rolling_update_starts_a_task_passes_two_health_checks_and_drains_the_old_one():
    result = rollout(with_rollout(DEV, "ROLLING", delay=30))
    assert result.strategy == "ROLLING"
    assert result.phases == (
        Phase("task start", 60),
        Phase("health checks", 60),  # HealthyThresholdCount 2 x interval 30 s
        Phase("drain", 30),
        Phase("canary", 0),
        Phase("linear", 0),
        Phase("bake", 0),
    )
    assert result.total == 150
    assert result.shift_price == 0


def test_the_same_rollout_with_elbs_default_drain_waits_300_s_for_the_old_task():
    modelled, default = compare(with_rollout(DEV, "ROLLING", delay=30))
    assert (modelled.total, default.total) == (150, 420)
    assert default.seconds("drain") == 300
    assert modelled.total / default.total <= 0.4


def test_a_target_group_without_a_deregistration_delay_drains_for_elbs_300_s():
    # A target group as the seed rendered it: no TargetGroupAttributes.
    seed = copy.deepcopy(DEV)
    del seed["Resources"]["TargetGroup"]["Properties"]["TargetGroupAttributes"]
    modelled, default = compare(seed)
    assert modelled.seconds("drain") == 300
    assert modelled.total == default.total == 420


def test_a_canary_bakes_at_its_percentage_then_after_all_traffic_then_drains_the_old_tasks():
    result = rollout(with_rollout(DEV, "CANARY", delay=30, percent=10, shift_bake=5, bake=10))
    assert [(p.name, p.seconds) for p in result.phases] == [
        ("task start", 60),
        ("health checks", 60),
        ("canary", 300),
        ("linear", 0),
        ("bake", 600),
        ("drain", 30),  # the old revision goes after the bake
    ]
    assert result.total == 1050
    assert result.shift_price == 900
    assert result.shift_percent == 10
    assert rollout(with_rollout(DEV, "CANARY"), drain_seconds=300).total == 1320


def test_a_linear_rollout_bakes_after_every_step_but_the_last():
    # 10% steps: 10, 20, ... 90 bake 5 minutes each (9 bakes); 100% is the bake's.
    result = rollout(with_rollout(DEV, "LINEAR", delay=30, percent=10, shift_bake=5, bake=10))
    assert result.seconds("linear") == 9 * 300
    assert result.seconds("canary") == 0
    assert result.seconds("bake") == 600
    assert result.total == 60 + 60 + 2700 + 600 + 30


@pytest.mark.parametrize(
    ("percent", "steps"),
    [("10", 9), ("3", 33), ("12.5", 7), ("30", 3), ("33.3", 3), ("50", 1), ("100", 0)],
)
def test_the_step_bakes_are_100_over_the_step_less_one_or_its_floor(percent, steps):
    assert linear_steps(Fraction(percent)) == steps
    template = with_rollout(DEV, "LINEAR", shift_bake=2, bake=0, delay=0)
    assert rollout(template, {"TrafficShiftPercent": percent}).seconds("linear") == 120 * steps


def test_blue_green_shifts_all_traffic_at_once_then_bakes():
    result = rollout(with_rollout(DEV, "BLUE_GREEN", delay=30, bake=10))
    assert (result.seconds("canary"), result.seconds("linear")) == (0, 0)
    assert result.seconds("bake") == 600
    assert result.total == 60 + 60 + 600 + 30
    assert result.shift_percent is None


def test_given_values_override_the_templates_defaults():
    template = with_rollout(DEV, "ROLLING", delay=30)
    assert rollout(template, {"DeregistrationDelaySeconds": "0"}).total == 120
    canary = rollout(
        template,
        {"DeploymentStrategy": "CANARY", "TrafficShiftBakeMinutes": "15", "BakeTimeMinutes": "0"},
    )
    assert (canary.strategy, canary.seconds("canary"), canary.seconds("bake")) == ("CANARY", 900, 0)
    # Rolling takes no bake, whatever BakeTimeMinutes says.
    assert rollout(template, {"BakeTimeMinutes": "60"}).seconds("bake") == 0


def test_a_strategy_without_its_configuration_takes_ecs_defaults():
    # AWS::ECS::Service schema: canary 10 minutes' bake, linear steps of 10% with 6
    # minutes' bake, 15 minutes' bake time.
    template = copy.deepcopy(DEV)
    config = template["Resources"]["Service"]["Properties"]["DeploymentConfiguration"]
    config["Strategy"] = "CANARY"
    canary = rollout(template)
    assert (canary.seconds("canary"), canary.seconds("bake")) == (600, 900)
    assert canary.shift_percent == 5
    config["Strategy"] = "LINEAR"
    assert rollout(template).seconds("linear") == 9 * 6 * 60


def test_a_target_group_without_health_check_settings_takes_elbs_defaults():
    template = copy.deepcopy(DEV)
    group = template["Resources"]["TargetGroup"]["Properties"]
    del group["HealthCheckIntervalSeconds"], group["HealthyThresholdCount"]
    assert rollout(template).seconds("health checks") == 5 * 30


def test_the_health_checks_follow_the_target_groups_values():
    template = copy.deepcopy(DEV)
    group = template["Resources"]["TargetGroup"]["Properties"]
    group["HealthCheckIntervalSeconds"], group["HealthyThresholdCount"] = 10, 3
    assert rollout(template).seconds("health checks") == 30


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"DeregistrationDelay": "30"}, "DeregistrationDelay: not a parameter of this template"),
        (
            {"DeregistrationDelaySeconds": "soon"},
            "DeregistrationDelaySeconds = 'soon': must be a number",
        ),
        (
            {"DeregistrationDelaySeconds": "4000"},
            "DeregistrationDelaySeconds = '4000': must be from 0 to 3600",
        ),
        (
            {"DeploymentStrategy": "CANARI"},
            "DeploymentStrategy = 'CANARI': must be one of ROLLING, CANARY, LINEAR, BLUE_GREEN",
        ),
        ({"DesiredCount": "many"}, "DesiredCount = 'many': Must be a whole number from 0 to 100."),
    ],
)
def test_a_bad_value_is_refused_naming_it_and_what_is_allowed(values, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        rollout(with_rollout(DEV), values)


def test_a_value_not_given_as_text_is_refused():
    with pytest.raises(TypeError, match="DeregistrationDelaySeconds = 30: give the value"):
        rollout(with_rollout(DEV), {"DeregistrationDelaySeconds": 30})


def test_a_template_without_an_ecs_service_is_refused():
    with pytest.raises(ValueError, match="the template has 0 ECS services"):
        rollout(committed("launch-role"))


def test_a_phase_that_is_not_one_is_named_with_the_phases():
    with pytest.raises(KeyError, match="warm-up: not a phase; the phases: task start"):
        rollout(DEV).seconds("warm-up")


def test_the_task_start_is_the_stated_constant():
    assert model.TASK_START_SECONDS == 60
    assert rollout(DEV).seconds("task start") == 60


def test_the_summary_line_of_a_rolling_stage():
    assert (
        summary_line(stage_template("dev"))
        == "image rollout ≈ 2.5 min (ELB default drain: 7.0 min)"
    )


@pytest.mark.parametrize(
    ("strategy", "line"),
    [
        (
            "CANARY",
            "image rollout ≈ 17.5 min (ELB default drain: 22.0 min); 15.0 min of it the "
            "canary's price (5.0 min at 10%, then 10.0 min at 100%)",
        ),
        (
            "LINEAR",
            "image rollout ≈ 57.5 min (ELB default drain: 62.0 min); 55.0 min of it the "
            "linear shift's price (45.0 min in steps of 10%, then 10.0 min at 100%)",
        ),
        (
            "BLUE_GREEN",
            "image rollout ≈ 12.5 min (ELB default drain: 17.0 min); 10.0 min of it "
            "blue/green's price (10.0 min at 100% beside the old revision)",
        ),
    ],
)
def test_the_summary_line_of_a_traffic_shifting_stage_prices_its_bakes(strategy, line):
    assert summary_line(with_rollout(committed("prod"), strategy)) == line


def test_a_fractional_step_is_written_as_given():
    template = with_rollout(DEV, "LINEAR", percent=12.5, shift_bake=1, bake=0)
    assert "in steps of 12.5%" in summary_line(template)


def _has_rollout_parameters(stage):
    return "DeregistrationDelaySeconds" in committed(stage)["Parameters"]


@pytest.mark.parametrize("stage", ["dev", "staging"])
def test_dev_and_staging_roll_out_in_at_most_40_percent_of_the_time_elbs_default_drain_takes(
    stage,
):
    if not _has_rollout_parameters(stage):
        pytest.skip(f"templates/planar-{stage}.json has no DeregistrationDelaySeconds yet")
    modelled, default = compare(committed(stage))
    assert modelled.total <= 0.4 * default.total, (modelled, default)


@pytest.mark.parametrize("stage", ["dev", "staging", "prod"])
def test_the_committed_templates_model_as_the_stage_defaults_do(stage):
    """The README's figures are the model over these test templates; once the
    committed templates have the parameters, they must give the same."""
    if not _has_rollout_parameters(stage):
        pytest.skip(f"templates/planar-{stage}.json has no DeregistrationDelaySeconds yet")
    assert compare(committed(stage)) == compare(stage_template(stage))


def test_a_number_parameters_default_reads_as_text_through_fn_sub():
    template = with_rollout(DEV, delay=45)
    group = template["Resources"]["TargetGroup"]["Properties"]
    group["TargetGroupAttributes"][0]["Value"] = {"Fn::Sub": "${DeregistrationDelaySeconds}"}
    assert template["Parameters"]["DeregistrationDelaySeconds"]["Default"] == 45
    assert rollout(template).seconds("drain") == 45
    assert rollout(template, {"DeregistrationDelaySeconds": "5"}).seconds("drain") == 5


def test_a_literal_drain_that_is_no_whole_number_is_refused_naming_the_attribute():
    template = with_rollout(DEV)
    group = template["Resources"]["TargetGroup"]["Properties"]
    group["TargetGroupAttributes"][0]["Value"] = "half a minute"
    with pytest.raises(
        ValueError,
        match=r"^deregistration_delay\.timeout_seconds = 'half a minute': must be a whole number",
    ):
        rollout(template)
