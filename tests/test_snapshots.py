"""Golden templates: templates/ is what the code renders, byte for byte, and
logical ids (a rename replaces a resource in running stacks) never drift."""

import difflib
import json
from pathlib import Path

import pytest

from planar_cfn.render import render, template_path
from planar_cfn.stages import STAGE_NAMES

LOGICAL_IDS = Path(__file__).with_name("snapshots") / "logical-ids.json"


def _compare(path: Path, fresh: str, how_to_update: str) -> None:
    committed = path.read_text() if path.is_file() else ""
    if committed == fresh:
        return
    new = path.with_suffix(".new.json")
    new.write_text(fresh)
    diff = "".join(difflib.unified_diff(
        committed.splitlines(keepends=True), fresh.splitlines(keepends=True),
        fromfile=str(path), tofile=str(new), n=2,
    ))  # fmt: skip
    lines = diff.splitlines()
    shown = "\n".join(lines[:80]) + (f"\n... {len(lines) - 80} more lines" if len(lines) > 80 else "")
    pytest.fail(f"{path.name} is stale; the fresh render is in {new.name}. {how_to_update}\n{shown}")


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_committed_template_equals_a_fresh_render(stage):
    _compare(template_path(stage), render(stage).body,
             "Run `python build.py --all-stages --no-deploy` and commit templates/.")  # fmt: skip


def test_rendering_is_deterministic():
    assert render("prod").body == render("prod").body


def test_logical_ids_are_stable(templates):
    ids = {
        stage: {lid: r["Type"] for lid, r in template["Resources"].items()}
        for stage, template in templates.items()
    }
    fresh = json.dumps(ids, indent=2, sort_keys=True) + "\n"
    _compare(LOGICAL_IDS, fresh, "A renamed logical id replaces that resource in every "
             "running stack: only update this snapshot for a resource meant to be new.")  # fmt: skip
