"""Assembles one stack's template; each module adds its concern and hands the
next the handles it needs. The caller gets the template and the handles."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from troposphere import BaseAWSObject, Sub, Tags, Template, ecs
from troposphere import elasticloadbalancingv2 as elb
from troposphere.certificatemanager import Certificate
from troposphere.ec2 import SecurityGroup
from troposphere.iam import Role
from troposphere.logs import LogGroup
from troposphere.rds import DBCluster, DBInstance
from troposphere.s3 import Bucket

from .._version import __version__
from ..inputs.parameters import Params, add_parameters
from . import boundary
from .alarms import add_alarms
from .app_settings import add_app_settings
from .config import StackConfig
from .database import add_database
from .dns import add_alias_record, add_certificate
from .encryption import Encryption, add_encryption
from .firewall import add_firewall
from .iam import add_roles
from .load_balancer import add_load_balancer
from .naming import Naming
from .network import add_network
from .outputs import add_outputs
from .overrides import override
from .registry import Registry
from .scaling import Scaling, add_scaling
from .secrets import Secrets, add_secrets
from .service import add_service
from .storage import add_storage


@dataclass(frozen=True)
class BuiltStack:
    """One stack's template and handles to what was built in it.

    The handles are the troposphere objects in `template`: reference them with
    `Ref(built.bucket)`, `GetAtt(built.task_role, "Arn")` or
    `GetAtt(built.service_security_group, "GroupId")` in resources you add with
    `built.template.add_resource(...)`. Change one property of a built resource
    with `built.override(...)`.
    """

    config: StackConfig
    template: Template
    # Refs to the deploy-time parameters (`built.parameters["AppName"]`) and the
    # names of the template's conditions.
    parameters: Params
    task_role: Role
    execution_role: Role
    task_definition: ecs.TaskDefinition
    # The application's container, inside task_definition.
    app_container: ecs.ContainerDefinition
    # The configuration's sidecars, by name: their containers and their log groups.
    sidecar_containers: Mapping[str, ecs.ContainerDefinition]
    sidecar_log_groups: Mapping[str, LogGroup]
    ecs_cluster: ecs.Cluster
    service: ecs.Service
    # The application's log group.
    log_group: LogGroup
    load_balancer: elb.LoadBalancer
    target_group: elb.TargetGroup
    https_listener: elb.Listener
    http_listener: elb.Listener
    certificate: Certificate
    bucket: Bucket
    database_cluster: DBCluster
    database_writer: DBInstance
    # The custom secret, the registry credentials secret and their ARNs.
    secrets: Secrets
    # The customer-managed key, only under condition UseCustomerManagedKey.
    encryption: Encryption
    # The ECR repository, only under condition CreateEcrRepository, and the image the
    # task runs.
    registry: Registry
    alb_security_group: SecurityGroup
    service_security_group: SecurityGroup
    database_security_group: SecurityGroup
    # The scalable target and its CPU and requests policies, under condition UseAutoscaling.
    scaling: Scaling
    naming: Naming

    def tags(self, name: Sub | str | None = None) -> Tags:
        """The tags every taggable resource of the stack carries (the common ones and
        the configuration's), with a Name tag when `name` is given: for resources you
        add, so that they are found and billed with the rest."""
        return self.naming.tags(name)

    def override(self, resource: BaseAWSObject, path: str, value: object) -> None:
        """Set one property of a built resource, for what StackConfig does not cover.

        `resource` is one of the handles (`self.target_group`, `self.app_container`
        ...), `path` the property's CloudFormation name, dotted into nested properties
        and list items ("DeploymentConfiguration.MaximumPercent",
        "LoadBalancerAttributes.1.Value"). An unknown name, an index out of range or a
        value troposphere refuses raises, naming what is allowed; see
        overrides.override."""
        override(resource, path, value)

    def to_dict(self) -> dict[str, Any]:
        """The template as CloudFormation reads it, a dict."""
        result: dict[str, Any] = self.template.to_dict()
        return result

    def to_json(self) -> str:
        """The template as written to templates/: indented JSON, keys in build order,
        ending in a newline; the same input gives the same bytes."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"


def build_template(config: StackConfig) -> BuiltStack:
    """Build the Planar stack for `config`: its stage's template, with the
    configuration's environment, secrets, task-role statements, sidecars and tags.

    Returns the template with handles to its resources; nothing is written or sent."""
    if not isinstance(config, StackConfig):
        raise TypeError(
            f"build_template: {config!r} is not a StackConfig; "
            "StackConfig.for_stage('prod') makes one"
        )
    stage = config.stage
    template = Template(
        Description=f"Planar application stack, stage {stage.name} (planar-cfn {__version__})"
    )
    params = add_parameters(template, config.stage)
    naming = Naming(
        stage.name,
        app_name=params["AppName"],
        app_version=params["ContainerImageTag"],
        extra_tags=config.tags,
    )
    encryption = add_encryption(template, naming, stage, params)
    network = add_network(template, naming, params)
    secrets = add_secrets(template, naming, stage, params, encryption)
    storage = add_storage(template, naming, stage, params, encryption)
    database = add_database(template, naming, stage, params, network, encryption)
    app = add_app_settings(template, naming, params, storage, encryption, config)
    roles = add_roles(template, naming, params, secrets, storage, database, encryption, config, app)
    domain = add_certificate(template, naming, params)
    load_balancer = add_load_balancer(template, naming, stage, params, network, domain)
    add_firewall(template, naming, stage, params, encryption, load_balancer.load_balancer)
    add_alias_record(template, params, domain, load_balancer.load_balancer)
    service = add_service(
        template,
        naming,
        config,
        params,
        network,
        secrets,
        storage,
        database,
        roles,
        load_balancer,
        encryption,
        app,
    )
    scaling = add_scaling(template, naming, params, service, load_balancer)
    add_alarms(template, naming, params, load_balancer, service, database)
    boundary.add_permissions_boundary(template, params)
    add_outputs(template, params, secrets, storage, database, roles, domain, load_balancer, service)
    return BuiltStack(
        config=config,
        template=template,
        parameters=params,
        task_role=roles.task_role,
        execution_role=roles.execution_role,
        task_definition=service.task_definition,
        app_container=service.app_container,
        sidecar_containers=service.sidecar_containers,
        sidecar_log_groups=service.sidecar_log_groups,
        ecs_cluster=service.ecs_cluster,
        service=service.service,
        log_group=service.log_group,
        load_balancer=load_balancer.load_balancer,
        target_group=load_balancer.target_group,
        https_listener=load_balancer.https_listener,
        http_listener=load_balancer.http_listener,
        certificate=domain.certificate,
        bucket=storage.bucket,
        database_cluster=database.cluster,
        database_writer=database.writer,
        secrets=secrets,
        encryption=encryption,
        registry=service.registry,
        alb_security_group=network.alb_group,
        service_security_group=network.task_group,
        database_security_group=network.database_group,
        scaling=scaling,
        naming=naming,
    )
