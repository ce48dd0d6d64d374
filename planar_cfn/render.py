"""Deterministic JSON for a stage's template, and the paths it is written to."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .paths import TEMPLATES_DIR
from .stack import build_template

# CloudFormation's limit for a template passed inline (TemplateBody).
INLINE_TEMPLATE_LIMIT = 51_200


@dataclass(frozen=True)
class Rendered:
    stage: str
    body: str  # as committed: indented, keys in build order, trailing newline

    @property
    def minified(self) -> str:
        return json.dumps(json.loads(self.body), separators=(",", ":"))

    @property
    def fits_inline(self) -> bool:
        return len(self.minified.encode()) <= INLINE_TEMPLATE_LIMIT

    def resource_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for resource in json.loads(self.body)["Resources"].values():
            counts[resource["Type"]] = counts.get(resource["Type"], 0) + 1
        return dict(sorted(counts.items()))


def render(stage: str) -> Rendered:
    body = json.dumps(build_template(stage).to_dict(), indent=2, ensure_ascii=False) + "\n"
    return Rendered(stage=stage, body=body)


def template_path(stage: str, directory: Path = TEMPLATES_DIR) -> Path:
    return directory / f"planar-{stage}.json"
