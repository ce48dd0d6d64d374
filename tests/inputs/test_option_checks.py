"""The checks of the publish flags' values: a product name or portfolio id of the
allowed shape is taken as given, any other is refused with exit 2, naming the flag, the
value (shortened when long) and what is allowed."""

import pytest

from planar_cfn.cli import commands as cli
from tests.catalog.publish_calls import NO_AWS, publish_args
from tests.publish_stubs import BUCKET


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--product-name", "planar-prod"),
        ("--product-name", "Planar (EU): prod, v2"),
        ("--product-name", "p"),
        ("--product-name", "p" * 8191),
        ("--portfolio-id", "port-abcdefghijklm"),
        ("--portfolio-id", "port-2"),
        ("--portfolio-id", "port-" + "a" * 95),
    ],
)
def test_valid_product_names_and_portfolio_ids_are_accepted(flag, value):
    args = publish_args("--artifact-bucket", BUCKET, flag, value)
    assert getattr(args, flag[2:].replace("-", "_")) == value


@pytest.mark.parametrize(
    ("flag", "value", "shown", "allowed"),
    [
        ("--product-name", "", "''", "is not a product name: 1-8191 characters, not all blank"),
        (
            "--product-name",
            "   ",
            "'   '",
            "is not a product name: 1-8191 characters, not all blank",
        ),
        (
            "--product-name",
            "p" * 8192,
            "'" + "p" * 40 + "'... (8192 characters)",
            "is not a product name: 1-8191 characters, not all blank",
        ),
        (
            "--portfolio-id",
            "portfolio1",
            "'portfolio1'",
            "is not a portfolio id: port- and 1-95 lowercase letters or digits, such as port-abcdefghijklm",
        ),
        ("--portfolio-id", "port-", "'port-'", "is not a portfolio id: port- and 1-95 lowercase"),
        (
            "--portfolio-id",
            "port-ABCDEF",
            "'port-ABCDEF'",
            "is not a portfolio id: port- and 1-95 lowercase",
        ),
        (
            "--portfolio-id",
            "port-abc\n",
            "'port-abc\\n'",
            "is not a portfolio id: port- and 1-95 lowercase",
        ),
        (
            "--portfolio-id",
            "port-" + "a" * 96,
            "'port-" + "a" * 35 + "'... (101 characters)",
            "is not a portfolio id: port- and 1-95 lowercase",
        ),
    ],
)
def test_bad_product_names_and_portfolio_ids_are_refused_naming_flag_value_and_what_is_allowed(
    flag, value, shown, allowed, capsys, monkeypatch
):
    with pytest.raises(SystemExit) as exited:
        cli.main(
            ["--stage", "prod", "--publish", "--artifact-bucket", BUCKET, flag, value],
            runtime=NO_AWS,
        )
    assert exited.value.code == 2
    assert f"build.py: error: argument {flag}: {shown} {allowed}" in capsys.readouterr().err


# --image-tag takes what ContainerImageTag takes: a tag, or an image digest that pins
# the image (docs/security.md, "The image and the bucket").
def test_image_tag_takes_a_tag_or_a_digest():
    from planar_cfn.inputs import option_checks

    digest = "@sha256:" + "ab" * 32
    assert option_checks.image_tag("1.4.2") == "1.4.2"
    assert option_checks.image_tag(digest) == digest
    for refused in ("sha256:" + "ab" * 32, digest[:-1], digest.upper(), "1.4.2@" + digest[1:]):
        with pytest.raises(ValueError, match="image digest"):
            option_checks.image_tag(refused)
