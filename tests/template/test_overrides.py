"""The escape hatch (planar_cfn/template/overrides.py, docs/library.md): an override
sets exactly one property of one built resource, and refuses, changing nothing,
what the resource type does not have, naming what it does."""

import pytest
from troposphere import GetAtt, If
from troposphere.elasticloadbalancingv2 import TargetGroupAttribute

import planar_cfn
from planar_cfn import StackConfig, build_template
from tests.cfn import props


@pytest.fixture
def built():
    return build_template(StackConfig.for_stage("prod"))


def test_override_sets_a_property_a_nested_one_a_list_item_and_an_attribute(built):
    built.override(built.target_group, "HealthCheckPath", "/ready")
    built.override(built.load_balancer, "LoadBalancerAttributes.1.Value", "false")
    built.override(built.task_definition, "ContainerDefinitions.0.StopTimeout", 60)
    built.override(built.app_container, "Essential", True)
    built.override(built.bucket, "DeletionPolicy", "Delete")
    built.override(built.load_balancer, "Metadata.owner", "platform")
    template = built.to_dict()
    assert props(template, "TargetGroup")["HealthCheckPath"] == "/ready"
    assert props(template, "LoadBalancer")["LoadBalancerAttributes"][1] == {
        "Key": "routing.http.drop_invalid_header_fields.enabled",
        "Value": "false",
    }
    assert props(template, "TaskDefinition")["ContainerDefinitions"][0]["StopTimeout"] == 60
    assert template["Resources"]["AppBucket"]["DeletionPolicy"] == "Delete"
    assert template["Resources"]["LoadBalancer"]["Metadata"]["owner"] == "platform"
    assert "checkov" in template["Resources"]["LoadBalancer"]["Metadata"]


@pytest.mark.parametrize(
    ("handle", "path", "value", "error", "message"),
    [
        (
            "target_group",
            "HealthCheckPth",
            "/",
            ValueError,
            "TargetGroup (AWS::ElasticLoadBalancingV2::TargetGroup): no property "
            "'HealthCheckPth' (did you mean 'HealthCheckPath'?); it has: HealthCheckEnabled",
        ),
        (
            "service",
            "DeploymentConfiguration.MaxPercent",
            1,
            ValueError,
            "Service (AWS::ECS::Service).DeploymentConfiguration: no property 'MaxPercent' "
            "(did you mean 'MaximumPercent'?)",
        ),
        (
            "load_balancer",
            "LoadBalancerAttributes.9.Value",
            "x",
            ValueError,
            "LoadBalancer (AWS::ElasticLoadBalancingV2::LoadBalancer).LoadBalancerAttributes "
            "is a list of 5: '9' is not an index from 0 to 4",
        ),
        (
            "load_balancer",
            "Scheme.Value",
            "x",
            ValueError,
            "LoadBalancer (AWS::ElasticLoadBalancingV2::LoadBalancer).Scheme is a If, not an "
            "object, list or dict to go into: override it as a whole",
        ),
        (
            "target_group",
            "Targets.0.Id",
            "10.0.0.1",
            ValueError,
            "TargetGroup (AWS::ElasticLoadBalancingV2::TargetGroup).Targets is "
            "not set: override 'Targets' as a whole",
        ),
        ("target_group", "", "x", ValueError, "path '': property names joined by dots"),
        ("target_group", "Port..x", 1, ValueError, "path 'Port..x'"),
        ("target_group", "Port", "eighty", ValueError, "eighty"),
        ("target_group", "Matcher", "200", TypeError, "Matcher"),
    ],
)
def test_override_refuses_what_the_resource_type_does_not_have(
    built, handle, path, value, error, message
):
    before = built.to_dict()
    with pytest.raises(error) as raised:
        built.override(getattr(built, handle), path, value)
    assert message in str(raised.value)
    assert built.to_dict() == before  # nothing changed


def test_a_refused_list_item_leaves_the_list_as_it_was(built):
    before = built.to_dict()
    with pytest.raises(TypeError):
        built.override(built.target_group, "Matcher", [1])
    with pytest.raises((TypeError, ValueError)):
        built.override(built.service, "LoadBalancers.0", "not a load balancer")
    assert built.to_dict() == before


def test_override_refuses_what_is_not_a_resource():
    with pytest.raises(TypeError, match="not a troposphere resource or property"):
        planar_cfn.override(GetAtt("TaskRole", "Arn"), "Arn", "x")


def test_the_new_property_and_its_value_are_checked_by_troposphere(built):
    built.override(
        built.target_group,
        "TargetGroupAttributes",
        [TargetGroupAttribute(Key="deregistration_delay.timeout_seconds", Value="30")],
    )
    built.override(built.target_group, "TargetGroupAttributes.0.Value", "20")
    assert props(built.to_dict(), "TargetGroup")["TargetGroupAttributes"] == [
        {"Key": "deregistration_delay.timeout_seconds", "Value": "20"}
    ]
    built.override(built.load_balancer, "Scheme", If("AlbIsInternal", "internal", "internal"))
