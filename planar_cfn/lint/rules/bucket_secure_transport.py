"""E9106: every bucket refuses plain HTTP."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from ._values import branches, literal_strings, references


def _listed(value: Any) -> list[Any]:
    return [b for v in branches(value) for b in (v if isinstance(v, list) else [v])]


def _everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    return (
        isinstance(principal, Mapping)
        and set(principal) == {"AWS"}
        and (principal["AWS"] == "*" or principal["AWS"] == ["*"])
    )


def _insecure_only(condition: Any) -> bool:
    test = condition.get("Bool") if isinstance(condition, Mapping) else None
    value = test.get("aws:SecureTransport") if isinstance(test, Mapping) else None
    return value in ("false", False, ["false"], [False])


def _denies_plain_http(statement: Any, bucket: str) -> bool:
    """Deny, every principal, s3:*, the bucket and its objects, when not over TLS."""
    if not isinstance(statement, Mapping) or statement.get("Effect") != "Deny":
        return False
    if not _everyone(statement.get("Principal")):
        return False
    if "s3:*" not in set(literal_strings(statement.get("Action"))):
        return False
    resources = [r for r in _listed(statement.get("Resource")) if bucket in references(r)]
    objects = [r for r in resources if any(s.endswith("/*") for s in literal_strings(r))]
    whole = [r for r in resources if r not in objects]
    return bool(objects and whole) and _insecure_only(statement.get("Condition"))


class BucketsRefusePlainHttp(CloudFormationLintRule):  # type: ignore[misc]
    """See `description`: what the rule checks and why."""

    id = "E9106"
    shortdesc = "Every bucket refuses plain HTTP"
    description = (
        "S3 accepts plain HTTP unless a bucket policy refuses it: every AWS::S3::Bucket is "
        "the Bucket (a Ref to it) of an AWS::S3::BucketPolicy with a Deny statement for "
        "every principal, on s3:*, on the bucket and its objects, under the condition Bool "
        "aws:SecureTransport false."
    )
    source_url = (
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html#transit"
    )
    tags: ClassVar[list[str]] = ["planar", "resources", "s3", "tls"]

    def match(self, cfn: Any) -> list[Any]:
        """One match per resource (and attribute) that breaks the rule, in `cfn` (a
        cfnlint.template.Template)."""
        matches = []
        policies = cfn.get_resources("AWS::S3::BucketPolicy").values()
        for name in cfn.get_resources("AWS::S3::Bucket"):
            denied = False
            for policy in policies:
                properties = policy.get("Properties") or {}
                if properties.get("Bucket") != {"Ref": name}:
                    continue
                document = properties.get("PolicyDocument")
                statements = [
                    s
                    for d in branches(document)
                    if isinstance(d, Mapping)
                    for s in _listed(d.get("Statement"))
                ]
                denied = denied or any(_denies_plain_http(s, name) for s in statements)
            if not denied:
                matches.append(
                    RuleMatch(
                        ["Resources", name],
                        f"AWS::S3::Bucket {name}: no AWS::S3::BucketPolicy with Bucket Ref "
                        f"{name} denies plain HTTP; allowed: a policy with a Deny statement "
                        "for Principal *, Action s3:*, Resource the bucket's ARN and its "
                        "objects (ARN/*), Condition Bool aws:SecureTransport false",
                    )
                )
        return matches
