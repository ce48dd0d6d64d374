"""The benchmark's rollout figures: dev's and staging's modelled image rollout held to
40% of the same rollout with ELB's default drain, prod's printed with its canary's price."""

import importlib.util

from tests.reports.rollout_templates import ROOT, committed, stage_template, with_rollout

spec = importlib.util.spec_from_file_location("build_speed", ROOT / "benchmarks/build_speed.py")
build_speed = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_speed)


def test_the_stage_defaults_meet_the_rollout_target(capsys):
    assert build_speed.rollout_figures({s: stage_template(s) for s in ("dev", "staging", "prod")})
    out = capsys.readouterr().out
    assert (
        "dev: ROLLING 2.5 min; with ELB's default drain 7.0 min (36%); target <= 40%: pass" in out
    )
    assert (
        "staging: ROLLING 2.5 min; with ELB's default drain 7.0 min (36%); target <= 40%: pass"
        in out
    )
    assert (
        "prod: CANARY 17.5 min; with ELB's default drain 22.0 min (80%); "
        "its canary's price: 15.0 min of bakes over 2.5 min"
    ) in out


def test_a_300_s_drain_misses_the_rollout_target(capsys):
    templates = {s: stage_template(s) for s in ("dev", "staging", "prod")}
    templates["staging"] = with_rollout(committed("staging"), delay=300)
    assert not build_speed.rollout_figures(templates)
    out = capsys.readouterr().out
    assert (
        "dev: ROLLING 2.5 min; with ELB's default drain 7.0 min (36%); target <= 40%: pass" in out
    )
    assert (
        "staging: ROLLING 7.0 min; with ELB's default drain 7.0 min (100%); target <= 40%: MISS"
        in out
    )
