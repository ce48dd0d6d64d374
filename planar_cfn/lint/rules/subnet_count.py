"""E9202: a load balancer and a DB subnet group get two or more subnets."""

from __future__ import annotations

from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from ._values import branches

# Resource type -> the properties that list its subnets.
SUBNET_LISTS = {
    "AWS::ElasticLoadBalancingV2::LoadBalancer": ("Subnets", "SubnetMappings"),
    "AWS::RDS::DBSubnetGroup": ("SubnetIds",),
}


class TwoOrMoreSubnets(CloudFormationLintRule):  # type: ignore[misc]
    """See `description`: what the rule checks and why."""

    id = "E9202"
    shortdesc = "Load balancers and DB subnet groups get two or more subnets"
    description = (
        "An Application Load Balancer needs subnets in two or more Availability Zones, and a "
        "DB subnet group must cover two or more: a literal list of fewer than two subnets is "
        "refused by AWS only when the stack is deployed. Network and gateway load balancers "
        "may have one, and a list from a parameter is checked at deploy time."
    )
    source_url = "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html"
    tags: ClassVar[list[str]] = ["planar", "resources", "ec2", "limits"]

    def match(self, cfn: Any) -> list[Any]:
        """One match per resource (and attribute) that breaks the rule, in `cfn` (a
        cfnlint.template.Template)."""
        matches = []
        for name, resource in cfn.get_resources(list(SUBNET_LISTS)).items():
            properties = resource.get("Properties") or {}
            if properties.get("Type", "application") != "application":
                continue  # a DB subnet group has no Type; NLBs and GWLBs may take one subnet
            for key in SUBNET_LISTS[resource["Type"]]:
                for branch in branches(properties.get(key)):
                    if not isinstance(branch, list):
                        continue  # a parameter or a function: not countable here
                    count = sum(1 for item in branch for _ in branches(item))
                    if count < 2:
                        matches.append(
                            RuleMatch(
                                ["Resources", name, "Properties", key],
                                f"{resource['Type']} {name}: {key} lists {count} subnet(s); "
                                "allowed: two or more, in two or more Availability Zones",
                            )
                        )
        return matches
