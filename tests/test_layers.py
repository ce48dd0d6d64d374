"""The package's layers are a checked contract (pyproject.toml's [tool.importlinter]):
the command over deploy, catalog and reports, over lint and aws, over the template,
over the inputs. `./run style` checks it; so does this suite, which also proves that
an import against the layers, or a cycle, is caught."""

import shutil
import subprocess
import sys
from pathlib import Path

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
