"""A build's lint findings as one SARIF 2.1.0 log, for GitHub code scanning.

The log is written here as plain JSON rather than through cfn-lint's own SARIF
formatter (cfnlint.formatters.sarif): that formatter needs two optional packages
(sarif-om and jschema-to-python, with their own dependencies) and takes cfn-lint's
Match objects, while a build's findings are Findings, often read from the lint cache
without cfn-lint being run. The log is a few nested objects; it follows the same
choices as cfn-lint's formatter (levels, rule descriptions, help links), and
tests/lint/test_sarif.py validates it against the OASIS SARIF 2.1.0 schema.

Each result names its template file as the build wrote it, relative to the working
directory (GitHub resolves a relative URI against the repository's checkout). The rule
descriptions come from the rules the lint loaded (lint.runner.loaded_rules): cfn-lint's,
and planar-cfn's own when the lint runs them, which the driver's description names.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .._version import __version__
from ..paths import write_whole
from .runner import Finding, loaded_rules

__all__ = ["LEVELS", "SCHEMA", "sarif_log", "write_sarif"]

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
# cfn-lint's severities as SARIF levels (SARIF 2.1.0 section 3.27.10), as cfn-lint's
# own formatter maps them.
LEVELS = {"error": "error", "warning": "warning", "informational": "note"}
CFN_LINT_URI = "https://github.com/aws-cloudformation/cfn-lint"
# Where a rule with no link of its own is described.
RULES_DOC = f"{CFN_LINT_URI}/blob/main/docs/rules.md"


def _uri(path: str) -> str:
    """A finding's file as a URI reference: relative paths stay relative."""
    if Path(path).is_absolute():
        return Path(path).as_uri()
    return quote(Path(path).as_posix())


def _text(value: Any, fallback: str) -> str:
    return value if isinstance(value, str) and value else fallback


def _descriptor(rule_id: str, rule: Any) -> dict[str, Any]:
    """A rule's SARIF reportingDescriptor, from the loaded rule (None: not loaded)."""
    short = _text(getattr(rule, "shortdesc", None), rule_id)
    link = _text(getattr(rule, "source_url", None), RULES_DOC)
    descriptor = {
        "id": rule_id,
        "shortDescription": {"text": short},
        "fullDescription": {"text": _text(getattr(rule, "description", None), short)},
        "helpUri": link if link.startswith(("https://", "http://")) else RULES_DOC,
    }
    severity = getattr(rule, "severity", None)
    if severity in LEVELS:
        descriptor["defaultConfiguration"] = {"level": LEVELS[severity]}
    return descriptor


def _ours(rules: Mapping[str, Any]) -> list[str]:
    """The ids of the loaded rules planar-cfn defines (its rule pack)."""
    return sorted(
        rule_id
        for rule_id, rule in rules.items()
        if type(rule).__module__.split(".")[0] == "planar_cfn"
    )


def sarif_log(findings: Iterable[Finding], rules: Mapping[str, Any]) -> dict[str, Any]:
    """The findings (each `path` the template file as written) as a SARIF 2.1.0 log of
    one run, described from `rules` (rule id to cfn-lint rule, as loaded_rules gives):
    a result per finding in order, and a rule entry for each rule with a result."""
    findings = list(findings)
    ids = sorted({f.rule for f in findings})
    index = {rule_id: i for i, rule_id in enumerate(ids)}
    pack = _ours(rules)
    description = (
        f"cfn-lint {version('cfn-lint')} as planar-cfn {__version__} runs it: cfn-lint's "
        "rules, informational ones included"
        + (f", and planar-cfn's rule pack ({', '.join(pack)})" if pack else "")
    )
    results = [
        {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": LEVELS.get(f.severity, "warning"),
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.path)},
                        "region": {"startLine": max(f.line, 1)},
                    }
                }
            ],
        }
        for f in findings
    ]
    driver = {
        "name": "cfn-lint",
        "version": version("cfn-lint"),
        "informationUri": CFN_LINT_URI,
        "fullDescription": {"text": description},
        "rules": [_descriptor(rule_id, rules.get(rule_id)) for rule_id in ids],
    }
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }


def write_sarif(path: Path, findings: Iterable[Finding], regions: Sequence[str]) -> None:
    """Write the findings' SARIF log to `path`, whole, with the descriptions of the rules
    the lint runs for `regions` (which loads cfn-lint's rules, even for a build whose
    results all came from the lint cache)."""
    log = sarif_log(findings, loaded_rules(regions))
    write_whole(path, json.dumps(log, indent=2) + "\n")
