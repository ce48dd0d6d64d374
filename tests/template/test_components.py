"""docs/stack.md's components table ("What the stack holds") and the tests agree.

Every row of the table is asserted on the rendered templates by the test file of the
template module that builds it (test_service.py, test_load_balancer.py, test_dns.py,
test_database.py, test_storage.py, test_secrets.py, test_iam.py, test_network.py,
test_outputs.py); each names the rows it asserts in COMPONENTS. GIVEN the page and
those files, THEN the table's rows are exactly the rows the files assert, each by
tests that exist, and every output the page names is in every stage's template."""

import importlib
import re
from pathlib import Path

STACK_PAGE = Path(__file__).resolve().parents[2] / "docs" / "stack.md"


def _component_tests() -> dict[str, tuple[object, ...]]:
    """Each row the test files of this folder assert, and the tests that assert it."""
    found: dict[str, tuple[object, ...]] = {}
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        module = importlib.import_module(f"{__package__}.{path.stem}")
        for row, names in getattr(module, "COMPONENTS", {}).items():
            assert row not in found, f"{row!r} is claimed twice ({path.name})"
            found[row] = tuple(getattr(module, name, name) for name in names)
    return found


def _component_rows() -> dict[str, str]:
    section = STACK_PAGE.read_text().split("\n## Components\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:]
    return {row.split("|")[1].strip(): row for row in rows}


def test_every_row_of_the_components_table_is_tested_here():
    component_tests = _component_tests()
    assert set(_component_rows()) == set(component_tests)
    for tests in component_tests.values():
        assert tests
        for test in tests:
            assert callable(test), test


def test_the_components_tables_outputs_are_the_templates(template):
    # Every output the page names is in every stage's template: the 18 test_outputs requires.
    named = set(re.findall(r"`(\w+)`", _component_rows()["outputs"]))
    assert len(named) == 18
    assert named <= set(template["Outputs"])
