"""The launch role's Route 53 changes: the application's alias record and ACM's
validation records, by name and type, in whichever zone the launch names.

Route 53 gives ChangeResourceRecordSets three condition keys, each the set of values
in the change batch ("Using IAM policy conditions for fine-grained access control",
docs.aws.amazon.com/Route53/latest/DeveloperGuide/specifying-rrset-conditions.html):
the record names, normalized (lower case, no trailing dot), the record types and the
change actions. With ForAllValues every record of a batch must match; a Null check
keeps a batch without the key from matching an empty set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from awacs.aws import (
    Action,
    Allow,
    Condition,
    ForAllValuesStringEquals,
    ForAllValuesStringLike,
    Null,
    Statement,
)
from troposphere import Sub

__all__ = ["VALIDATION_RECORD", "record_patterns", "statements"]

_NAMES = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
_TYPES = "route53:ChangeResourceRecordSetsRecordTypes"
# ACM's DNS validation record is a CNAME named `_` and 32 hexadecimal digits under the
# name validated ("DomainValidation", ACM API Reference: docs.aws.amazon.com/acm/latest/
# APIReference/API_DomainValidation.html, _a79865eb4cd1a6ab990a45779b4e0b96.example.com).
# `?` is any one character in StringLike, a dot too: a name of that length is taken.
VALIDATION_RECORD = "_" + "?" * 32 + ".*"
_ZONES = "arn:${AWS::Partition}:route53:::hostedzone/*"


def record_patterns(templates: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """The name of every AWS::Route53::RecordSet in the templates as a StringLike
    pattern, each `${...}` (the app name, the base domain) a `*`; sorted, no repeats."""
    patterns: set[str] = set()
    for template in templates:
        for logical_id, resource in template["Resources"].items():
            if resource["Type"] != "AWS::Route53::RecordSet":
                continue
            name = resource["Properties"]["Name"]
            text = name.get("Fn::Sub") if isinstance(name, dict) and len(name) == 1 else name
            if not isinstance(text, str):
                raise ValueError(
                    f"{logical_id}: Name {name!r}: must be a string or an Fn::Sub string for "
                    "the launch role to allow changing that record"
                )
            patterns.add(re.sub(r"\$\{[^}]+\}", "*", text).lower().rstrip("."))
    return tuple(sorted(patterns))


def _records(sid: str, names: Sequence[str], record_type: str) -> Statement:
    return Statement(
        Sid=sid,
        Effect=Allow,
        Action=[Action("route53", "ChangeResourceRecordSets")],
        Resource=[Sub(_ZONES)],
        Condition=Condition(
            [
                ForAllValuesStringLike(_NAMES, list(names)),
                ForAllValuesStringEquals(_TYPES, [record_type]),
                Null({_NAMES: "false", _TYPES: "false"}),
            ]
        ),
    )


def statements(patterns: Sequence[str]) -> list[Statement]:
    """The two grants of ChangeResourceRecordSets: A records named by `patterns` (the
    application's alias), and ACM's CNAME validation records."""
    alias = [_records("StackAliasRecords", patterns, "A")] if patterns else []
    return [*alias, _records("CertificateValidationRecords", [VALIDATION_RECORD], "CNAME")]
