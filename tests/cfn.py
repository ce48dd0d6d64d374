"""Helpers to read a rendered template as a dict, and to evaluate it the way
CloudFormation does: parameter constraints, Rules, Conditions and the intrinsic
functions the templates use, over given parameter values."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# What Fn::If yields for AWS::NoValue: dropped from the list or object holding it.
NO_VALUE = object()


def resources_of_type(template: dict, kind: str) -> dict[str, dict]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def only(template: dict, kind: str) -> tuple[str, dict]:
    found = resources_of_type(template, kind)
    assert len(found) == 1, f"expected one {kind}, found {sorted(found)}"
    return next(iter(found.items()))


def props(template: dict, logical_id: str) -> dict:
    return template["Resources"][logical_id].get("Properties", {})


def tags(resource: dict) -> dict[str, Any]:
    return {t["Key"]: t["Value"] for t in resource.get("Properties", {}).get("Tags", [])}


def evaluate(node: Any, refs: dict[str, Any], conditions: dict[str, bool] | None = None) -> Any:
    """Evaluate Ref, Fn::Sub, Fn::Join, Fn::Split, Fn::Select, Fn::If, Fn::Equals,
    Fn::Contains, Fn::Not, Fn::And, Fn::Or against given parameter and attribute
    values, the way CloudFormation would. `refs` and `conditions` only need
    `[]`; where `refs` gives NO_VALUE for AWS::NoValue, the key or item is dropped."""
    conditions = conditions or {}
    if isinstance(node, list):
        return [v for v in (evaluate(n, refs, conditions) for n in node) if v is not NO_VALUE]
    if not isinstance(node, dict):
        return node

    def ev(n):
        return evaluate(n, refs, conditions)

    fn, arg = next(iter(node.items())) if len(node) == 1 else ("", None)
    if fn != "Ref" and not fn.startswith("Fn::") and fn != "Condition":
        return {key: v for key, value in node.items() if (v := ev(value)) is not NO_VALUE}
    if fn == "Ref":
        return refs[arg]
    if fn == "Fn::GetAtt":
        return refs[arg if isinstance(arg, str) else ".".join(arg)]
    if fn == "Fn::Sub":
        text, local = (
            (arg, {}) if isinstance(arg, str) else (arg[0], {k: ev(v) for k, v in arg[1].items()})
        )

        def substitute(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("!"):  # ${!Literal} is written as ${Literal}
                return "${" + name[1:] + "}"
            try:
                return str(local[name] if name in local else refs[name])
            except KeyError:  # a value the caller did not give stays as written
                return match.group(0)

        return re.sub(r"\$\{([^}]+)\}", substitute, text)
    if fn == "Fn::Join":
        return arg[0].join(ev(arg[1]))
    if fn == "Fn::Split":
        return ev(arg[1]).split(arg[0])
    if fn == "Fn::Select":
        index, items = int(ev(arg[0])), ev(arg[1])
        if not 0 <= index < len(items):  # CloudFormation refuses; Python would wrap or raise
            raise IndexError(f"Fn::Select cannot select nonexistent value at index {index}")
        return items[index]
    if fn == "Fn::If":
        return ev(arg[1]) if conditions[arg[0]] else ev(arg[2])
    if fn == "Fn::Equals":
        return ev(arg[0]) == ev(arg[1])
    if fn == "Fn::Contains":
        return ev(arg[1]) in ev(arg[0])
    if fn == "Fn::Not":
        return not ev(arg[0])
    if fn == "Fn::And":
        return all(ev(a) for a in arg)
    if fn == "Fn::Or":
        return any(ev(a) for a in arg)
    if fn == "Fn::EachMemberEquals":
        return all(member == ev(arg[1]) for member in ev(arg[0]))
    if fn == "Fn::EachMemberIn":
        return all(member in ev(arg[1]) for member in ev(arg[0]))
    if fn == "Condition":
        return conditions[arg]
    raise NotImplementedError(fn)


def typed(template: dict, values: dict[str, str]) -> dict[str, Any]:
    """Parameter values as the template's functions see them: list types as lists
    (an empty CommaDelimitedList is [""]), everything else as the string given."""
    defaults = {n: str(p["Default"]) for n, p in template["Parameters"].items() if "Default" in p}
    result: dict[str, Any] = {}
    for name, value in {**defaults, **values}.items():
        kind = template["Parameters"].get(name, {}).get("Type", "String")
        is_list = kind == "CommaDelimitedList" or kind.startswith("List<")
        result[name] = [v.strip() for v in value.split(",")] if is_list else value
    return result


def failed_rules(template: dict, parameters: dict[str, str]) -> list[str]:
    """The AssertDescriptions of the template's Rules that fail for these values."""
    parameters = typed(template, parameters)
    failed = []
    for rule in template.get("Rules", {}).values():
        if "RuleCondition" in rule and not evaluate(rule["RuleCondition"], parameters):
            continue
        for assertion in rule["Assertions"]:
            if not evaluate(assertion["Assert"], parameters):
                failed.append(assertion["AssertDescription"])
    return failed


def parameter_refusals(template: dict, values: dict[str, str]) -> list[str]:
    """Why CloudFormation refuses these values before any change, from each parameter's
    own constraints: required, AllowedValues, AllowedPattern (the whole String, each
    CommaDelimitedList item), MinLength/MaxLength, MinValue/MaxValue for a Number.
    AWS-typed parameters are checked against the account, which is not modelled here."""
    parameters = template["Parameters"]
    refusals = [
        f"Parameters: [{n}] do not exist in the template" for n in values if n not in parameters
    ]
    for name, p in parameters.items():
        if name not in values and "Default" not in p:
            refusals.append(f"Parameters: [{name}] must have values")
            continue
        value = str(values.get(name, p.get("Default")))
        items = (
            [v.strip() for v in value.split(",")] if p["Type"] == "CommaDelimitedList" else [value]
        )
        broken = [
            item
            for item in items
            if ("AllowedValues" in p and item not in map(str, p["AllowedValues"]))
            or ("AllowedPattern" in p and not re.fullmatch(p["AllowedPattern"], item))
        ]
        if not p["Type"].startswith("List<") and not (
            p.get("MinLength", 0) <= len(value) <= p.get("MaxLength", len(value))
        ):
            broken.append(value)
        if p["Type"] == "Number":
            number = _number(value)
            if number is None or not p.get("MinValue", number) <= number <= p.get(
                "MaxValue", number
            ):
                broken.append(value)
        if broken:
            refusals.append(
                f"Parameter '{name}' = {broken[0]!r}: {p.get('ConstraintDescription', 'refused')}"
            )
    return refusals


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


STACK_UUID = "5f0c9a70-1234-11ef-9f5a-0a1b2c3d4e5f"
# Ref and Fn::GetAtt values by resource type, in the forms AWS returns them: the
# templates split some (the load balancer's ARN on "/", the database secret's ARN on
# ":" and "-"), so the forms matter. {name} is the resource's own name, {arn} the
# start of an ARN in its service.
PHYSICAL: dict[str, dict[str, str]] = {
    "AWS::CertificateManager::Certificate": {
        "Ref": "{arn}certificate/0f4b9e2c-1a2b-4c3d-8e9f-0a1b2c3d4e5f"
    },
    "AWS::EC2::SecurityGroup": {"Ref": "sg-0a1b2c3d4e5f67890", "GroupId": "sg-0a1b2c3d4e5f67890"},
    "AWS::ECS::Cluster": {"Arn": "{arn}cluster/{name}"},
    "AWS::ECS::Service": {"Ref": "{arn}service/cluster/{name}", "Name": "{name}"},
    "AWS::ECS::TaskDefinition": {"Ref": "{arn}task-definition/{name}:1"},
    "AWS::ElasticLoadBalancingV2::LoadBalancer": {
        "Ref": "{arn}loadbalancer/app/{name}/50dc6c495c0c9188",
        "LoadBalancerFullName": "app/{name}/50dc6c495c0c9188",
        "DNSName": "{name}-1234567890.{region}.elb.amazonaws.com",
        "CanonicalHostedZoneID": "Z35SXDOTRQ7X7K",
    },
    "AWS::ElasticLoadBalancingV2::TargetGroup": {
        "Ref": "{arn}targetgroup/{name}/6d0ecf831eec9f09",
        "TargetGroupFullName": "targetgroup/{name}/6d0ecf831eec9f09",
    },
    "AWS::ElasticLoadBalancingV2::Listener": {
        "Ref": "{arn}listener/app/lb/50dc6c495c0c9188/f2f7dc8efc522ab2"
    },
    "AWS::IAM::Role": {"Arn": "arn:{partition}:iam::{account}:role/{name}"},
    "AWS::KMS::Key": {
        "Ref": "1234abcd-12ab-34cd-56ef-1234567890ab",
        "Arn": "{arn}key/1234abcd-12ab-34cd-56ef-1234567890ab",
    },
    "AWS::Lambda::Function": {"Arn": "{arn}function:{name}"},
    "AWS::Logs::LogGroup": {"Arn": "{arn}log-group:{name}:*"},
    "AWS::RDS::DBCluster": {
        "Endpoint.Address": "{name}.cluster-c1a2b3c4d5e6.{region}.rds.amazonaws.com",
        "ReadEndpoint.Address": "{name}.cluster-ro-c1a2b3c4d5e6.{region}.rds.amazonaws.com",
        "MasterUserSecret.SecretArn": "arn:{partition}:secretsmanager:{region}:{account}:secret:"
        "rds!cluster-3d0b7e3c-1234-4567-89ab-0123456789ab-AbCdEf",
    },
    "AWS::S3::Bucket": {"Arn": "arn:{partition}:s3:::{name}"},
    "AWS::SecretsManager::Secret": {"Ref": "{arn}secret:{name}-AbCdEf"},
    "AWS::WAFv2::WebACL": {
        "Arn": "{arn}regional/webacl/{name}/0123abcd-4567-89ef-0123-456789abcdef"
    },
}
# The property that names a resource, when the template names it.
NAME_PROPERTIES = (
    "BucketName",
    "RoleName",
    "ClusterName",
    "ServiceName",
    "Family",
    "DBClusterIdentifier",
    "DBInstanceIdentifier",
    "DBSubnetGroupName",
    "LogGroupName",
    "AliasName",
    "Name",
)


@dataclass
class Launch:
    """One stack creation from `template` with `values` (parameter values as the strings
    CloudFormation receives), evaluated offline the way CloudFormation would:

    - `refusals`: why the values are refused before anything is created (then nothing
      else is evaluated);
    - `conditions`: each condition's value;
    - `resources`: the created resources' Properties, every function resolved and
      AWS::NoValue dropped; `outputs`: the created outputs' values;
    - `failures`: what CloudFormation or the service would refuse in those: a Ref,
      Fn::GetAtt or DependsOn to a resource that is not created or to no known name,
      a Fn::Select out of range, a list holding an empty string."""

    template: dict = field(repr=False)
    values: dict[str, str] = field(repr=False)
    region: str = "us-east-1"
    account: str = "123456789012"
    stack_name: str = "planar-launch"
    refusals: list[str] = field(init=False, default_factory=list)
    conditions: dict[str, bool] = field(init=False, default_factory=dict, repr=False)
    resources: dict[str, dict] = field(init=False, default_factory=dict, repr=False)
    outputs: dict[str, Any] = field(init=False, default_factory=dict, repr=False)
    failures: list[str] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.refusals = parameter_refusals(self.template, self.values) or failed_rules(
            self.template, self.values
        )
        if self.refusals:
            return
        self.parameters = typed(self.template, self.values)
        self.pseudo = {
            "AWS::Partition": "aws",
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::StackName": self.stack_name,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{self.account}:stack/{self.stack_name}/{STACK_UUID}",
            "AWS::NoValue": NO_VALUE,
        }
        # Conditions may name other conditions: each is evaluated once, when first asked.
        self.conditions = {
            name: self.condition(name) for name in self.template.get("Conditions", {})
        }
        self.active = {
            k
            for k, r in self.template["Resources"].items()
            if "Condition" not in r or self.conditions[r["Condition"]]
        }
        for logical_id in sorted(self.active):
            resource = self.template["Resources"][logical_id]
            depends = resource.get("DependsOn", [])
            for target in [depends] if isinstance(depends, str) else depends:
                self._ref(target, logical_id, depends=True)
            self.resources[logical_id] = self._resolve(resource.get("Properties", {}), logical_id)
        for name, output in self.template.get("Outputs", {}).items():
            if "Condition" not in output or self.conditions[output["Condition"]]:
                self.outputs[name] = self._resolve(output["Value"], f"Outputs.{name}")

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            node = self.template["Conditions"][name]
            self.conditions[name] = bool(evaluate(node, self.parameters, _Lookup(self.condition)))
        return self.conditions[name]

    def _resolve(self, node: Any, where: str) -> Any:
        try:
            value = evaluate(
                node, _Lookup(lambda name: self._ref(name, where)), _Lookup(self.condition)
            )
        except IndexError as error:
            self._fail(f"{where}: {error}")
            return None
        for path, item in _lists(value, where):
            if "" in item:
                self._fail(f"{path} holds an empty string: {item}")
        return value

    def _ref(self, name: str, where: str, depends: bool = False) -> Any:
        if name in self.parameters or name in self.pseudo:
            return self.parameters[name] if name in self.parameters else self.pseudo[name]
        logical_id, _, attribute = name.partition(".")
        resource = self.template["Resources"].get(logical_id)
        how = "DependsOn" if depends else "Fn::GetAtt" if attribute else "Ref"
        if resource is None:
            self._fail(f"{where}: {how} {name}: no such parameter or resource")
            return f"<{name}>"
        if logical_id not in self.active:
            self._fail(
                f"{where}: {how} {name}, which is not created (Condition {resource['Condition']} is false)"
            )
        return self._physical(logical_id, attribute or "Ref")

    def _physical(self, logical_id: str, attribute: str) -> str:
        resource = self.template["Resources"][logical_id]
        kind = resource["Type"]
        props = resource.get("Properties", {})
        named = next((p for p in NAME_PROPERTIES if p in props), None)
        # Without a name CloudFormation makes one from the stack name and logical id.
        name = (
            self._resolve(props[named], logical_id)
            if named
            else f"{self.stack_name[:8]}-{logical_id[:9]}-1ABCDEFGHIJK"
        )
        service = (
            kind.split("::")[1].lower().replace("elasticloadbalancingv2", "elasticloadbalancing")
        )
        service = {"certificatemanager": "acm"}.get(service, service)
        arn = f"arn:aws:{service}:{self.region}:{self.account}:"
        form = PHYSICAL.get(kind, {}).get(
            attribute, "{name}" if attribute == "Ref" else "{name}." + attribute
        )
        return form.format(
            name=name, arn=arn, partition="aws", region=self.region, account=self.account
        )

    def _fail(self, failure: str) -> None:
        if failure not in self.failures:
            self.failures.append(failure)


class _Lookup:
    """`[]` by a function, for evaluate()'s refs and conditions."""

    def __init__(self, function: Any) -> None:
        self.function = function

    def __getitem__(self, key: str) -> Any:
        return self.function(key)


def _lists(node: Any, path: str) -> Any:
    """Every list inside a resolved value, with its path."""
    if isinstance(node, list):
        yield path, node
        for index, item in enumerate(node):
            yield from _lists(item, f"{path}[{index}]")
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _lists(value, f"{path}.{key}")
