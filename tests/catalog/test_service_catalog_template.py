"""Every stage template can be a Service Catalog product version as it is: self-contained
(no Transform, no CDK bootstrap or asset references, nothing else to upload), and its
launch form groups, labels and explains every parameter."""

import re

from planar_cfn.inputs.parameters import form_groups

CONSTRAINTS = {"AllowedPattern", "AllowedValues", "MinValue", "MaxValue", "MinLength", "MaxLength"}
# CloudFormation's limit for a template read from S3, which is how Service Catalog reads it.
S3_TEMPLATE_LIMIT = 1_000_000


def test_no_transform_and_nothing_from_cdk(rendered, template, stage):
    assert "Transform" not in template
    assert "BootstrapVersion" not in template["Parameters"]
    assert "CheckBootstrapVersion" not in template.get("Rules", {})
    # No asset bucket, staging key or bootstrap role can be referenced by name.
    assert not re.search(r"cdk|assets", rendered[stage].body, re.IGNORECASE)


def test_nothing_else_needs_uploading(template, stage, rendered):
    """A version is one template: no nested stacks, no Lambda code or layers in S3."""
    assert len(rendered[stage].body.encode()) < S3_TEMPLATE_LIMIT
    for logical_id, resource in template["Resources"].items():
        assert resource["Type"] != "AWS::CloudFormation::Stack", logical_id
        props = resource.get("Properties", {})
        assert "TemplateURL" not in props, logical_id
        if resource["Type"] == "AWS::Lambda::Function":
            assert set(props["Code"]) == {"ZipFile"}, logical_id
        assert resource["Type"] != "AWS::Lambda::LayerVersion", logical_id


def test_description_names_the_stack_for_the_product(template, stage):
    assert template["Description"].startswith(f"Planar application stack, stage {stage}")


def test_every_parameter_is_grouped_once_and_labelled(template):
    interface = template["Metadata"]["AWS::CloudFormation::Interface"]
    groups = interface["ParameterGroups"]
    assert [g["Label"]["default"] for g in groups] == list(form_groups())
    assert all(g["Parameters"] for g in groups), "an empty group shows as a blank heading"
    grouped = [name for g in groups for name in g["Parameters"]]
    assert sorted(grouped) == sorted(template["Parameters"])
    assert len(grouped) == len(set(grouped))
    labels = interface["ParameterLabels"]
    assert set(labels) == set(template["Parameters"])
    assert all(label["default"].strip() for label in labels.values())
    assert len({label["default"] for label in labels.values()}) == len(labels)


def test_the_six_launch_form_groups_are_there(template):
    groups = template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
    labels = [g["Label"]["default"] for g in groups]
    for expected in ("Application", "Network", "Domain", "Container", "Database", "Storage"):
        assert any(label.startswith(expected) for label in labels), expected


def test_every_parameter_is_described_and_every_constraint_explained(template):
    for name, parameter in template["Parameters"].items():
        assert len(parameter["Description"]) >= 10, name
        if CONSTRAINTS & set(parameter):
            sentence = parameter.get("ConstraintDescription", "")
            assert sentence.startswith("Must be "), name
            assert sentence.endswith("."), name
            # Written for a person: no regular expression syntax.
            assert not re.search(r"[\^$\\]|\[[a-z0-9]-", sentence), (name, sentence)


def test_list_parameters_say_each_item_is_checked(template):
    for name, parameter in template["Parameters"].items():
        is_list = parameter["Type"].startswith(("List<", "CommaDelimitedList"))
        if is_list and "AllowedPattern" in parameter:
            assert "comma-separated values, each" in parameter["ConstraintDescription"], name
