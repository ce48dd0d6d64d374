"""The deploy and publish options from Python: each bad value refused as the options are
made, naming itself, its value and what is allowed, as the flags do; every problem at
once; and text taken as the flags give it."""

from pathlib import Path

import pytest

from planar_cfn.errors import ExitCode, InputError
from planar_cfn.inputs.options import DeployOptions, PublishOptions
from tests.publish_stubs import BUCKET


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"stage": "qa"}, "stage 'qa' is not known; allowed: dev, staging, prod"),
        ({"timeout": 0}, "timeout: must be a whole number of minutes from 1 to 1440, not 0"),
        ({"timeout": 1441}, "timeout: must be a whole number of minutes from 1 to 1440, not 1441"),
        ({"timeout": True}, "timeout: must be a whole number of minutes from 1 to 1440, not True"),
        (
            {"timeout": "soon"},
            "timeout: must be a whole number of minutes from 1 to 1440, not 'soon'",
        ),
        ({"image_tag": "-bad tag"}, "image_tag: '-bad tag' is not allowed: must be a Docker tag"),
        ({"image_tag": 42}, "image_tag: 42 is not allowed: must be a Docker tag"),
        (
            {"region": "useast1"},
            "region: 'useast1' is not allowed: must be an AWS region such as us-east-1",
        ),
        ({"profile": "two words"}, "profile: 'two words' is not allowed: must be a profile name"),
        (
            {"template_bucket": "Bad_Bucket"},
            "template_bucket: 'Bad_Bucket' is not allowed: must be an S3 bucket name",
        ),
        ({"yes": "no"}, "yes: must be True or False, not 'no'"),
        ({"dry_run": 1}, "dry_run: must be True or False, not 1"),
        ({"stage_file": 7}, "stage_file: must be a path, not 7"),
        (
            {"image_tag": "v1", "destroy": True},
            "image_tag, destroy, watch, drift and diff exclude each other: give one at most",
        ),
    ],
)
def test_a_bad_deploy_option_names_itself_its_value_and_what_is_allowed(options, message):
    with pytest.raises(InputError) as refused:
        DeployOptions(**{"stage": "dev", **options})
    assert message in str(refused.value)
    assert refused.value.exit_code == ExitCode.BAD_INPUT


def test_every_bad_deploy_option_is_reported_at_once():
    with pytest.raises(InputError) as refused:
        DeployOptions(stage="dev", timeout=0, region="useast1", yes="y")
    assert str(refused.value).splitlines() == [
        "region: 'useast1' is not allowed: must be an AWS region such as us-east-1",
        "yes: must be True or False, not 'y'",
        "timeout: must be a whole number of minutes from 1 to 1440, not 0",
    ]


def test_deploy_options_take_text_as_the_flags_give_it():
    options = DeployOptions(stage="dev", timeout="90", stage_file="stages/dev.json")
    assert options.timeout == 90
    assert options.stage_file == Path("stages/dev.json")
    assert options.mode == "deploy"
    assert DeployOptions(stage="prod", image_tag="v42").mode == "image-tag"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"artifact_bucket": "Bad_Bucket"},
            "artifact_bucket: 'Bad_Bucket' is not an S3 bucket name",
        ),
        (
            {"product_name": " "},
            "product_name: ' ' is not a product name: 1-8191 characters, not all blank",
        ),
        (
            {"product_name": "p" * 8192},
            "product_name: '" + "p" * 40 + "'... (8192 characters) is not a product name",
        ),
        (
            {"portfolio_id": "portfolio1"},
            "portfolio_id: 'portfolio1' is not a portfolio id: port- and 1-95",
        ),
        ({"portfolio_id": "port-abc\n"}, "portfolio_id: 'port-abc\\n' is not a portfolio id"),
        ({"deactivate_old": "yes"}, "deactivate_old: must be True or False, not 'yes'"),
        ({"region": "eu west 1"}, "region: 'eu west 1' is not allowed: must be an AWS region"),
    ],
)
def test_a_bad_publish_option_names_itself_its_value_and_what_is_allowed(options, message):
    with pytest.raises(InputError) as refused:
        PublishOptions(**{"artifact_bucket": BUCKET, **options})
    assert message in str(refused.value)


@pytest.mark.parametrize(
    "options",
    [
        {"product_name": "Planar (EU): prod, v2"},
        {"product_name": "p" * 8191},
        {"portfolio_id": "port-2"},
        {"portfolio_id": "port-" + "a" * 95},
    ],
)
def test_product_names_and_portfolio_ids_the_flags_accept_are_accepted(options):
    assert PublishOptions(BUCKET, **options).product_for("prod") == options.get(
        "product_name", "planar-prod"
    )
