"""Property values as the review shows them, without AWS: scalars inline, long or
structured values as the paths inside that differ (cut after MAX_PATHS), a value cut
short by CloudFormation shown as text, masking, and the drift-aware three-way lines."""

import json

import pytest

from planar_cfn.deploy import property_values as pv
from planar_cfn.deploy.property_values import LiveDrift, PropertyValue
from tests.deploy.test_review_values import detail


def value(before, after, kind="Modify", **extra):
    return PropertyValue("Properties", "/Properties/P", kind, before, after, **extra)


def test_a_scalar_is_shown_inline():
    assert pv.lines(value("1024", "2048")) == ["~ P: 1024 -> 2048"]
    assert pv.lines(value(None, "x", "Add")) == ["+ P: x"]
    assert pv.lines(value("x", None, "Remove")) == ["- P: x"]


def test_a_structured_value_shows_only_what_differs_inside_it():
    before = {"Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}]}
    after = {
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "Resource": "*"},
        ]
    }
    assert pv.lines(value(json.dumps(before), json.dumps(after))) == [
        "~ P:",
        "    + Statement/0/Action/1: s3:PutObject",
        '    + Statement/1: {"Effect":"Deny","Action":"*","Resource":"*"}',
    ]


def test_many_differing_paths_are_cut_and_counted():
    before = json.dumps({f"k{i}": i for i in range(20)})
    after = json.dumps({f"k{i}": i + 1 for i in range(20)})
    shown = pv.lines(value(before, after))
    assert len(shown) == 1 + pv.MAX_PATHS + 1
    assert shown[-1] == f"    ... and {20 - pv.MAX_PATHS} more path(s)"


def test_a_value_cut_short_by_cloudformation_is_shown_as_text():
    cut = '{"Statement":[{"Effect":"Allow","Action":"s3:' + "x" * 200
    [line] = pv.lines(value(cut, '{"Statement":[]}'))
    assert line.startswith('~ P: {"Statement":[{"Effect":"Allow","Action":"s3:')
    assert f"... ({len(cut):,} characters)" in line


def test_a_value_known_only_at_execution_is_said_to_be_and_never_given_as_the_placeholder():
    unknown = value("arn:old", pv.KNOWN_AFTER_APPLY, causes=("attribute Role.Arn",))
    assert pv.lines(unknown) == [
        "~ P: arn:old -> (known only when the change set runs: from attribute Role.Arn)"
    ]
    assert unknown.as_json()["after"] is None
    assert unknown.as_json()["afterKnown"] is False


def test_masking_replaces_every_secret_and_the_longest_first():
    mask = pv.masker(["abc", "abcdef", ""])
    assert mask("x abcdef y abc") == "x **** y ****"
    assert mask(None) is None
    assert pv.masker([])("anything") == "anything"


def test_details_without_values_give_none():
    plain = {"Target": {"Attribute": "Properties", "Name": "Cpu", "RequiresRecreation": "Always"}}
    assert pv.from_details([plain]) == ()


@pytest.mark.parametrize(
    ("found", "outcome", "previous", "live"),
    [
        (
            value("1", "7", before_from="ACTUAL_STATE", drift=LiveDrift("7", "1")),
            "the deploy puts the template's value back over the live one",
            "7",
            "1",
        ),
        (
            value("30", "30", "SyncWithActual", before_from="ACTUAL_STATE"),
            "the template now matches the live value: kept, drift status reset",
            "(not given)",
            "30",
        ),
        (
            value("old", "new", before_from="PREVIOUS_DEPLOYMENT_STATE"),
            "the deploy sets the template's value",
            "old",
            "(not read: compared with the last deployment)",
        ),
    ],
)
def test_drift_aware_lines_name_the_three_values_and_what_stays(found, outcome, previous, live):
    assert pv.lines(found) == [
        f"~ P: {outcome}",
        f"    template       {found.after}",
        f"    last deployed  {previous}",
        f"    live           {live}",
    ]


def test_a_property_listed_for_two_causes_is_one_value_with_both():
    details = [
        detail("Cpu", "1", "2", source="ParameterReference", CausingEntity="ContainerCpu"),
        detail("Cpu", "1", "2"),
    ]
    [merged] = pv.from_details(details)
    assert merged.causes == ("parameter ContainerCpu", "template")
