import gc
import json
import os
from pathlib import Path
from typing import Any

import botocore.client
import botocore.loaders
import botocore.session
import pytest

from planar_cfn.catalog.deploy_role import with_deploy_role
from planar_cfn.catalog.launch_role import with_launch_role
from planar_cfn.inputs.stages import STAGE_NAMES
from planar_cfn.lint.cache import CACHE_DIR_ENV, LintCache, lint_cached
from planar_cfn.template.config import StackConfig
from planar_cfn.template.render import render

# The deploy fixtures (aws_env, harness) and the publish one (aws) for every test module.
pytest_plugins = ["tests.deploy_stubs", "tests.publish_stubs"]


def pytest_configure(config):
    """Full garbage collections only after 1,000 middle-generation ones (CPython's
    default: 10). A full collection walks every live object, and a worker holds up to
    800,000 that live for the whole run (botocore's models, cfn-lint's rules and
    schemas, moto's backends): about 20 full collections cost each worker 5-6 s of a
    60 s run. Young objects are still collected as often as ever, and CPython still
    skips a full collection until the long-lived set has grown by a quarter, so the
    cost is memory: a worker's peak goes from about 455 MiB to about 590 MiB
    (benchmarks/build_speed.py --tests measures both)."""
    threshold0, threshold1, _ = gc.get_threshold()
    gc.set_threshold(threshold0, threshold1, 1000)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    """Once the tests are done: one full collection, so every cycle they left is
    finalised and an exception raised in a __del__ still reaches pytest's report, then
    everything left frozen. The process is about to exit, and the two full collections
    that would follow (pytest's last look for unraisable exceptions, the interpreter's
    at exit) would walk up to 800,000 objects again."""
    gc.collect()
    gc.freeze()


# Set to "off" to lint cold: the run's cache is then a fresh folder of its own.
TEST_CACHE_ENV = "PLANAR_CFN_TEST_CACHE"
# The suite's lint cache between runs, git-ignored like the command's own
# (.cache/planar-cfn/lint/) but apart from it.
TEST_CACHE_DIR = Path(__file__).resolve().parent.parent / ".cache" / "planar-cfn" / "test"


@pytest.fixture(scope="session", autouse=True)
def lint_cache_dir(tmp_path_factory):
    """The command's lint cache for the whole run, shared by the xdist workers and never
    the command's own .cache/planar-cfn/lint/: a template the suite builds through the
    command again is linted once (tests/lint/test_cache.py proves a hit is the same
    result). A lint is a pure function of its key (the template's bytes, the cfn-lint
    release, the regions, checks and .cfnlintrc files), so the folder is kept between
    runs in .cache/planar-cfn/test/ and an unchanged template is linted by no later run;
    with PLANAR_CFN_TEST_CACHE=off the run gets a fresh folder (its xdist workers' base
    folders are siblings) and lints everything."""
    if os.environ.get(TEST_CACHE_ENV, "").lower() == "off":
        base = tmp_path_factory.getbasetemp()
        directory = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "lint-cache"
    else:
        directory = TEST_CACHE_DIR
    patch = pytest.MonkeyPatch()
    patch.setenv(CACHE_DIR_ENV, str(directory))
    yield directory
    patch.undo()


@pytest.fixture(scope="session", autouse=True)
def shared_botocore_models():
    """One botocore model loader per data path for the whole run, not one per session,
    and each service's client methods made once per loaded model: each test's fresh
    boto3 session (its own credentials, region, moto and Stubber) would otherwise parse
    the same service and endpoint JSON again and make the same few hundred methods for
    every client, most of a deploy or publish test's set-up. The loader only reads
    botocore's bundled files (a session already hands the same loaded models to all its
    clients); the methods only call the client's own _make_api_call, and each client
    class is still made by its session, with that session's event handlers."""
    loaders: dict[str | None, botocore.loaders.Loader] = {}
    methods: dict[tuple[str, str, int], dict[str, Any]] = {}
    create_methods = botocore.client.ClientCreator._create_methods

    def create_loader(search_path_string: str | None = None) -> botocore.loaders.Loader:
        if search_path_string not in loaders:
            loaders[search_path_string] = botocore.loaders.create_loader(search_path_string)
        return loaders[search_path_string]

    def shared_methods(self: Any, service_model: Any) -> dict[str, Any]:
        # The loaded description is the shared loader's, alive as long as it is.
        key = (
            service_model.service_name,
            service_model.api_version,
            id(service_model._service_description),
        )
        if key not in methods:
            methods[key] = create_methods(self, service_model)
        return dict(methods[key])

    patch = pytest.MonkeyPatch()
    patch.setattr(botocore.session, "create_loader", create_loader)
    patch.setattr(botocore.client.ClientCreator, "_create_methods", shared_methods)
    yield
    patch.undo()


@pytest.fixture(scope="session")
def lint_clean(lint_cache_dir):
    """lint_clean(bodies, regions=None) -> the findings for each template by name,
    through the suite's lint cache: for the tests about templates being clean, not about
    the linter (tests/lint/test_runner.py and tests/lint/test_cache.py run cfn-lint itself)."""

    def findings(bodies, regions=None):
        return lint_cached(bodies, LintCache(lint_cache_dir), regions).findings

    return findings


@pytest.fixture(scope="session")
def rendered():
    return {stage: render(StackConfig.for_stage(stage)) for stage in STAGE_NAMES}


@pytest.fixture(scope="session")
def templates(rendered):
    return {stage: json.loads(r.body) for stage, r in rendered.items()}


@pytest.fixture(scope="session")
def stage_lint(rendered, lint_cache_dir):
    """Every stage's lint and the launch and deploy roles' (lint_cache.Linted), through the suite's cache: linted once per
    run, so a test that builds the stages through the command finds its results there
    (the command's cache is the same folder) instead of linting each stage again."""
    roles = with_deploy_role(with_launch_role(rendered))
    bodies = {stage: r.body for stage, r in roles.items()}
    return lint_cached(bodies, LintCache(lint_cache_dir))


@pytest.fixture(params=STAGE_NAMES)
def stage(request):
    return request.param


@pytest.fixture
def template(templates, stage):
    return templates[stage]
