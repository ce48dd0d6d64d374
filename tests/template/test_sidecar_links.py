"""A sidecar's secrets, start order (depends_on) and borrowed volumes (volumes_from):
checked as ECS checks them and rendered into its ContainerDefinition, the execution
role reading exactly the secrets given (planar_cfn/template/config.py Sidecar,
planar_cfn/template/sidecar_links.py)."""

import pytest

from planar_cfn import Sidecar, StackConfig, build_template, get_stage
from tests.cfn import props

DEV = get_stage("dev")
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:otel/token-AbC123"
PARAMETER = "arn:aws:ssm:us-east-1:123456789012:parameter/otel/endpoint"


def _stack(*sidecars):
    """The dev stack's configuration with `sidecars`."""
    return StackConfig(DEV, sidecars=sidecars)


def _containers(*sidecars):
    template = build_template(_stack(*sidecars)).to_dict()
    # The OpenTelemetry collector's entry is an Fn::If (Telemetry): not a sidecar's.
    return template, {
        c["Name"]: c
        for c in props(template, "TaskDefinition")["ContainerDefinitions"]
        if "Name" in c
    }


def test_secrets_dependencies_and_volumes_are_rendered_into_the_container():
    init = Sidecar("init", "busybox:1", command=("true",))
    collector = Sidecar(
        "collector",
        "otel:1",
        secrets={"TOKEN": SECRET + ":token::", "ENDPOINT": PARAMETER},
        depends_on={"planar-app": "START", "init": "SUCCESS"},
        volumes_from={"init": True},
    )
    template, containers = _containers(init, collector)
    rendered = containers["collector"]
    assert rendered["Secrets"] == [
        {"Name": "TOKEN", "ValueFrom": SECRET + ":token::"},
        {"Name": "ENDPOINT", "ValueFrom": PARAMETER},
    ]
    assert rendered["DependsOn"] == [
        {"ContainerName": "planar-app", "Condition": "START"},
        {"ContainerName": "init", "Condition": "SUCCESS"},
    ]
    assert rendered["VolumesFrom"] == [{"SourceContainer": "init", "ReadOnly": True}]
    # The execution role reads exactly those: the secret itself (IAM knows no JSON key).
    (policy,) = [
        p
        for p in props(template, "ExecutionRole")["Policies"]
        if p.get("PolicyName") == "container-secrets"
    ]
    assert policy["PolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": [SECRET]},
        {"Effect": "Allow", "Action": ["ssm:GetParameters"], "Resource": [PARAMETER]},
    ]


def test_without_them_the_container_and_the_roles_are_as_before():
    template, containers = _containers(Sidecar("collector", "otel:1"))
    assert not {"Secrets", "DependsOn", "VolumesFrom"} & set(containers["collector"])
    names = [p.get("PolicyName") for p in props(template, "ExecutionRole")["Policies"]]
    assert "container-secrets" not in names


def test_a_dependency_on_a_non_essential_sidecars_exit_is_allowed():
    _, containers = _containers(
        Sidecar("migrate", "app:1", command=("migrate",)),
        Sidecar("collector", "otel:1", depends_on={"migrate": "COMPLETE"}),
    )
    assert containers["collector"]["DependsOn"] == [
        {"ContainerName": "migrate", "Condition": "COMPLETE"}
    ]


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (
            lambda: Sidecar("otel", "x:1", secrets={"TOKEN": "my-secret"}),
            ValueError,
            ["Sidecar('otel').secrets['TOKEN'] = 'my-secret'", "complete Secrets Manager"],
        ),
        (
            lambda: Sidecar("otel", "x:1", secrets={"1X": SECRET}),
            ValueError,
            ["Sidecar('otel').secrets: name '1X'", "not starting with a digit"],
        ),
        (
            lambda: Sidecar("otel", "x:1", environment={"T": "1"}, secrets={"T": SECRET}),
            ValueError,
            ["Sidecar('otel').secrets: 'T'", "environment", "one variable, one source"],
        ),
        (
            lambda: Sidecar("otel", "x:1", secrets=[SECRET]),
            TypeError,
            ["Sidecar('otel').secrets", "mapping"],
        ),
        (
            lambda: Sidecar("otel", "x:1", depends_on={"planar-app": "STARTED"}),
            ValueError,
            ["depends_on['planar-app'] = 'STARTED'", "START, COMPLETE, SUCCESS, HEALTHY"],
        ),
        (
            lambda: Sidecar("otel", "x:1", depends_on={"otel": "START"}),
            ValueError,
            ["Sidecar('otel').depends_on: 'otel' is this sidecar itself"],
        ),
        (
            lambda: Sidecar("otel", "x:1", volumes_from={"init": "ro"}),
            TypeError,
            ["volumes_from['init'] = 'ro'", "True (read-only) or False"],
        ),
        (
            lambda: Sidecar("otel", "x:1", volumes_from={"otel": True}),
            ValueError,
            ["volumes_from: 'otel' is this sidecar itself"],
        ),
    ],
)
def test_what_ecs_would_refuse_is_refused_naming_field_value_and_allowed(make, error, words):
    with pytest.raises(error) as raised:
        make()
    for word in words:
        assert word in str(raised.value)


@pytest.mark.parametrize(
    ("sidecars", "words"),
    [
        (
            [Sidecar("otel", "x:1", depends_on={"db": "START"})],
            ["Sidecar('otel').depends_on: 'db' is no container", "planar-app, otel"],
        ),
        (
            [Sidecar("otel", "x:1", volumes_from={"app": False})],
            ["Sidecar('otel').volumes_from: 'app' is no container", "planar-app, otel"],
        ),
        (
            [Sidecar("otel", "x:1", depends_on={"planar-app": "SUCCESS"})],
            ["depends_on['planar-app'] = 'SUCCESS'", "essential", "use START"],
        ),
        (
            [
                Sidecar("proxy", "x:1", essential=True),
                Sidecar("otel", "x:1", depends_on={"proxy": "COMPLETE"}),
            ],
            ["depends_on['proxy'] = 'COMPLETE'", "'proxy' is essential"],
        ),
        (
            [Sidecar("otel", "x:1", depends_on={"planar-app": "HEALTHY"})],
            ["depends_on['planar-app'] = 'HEALTHY'", "health check", "use START"],
        ),
        (
            [
                Sidecar("a", "x:1", depends_on={"b": "START"}),
                Sidecar("b", "x:1", depends_on={"a": "START"}),
            ],
            ["cycle (a -> b -> a)"],
        ),
    ],
)
def test_what_ecs_would_refuse_among_the_containers_is_refused_by_the_stack(sidecars, words):
    """Each sidecar is valid alone: the stack refuses them with the app's container."""
    with pytest.raises(ValueError) as raised:  # noqa: PT011 - the words are checked below
        _stack(*sidecars)
    for word in words:
        assert word in str(raised.value)


def test_the_mappings_are_copied_when_the_sidecar_is_made():
    depends_on = {"planar-app": "START"}
    sidecar = Sidecar("otel", "x:1", depends_on=depends_on)
    depends_on["planar-app"] = "HEALTHY"
    assert sidecar.depends_on == {"planar-app": "START"}
