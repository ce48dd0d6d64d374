"""planar_cfn's modules import one another without a cycle. Imports are read from
the source with `ast`, wherever they are written: at the top, inside a function, or
under `if TYPE_CHECKING:` (a cycle there still ties the modules together and breaks
the day the annotation is needed at run time)."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "planar_cfn"
MODULES = {path.stem for path in PACKAGE.glob("*.py")}
INIT = "__init__"


def imports_of(source: str) -> set[str]:
    """The planar_cfn modules a module's source imports (the package itself is `__init__`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "planar_cfn":
                    found.add(parts[1] if len(parts) > 1 else INIT)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                parts = (node.module or "").split(".")
                if parts[0] != "planar_cfn":
                    continue
                module = parts[1] if len(parts) > 1 else None
            else:
                assert node.level == 1, "planar_cfn has no subpackages"
                module = node.module
            if module is not None:
                found.add(module)
            else:  # `from . import x`: module x when there is one, else a name in __init__
                found.update(alias.name if alias.name in MODULES else INIT for alias in node.names)
    return found


def graph() -> dict[str, set[str]]:
    return {path.stem: imports_of(path.read_text()) for path in sorted(PACKAGE.glob("*.py"))}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path that ends where it starts, or None."""
    state: dict[str, str] = {}  # "open" while on the current path, "done" after

    def visit(node: str, path: list[str]) -> list[str] | None:
        path = [*path, node]
        state[node] = "open"
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state:
                cycle = visit(target, path)
                if cycle:
                    return cycle
        state[node] = "done"
        return None

    for start in sorted(edges):
        if start not in state:
            cycle = visit(start, [])
            if cycle:
                return cycle
    return None


def test_every_kind_of_import_is_read():
    source = (
        "from typing import TYPE_CHECKING\n"
        "import planar_cfn.naming\n"
        "from planar_cfn import stages\n"
        "from . import __version__, render\n"
        "from .network import APP_PORT\n"
        "if TYPE_CHECKING:\n"
        "    from .database import Database\n"
        "def later():\n"
        "    from .lint import lint_bodies\n"
    )
    assert imports_of(source) == {"naming", "stages", INIT, "render", "network", "database", "lint"}


@pytest.mark.parametrize(
    ("edges", "cycle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": {"b"}}, ["b", "c", "b"]),
        ({"a": {"a"}}, ["a", "a"]),
    ],
)
def test_the_cycle_finder(edges, cycle):
    assert find_cycle(edges) == cycle


def test_the_graph_holds_the_modules_and_their_imports():
    edges = graph()
    assert {"iam", "database", "storage", "policies", "stack"} <= set(edges)
    assert "database" in edges["iam"]  # imported under TYPE_CHECKING only: still read
    assert "policies" in edges["database"]
    assert "policies" in edges["storage"]


def test_no_import_cycle_among_planar_cfn_modules():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_policy_helpers_are_a_leaf():
    # Every template module may use them: they may depend on nothing but constants.
    assert graph()["policies"] <= {"constraints"}
