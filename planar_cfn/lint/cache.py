"""A cache of lint results on disk, so an unchanged template is not linted again.

cfn-lint's findings are a function of the template's bytes, the cfn-lint release, the
regions and checks it is asked for and any `.cfnlintrc` it reads: the entry's key is a
SHA-256 over all of them (and this file's format), so a change to any one misses.
The key also covers the stack's rule pack, which the build runs: the pack's version (a
SHA-256 over its sources), so an edited rule misses too.
A `.cfnlintrc` may also name files and folders cfn-lint reads (rules to append, a
spec to override with, registry schemas, ...), which the key cannot follow: while one
that exists names any of FILE_KEYS, nothing is read from or written to the cache, except
that an `append_rules` naming only the pack (planar_cfn.lint.rules) keeps it.
The lookup imports no cfn-lint (0.4 s): its version comes from the package metadata.

Entries are JSON files in `lint/` under the cache folder: `$PLANAR_CFN_CACHE_DIR` when
set, else `.cache/planar-cfn` in the working directory (git ignores `.cache/`). Each is
written to a temporary file beside it and renamed into place, so concurrent builds
never read half an entry; an entry that cannot be read or has the wrong shape is
ignored, and the template is linted again and the entry rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from ..paths import write_whole
from . import runner as lint
from .pack import PACK_MODULE, pack_version
from .runner import Finding, requested_regions

__all__ = [
    "CACHE_DIR_ENV",
    "FILE_KEYS",
    "FORMAT",
    "LintCache",
    "Linted",
    "cfn_lint_version",
    "config_names_files",
    "lint_cached",
]

CACHE_DIR_ENV = "PLANAR_CFN_CACHE_DIR"
# Bumped whenever an entry's layout or what planar_cfn makes of cfn-lint's matches changes.
FORMAT = 1
# cfn-lint reads these from the home folder and the working directory (cfnlint.config).
_CONFIG_FILES = (".cfnlintrc", ".cfnlintrc.yaml", ".cfnlintrc.yml")
# The settings of cfn-lint's configuration schema (cfnlint/data/CfnLintCli/config/
# schema.json) that name files or folders whose contents change the findings.
FILE_KEYS = (
    "append_rules",
    "custom_rules",
    "deployment_files",
    "override_spec",
    "parameter_files",
    "registry_schemas",
)


def cfn_lint_version() -> str:
    """The installed cfn-lint's version, from its package metadata (no import)."""
    return version("cfn-lint")


def _config_contents() -> dict[str, bytes]:
    """Each cfn-lint configuration file that exists, by its path."""
    found = {}
    for folder in (Path.home(), Path.cwd()):
        for name in _CONFIG_FILES:
            path = folder / name
            try:
                found[str(path)] = path.read_bytes()
            except OSError:
                continue
    return found


def _config_files() -> dict[str, str]:
    """SHA-256 of each cfn-lint configuration file that exists, by its path."""
    return {path: hashlib.sha256(data).hexdigest() for path, data in _config_contents().items()}


def config_names_files() -> bool:
    """Whether a cfn-lint configuration file names any of FILE_KEYS, other than an
    append_rules that names only the rule pack (which the key covers). A file that
    mentions none in its text is not parsed; one that does and cannot be read as YAML
    counts as naming files (and costs only a lint)."""
    return any(_names_files(data) for data in _config_contents().values())


def _names_files(data: bytes) -> bool:
    if not any(key.encode() in data for key in FILE_KEYS):
        return False
    import yaml  # cfn-lint's own YAML reader for these files; only when one names a key

    try:
        config = yaml.safe_load(data)
    except yaml.YAMLError:
        return True
    if not isinstance(config, dict):
        return True
    named = {key for key in FILE_KEYS if config.get(key)}
    if named == {"append_rules"}:
        rules = config["append_rules"]
        rules = [rules] if isinstance(rules, str) else rules
        return not (isinstance(rules, list) and all(r == PACK_MODULE for r in rules))
    return bool(named)


@dataclass(frozen=True)
class Linted:
    """Lint results for several templates: the findings by name, the names whose
    findings came from the cache, the regions linted and those cfn-lint does not know."""

    findings: dict[str, list[Finding]]
    cached: frozenset[str]
    regions: tuple[str, ...]
    unknown: tuple[str, ...]


class LintCache:
    """Lint results on disk, by key (see the module docstring)."""

    def __init__(self, directory: Path | None = None) -> None:
        """`directory` (default: $PLANAR_CFN_CACHE_DIR, else .cache/planar-cfn) holds
        the entries in its `lint/` folder."""
        if directory is None:
            directory = Path(os.environ.get(CACHE_DIR_ENV) or Path(".cache", "planar-cfn"))
        self.directory = directory / "lint"

    @staticmethod
    def key(body: str, regions: Sequence[str]) -> str:
        """The key for a template's lint for the requested regions, with the checks,
        the cfn-lint version and configuration files in force now."""
        settings = {
            "format": FORMAT,
            "cfn_lint": cfn_lint_version(),
            "regions": list(regions),
            "include_checks": list(lint.INCLUDE_CHECKS),
            # The version even with the pack off: a .cfnlintrc may append it.
            "rule_pack": pack_version(),
            "config_files": _config_files(),
        }
        digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
        digest.update(b"\0")
        digest.update(body.encode())
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def get(self, key: str, name: str) -> tuple[list[Finding], tuple[str, ...]] | None:
        """The findings (named `name`) and regions linted stored under `key`; None when
        there is no entry or it is unreadable or malformed."""
        try:
            entry = json.loads(self._path(key).read_text())
            return _decode(entry, key, name)
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            return None  # RecursionError: JSON nested deeper than the parser follows

    def put(self, key: str, findings: Sequence[Finding], regions: Sequence[str]) -> None:
        """Store a lint's findings and the regions it linted under `key`, atomically.
        A cache that cannot be written is no error: the next build lints again."""
        entry = {
            "format": FORMAT,
            "key": key,
            "regions": list(regions),
            "findings": [
                {"rule": f.rule, "severity": f.severity, "message": f.message, "line": f.line}
                for f in findings
            ],
        }
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            write_whole(self._path(key), json.dumps(entry))
        except OSError:
            return


def _decode(entry: Any, key: str, name: str) -> tuple[list[Finding], tuple[str, ...]]:
    """An entry's findings and regions, or TypeError/KeyError when it is not one of ours."""
    if not isinstance(entry, dict) or entry["format"] != FORMAT or entry["key"] != key:
        raise KeyError(key)
    regions = entry["regions"]
    findings = entry["findings"]
    if not isinstance(regions, list) or not all(isinstance(r, str) for r in regions):
        raise TypeError("regions")
    if not isinstance(findings, list):
        raise TypeError("findings")
    decoded = []
    for item in findings:
        rule, severity, message, line = (
            item["rule"],
            item["severity"],
            item["message"],
            item["line"],
        )
        if not all(isinstance(text, str) for text in (rule, severity, message)):
            raise TypeError("finding")
        if not isinstance(line, int) or isinstance(line, bool):
            raise TypeError("line")
        decoded.append(Finding(rule, severity, message, name, line))
    return decoded, tuple(regions)


def lint_cached(
    bodies: Mapping[str, str],
    cache: LintCache | None,
    regions: Sequence[str] | None = None,
) -> Linted:
    """Lint templates by name for `regions` (default: us-east-1 and every region a stage
    file names), taking each result from `cache` when it holds one and storing the rest.
    With no cache, or a cfn-lint configuration file that names files (FILE_KEYS),
    every template is linted and nothing is stored."""
    requested = requested_regions() if regions is None else tuple(regions)
    if cache and config_names_files():
        cache = None
    findings: dict[str, list[Finding]] = {}
    linted_regions: tuple[str, ...] | None = None
    keys = {name: LintCache.key(body, requested) for name, body in bodies.items()} if cache else {}
    for name in bodies:
        hit = cache.get(keys[name], name) if cache else None
        if hit is not None:
            findings[name], linted_regions = hit
    cached = frozenset(findings)
    missing = {name: body for name, body in bodies.items() if name not in findings}
    if missing or linted_regions is None:
        from .runner import known_regions, lint_bodies

        linted_regions = known_regions(requested)
        if missing:
            fresh = lint_bodies(missing, linted_regions)
            for name, found in fresh.items():
                if cache:
                    cache.put(keys[name], found, linted_regions)
            findings.update(fresh)
    unknown = tuple(r for r in requested if r not in linted_regions)
    return Linted({name: findings[name] for name in bodies}, cached, linted_regions, unknown)
