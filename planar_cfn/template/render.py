"""Deterministic JSON for a stack's template, and the paths it is written to."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..paths import TEMPLATES_DIR, write_whole
from .config import StackConfig
from .stack import build_template

__all__ = [
    "INLINE_TEMPLATE_LIMIT",
    "TEMPLATES_DIR",
    "Rendered",
    "render",
    "staleness",
    "template_path",
    "write_if_changed",
]

# CloudFormation's limit for a template passed inline (TemplateBody).
INLINE_TEMPLATE_LIMIT = 51_200


@dataclass(frozen=True)
class Rendered:
    """One stage's template as text, with what the command reports about it."""

    stage: str
    body: str  # as committed: indented, keys in build order, trailing newline

    @property
    def minified(self) -> str:
        """The body without whitespace, as a deploy sends it."""
        return json.dumps(json.loads(self.body), separators=(",", ":"))

    @property
    def fits_inline(self) -> bool:
        """Whether the minified body fits CloudFormation's inline TemplateBody limit."""
        return len(self.minified.encode()) <= INLINE_TEMPLATE_LIMIT

    def resource_counts(self) -> dict[str, int]:
        """How many resources of each type, by type name."""
        counts: dict[str, int] = {}
        for resource in json.loads(self.body)["Resources"].values():
            counts[resource["Type"]] = counts.get(resource["Type"], 0) + 1
        return dict(sorted(counts.items()))


def render(config: StackConfig) -> Rendered:
    """Build the stack for `config` and render it as the text written to
    templates/planar-{stage}.json."""
    return Rendered(stage=config.stage.name, body=build_template(config).to_json())


def template_path(stage: str, directory: Path = TEMPLATES_DIR) -> Path:
    """Where stage `stage`'s template is written: {directory}/planar-{stage}.json."""
    return directory / f"planar-{stage}.json"


def staleness(path: Path, text: str) -> str | None:
    """Why the generated file at `path` is not `text` ("is missing", "differs from a
    fresh render"), or None when it is: the one freshness test of every file the build
    writes (the templates and docs/architecture.md)."""
    if not path.is_file():
        return "is missing"
    return None if path.read_text() == text else "differs from a fresh render"


def write_if_changed(path: Path, text: str) -> None:
    """Write a generated file, whole (paths.write_whole), unless it already holds
    `text`: an unchanged file keeps its modification time."""
    if staleness(path, text) is not None:
        write_whole(path, text)
