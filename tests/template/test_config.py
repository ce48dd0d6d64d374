"""The stack's configuration (planar_cfn/template/config.py): a StackConfig is frozen
and copies what it is given, and refuses as an extension every variable the stack
already gives the app. Its other refusals are in tests/test_library_api.py, beside
the Stage ones."""

import dataclasses

import pytest

from planar_cfn import Sidecar, StackConfig, build_template, get_stage
from tests.cfn import props


def test_a_config_is_frozen_and_copies_what_it_is_given():
    environment, sidecars = {"A": "1"}, [Sidecar("collector", "otel:1")]
    config = StackConfig(stage=get_stage("dev"), environment=environment, sidecars=sidecars)
    environment["B"] = "2"
    sidecars.clear()
    assert dict(config.environment) == {"A": "1"}
    assert len(config.sidecars) == 1
    with pytest.raises(TypeError):
        config.environment["C"] = "3"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.stage = get_stage("prod")  # type: ignore[misc]
    assert config == StackConfig(
        stage=get_stage("dev"), environment={"A": "1"}, sidecars=(Sidecar("collector", "otel:1"),)
    )


DEV = get_stage("dev")


def test_every_variable_the_app_is_given_is_refused_as_an_extension():
    template = build_template(StackConfig.for_stage("dev")).to_dict()
    app = props(template, "TaskDefinition")["ContainerDefinitions"][0]
    # A variable set only under a condition is an Fn::If around it.
    names = [e["Name"] if "Name" in e else e["Fn::If"][1]["Name"] for e in app["Environment"]]
    assert {"WORKOS_CLIENT_ID", "WORKOS_ORG_ID", "OTEL_SERVICE_NAME"} <= set(names)
    for name in names:
        if name.startswith("OTEL_"):
            # Set only with Telemetry, these yield to the configuration's own value.
            assert StackConfig(DEV, environment={name: "x"}).environment[name] == "x"
            continue
        with pytest.raises(ValueError, match=f"'{name}' is set by the stack"):
            StackConfig(DEV, environment={name: "x"})
