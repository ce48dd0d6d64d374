"""Golden templates (planar_cfn/template/render.py): templates/ is what the code
renders, byte for byte, in any process, and logical ids (a rename replaces a resource
in running stacks) never drift from tests/template/snapshots/."""

import difflib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from planar_cfn.inputs.stages import STAGE_NAMES
from planar_cfn.template.config import StackConfig
from planar_cfn.template.render import render, template_path

LOGICAL_IDS = Path(__file__).with_name("snapshots") / "logical-ids.json"


def _compare(path: Path, fresh: str, how_to_update: str) -> None:
    committed = path.read_text() if path.is_file() else ""
    if committed == fresh:
        return
    new = path.with_suffix(".new.json")
    new.write_text(fresh)
    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            fresh.splitlines(keepends=True),
            fromfile=str(path),
            tofile=str(new),
            n=2,
        )
    )
    lines = diff.splitlines()
    shown = "\n".join(lines[:80]) + (
        f"\n... {len(lines) - 80} more lines" if len(lines) > 80 else ""
    )
    pytest.fail(
        f"{path.name} is stale; the fresh render is in {new.name}. {how_to_update}\n{shown}"
    )


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_committed_template_equals_a_fresh_render(stage):
    _compare(
        template_path(stage),
        render(StackConfig.for_stage(stage)).body,
        "Run `python build.py --all-stages --no-deploy` and commit templates/.",
    )


RENDER_ALL = (
    "import json, sys\n"
    "from planar_cfn.template.config import StackConfig\n"
    "from planar_cfn.template.render import render\n"
    "from planar_cfn.inputs.stages import STAGE_NAMES\n"
    "json.dump({s: render(StackConfig.for_stage(s)).body for s in STAGE_NAMES}, sys.stdout)\n"
)


@pytest.mark.parametrize("hash_seed", ["1", "4242"])
def test_rendering_is_deterministic_across_processes(hash_seed):
    # A fresh interpreter with another string-hash seed: any output that follows the
    # order of a set or of hashes differs from the committed templates.
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    result = subprocess.run(
        [sys.executable, "-c", RENDER_ALL],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    bodies = json.loads(result.stdout)
    assert list(bodies) == ["dev", "staging", "prod"]
    for stage, body in bodies.items():
        assert body == (root / "templates" / f"planar-{stage}.json").read_text(), stage


def test_logical_ids_are_stable(templates):
    ids = {
        stage: {lid: r["Type"] for lid, r in template["Resources"].items()}
        for stage, template in templates.items()
    }
    fresh = json.dumps(ids, indent=2, sort_keys=True) + "\n"
    _compare(
        LOGICAL_IDS,
        fresh,
        "A renamed logical id replaces that resource in every "
        "running stack: only update this snapshot for a resource meant to be new.",
    )
