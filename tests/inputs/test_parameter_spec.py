"""Each input's constraint written as its template Parameter: the same pattern as the
Python check (none where AWS types the value), the model list refused beyond the
policy's slots in both, and a readable constraint description."""

import re

import pytest

from planar_cfn.inputs.parameter_table import SPECS, SPECS_BY_NAME
from planar_cfn.inputs.parameters import for_stage
from planar_cfn.inputs.stages import get_stage


def test_every_constraint_has_a_readable_description(template):
    for name, parameter in template["Parameters"].items():
        assert parameter["Description"], name
        constrained = {"AllowedPattern", "AllowedValues", "MinValue"} & set(parameter)
        if constrained:
            assert parameter["ConstraintDescription"].startswith("Must be "), name


def test_patterns_agree_between_python_and_the_template(template, stage):
    for spec in (for_stage(s, get_stage(stage)) for s in SPECS):
        parameter = template["Parameters"][spec.name]
        if spec.type.startswith(("AWS::", "List<AWS::")):
            # AWS documents AllowedPattern for String and CommaDelimitedList only.
            assert "AllowedPattern" not in parameter, spec.name
        elif spec.pattern:
            expected = (spec.template_pattern or spec.pattern).regex
            assert parameter["AllowedPattern"] == expected
            re.compile(expected)


MODEL_SLOTS = 4  # the task role's policy has 4 model slots (docs/aws-limits.md, "at most 4")


@pytest.mark.parametrize("count", range(0, MODEL_SLOTS + 3))
def test_the_model_list_pattern_refuses_what_the_stage_file_refuses(template, count):
    """The launch form sees the whole list: a longer one than the policy's slots is
    refused there, as in a stage file, instead of silently granting only the first."""
    value = ",".join(f"anthropic.model-{i}-v1:0" for i in range(count))
    pattern = template["Parameters"]["BedrockModelIds"]["AllowedPattern"]
    template_ok = re.fullmatch(pattern, value) is not None
    assert template_ok is (1 <= count <= MODEL_SLOTS)
    assert (SPECS_BY_NAME["BedrockModelIds"].check(value) is None) is template_ok
