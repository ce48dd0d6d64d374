"""E9105: prod's database keeps deletion protection."""

from __future__ import annotations

from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from ._values import branches, tag_value


class ProdDatabaseKeepsDeletionProtection(CloudFormationLintRule):  # type: ignore[misc]
    """See `description`: what the rule checks and why."""

    id = "E9105"
    shortdesc = "Prod's database keeps deletion protection"
    description = (
        "Prod's Aurora cluster cannot be deleted by a stack delete or by hand until its "
        "deletion protection is switched off: an AWS::RDS::DBCluster tagged stage = prod "
        "(the stage templates tag every resource so) has DeletionProtection true."
    )
    source_url = "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_DeleteCluster.html#USER_DeletionProtection"
    tags: ClassVar[list[str]] = ["planar", "resources", "rds", "data-safety"]

    def match(self, cfn: Any) -> list[Any]:
        """One match per resource (and attribute) that breaks the rule, in `cfn` (a
        cfnlint.template.Template)."""
        matches = []
        for name, resource in cfn.get_resources("AWS::RDS::DBCluster").items():
            properties = resource.get("Properties") or {}
            if tag_value(properties, "stage") != "prod":
                continue
            value = properties.get("DeletionProtection")
            if value is not None and all(v in (True, "true") for v in branches(value)):
                continue
            path = ["Resources", name, "Properties"] + (
                ["DeletionProtection"] if value is not None else []
            )
            matches.append(
                RuleMatch(
                    path,
                    f"AWS::RDS::DBCluster {name} (tagged stage = prod): DeletionProtection is "
                    f"{'missing' if value is None else repr(value)}; allowed: true",
                )
            )
        return matches
