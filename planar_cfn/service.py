"""ECS on Fargate: cluster, log group, task definition and service."""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import If, Ref, Region, Sub, Template, ecs
from troposphere.logs import LogGroup

from .database import Database
from .encryption import Encryption
from .iam import Roles
from .load_balancer import LoadBalancer
from .naming import Naming
from .network import APP_PORT, Network
from .parameters import Params
from .secrets import Secrets
from .stages import Stage
from .storage import Storage

CONTAINER_NAME = "planar-app"
# Below, values of the original module (SPEC, Components: log group, ECS cluster,
# service), each with what it does.
LOG_RETENTION_DAYS = 14
# The load balancer's failing health checks are ignored for a new task's first
# minute, while the application starts.
HEALTH_CHECK_GRACE_SECONDS = 60
# Container Insights with per-task and per-container metrics ("enhanced"; the
# other values are "enabled", cluster-level only, and "disabled").
CONTAINER_INSIGHTS = "enhanced"
# Every task on on-demand Fargate: the first task (base) and all the rest (weight).
FARGATE_BASE_TASKS = 1
FARGATE_WEIGHT = 100
# A rolling deployment keeps at least half the desired tasks running and starts
# at most as many new ones as there are desired ones (the README's "50-200%").
MINIMUM_HEALTHY_PERCENT = 50
MAXIMUM_PERCENT = 200
IMAGE = "${ContainerRegistryUrl}/${ContainerImageName}:${ContainerImageTag}"


@dataclass(frozen=True)
class Service:
    cluster: Ref
    service_name: object
    task_family: object
    image: Sub


def add_service(
    template: Template,
    naming: Naming,
    stage: Stage,
    params: Params,
    network: Network,
    secrets: Secrets,
    storage: Storage,
    database: Database,
    roles: Roles,
    load_balancer: LoadBalancer,
    encryption: Encryption,
) -> Service:
    cluster = template.add_resource(
        ecs.Cluster(
            "Cluster",
            ClusterName=naming.name("app-cluster"),
            ClusterSettings=[
                ecs.ClusterSetting(Name="containerInsights", Value=CONTAINER_INSIGHTS)
            ],
            CapacityProviders=["FARGATE"],
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
    logs = template.add_resource(
        LogGroup(
            "ServiceLogGroup",
            LogGroupName=naming.name("/ecs/planar-service"),
            RetentionInDays=LOG_RETENTION_DAYS,
            KmsKeyId=encryption.arn_or_no_value,
            Tags=naming.tags(naming.name("/ecs/planar-service")),
            DeletionPolicy=stage.deletion_policy,
            UpdateReplacePolicy=stage.deletion_policy,
        )
    )
    environment = {
        "DB_SECRET_NAME": database.secret_name,
        "DB_HOST": database.endpoint,
        "S3_BUCKET_NAME": storage.bucket_name,
        "STAGE": stage.name,
        "APP_NAME": params["AppName"],
        "CUSTOM_SECRET_NAME": naming.name("custom-secret"),
    }
    image = Sub(IMAGE)
    container = ecs.ContainerDefinition(
        Name=CONTAINER_NAME,
        Image=image,
        Essential=True,
        PortMappings=[ecs.PortMapping(ContainerPort=APP_PORT, Protocol="tcp")],
        Environment=[ecs.Environment(Name=k, Value=v) for k, v in environment.items()],
        RepositoryCredentials=If(
            params.use_registry_credentials,
            ecs.RepositoryCredentials(CredentialsParameter=secrets.registry_secret),
            Ref("AWS::NoValue"),
        ),
        LogConfiguration=ecs.LogConfiguration(
            LogDriver="awslogs",
            Options={
                "awslogs-group": Ref(logs),
                "awslogs-region": Region,
                "awslogs-stream-prefix": "ecs",
            },
        ),
    )
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
            ContainerDefinitions=[container],
            Tags=naming.tags(naming.name("planar-service")),
        )
    )
    service = template.add_resource(
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
            DesiredCount=params["DesiredCount"],
            LaunchType="FARGATE",
            DeploymentConfiguration=ecs.DeploymentConfiguration(
                MinimumHealthyPercent=MINIMUM_HEALTHY_PERCENT,
                MaximumPercent=MAXIMUM_PERCENT,
                DeploymentCircuitBreaker=ecs.DeploymentCircuitBreaker(Enable=True, Rollback=True),
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
                    TargetGroupArn=load_balancer.target_group,
                )
            ],
            HealthCheckGracePeriodSeconds=HEALTH_CHECK_GRACE_SECONDS,
            PropagateTags="SERVICE",
            EnableECSManagedTags=True,
            Tags=naming.tags(naming.name("planar-service")),
        )
    )
    return Service(
        cluster=Ref(cluster),
        service_name=service.GetAtt("Name"),
        task_family=naming.name("planar-service"),
        image=image,
    )
