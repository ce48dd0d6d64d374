"""The package as others install and call it: pyproject's metadata agrees with the
code and requirements.txt, the `planar-cfn` command is a callable that speaks in the
name it was started by, and a library call to the lint leaves the caller's garbage
collector as it was. No network: nothing is downloaded. Where an installed copy looks
for templates/ and stages/: test_paths.py; build.py and `python -m planar_cfn`:
test_main.py."""

import gc
import importlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from cfnlint.helpers import REGIONS as CFN_LINT_REGIONS
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import planar_cfn
from planar_cfn.lint.runner import (
    HOME_REGION,
    lint_bodies,
    lint_body,
    lint_regions,
    unknown_regions,
)

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def pinned_direct_dependencies() -> dict[str, str]:
    """requirements.txt's first block: the direct dependencies, name -> pinned version."""
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    block = [line for line in lines if not line.startswith("#")]
    direct = block[: block.index("")] if "" in block else block
    return {
        canonicalize_name(name): version for name, version in (line.split("==") for line in direct)
    }


def test_the_version_has_one_source():
    assert "version" not in PROJECT
    assert "version" in PROJECT["dynamic"]
    module, attribute = SETUPTOOLS["dynamic"]["version"]["attr"].rsplit(".", 1)
    assert getattr(importlib.import_module(module), attribute) == planar_cfn.__version__


def test_the_dependencies_are_requirements_txt_direct_ones_as_ranges_holding_the_pins():
    pins = pinned_direct_dependencies()
    ranges = {canonicalize_name(r.name): r for r in map(Requirement, PROJECT["dependencies"])}
    assert ranges.keys() == pins.keys()
    for name, requirement in ranges.items():
        assert requirement.specifier.contains(pins[name]), (name, str(requirement))
        assert not str(requirement.specifier).startswith("=="), f"{name}: a range, not a pin"


def test_metadata_python_and_the_packages_shipped():
    assert PROJECT["name"] == "planar-cfn"
    assert PROJECT["requires-python"] == ">=3.11"
    assert SETUPTOOLS["packages"]["find"]["include"] == ["planar_cfn*"]  # not tests/
    assert "py.typed" in SETUPTOOLS["package-data"]["planar_cfn"]
    assert (ROOT / "planar_cfn" / "py.typed").is_file()
    # The Guard rules (docs/ci.md), which are no Python module, ship as package data.
    assert "lint/planar.guard" in SETUPTOOLS["package-data"]["planar_cfn"]
    assert (ROOT / "planar_cfn" / "lint" / "planar.guard").is_file()


def test_the_console_script_is_a_callable_that_imports_nothing_heavy_before_turning_gc_off():
    module, function = PROJECT["scripts"]["planar-cfn"].split(":")
    assert callable(getattr(importlib.import_module(module), function))
    # What the generated `planar-cfn` script imports before calling it: the library
    # (troposphere, cfn-lint) must still be unloaded, so gc.disable() comes first.
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys, {module}; print(sorted(m for m in sys.modules "
            "if m.startswith(('planar_cfn.', 'troposphere', 'cfnlint', 'boto'))))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert loaded.strip() == f"[{module!r}, 'planar_cfn._version']"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The package as pip installs it: alone in a site directory, with the `planar-cfn`
    script that pip writes for pyproject's entry point, made by pip's own script maker
    (building a wheel needs the `wheel` package, which an offline run may lack)."""
    from pip._vendor.distlib.scripts import ScriptMaker

    root = tmp_path_factory.mktemp("installed")
    site = root / "site-packages"
    shutil.copytree(
        ROOT / "planar_cfn", site / "planar_cfn", ignore=shutil.ignore_patterns("__pycache__")
    )
    maker = ScriptMaker(None, str(root / "bin"))
    maker.executable, maker.variants = sys.executable, {""}
    (script,) = maker.make(f"planar-cfn = {PROJECT['scripts']['planar-cfn']}")
    return [script], {"PYTHONPATH": str(site)}


# How each name is started, and what else it needs to find the package.
STARTS = {
    "build.py": ([sys.executable, str(ROOT / "build.py")], {}),
    "python -m planar_cfn": ([sys.executable, "-m", "planar_cfn"], {"PYTHONPATH": str(ROOT)}),
}


@pytest.mark.parametrize("prog", ["build.py", "python -m planar_cfn", "planar-cfn"])
def test_every_message_names_the_command_as_it_was_started(prog, installed, tmp_path):
    command, env = installed if prog == "planar-cfn" else STARTS[prog]
    env = {**os.environ, **env, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    bad = tmp_path / "dev.json"
    bad.write_text(json.dumps({"regoin": "eu-west-1"}))

    def run(*argv):
        return subprocess.run(
            [*command, *argv], cwd=tmp_path, env=env, capture_output=True, text=True
        )

    # GIVEN the command under one of its names, run from another directory
    # WHEN a flag is given outside its mode
    refused = run("--stage", "dev", "--no-deploy", "--timeout", "5")
    # THEN the usage and the error name it
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"usage: {prog} [-h] (--stage {{dev,staging,prod}}")
    assert f"\n{prog}: error: argument --timeout: only when deploying " in refused.stderr
    # WHEN a template is stale, the command it suggests is itself
    stale = run("--stage", "dev", "--check", "--templates-dir", "out")
    assert stale.returncode == 1
    assert stale.stdout == (
        f"stale: out/planar-dev.json is missing; run {prog} --all-stages --no-deploy\n"
    )
    # WHEN a deploy's stage file is bad (refused before any AWS call)
    deploy = run("--stage", "dev", "--dry-run", "--stage-file", str(bad))
    assert deploy.returncode == 2
    lines = deploy.stderr.splitlines()
    assert lines[0].startswith(f"{prog}: error: "), lines
    assert "unknown key 'regoin'" in deploy.stderr
    assert lines[-1] == f"{prog}: nothing was created or changed"


@pytest.fixture
def restored_gc():
    enabled, frozen = gc.isenabled(), gc.get_freeze_count()
    yield
    if not frozen:
        gc.unfreeze()
    gc.enable() if enabled else gc.disable()


TINY = json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}, indent=2)


@pytest.mark.parametrize("enabled", [True, False])
@pytest.mark.parametrize("frozen_before", [False, True])
def test_a_library_lint_call_leaves_the_garbage_collector_as_it_was(
    enabled, frozen_before, restored_gc
):
    # GIVEN a caller with collection on or off, with or without frozen objects of its own
    gc.enable() if enabled else gc.disable()
    callers = ["an object of the caller's"]  # a list: the collector tracks it
    if frozen_before:
        gc.freeze()
    before = gc.get_freeze_count()
    # WHEN it lints two templates (in forked workers where the machine can)
    findings = lint_bodies({"a": TINY, "b": TINY}, regions=(HOME_REGION,))
    # THEN the process is as it was: nothing of the call's is left frozen (a frozen
    # object freed meanwhile leaves the count), the caller's object is frozen or not as
    # before (the collector's generations hold only what is not frozen)
    assert findings == {"a": [], "b": []}
    assert gc.get_freeze_count() <= before
    assert any(o is callers for o in gc.get_objects()) is not frozen_before
    assert gc.isenabled() is enabled


def test_lint_regions_are_us_east_1_and_the_well_formed_ones_stage_files_name(tmp_path):
    example = json.loads((ROOT / "stages" / "example.json").read_text())
    for name, region in {
        "dev": "eu-west-1",
        "staging": "ap-southeast-2",
        "prod": "us-east-1",
        "qa": "eu-west-1",
        "upper": "EU-WEST-1",
        "number": 7,
        "unknown": "us-moon-1",
    }.items():
        (tmp_path / f"{name}.json").write_text(json.dumps({**example, "region": region}))
    (tmp_path / "broken.json").write_text('{"region": "sa-east-1",')
    (tmp_path / "notes.txt").write_text('{"region": "ca-central-1"}')
    assert lint_regions(tmp_path) == ("us-east-1", "ap-southeast-2", "eu-west-1")
    assert unknown_regions(tmp_path) == ["us-moon-1"]
    assert lint_regions(tmp_path / "absent") == ("us-east-1",)


def test_each_lint_region_is_checked():
    lightsail = json.dumps(
        {
            "Resources": {
                "Box": {
                    "Type": "AWS::Lightsail::Instance",
                    "Properties": {
                        "InstanceName": "box",
                        "BlueprintId": "amazon_linux_2",
                        "BundleId": "nano_3_0",
                    },
                }
            }
        },
        indent=2,
    )
    assert lint_body(lightsail, "t.json", ("us-east-1",)) == []
    (finding,) = lint_body(lightsail, "t.json", ("us-east-1", "cn-north-1"))
    assert finding.rule == "E3006"
    assert "cn-north-1" in finding.message


def test_every_stage_is_lint_clean_in_every_region_cfn_lint_knows(rendered, lint_clean):
    """The build lints us-east-1 and the stage files' regions; this is the rest."""
    findings = lint_clean({stage: r.body for stage, r in rendered.items()}, tuple(CFN_LINT_REGIONS))
    assert findings == {stage: [] for stage in rendered}
