"""Where the command writes and reads: a checkout uses its own templates/ and stages/,
an installed copy the working directory's; and a file is written whole or not at all, a
symbolic link's target written, an existing file's mode kept and a new one's from the
umask."""

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from planar_cfn import paths
from planar_cfn.template.render import write_if_changed

ROOT = Path(__file__).resolve().parent.parent


def test_a_template_is_replaced_whole_or_not_at_all(tmp_path, monkeypatch):
    path = tmp_path / "planar-dev.json"
    path.write_text("the template before")

    def interrupted(source, target):
        raise KeyboardInterrupt

    monkeypatch.setattr(paths.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_if_changed(path, "the template after")
    assert path.read_text() == "the template before"
    assert [p.name for p in tmp_path.iterdir()] == ["planar-dev.json"]  # no partial file

    monkeypatch.undo()
    write_if_changed(path, "the template after")
    assert path.read_text() == "the template after"
    assert [p.name for p in tmp_path.iterdir()] == ["planar-dev.json"]


def test_a_new_template_gets_the_permissions_of_any_new_file(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    write_if_changed(tmp_path / "planar-dev.json", "{}")
    (tmp_path / "plain").write_text("{}")
    mode = stat.S_IMODE((tmp_path / "planar-dev.json").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "plain").stat().st_mode) == 0o666 & ~umask


def test_a_template_that_is_a_symbolic_link_has_its_target_written(tmp_path):
    target = tmp_path / "elsewhere" / "planar-dev.json"
    target.parent.mkdir()
    target.write_text("the template before")
    link = tmp_path / "planar-dev.json"
    link.symlink_to(target)
    write_if_changed(link, "the template after")
    assert link.is_symlink()
    assert target.read_text() == "the template after"
    assert [p.name for p in target.parent.iterdir()] == ["planar-dev.json"]


def test_a_rewritten_template_keeps_its_mode(tmp_path):
    path = tmp_path / "planar-dev.json"
    path.write_text("the template before")
    path.chmod(0o640)
    write_if_changed(path, "the template after")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_checkout_uses_its_own_templates_and_stages():
    assert paths.IN_CHECKOUT
    assert paths.TEMPLATES_DIR == ROOT / "templates"
    assert paths.STAGES_DIR == ROOT / "stages"


def test_an_installed_copy_uses_the_working_directory(tmp_path):
    # GIVEN the package copied as pip installs it: alone in a site directory
    site, work = tmp_path / "site-packages", tmp_path / "work"
    shutil.copytree(
        ROOT / "planar_cfn", site / "planar_cfn", ignore=shutil.ignore_patterns("__pycache__")
    )
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    # WHEN the command runs in another directory
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from planar_cfn import paths; print(paths.TEMPLATES_DIR, paths.STAGES_DIR)",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["templates", "stages"]
    result = subprocess.run(
        [sys.executable, "-m", "planar_cfn", "--all-stages", "--check"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    # THEN it looks for templates in the working directory's templates/
    assert result.returncode == 1
    assert "stale: templates/planar-dev.json is missing; run " in result.stdout
