"""Security groups: internet or VPC -> load balancer -> tasks -> database, nothing else."""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import GetAtt, If, Template
from troposphere.ec2 import (
    SecurityGroup,
    SecurityGroupEgress,
    SecurityGroupIngress,
    SecurityGroupRule,
)

from ..inputs.parameters import Params
from .naming import Naming

# The port the Planar container listens on (docs/stack.md, Components).
APP_PORT = 8000
# PostgreSQL's standard port, which Aurora PostgreSQL also uses by default.
POSTGRES_PORT = 5432
# What the load balancer listens on: HTTPS, and HTTP only to redirect to HTTPS.
HTTPS_PORT = 443
HTTP_PORT = 80
# A rule that matches no traffic: ICMP type 252, code 86 (neither is assigned) to the
# broadcast address, which is never routed. A security group's only egress rule, it
# replaces EC2's default allow-all (AWS CDK writes the same rule for "no outbound").
NO_TRAFFIC_PROTOCOL = "icmp"
NO_TRAFFIC_ICMP_TYPE = 252
NO_TRAFFIC_ICMP_CODE = 86
NO_TRAFFIC_CIDR = "255.255.255.255/32"


@dataclass(frozen=True)
class Network:
    """Handles to the three security groups: load balancer, tasks, database."""

    alb_group: SecurityGroup
    task_group: SecurityGroup
    database_group: SecurityGroup

    @property
    def alb_security_group(self) -> GetAtt:
        """The load balancer's security group id."""
        return GetAtt(self.alb_group, "GroupId")

    @property
    def task_security_group(self) -> GetAtt:
        """The tasks' security group id."""
        return GetAtt(self.task_group, "GroupId")

    @property
    def database_security_group(self) -> GetAtt:
        """The database's security group id."""
        return GetAtt(self.database_group, "GroupId")


def add_network(template: Template, naming: Naming, params: Params) -> Network:
    """Add the security groups: clients to the load balancer on 443 and 80, the load
    balancer to the tasks on 8000, the tasks to the database on 5432, and nothing else in."""
    tasks = _add_task_group(template, naming, params)
    alb = _add_load_balancer_group(template, naming, params, tasks)
    # A separate rule: inline on both groups would make a dependency cycle.
    template.add_resource(
        SecurityGroupIngress(
            "TaskIngressFromLoadBalancer",
            GroupId=GetAtt(tasks, "GroupId"),
            IpProtocol="tcp",
            FromPort=APP_PORT,
            ToPort=APP_PORT,
            SourceSecurityGroupId=GetAtt(alb, "GroupId"),
            Description="Planar app port from the load balancer",
        )
    )
    database = _add_database_group(template, naming, params, tasks)
    # With TaskEgress restricted, PostgreSQL out to the database's group only; a separate
    # rule for the same reason as the ingress above.
    template.add_resource(
        SecurityGroupEgress(
            "TaskEgressToDatabase",
            Condition=params.restrict_task_egress,
            GroupId=GetAtt(tasks, "GroupId"),
            IpProtocol="tcp",
            FromPort=POSTGRES_PORT,
            ToPort=POSTGRES_PORT,
            DestinationSecurityGroupId=GetAtt(database, "GroupId"),
            Description="PostgreSQL to the Planar database",
        )
    )
    return Network(alb_group=alb, task_group=tasks, database_group=database)


def _add_task_group(template: Template, naming: Naming, params: Params) -> SecurityGroup:
    """Add the tasks' group: all outbound, or with TaskEgress restricted HTTPS only
    (and PostgreSQL to the database, added on its own); its one way in is added on its
    own too."""
    return template.add_resource(
        SecurityGroup(
            "TaskSecurityGroup",
            GroupDescription="Planar tasks: port 8000 from the load balancer only",
            VpcId=params["VpcId"],
            # Outbound to Bedrock, Secrets Manager, S3, the registry and the database:
            # every AWS API is HTTPS, through NAT or VPC endpoints.
            SecurityGroupEgress=If(
                params.restrict_task_egress,
                [
                    SecurityGroupRule(
                        IpProtocol="tcp",
                        FromPort=HTTPS_PORT,
                        ToPort=HTTPS_PORT,
                        CidrIp="0.0.0.0/0",
                        Description="HTTPS to AWS APIs and the registry",
                    )
                ],
                [
                    SecurityGroupRule(
                        IpProtocol="-1",
                        CidrIp="0.0.0.0/0",
                        Description="All outbound traffic",
                    )
                ],
            ),
            Tags=naming.tags(naming.name("ecs-tasks-sg")),
        )
    )


def _add_load_balancer_group(
    template: Template, naming: Naming, params: Params, tasks: SecurityGroup
) -> SecurityGroup:
    """Add the load balancer's group: 443 and 80 from clients, out only to the tasks."""
    clients = If(params.alb_internal, params["VpcCidr"], "0.0.0.0/0")
    return template.add_resource(
        SecurityGroup(
            "LoadBalancerSecurityGroup",
            GroupDescription="Planar load balancer: HTTPS and the HTTP redirect",
            VpcId=params["VpcId"],
            SecurityGroupIngress=[
                SecurityGroupRule(
                    IpProtocol="tcp",
                    FromPort=HTTPS_PORT,
                    ToPort=HTTPS_PORT,
                    CidrIp=clients,
                    Description="HTTPS from clients",
                ),
                SecurityGroupRule(
                    IpProtocol="tcp",
                    FromPort=HTTP_PORT,
                    ToPort=HTTP_PORT,
                    CidrIp=clients,
                    Description="HTTP from clients, redirected to HTTPS",
                ),
            ],
            SecurityGroupEgress=[
                SecurityGroupRule(
                    IpProtocol="tcp",
                    FromPort=APP_PORT,
                    ToPort=APP_PORT,
                    DestinationSecurityGroupId=GetAtt(tasks, "GroupId"),
                    Description="To the Planar tasks",
                )
            ],
            Tags=naming.tags(naming.name("alb-sg")),
        )
    )


def _add_database_group(
    template: Template, naming: Naming, params: Params, tasks: SecurityGroup
) -> SecurityGroup:
    """Add the database's group: PostgreSQL from the tasks, no outbound traffic."""
    return template.add_resource(
        SecurityGroup(
            "DatabaseSecurityGroup",
            GroupDescription="Planar database: PostgreSQL from the tasks only",
            VpcId=params["VpcId"],
            SecurityGroupIngress=[
                SecurityGroupRule(
                    IpProtocol="tcp",
                    FromPort=POSTGRES_PORT,
                    ToPort=POSTGRES_PORT,
                    SourceSecurityGroupId=GetAtt(tasks, "GroupId"),
                    Description="PostgreSQL from the Planar tasks",
                )
            ],
            # The database starts no connections: replace the default allow-all
            # egress with a rule that matches nothing (for ICMP, FromPort is the type
            # and ToPort the code).
            SecurityGroupEgress=[
                SecurityGroupRule(
                    IpProtocol=NO_TRAFFIC_PROTOCOL,
                    FromPort=NO_TRAFFIC_ICMP_TYPE,
                    ToPort=NO_TRAFFIC_ICMP_CODE,
                    CidrIp=NO_TRAFFIC_CIDR,
                    Description="No outbound traffic",
                )
            ],
            Tags=naming.tags(naming.name("rds-sg")),
        )
    )
