"""The package's shape, checked.

- Its layers are a contract (pyproject.toml's [tool.importlinter]): the command over
  deploy, catalog and reports, over lint and aws, over the template, over the inputs.
  `./run style` checks it; so does this suite, which also proves that an import against
  the layers, or a cycle, is caught.
- Its parts stay small enough to read whole: no module over 400 non-blank lines, no
  function over 80 lines, no class over 250.
- Modules import modules (`from . import plan`, then `plan.review(...)`): no import takes
  more than a handful of names from one module."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "planar_cfn"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
    )


def test_the_package_keeps_its_layers_and_has_no_cycle():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_the_package_is_made_of_subpackages():
    subpackages = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))
    assert subpackages == [
        "aws",
        "catalog",
        "cli",
        "deploy",
        "inputs",
        "lint",
        "reports",
        "template",
    ]


def test_imports_under_type_checking_count_and_the_policy_helpers_are_a_leaf():
    graph = grimp.build_graph("planar_cfn", cache_dir=None)
    # Imported for annotations only, yet it still ties the modules together: the
    # contracts see it, so a cycle through it is caught the day it is needed at run time.
    assert "planar_cfn.template.database" in graph.find_modules_directly_imported_by(
        "planar_cfn.template.iam"
    )
    # Every template module may use the policy helpers: they depend on no module of ours.
    assert graph.find_modules_directly_imported_by("planar_cfn.template.policies") == set()


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # A lower layer importing a higher one.
        (
            "inputs/stages.py",
            "from ..template import naming",
            "planar_cfn.inputs is not allowed to import planar_cfn.template",
        ),
        # Two siblings of one layer.
        (
            "reports/cost.py",
            "from ..deploy import plan",
            "planar_cfn.reports is not allowed to import planar_cfn.deploy",
        ),
        # A cycle inside one package.
        (
            "template/naming.py",
            "from . import stack",
            "No import cycle among the modules of any package BROKEN",
        ),
    ],
)
def test_an_import_against_the_contract_is_caught(tmp_path, module, line, broken):
    shutil.copytree(PACKAGE, tmp_path / "planar_cfn", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    target = tmp_path / "planar_cfn" / module
    target.write_text(target.read_text() + f"\n{line}  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert broken in result.stdout


MAX_MODULE_LINES = 400  # non-blank
MAX_FUNCTION_LINES = 80
MAX_CLASS_LINES = 250
MAX_NAMES_PER_IMPORT = 8
SOURCES = sorted(PACKAGE.rglob("*.py"))


def _parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text())


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_no_module_is_over_400_non_blank_lines():
    long = {
        _name(path): lines
        for path in SOURCES
        if (lines := sum(1 for line in path.read_text().splitlines() if line.strip()))
        > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_function_is_over_80_lines_and_no_class_over_250():
    long = {}
    for path in SOURCES:
        for node in ast.walk(_parsed(path)):
            limit = (
                MAX_CLASS_LINES
                if isinstance(node, ast.ClassDef)
                else MAX_FUNCTION_LINES
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                else None
            )
            if limit and (lines := node.end_lineno - node.lineno + 1) > limit:
                long[f"{_name(path)}:{node.name}"] = lines
    assert long == {}


def test_modules_import_modules_not_long_lists_of_names():
    long = {
        f"{_name(path)}:{node.lineno}": len(node.names)
        for path in SOURCES
        for node in ast.walk(_parsed(path))
        if isinstance(node, ast.ImportFrom)
        and (node.level or (node.module or "").startswith("planar_cfn"))
        and len(node.names) > MAX_NAMES_PER_IMPORT
    }
    assert long == {}


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("x = 1\n" * 401, "module"),
        ("def f():\n" + "    x = 1\n" * 80, "function"),
        ("class C:\n" + "    x = 1\n" * 250, "class"),
        ("from .plan import " + ", ".join(f"n{i}" for i in range(9)) + "\n", "import"),
    ],
)
def test_each_limit_catches_what_it_is_for(monkeypatch, tmp_path, source, what):
    module = tmp_path / "planar_cfn" / "big.py"
    module.parent.mkdir()
    module.write_text(source)
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "SOURCES", [module])
    check = {
        "module": test_no_module_is_over_400_non_blank_lines,
        "function": test_no_function_is_over_80_lines_and_no_class_over_250,
        "class": test_no_function_is_over_80_lines_and_no_class_over_250,
        "import": test_modules_import_modules_not_long_lists_of_names,
    }[what]
    with pytest.raises(AssertionError, match=r"planar_cfn/big\.py"):
        check()
