import json

import pytest

from planar_cfn.config import StackConfig
from planar_cfn.render import render
from planar_cfn.stages import STAGE_NAMES

# The deploy fixtures (aws_env, harness) and the publish one (aws) for every test module.
pytest_plugins = ["tests.deploy_stubs", "tests.publish_stubs"]


@pytest.fixture(scope="session")
def rendered():
    return {stage: render(StackConfig.for_stage(stage)) for stage in STAGE_NAMES}


@pytest.fixture(scope="session")
def templates(rendered):
    return {stage: json.loads(r.body) for stage, r in rendered.items()}


@pytest.fixture(params=STAGE_NAMES)
def stage(request):
    return request.param


@pytest.fixture
def template(templates, stage):
    return templates[stage]
