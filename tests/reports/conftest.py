"""The reports tests' fixture: the committed templates, which docs/architecture.md is
drawn from."""

import json
from pathlib import Path

import pytest

from planar_cfn.inputs.stages import DEFAULT_STAGES

ROOT = Path(__file__).resolve().parents[2]
STAGES = [s.name for s in DEFAULT_STAGES]


@pytest.fixture(scope="module")
def templates():
    return {s: json.loads((ROOT / f"templates/planar-{s}.json").read_text()) for s in STAGES}
