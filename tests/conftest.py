import json
import os

import pytest

from planar_cfn.config import StackConfig
from planar_cfn.launch_role import with_launch_role
from planar_cfn.lint_cache import CACHE_DIR_ENV, LintCache, lint_cached
from planar_cfn.render import render
from planar_cfn.stages import STAGE_NAMES

# The deploy fixtures (aws_env, harness) and the publish one (aws) for every test module.
pytest_plugins = ["tests.deploy_stubs", "tests.publish_stubs"]


@pytest.fixture(scope="session", autouse=True)
def lint_cache_dir(tmp_path_factory):
    """The command's lint cache for the whole run, shared by the xdist workers (their
    base folders are siblings) and never the checkout's .cache/: a template the suite
    builds through the command again is linted once (tests/test_lint_cache.py proves a
    hit is the same result)."""
    base = tmp_path_factory.getbasetemp()
    directory = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "lint-cache"
    patch = pytest.MonkeyPatch()
    patch.setenv(CACHE_DIR_ENV, str(directory))
    yield directory
    patch.undo()


@pytest.fixture(scope="session")
def rendered():
    return {stage: render(StackConfig.for_stage(stage)) for stage in STAGE_NAMES}


@pytest.fixture(scope="session")
def templates(rendered):
    return {stage: json.loads(r.body) for stage, r in rendered.items()}


@pytest.fixture(scope="session")
def stage_lint(rendered, lint_cache_dir):
    """Every stage's lint and the launch role's (lint_cache.Linted), through the suite's cache: linted once per
    run, so a test that builds the stages through the command finds its results there
    (the command's cache is the same folder) instead of linting each stage again."""
    bodies = {stage: r.body for stage, r in with_launch_role(rendered).items()}
    return lint_cached(bodies, LintCache(lint_cache_dir))


@pytest.fixture(params=STAGE_NAMES)
def stage(request):
    return request.param


@pytest.fixture
def template(templates, stage):
    return templates[stage]
