"""Aurora PostgreSQL Serverless v2: cluster, writer, stage-decided readers, and
the enhanced-monitoring role."""

from __future__ import annotations

from dataclasses import dataclass

from awacs.aws import ArnLike, StringEquals
from troposphere import (
    AccountId,
    AWSHelperFn,
    Equals,
    GetAtt,
    If,
    Join,
    Not,
    NoValue,
    Ref,
    Select,
    Split,
    Sub,
    Template,
)
from troposphere.iam import Role
from troposphere.rds import (
    DBCluster,
    DBClusterParameterGroup,
    DBInstance,
    DBSubnetGroup,
    MasterUserSecret,
    ServerlessV2ScalingConfiguration,
)

from ..inputs.parameters import Params
from ..inputs.stages import Stage
from .encryption import Encryption
from .naming import Naming
from .network import POSTGRES_PORT, Network
from .policies import assume_role_policy, managed_policy

ENGINE = "aurora-postgresql"
# Aurora Serverless v2: instances of this class scale between the cluster's
# minimum and maximum ACUs.
SERVERLESS_V2_CLASS = "db.serverless"
# The database and master user the application expects (docs/stack.md, Components).
DATABASE_NAME = "appdb"
MASTER_USERNAME = "dbadmin"
# Daily automated backups, 03:00-04:00 UTC (docs/stack.md).
BACKUP_WINDOW = "03:00-04:00"
# Sunday 04:30-05:30 UTC, clear of the backup window.
MAINTENANCE_WINDOW = "sun:04:30-sun:05:30"
# Enhanced monitoring every DatabaseMonitoringInterval seconds: 60 by default, the
# longest interval RDS offers (docs/stack.md); 0 turns it off.
MONITORING_INTERVAL_PARAMETER = "DatabaseMonitoringInterval"
# The secret's ARN is arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX:
# split on ":", the name (with AWS's suffix) is part 6; split on "-", the name
# rds!cluster-<uuid> is its first 6 parts (the UUID has five groups).
SECRET_ARN_NAME_PART = 6
SECRET_NAME_PARTS = 6
# The instances enhanced monitoring reports on: the writer and readers,
# aurora-pg-{stage}-{app}-writer and -reader-{n} (naming.name).
MONITORED_INSTANCES = "arn:${{AWS::Partition}}:rds:${{AWS::Region}}:${{AWS::AccountId}}:db:aurora-pg-{stage}-${{AppName}}-*"
# The cluster parameter group's family: AuroraEngineVersion is a 16.x version.
PARAMETER_GROUP_FAMILY = "aurora-postgresql16"


@dataclass(frozen=True)
class Database:
    """Handles to the Aurora cluster, its instances and its RDS-managed secret."""

    endpoint: AWSHelperFn
    reader_endpoint: AWSHelperFn
    # The RDS-managed master user secret's ARN and name.
    secret_arn: AWSHelperFn
    secret_name: AWSHelperFn
    cluster: DBCluster
    # The writer instance: the cluster accepts connections only once it exists.
    writer: DBInstance
    readers: tuple[DBInstance, ...]
    subnet_group: DBSubnetGroup
    # Only under condition UseEnhancedMonitoring (DatabaseMonitoringInterval not 0).
    monitoring_role: Role
    parameter_group: DBClusterParameterGroup


def secret_name_from_arn(arn: AWSHelperFn) -> Join:
    """The RDS-managed secret's name from its ARN.

    The ARN ends in `secret:rds!cluster-<uuid>-<6 random>`; the app wants the
    name, `rds!cluster-<uuid>`: drop the 6-character suffix AWS appends.
    """
    parts = Split("-", Select(SECRET_ARN_NAME_PART, Split(":", arn)))
    return Join("-", [Select(i, parts) for i in range(SECRET_NAME_PARTS)])


def add_database(
    template: Template,
    naming: Naming,
    stage: Stage,
    params: Params,
    network: Network,
    encryption: Encryption,
) -> Database:
    """Add the Aurora Serverless v2 cluster, its writer and the stage's readers, their
    subnet group and the enhanced-monitoring role."""
    subnet_group = template.add_resource(
        DBSubnetGroup(
            "DatabaseSubnetGroup",
            DBSubnetGroupName=naming.name("aurora-subnet-group"),
            DBSubnetGroupDescription="Private subnets of the Planar database",
            SubnetIds=params["Subnets"],
            Tags=naming.tags(naming.name("aurora-subnet-group")),
        )
    )
    # Only while enhanced monitoring is on: an interval of 0 leaves no role behind that
    # RDS may assume (RDS refuses a role ARN with an interval of 0 anyway).
    monitoring = template.add_resource(
        Role(
            "DatabaseMonitoringRole",
            Condition=params.enhanced_monitoring,
            RoleName=naming.name("rds-monitoring-role"),
            # The confused-deputy keys the Aurora User Guide documents for enhanced
            # monitoring: this account's instances of this stack only.
            AssumeRolePolicyDocument=assume_role_policy(
                "monitoring.rds.amazonaws.com",
                StringEquals("aws:SourceAccount", AccountId),
                ArnLike("aws:SourceArn", Sub(MONITORED_INSTANCES.format(stage=stage.name))),
            ),
            ManagedPolicyArns=[managed_policy("service-role/AmazonRDSEnhancedMonitoringRole")],
            Tags=naming.tags(naming.name("rds-monitoring-role")),
        )
    )
    parameters = template.add_resource(
        DBClusterParameterGroup(
            "DatabaseClusterParameterGroup",
            # Unnamed and with a fixed description: nothing here is replaced but the family.
            Description="Planar database: TLS required (DatabaseRequireTls)",
            Family=PARAMETER_GROUP_FAMILY,
            # 1: PostgreSQL refuses connections without TLS. Switching it on a cluster
            # that has the group applies at once; a running cluster given the group
            # for the first time applies it after its instances reboot (docs/security.md).
            Parameters={"rds.force_ssl": If(params.require_database_tls, "1", "0")},
            Tags=naming.tags(naming.name("aurora-pg")),
        )
    )
    cluster = _add_cluster(
        template, naming, stage, params, network, encryption, subnet_group, parameters
    )
    instances = _add_instances(template, naming, stage, params, encryption, cluster, monitoring)
    secret_arn = GetAtt(cluster, "MasterUserSecret.SecretArn")
    return Database(
        endpoint=GetAtt(cluster, "Endpoint.Address"),
        reader_endpoint=GetAtt(cluster, "ReadEndpoint.Address"),
        secret_arn=secret_arn,
        secret_name=secret_name_from_arn(secret_arn),
        cluster=cluster,
        writer=instances[0],
        readers=tuple(instances[1:]),
        subnet_group=subnet_group,
        monitoring_role=monitoring,
        parameter_group=parameters,
    )


def _add_cluster(
    template: Template,
    naming: Naming,
    stage: Stage,
    params: Params,
    network: Network,
    encryption: Encryption,
    subnet_group: DBSubnetGroup,
    parameters: DBClusterParameterGroup,
) -> DBCluster:
    """Add the Serverless v2 cluster with its RDS-managed master user secret."""
    return template.add_resource(
        DBCluster(
            "DatabaseCluster",
            DBClusterIdentifier=naming.name("aurora-pg"),
            Engine=ENGINE,
            EngineVersion=params["AuroraEngineVersion"],
            ServerlessV2ScalingConfiguration=ServerlessV2ScalingConfiguration(
                MinCapacity=params["AuroraMinCapacity"],
                MaxCapacity=params["AuroraMaxCapacity"],
                # RDS takes it only with a minimum of 0 ACUs, the auto-pause setting.
                SecondsUntilAutoPause=If(
                    params.aurora_auto_pause, params["AuroraSecondsUntilAutoPause"], NoValue
                ),
            ),
            DatabaseName=DATABASE_NAME,
            MasterUsername=MASTER_USERNAME,
            ManageMasterUserPassword=True,
            MasterUserSecret=MasterUserSecret(KmsKeyId=encryption.arn_or_no_value),
            Port=POSTGRES_PORT,
            DBSubnetGroupName=Ref(subnet_group),
            DBClusterParameterGroupName=Ref(parameters),
            VpcSecurityGroupIds=[network.database_security_group],
            BackupRetentionPeriod=params["BackupRetentionDays"],
            PreferredBackupWindow=BACKUP_WINDOW,
            PreferredMaintenanceWindow=MAINTENANCE_WINDOW,
            StorageEncrypted=True,
            KmsKeyId=encryption.arn_or_no_value,
            # The RDS Data API: on unless DatabaseDataApi is false (docs/security.md).
            EnableHttpEndpoint=If(params.data_api, True, False),
            EnableIAMDatabaseAuthentication=True,
            EnableCloudwatchLogsExports=["postgresql"],
            CopyTagsToSnapshot=True,
            DeletionProtection=stage.deletion_protection,
            Tags=naming.tags(naming.name("aurora-pg")),
            DeletionPolicy=stage.database_deletion_policy,
            # A replacement would start from an empty database: keep a snapshot in every stage.
            UpdateReplacePolicy="Snapshot",
        )
    )


def _add_instances(
    template: Template,
    naming: Naming,
    stage: Stage,
    params: Params,
    encryption: Encryption,
    cluster: DBCluster,
    monitoring: Role,
) -> list[DBInstance]:
    """Add the writer and the stage's readers, each in its given zone if any."""
    # One zone per instance when given; a list shorter than the instances leaves the
    # rest to RDS rather than failing the stack on a Select out of range.
    zones = params["DatabaseAvailabilityZones"]
    padded = Split(",", Join(",", [zones] + [""] * stage.reader_count))
    for index in range(stage.reader_count + 1):
        template.add_condition(
            f"HasDatabaseAvailabilityZone{index}", Not(Equals(Select(index, padded), ""))
        )
    instances = []
    for index in range(stage.reader_count + 1):
        role = "writer" if index == 0 else f"reader-{index}"
        instances.append(
            template.add_resource(
                DBInstance(
                    "DatabaseWriter" if index == 0 else f"DatabaseReader{index}",
                    DBInstanceIdentifier=naming.name("aurora-pg", f"-{role}"),
                    DBClusterIdentifier=Ref(cluster),
                    DBInstanceClass=SERVERLESS_V2_CLASS,
                    Engine=ENGINE,
                    AvailabilityZone=If(
                        f"HasDatabaseAvailabilityZone{index}",
                        Select(index, padded),
                        NoValue,
                    ),
                    # The writer fails over to readers first.
                    PromotionTier=index,
                    PubliclyAccessible=False,
                    AutoMinorVersionUpgrade=True,
                    EnablePerformanceInsights=If(params.performance_insights, True, False),
                    PerformanceInsightsKMSKeyId=If(
                        params.performance_insights, encryption.arn_or_no_value, NoValue
                    ),
                    MonitoringInterval=params[MONITORING_INTERVAL_PARAMETER],
                    MonitoringRoleArn=If(
                        params.enhanced_monitoring, GetAtt(monitoring, "Arn"), NoValue
                    ),
                    Tags=naming.tags(naming.name("aurora-pg", f"-{role}")),
                    DeletionPolicy="Delete",
                    UpdateReplacePolicy="Delete",
                )
            )
        )
    return instances
