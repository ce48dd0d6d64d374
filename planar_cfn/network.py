"""Security groups: internet or VPC -> load balancer -> tasks -> database, nothing else."""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import AWSHelperFn, GetAtt, If, Template
from troposphere.ec2 import SecurityGroup, SecurityGroupIngress, SecurityGroupRule

from .naming import Naming
from .parameters import Params

APP_PORT = 8000
POSTGRES_PORT = 5432


@dataclass(frozen=True)
class Network:
    alb_security_group: AWSHelperFn
    task_security_group: AWSHelperFn
    database_security_group: AWSHelperFn


def add_network(template: Template, naming: Naming, params: Params) -> Network:
    clients = If(params.alb_internal, params["VpcCidr"], "0.0.0.0/0")
    tasks = template.add_resource(SecurityGroup(
        "TaskSecurityGroup",
        GroupDescription="Planar tasks: port 8000 from the load balancer only",
        VpcId=params["VpcId"],
        # Outbound to Bedrock, Secrets Manager, S3, the registry and the database.
        SecurityGroupEgress=[SecurityGroupRule(
            IpProtocol="-1", CidrIp="0.0.0.0/0", Description="All outbound traffic",
        )],
        Tags=naming.tags(naming.name("ecs-tasks-sg")),
    ))  # fmt: skip
    alb = template.add_resource(SecurityGroup(
        "LoadBalancerSecurityGroup",
        GroupDescription="Planar load balancer: HTTPS and the HTTP redirect",
        VpcId=params["VpcId"],
        SecurityGroupIngress=[
            SecurityGroupRule(IpProtocol="tcp", FromPort=443, ToPort=443, CidrIp=clients,
                              Description="HTTPS from clients"),
            SecurityGroupRule(IpProtocol="tcp", FromPort=80, ToPort=80, CidrIp=clients,
                              Description="HTTP from clients, redirected to HTTPS"),
        ],
        SecurityGroupEgress=[SecurityGroupRule(
            IpProtocol="tcp", FromPort=APP_PORT, ToPort=APP_PORT,
            DestinationSecurityGroupId=GetAtt(tasks, "GroupId"),
            Description="To the Planar tasks",
        )],
        Tags=naming.tags(naming.name("alb-sg")),
    ))  # fmt: skip
    # A separate rule: inline on both groups would make a dependency cycle.
    template.add_resource(SecurityGroupIngress(
        "TaskIngressFromLoadBalancer",
        GroupId=GetAtt(tasks, "GroupId"),
        IpProtocol="tcp", FromPort=APP_PORT, ToPort=APP_PORT,
        SourceSecurityGroupId=GetAtt(alb, "GroupId"),
        Description="Planar app port from the load balancer",
    ))  # fmt: skip
    database = template.add_resource(SecurityGroup(
        "DatabaseSecurityGroup",
        GroupDescription="Planar database: PostgreSQL from the tasks only",
        VpcId=params["VpcId"],
        SecurityGroupIngress=[SecurityGroupRule(
            IpProtocol="tcp", FromPort=POSTGRES_PORT, ToPort=POSTGRES_PORT,
            SourceSecurityGroupId=GetAtt(tasks, "GroupId"),
            Description="PostgreSQL from the Planar tasks",
        )],
        # The database starts no connections: replace the default allow-all
        # egress with a rule that matches nothing.
        SecurityGroupEgress=[SecurityGroupRule(
            IpProtocol="icmp", FromPort=252, ToPort=86, CidrIp="255.255.255.255/32",
            Description="No outbound traffic",
        )],
        Tags=naming.tags(naming.name("rds-sg")),
    ))  # fmt: skip
    return Network(
        alb_security_group=GetAtt(alb, "GroupId"),
        task_security_group=GetAtt(tasks, "GroupId"),
        database_security_group=GetAtt(database, "GroupId"),
    )
