"""The rollout figures the README and docs/rollout-time.md give per stage, checked
against the model over each stage's template at its defaults."""

import re

import pytest

from planar_cfn.reports.rollout import compare, minutes
from tests.reports.rollout_templates import ROOT, stage_template


def _rows(path):
    text = (ROOT / path).read_text()
    return {
        m["stage"]: (m["modelled"], m["default"], m["price"])
        for m in re.finditer(
            r"^\| (?P<stage>dev|staging|prod) \| [A-Z_]+ \| (?P<modelled>[\d.]+ min) \| "
            r"(?P<default>[\d.]+ min) \| (?P<price>[^|]+) \|$",
            text,
            re.M,
        )
    }


@pytest.mark.parametrize("path", ["README.md", "docs/rollout-time.md"])
def test_the_documented_rollout_figures_are_the_models(path):
    rows = _rows(path)
    assert set(rows) == {"dev", "staging", "prod"}
    for stage, (shown, shown_default, price) in rows.items():
        modelled, default = compare(stage_template(stage))
        assert shown == minutes(modelled.total), stage
        assert shown_default == minutes(default.total), stage
        expected = minutes(modelled.shift_price) if modelled.shift_price else "-"
        assert price.strip().startswith(expected), stage
