"""The template's deploy-time inputs: a Parameter for each row of the parameter table,
the Conditions resources take, the cross-field Rules and the launch form's groups and
labels; `Params` holds the handles to them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from troposphere import Condition, Equals, Not, Or, Ref, Select, Split, Template

from . import constraints, parameter_observability, parameter_rollout, parameter_switches, rules
from .parameter_spec import ParameterSpec

# The table's names stay readable from here, where the other layers look them up.
from .parameter_table import GROUPS, SPECS, SPECS_BY_KEY, SPECS_BY_NAME
from .stages import Stage

__all__ = [
    "GROUPS",
    "SPECS",
    "SPECS_BY_KEY",
    "SPECS_BY_NAME",
    "Params",
    "add_parameters",
    "for_stage",
    "form_groups",
]


@dataclass(frozen=True)
class Params:
    """Handles to the template's inputs: `params["AppName"]` is a `Ref` to that
    parameter (any name in SPECS), and each field below names a condition that
    resources take as `Condition=` or in `If(...)`."""

    refs: Mapping[str, Ref]
    has_alb_subnets: str = "HasAlbSubnets"
    alb_internal: str = "AlbIsInternal"
    create_registry_secret: str = "CreateRegistrySecret"
    use_existing_registry_secret: str = "UseExistingRegistrySecret"
    use_registry_credentials: str = "UseRegistryCredentials"
    has_cors_origins: str = "HasCorsOrigins"
    all_bedrock_models: str = "AllBedrockModels"
    customer_managed_key: str = "UseCustomerManagedKey"
    has_access_logs: str = "HasAccessLogs"
    create_web_acl: str = "CreateWebAcl"
    attach_web_acl: str = "AttachWebAcl"
    autoscaling: str = "UseAutoscaling"
    fargate_spot: str = "UseFargateSpot"
    aurora_auto_pause: str = "AuroraAutoPause"
    image_digest: str = "ImageTagIsDigest"
    restrict_task_egress: str = "RestrictTaskEgress"
    data_api: str = "UseDataApi"
    require_database_tls: str = "RequireDatabaseTls"
    has_permissions_boundary: str = "HasPermissionsBoundary"
    has_app_environment: str = "HasAppEnvironment"
    has_app_secrets: str = "HasAppSecrets"
    has_workos_client_id: str = "HasWorkosClientId"
    has_workos_org_id: str = "HasWorkosOrgId"
    telemetry: str = "UseTelemetry"
    telemetry_container_metrics: str = "UseTelemetryContainerMetrics"
    telemetry_logs_pipeline: str = "UseTelemetryLogsPipeline"
    has_telemetry_customer_name: str = "HasTelemetryCustomerName"
    performance_insights: str = parameter_observability.PERFORMANCE_INSIGHTS
    enhanced_monitoring: str = parameter_observability.ENHANCED_MONITORING
    has_access_logs_prefix: str = parameter_observability.HAS_ACCESS_LOGS_PREFIX
    uses_traffic_shift: str = parameter_rollout.USES_TRAFFIC_SHIFT
    is_canary: str = parameter_rollout.IS_CANARY
    is_linear: str = parameter_rollout.IS_LINEAR
    has_alarms: str = parameter_rollout.HAS_ALARMS
    has_alarm_topics: str = parameter_rollout.HAS_ALARM_TOPICS

    @staticmethod
    def waf_group(group: str) -> str:
        """The condition under which the created web ACL runs managed rule group `group`."""
        return parameter_observability.waf_group_condition(group)

    ecr_repository: str = "CreateEcrRepository"
    bedrock_mantle: str = "AllowBedrockMantle"

    def __getitem__(self, name: str) -> Ref:
        """The `Ref` to parameter `name`; KeyError naming the parameters when unknown."""
        try:
            return self.refs[name]
        except KeyError:
            raise KeyError(
                f"no parameter {name!r}; the parameters: {', '.join(self.refs)}"
            ) from None


def _blank(ref: Ref) -> Equals:
    return Equals(ref, "")


def _conditions(params: Params) -> dict[str, Any]:
    return {
        params.has_alb_subnets: Not(_blank(params["AlbSubnets"])),
        params.alb_internal: Equals(params["AlbInternal"], "true"),
        params.create_registry_secret: Not(_blank(params["RegistryUsername"])),
        params.use_existing_registry_secret: Not(_blank(params["RegistryCredentialsSecretArn"])),
        params.use_registry_credentials: Or(
            Condition(params.create_registry_secret), Condition(params.use_existing_registry_secret)
        ),
        params.has_cors_origins: Not(_blank(params["CorsAllowedOrigins"])),
        params.all_bedrock_models: Equals(params["BedrockModelIds"], "*"),
        params.customer_managed_key: Equals(params["CustomerManagedKey"], "true"),
        params.has_access_logs: Not(_blank(params["AccessLogsBucket"])),
        params.create_web_acl: Equals(params["WebAcl"], "create"),
        params.attach_web_acl: Not(Equals(params["WebAcl"], "none")),
        params.autoscaling: Equals(params["Autoscaling"], "true"),
        params.fargate_spot: Equals(params["FargateSpot"], "true"),
        params.aurora_auto_pause: Equals(params["AuroraMinCapacity"], "0"),
        # Only a digest starts with "@" (constraints.IMAGE_TAG): nothing comes before it.
        params.image_digest: Equals(Select(0, Split("@", params["ContainerImageTag"])), ""),
        params.restrict_task_egress: Equals(
            params["TaskEgress"], parameter_switches.TASK_EGRESS_RESTRICTED
        ),
        params.data_api: Equals(params["DatabaseDataApi"], "true"),
        params.require_database_tls: Equals(params["DatabaseRequireTls"], "true"),
        params.has_permissions_boundary: Not(_blank(params["PermissionsBoundary"])),
        params.has_app_environment: Not(Equals(params["AppEnvironment"], "{}")),
        params.has_app_secrets: Not(_blank(params["AppSecrets"])),
        params.has_workos_client_id: Not(_blank(params["WorkosClientId"])),
        params.has_workos_org_id: Not(_blank(params["WorkosOrgId"])),
        params.telemetry: Equals(params["Telemetry"], "true"),
        params.telemetry_container_metrics: Equals(params["TelemetryContainerMetrics"], "true"),
        params.telemetry_logs_pipeline: Equals(params["TelemetryLogsPipeline"], "true"),
        params.has_telemetry_customer_name: Not(_blank(params["TelemetryCustomerName"])),
        **parameter_observability.conditions(params.refs),
        **parameter_rollout.conditions(params.refs),
        params.ecr_repository: Equals(params["EcrRepository"], "true"),
        params.bedrock_mantle: Equals(params["BedrockMantle"], "true"),
    }


def _launch_form() -> dict[str, Any]:
    """The launch form's parameter groups that hold parameters, in table order, and
    each parameter's label."""
    return {
        "AWS::CloudFormation::Interface": {
            "ParameterGroups": [
                {
                    "Label": {"default": group},
                    "Parameters": [s.name for s in SPECS if s.group == group],
                }
                for group in form_groups()
            ],
            "ParameterLabels": {s.name: {"default": s.label} for s in SPECS},
        }
    }


def form_groups() -> tuple[str, ...]:
    """The groups the launch form shows: those that hold a parameter, in GROUPS order."""
    return tuple(group for group in GROUPS if any(s.group == group for s in SPECS))


def for_stage(spec: ParameterSpec, stage: Stage) -> ParameterSpec:
    """`spec` as `stage`'s launch form takes it. With readers, the database zones are
    required, one per instance: left to RDS, a reader may share the writer's zone. A
    stage file may still leave them out, as the deploy looks them up. The deployment
    strategy and the alarms default to the stage's."""
    spec = parameter_rollout.for_stage(spec, stage)
    if spec.name != "DatabaseAvailabilityZones" or not stage.reader_count:
        return spec
    instances = stage.reader_count + 1
    description = (
        f"Availability Zones of the private subnets, one per database instance, writer first: "
        f"{stage.name} runs a writer and {stage.reader_count} "
        f"{'reader' if stage.reader_count == 1 else 'readers'}, so give {instances} or more "
        "different zones."
    )
    zones = constraints.database_zones(instances)
    return replace(spec, default=None, description=description, template_pattern=zones)


def add_parameters(template: Template, stage: Stage) -> Params:
    """Add every input in SPECS as `stage` takes it, with the conditions, the Rules every
    stage holds and the launch form's groups and labels; return the handles to them."""
    params = Params(
        refs=MappingProxyType(
            {
                spec.name: Ref(template.add_parameter(for_stage(spec, stage).parameter()))
                for spec in SPECS
            }
        )
    )
    for name, condition in _conditions(params).items():
        template.add_condition(name, condition)
    for rule in rules.RULES:
        template.add_rule(rule.name, rule.template_rule())
    template.set_metadata(_launch_form())
    return params
