"""ECS on Fargate: cluster, log group, task definition and service."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from troposphere import AWSHelperFn, GetAtt, If, NoValue, Ref, Region, Sub, Template, ecs
from troposphere.logs import LogGroup

from ..inputs import rules
from ..inputs.parameters import Params
from . import telemetry
from .app_settings import AppSettings
from .config import APP_CONTAINER_NAME, Sidecar, StackConfig
from .database import Database
from .encryption import Encryption
from .iam import Roles
from .load_balancer import LoadBalancer
from .naming import Naming
from .network import APP_PORT, Network
from .registry import Registry, add_registry
from .rollout import Rollout, add_rollout
from .secrets import Secrets
from .storage import Storage

CONTAINER_NAME = APP_CONTAINER_NAME
# Below, values of the original module (docs/stack.md, Components: log group, ECS cluster,
# service), each with what it does.
# The log groups keep events LogRetentionDays (14 unless set, as the original module kept them).
LOG_RETENTION_PARAMETER = "LogRetentionDays"
# The load balancer's failing health checks are ignored for a new task's first
# minute, while the application starts (about 60 s on Fargate). The 2 passing checks
# need not fit in it: ELB marks a new target unhealthy only after 10 failed checks
# (5 minutes), so a task that is up after the grace is not replaced (docs/stack.md).
HEALTH_CHECK_GRACE_SECONDS = 60
# Container Insights as parameter ContainerInsights says: "enhanced" (the default, as
# the original module set it) adds per-task and per-container metrics to "enabled"'s
# cluster- and service-level ones; "disabled" turns it off.
CONTAINER_INSIGHTS_PARAMETER = "ContainerInsights"
# Every task on on-demand Fargate: the first task (base) and all the rest (weight).
FARGATE_BASE_TASKS = 1
FARGATE_WEIGHT = 100
# The cluster always offers both Fargate providers: a cluster update that dropped
# FARGATE_SPOT would run before the service left it, and ECS refuses to remove a
# capacity provider a service still uses.
CLUSTER_CAPACITY_PROVIDERS = ["FARGATE", "FARGATE_SPOT"]
# The service's strategy: every task on one provider, Fargate Spot with FargateSpot,
# on-demand Fargate without.
SPOT_PROVIDER = "FARGATE_SPOT"
ON_DEMAND_PROVIDER = "FARGATE"
PROVIDER_WEIGHT = 1
# A rolling deployment keeps at least half the desired tasks running and starts
# at most as many new ones as there are desired ones (the Terraform module README's "50-200%").
MINIMUM_HEALTHY_PERCENT = 50
MAXIMUM_PERCENT = 200
# awslogs names each stream {prefix}/{container}/{task id}.
LOG_STREAM_PREFIX = "ecs"


@dataclass(frozen=True)
class Service:
    """Handles to the ECS cluster, the task definition and its containers, the
    service and the log groups."""

    ecs_cluster: ecs.Cluster
    log_group: LogGroup
    task_definition: ecs.TaskDefinition
    # The application's container (planar-app), inside task_definition.
    app_container: ecs.ContainerDefinition
    # Each sidecar's container and log group, by the sidecar's name.
    sidecar_containers: Mapping[str, ecs.ContainerDefinition]
    sidecar_log_groups: Mapping[str, LogGroup]
    service: ecs.Service
    task_family: Sub
    # The application's image (registry.Registry.image).
    image: AWSHelperFn
    # The optional ECR repository the image comes from.
    registry: Registry
    # How ECS rolls out a new revision, and what a traffic shift needs beside the service.
    rollout: Rollout

    @property
    def cluster(self) -> Ref:
        """The ECS cluster's name."""
        return Ref(self.ecs_cluster)

    @property
    def service_name(self) -> GetAtt:
        """The ECS service's name."""
        return self.service.GetAtt("Name")


def _log_configuration(log_group: LogGroup) -> ecs.LogConfiguration:
    return ecs.LogConfiguration(
        LogDriver="awslogs",
        Options={
            "awslogs-group": Ref(log_group),
            "awslogs-region": Region,
            "awslogs-stream-prefix": LOG_STREAM_PREFIX,
        },
    )


def _log_group(
    template: Template,
    logical_id: str,
    name: Sub,
    naming: Naming,
    config: StackConfig,
    params: Params,
    encryption: Encryption,
    retention: AWSHelperFn | None = None,
    condition: str | None = None,
) -> LogGroup:
    log_group = LogGroup(
        logical_id,
        LogGroupName=name,
        # The collector's own retention, else LogRetentionDays.
        RetentionInDays=retention or params[LOG_RETENTION_PARAMETER],
        KmsKeyId=encryption.arn_or_no_value,
        Tags=naming.tags(name),
        DeletionPolicy=config.stage.deletion_policy,
        UpdateReplacePolicy=config.stage.log_replacement_policy,
    )
    if condition:
        log_group.Condition = condition
    return template.add_resource(log_group)


def _environment(variables: Mapping[str, str | AWSHelperFn]) -> list[ecs.Environment]:
    return [ecs.Environment(Name=name, Value=value) for name, value in variables.items()]


def _sidecar_container(sidecar: Sidecar, log_group: LogGroup) -> ecs.ContainerDefinition:
    optional: dict[str, object] = {
        "Cpu": sidecar.cpu,
        "Memory": sidecar.memory,
        "PortMappings": [
            ecs.PortMapping(ContainerPort=port, Protocol="tcp") for port in sidecar.port_mappings
        ],
        "Environment": _environment(sidecar.environment),
        "Secrets": [ecs.Secret(Name=name, ValueFrom=arn) for name, arn in sidecar.secrets.items()],
        "Command": list(sidecar.command),
        "DependsOn": [
            ecs.ContainerDependency(ContainerName=name, Condition=condition)
            for name, condition in sidecar.depends_on.items()
        ],
        "VolumesFrom": [
            ecs.VolumesFrom(SourceContainer=name, ReadOnly=read_only)
            for name, read_only in sidecar.volumes_from.items()
        ],
    }
    return ecs.ContainerDefinition(
        Name=sidecar.name,
        Image=sidecar.image,
        Essential=sidecar.essential,
        LogConfiguration=_log_configuration(log_group),
        **{key: value for key, value in optional.items() if value not in (None, [])},
    )


def _add_collector(
    template: Template, naming: Naming, config: StackConfig, params: Params, encryption: Encryption
) -> ecs.ContainerDefinition:
    """The OpenTelemetry collector's container and, under UseTelemetry, its log group."""
    logs = _log_group(
        template,
        telemetry.LOG_GROUP_ID,
        naming.name("/ecs/planar-service", f"/{telemetry.COLLECTOR_NAME}"),
        naming,
        config,
        params,
        encryption,
        retention=params["TelemetryLogRetentionDays"],
        condition=params.telemetry,
    )
    return telemetry.collector_container(params, config.stage.name, _log_configuration(logs))


def _add_cluster(template: Template, naming: Naming, params: Params) -> ecs.Cluster:
    return template.add_resource(
        ecs.Cluster(
            "Cluster",
            ClusterName=naming.name("app-cluster"),
            ClusterSettings=[
                ecs.ClusterSetting(
                    Name="containerInsights", Value=params[CONTAINER_INSIGHTS_PARAMETER]
                )
            ],
            CapacityProviders=CLUSTER_CAPACITY_PROVIDERS,
            DefaultCapacityProviderStrategy=[
                ecs.CapacityProviderStrategyItem(
                    CapacityProvider="FARGATE",
                    Base=FARGATE_BASE_TASKS,
                    Weight=FARGATE_WEIGHT,
                )
            ],
            Tags=naming.tags(naming.name("app-cluster")),
        )
    )


def _app_container(
    naming: Naming,
    config: StackConfig,
    params: Params,
    secrets: Secrets,
    storage: Storage,
    database: Database,
    log_group: LogGroup,
    app: AppSettings,
    image: AWSHelperFn,
) -> ecs.ContainerDefinition:
    environment = {
        "DB_SECRET_NAME": database.secret_name,
        "DB_HOST": database.endpoint,
        "S3_BUCKET_NAME": storage.bucket_name,
        "STAGE": config.stage.name,
        "APP_NAME": params["AppName"],
        "CUSTOM_SECRET_NAME": naming.name("custom-secret"),
    }
    # WorkOS's ids only when given: an empty variable is not "not set" to every SDK.
    workos = [
        If(condition, ecs.Environment(Name=name, Value=params[parameter]), NoValue)
        for condition, name, parameter in (
            (params.has_workos_client_id, "WORKOS_CLIENT_ID", "WorkosClientId"),
            (params.has_workos_org_id, "WORKOS_ORG_ID", "WorkosOrgId"),
        )
    ]
    stage = config.stage.name
    container = ecs.ContainerDefinition(
        Name=CONTAINER_NAME,
        Image=image,
        Essential=True,
        PortMappings=[ecs.PortMapping(ContainerPort=APP_PORT, Protocol="tcp")],
        # The stack's variables, then the configuration's.
        Environment=_environment(environment)
        + workos
        + telemetry.app_environment(params, stage, taken=config.environment)
        + _environment(config.environment),
        # The application's own variables, from the launch form or the stage file;
        # those set here take precedence over the file's, which may not repeat them.
        EnvironmentFiles=app.environment_files,
        RepositoryCredentials=If(
            params.use_registry_credentials,
            ecs.RepositoryCredentials(CredentialsParameter=secrets.registry_secret_arn),
            NoValue,
        ),
        LogConfiguration=_log_configuration(log_group),
    )
    container.Secrets = [
        *(ecs.Secret(Name=name, ValueFrom=value) for name, value in config.secrets.items()),
        *app.secrets,
    ]
    return container


def _strategy_item(provider: str) -> ecs.CapacityProviderStrategyItem:
    return ecs.CapacityProviderStrategyItem(CapacityProvider=provider, Weight=PROVIDER_WEIGHT)


def _add_ecs_service(
    template: Template,
    naming: Naming,
    params: Params,
    network: Network,
    storage: Storage,
    database: Database,
    load_balancer: LoadBalancer,
    cluster: ecs.Cluster,
    task: ecs.TaskDefinition,
    rollout: Rollout,
) -> ecs.Service:
    return template.add_resource(
        ecs.Service(
            "Service",
            # Targets join the target group only once the HTTPS listener exists; tasks start
            # only once the database has a writer (a cluster alone accepts no connection, and
            # failing tasks would trip the circuit breaker and roll back a first create); and
            # on stack delete the tasks stop writing before the bucket is emptied.
            DependsOn=[load_balancer.https_listener, database.writer]
            + ([storage.emptier] if storage.emptier else []),
            ServiceName=naming.name("planar-service"),
            Cluster=Ref(cluster),
            TaskDefinition=Ref(task),
            # On update, an omitted DesiredCount is not sent to ECS: the count autoscaling
            # set stays (on create, ECS starts 1 task and autoscaling moves it into range).
            # A present one would reset the count on every update of the service.
            DesiredCount=If(params.autoscaling, NoValue, params["DesiredCount"]),
            # Always a strategy, never LaunchType: on update, an omitted strategy
            # (AWS::NoValue) leaves the service's strategy as it is and UpdateService has no
            # launch type, so turning Spot off would silently keep the tasks on Spot
            # (docs/scaling-and-cost.md).
            CapacityProviderStrategy=If(
                params.fargate_spot,
                [_strategy_item(SPOT_PROVIDER)],
                [_strategy_item(ON_DEMAND_PROVIDER)],
            ),
            DeploymentConfiguration=rollout.deployment_configuration(
                MINIMUM_HEALTHY_PERCENT, MAXIMUM_PERCENT
            ),
            NetworkConfiguration=ecs.NetworkConfiguration(
                AwsvpcConfiguration=ecs.AwsvpcConfiguration(
                    Subnets=params["Subnets"],
                    SecurityGroups=[network.task_security_group],
                    AssignPublicIp="DISABLED",
                )
            ),
            LoadBalancers=[
                ecs.LoadBalancer(
                    ContainerName=CONTAINER_NAME,
                    ContainerPort=APP_PORT,
                    TargetGroupArn=Ref(load_balancer.target_group),
                    AdvancedConfiguration=rollout.advanced_configuration(),
                )
            ],
            HealthCheckGracePeriodSeconds=HEALTH_CHECK_GRACE_SECONDS,
            PropagateTags="SERVICE",
            EnableECSManagedTags=True,
            Tags=naming.tags(naming.name("planar-service")),
        )
    )


def _add_sidecars(
    template: Template, naming: Naming, config: StackConfig, params: Params, encryption: Encryption
) -> tuple[dict[str, ecs.ContainerDefinition], dict[str, LogGroup]]:
    """The configuration's sidecars' containers and log groups, by the sidecar's name."""
    logs = {
        sidecar.name: _log_group(
            template,
            sidecar.log_group_logical_id,
            naming.name("/ecs/planar-service", f"/{sidecar.name}"),
            naming,
            config,
            params,
            encryption,
        )
        for sidecar in config.sidecars
    }
    containers = {
        sidecar.name: _sidecar_container(sidecar, logs[sidecar.name]) for sidecar in config.sidecars
    }
    return containers, logs


def add_service(
    template: Template,
    naming: Naming,
    config: StackConfig,
    params: Params,
    network: Network,
    secrets: Secrets,
    storage: Storage,
    database: Database,
    roles: Roles,
    load_balancer: LoadBalancer,
    encryption: Encryption,
    app: AppSettings,
) -> Service:
    """Add the ECS cluster, the log groups, the task definition (the application's
    container and the configuration's sidecars) and the Fargate service behind the
    load balancer, with the optional ECR repository the image comes from; in a protected
    stage, the Rule that keeps the service off Spot."""
    for rule in rules.protected_stage_rules(config.stage):
        template.add_rule(rule.name, rule.template_rule())
    cluster = _add_cluster(template, naming, params)
    registry = add_registry(template, naming, config.stage, params, encryption)
    logs = _log_group(
        template,
        "ServiceLogGroup",
        naming.name("/ecs/planar-service"),
        naming,
        config,
        params,
        encryption,
    )
    container = _app_container(
        naming, config, params, secrets, storage, database, logs, app, registry.image
    )
    sidecars, sidecar_logs = _add_sidecars(template, naming, config, params, encryption)
    collector = _add_collector(template, naming, config, params, encryption)
    task = template.add_resource(
        ecs.TaskDefinition(
            "TaskDefinition",
            Family=naming.name("planar-service"),
            RequiresCompatibilities=["FARGATE"],
            NetworkMode="awsvpc",
            Cpu=params["ContainerCpu"],
            Memory=params["ContainerMemory"],
            ExecutionRoleArn=roles.execution_role_arn,
            TaskRoleArn=roles.task_role_arn,
            ContainerDefinitions=[
                container,
                *sidecars.values(),
                If(params.telemetry, collector, NoValue),
            ],
            Tags=naming.tags(naming.name("planar-service")),
        )
    )
    rollout = add_rollout(template, naming, config.stage, params, load_balancer)
    service = _add_ecs_service(
        template, naming, params, network, storage, database, load_balancer, cluster, task, rollout
    )
    return Service(
        ecs_cluster=cluster,
        log_group=logs,
        task_definition=task,
        app_container=container,
        sidecar_containers=MappingProxyType(sidecars),
        sidecar_log_groups=MappingProxyType(sidecar_logs),
        service=service,
        task_family=naming.name("planar-service"),
        image=registry.image,
        registry=registry,
        rollout=rollout,
    )
