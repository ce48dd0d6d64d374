"""E9101: stateful resources keep their data on replacement, and prod's on delete too."""

from __future__ import annotations

from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from ._values import branches, tag_value

# What each stateful type may have as DeletionPolicy and UpdateReplacePolicy.
KEEPS_DATA = {
    "AWS::RDS::DBCluster": ("Snapshot", "Retain"),
    "AWS::S3::Bucket": ("Retain",),
    "AWS::SecretsManager::Secret": ("Retain",),
    "AWS::KMS::Key": ("Retain",),
}


class StatefulResourcesKeepTheirData(CloudFormationLintRule):  # type: ignore[misc]
    """See `description`: what the rule checks and why."""

    id = "E9101"
    shortdesc = "Stateful resources keep their data on replacement, and prod's on delete"
    description = (
        "The database cluster, buckets, secrets and keys hold data that a replacing update "
        "or a stack delete would otherwise destroy (CloudFormation's default is Delete): "
        "each has UpdateReplacePolicy Retain (a DB cluster: Snapshot or Retain), and, when "
        "tagged stage = prod, DeletionPolicy too. Dev and staging delete their data with "
        "their stack by design."
    )
    source_url = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html"
    tags: ClassVar[list[str]] = ["planar", "resources", "data-safety"]

    def match(self, cfn: Any) -> list[Any]:
        """One match per resource (and attribute) that breaks the rule, in `cfn` (a
        cfnlint.template.Template)."""
        matches = []
        for name, resource in cfn.get_resources(list(KEEPS_DATA)).items():
            allowed = KEEPS_DATA[resource["Type"]]
            prod = tag_value(resource.get("Properties", {}), "stage") == "prod"
            for attribute in (
                ("DeletionPolicy", "UpdateReplacePolicy") if prod else ("UpdateReplacePolicy",)
            ):
                value = resource.get(attribute)
                values = list(branches(value))
                if value is not None and all(v in allowed for v in values):
                    continue
                path = ["Resources", name] + ([attribute] if value is not None else [])
                matches.append(
                    RuleMatch(
                        path,
                        f"{resource['Type']} {name}{' (tagged stage = prod)' if prod else ''}: "
                        f"{attribute} is "
                        f"{'missing' if value is None else repr(value)}; allowed: "
                        f"{' or '.join(allowed)}, written in the template",
                    )
                )
        return matches
