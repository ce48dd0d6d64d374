"""Stack outputs: what the Terraform module output, and what deploy pipelines read."""

from __future__ import annotations

from troposphere import GetAtt, Output, Ref, Region, Sub, Template

from ..inputs.parameters import Params
from .database import Database
from .dns import Domain
from .iam import Roles
from .load_balancer import LoadBalancer
from .secrets import Secrets
from .service import Service
from .storage import Storage


def add_outputs(
    template: Template,
    params: Params,
    secrets: Secrets,
    storage: Storage,
    database: Database,
    roles: Roles,
    domain: Domain,
    load_balancer: LoadBalancer,
    service: Service,
) -> None:
    """Add the outputs: what the Terraform module output, and what deploy pipelines read."""
    alb = load_balancer.load_balancer
    values = {
        "LoadBalancerDnsName": ("Load balancer DNS name", GetAtt(alb, "DNSName")),
        "LoadBalancerZoneId": (
            "Load balancer canonical hosted zone id",
            GetAtt(alb, "CanonicalHostedZoneID"),
        ),
        "LoadBalancerArn": ("Load balancer ARN", Ref(alb)),
        "EcsClusterName": ("ECS cluster name", service.cluster),
        "EcsServiceName": ("ECS service name", service.service_name),
        "TaskDefinitionFamily": (
            "Task definition family, for deploy pipelines",
            service.task_family,
        ),
        "ExecutionRoleArn": ("Task execution role ARN", roles.execution_role_arn),
        "TaskRoleArn": ("Task role ARN", roles.task_role_arn),
        "DatabaseEndpoint": ("Aurora cluster writer endpoint", database.endpoint),
        "DatabaseReaderEndpoint": ("Aurora cluster reader endpoint", database.reader_endpoint),
        "DatabaseSecretArn": ("ARN of the RDS-managed master user secret", database.secret_arn),
        "DatabaseSecretName": ("Name of the RDS-managed master user secret", database.secret_name),
        "BucketName": ("Application bucket name", storage.bucket_name),
        "BucketArn": ("Application bucket ARN", storage.bucket_arn),
        "CustomSecretArn": ("Custom application secret ARN", secrets.custom_secret_arn),
        "CertificateArn": ("ACM certificate ARN", domain.certificate_arn),
        "DomainName": ("Application domain name", domain.name),
        "ApplicationUrl": ("Application URL", Sub("https://${Domain}", Domain=domain.name)),
        "Region": ("Region of the stack", Region),
        "ContainerImage": ("Container image the service runs", service.image),
    }
    for name, (description, value) in values.items():
        template.add_output(Output(name, Description=description, Value=value))
    template.add_output(
        Output(
            "RegistrySecretArn",
            Condition=params.use_registry_credentials,
            Description="Registry credentials secret ARN",
            Value=secrets.registry_secret_arn,
        )
    )
    template.add_output(
        Output(
            "RepositoryUri",
            Condition=service.registry.condition,
            Description="URI of the stack's ECR repository: docker push {uri}:{tag}",
            Value=service.registry.repository_uri,
        )
    )
