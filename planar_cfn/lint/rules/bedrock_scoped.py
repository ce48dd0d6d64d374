"""E9104: Bedrock access stays scoped to the models given."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from ._values import literal_strings, references

# RolePolicy too: the standalone form of a role's inline policy, which a user may add.
POLICY_TYPES = (
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::RolePolicy",
)
# Resource types a Bedrock grant may name (the Service Authorization Reference's ARN forms).
MODEL_ARNS = (":foundation-model/", ":inference-profile/", ":application-inference-profile/")


def _every_model_chosen(condition: Any, conditions: Mapping[str, Any]) -> bool:
    """Whether a condition is a parameter's value being exactly "*": the deployer's
    explicit choice of every model."""
    equals = conditions.get(condition) if isinstance(condition, str) else None
    arguments = equals.get("Fn::Equals") if isinstance(equals, Mapping) else None
    return (
        isinstance(arguments, list)
        and len(arguments) == 2
        and "*" in arguments
        and any(isinstance(a, Mapping) and set(a) == {"Ref"} for a in arguments)
    )


def _alternatives(
    value: Any, conditions: Mapping[str, Any], chosen: bool = False
) -> Iterator[tuple[Any, bool]]:
    """Each value an Fn::If can take, with whether it is in force only when every
    model was chosen."""
    if isinstance(value, Mapping) and set(value) == {"Fn::If"}:
        arguments = value["Fn::If"]
        if isinstance(arguments, list) and len(arguments) == 3:
            every = _every_model_chosen(arguments[0], conditions)
            yield from _alternatives(arguments[1], conditions, chosen or every)
            yield from _alternatives(arguments[2], conditions, chosen)
            return
    yield value, chosen


def _statements(document: Any, conditions: Mapping[str, Any]) -> Iterator[tuple[Any, bool]]:
    for doc, chosen in _alternatives(document, conditions):
        listed = doc.get("Statement") if isinstance(doc, Mapping) else None
        for statements, outer in _alternatives(listed, conditions, chosen):
            items = statements if isinstance(statements, list) else [statements]
            for item in items:
                yield from _alternatives(item, conditions, outer)


def _granting_nothing(cfn: Any) -> set[str]:
    """Managed policies that grant nothing in this template: one used as a role's
    permissions boundary, or one no role, user or group here is given (a boundary
    that the stacks' roles name by a parameter, as the launch and deploy role
    templates hold)."""
    boundaries: set[str] = set()
    attached: set[str] = set()
    for role in cfn.get_resources("AWS::IAM::Role").values():
        properties = role.get("Properties") or {}
        boundaries |= references(properties.get("PermissionsBoundary"))
        attached |= references(properties.get("ManagedPolicyArns"))
    unattached = {
        name
        for name, policy in cfn.get_resources("AWS::IAM::ManagedPolicy").items()
        if name not in attached
        and not any(
            (policy.get("Properties") or {}).get(key) for key in ("Roles", "Users", "Groups")
        )
    }
    return (boundaries - attached) | unattached


class BedrockStaysScoped(CloudFormationLintRule):  # type: ignore[misc]
    """See `description`: what the rule checks and why."""

    id = "E9104"
    shortdesc = "Bedrock access stays scoped to the models given"
    description = (
        "The tasks may invoke only the Bedrock models the deployer lists: an Allow statement "
        "with a bedrock: action has neither bedrock:* nor * as an action nor * as a "
        "resource; its resources name foundation models or inference profiles. Allowed on "
        "*: statements whose bedrock actions are all List* (AWS has no resource to scope "
        "them to), and the branch of an Fn::If whose condition is a parameter equal to * "
        "(the deployer's explicit choice of every model). A managed policy that grants "
        "nothing here (a permissions boundary, or given to no role, user or group in the "
        "template) is not checked. An Allow with NotAction that does not exclude "
        "bedrock:* counts as bedrock:*."
    )
    source_url = (
        "https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html"
    )
    tags: ClassVar[list[str]] = ["planar", "resources", "iam", "bedrock"]

    def match(self, cfn: Any) -> list[Any]:
        """One match per resource (and attribute) that breaks the rule, in `cfn` (a
        cfnlint.template.Template)."""
        matches = []
        conditions = cfn.template.get("Conditions") or {}
        granting_nothing = _granting_nothing(cfn)
        for name, resource in cfn.get_resources(list(POLICY_TYPES)).items():
            if name in granting_nothing:
                continue
            properties = resource.get("Properties") or {}
            documents = []
            if resource["Type"] == "AWS::IAM::Role":
                for policies, chosen in _alternatives(properties.get("Policies"), conditions):
                    for policy in policies if isinstance(policies, list) else []:
                        for item, inner in _alternatives(policy, conditions, chosen):
                            if isinstance(item, Mapping):
                                documents.append((item.get("PolicyDocument"), inner))
            else:
                documents.append((properties.get("PolicyDocument"), False))
            for document, chosen in documents:
                for statement, every in _statements(document, conditions):
                    problem = _problem(statement, chosen or every)
                    if problem:
                        matches.append(
                            RuleMatch(
                                ["Resources", name, "Properties"],
                                f"{resource['Type']} {name}: a Bedrock Allow statement "
                                f"{problem}; allowed: named bedrock: actions on foundation-"
                                "model or inference-profile ARNs",
                            )
                        )
        return matches


def _problem(statement: Any, every_model_chosen: bool) -> str | None:
    """What is wrong with one statement, or None."""
    if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
        return None
    if "NotAction" in statement:
        excluded = {a.lower() for a in literal_strings(statement["NotAction"])}
        if not excluded & {"*", "bedrock:*"}:
            return "has NotAction, which allows every bedrock: action it does not list"
    actions = set(literal_strings(statement.get("Action")))
    bedrock = {a for a in actions if a.lower().startswith("bedrock:")}
    if not bedrock and "*" not in actions:
        return None
    if "*" in actions or "bedrock:*" in {a.lower() for a in actions}:
        wide = sorted(a for a in actions if a == "*" or a.lower() == "bedrock:*")
        return f"has the action {', '.join(wide)} (Action)"
    if not bedrock or every_model_chosen:
        return None
    if all(a.lower().startswith("bedrock:list") for a in bedrock):
        return None
    resource = statement.get("Resource")
    strings = list(literal_strings(resource))
    if "*" in strings:
        return f"with {', '.join(sorted(bedrock))} has the resource * (Resource)"
    if resource is None or not any(m in s for s in strings for m in MODEL_ARNS):
        return (
            f"with {', '.join(sorted(bedrock))} names no foundation model or inference "
            "profile (Resource)"
        )
    return None
