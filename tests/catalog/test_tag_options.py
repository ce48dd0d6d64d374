"""The stage's tag options on the product, as a publish sets them: found or created,
associated, stale values removed, an inactive one refused. Service Catalog is
botocore's Stubber, as in test_portfolio.py."""

import pytest

from planar_cfn.errors import InputError
from tests.catalog.publish_calls import (
    PORTFOLIO_ID,
    PROD_TAG_OPTIONS,
    PRODUCT_ID,
    aws_env,  # noqa: F401 - the fixture the aws fixture needs
    expect_portfolio_exists,
    expect_search,
    product_view,
    tag_option,
)
from tests.catalog.test_portfolio import (
    do_publish,
    expect_unchanged_product,
)


def test_missing_tag_options_are_found_or_created_and_associated_with_the_product(aws, prod, time):
    # GIVEN a product with three of the five tag options; "stage=prod" exists in the
    # account, "vendor_name=CoPlane" does not
    have = [tag_option(k, PROD_TAG_OPTIONS[k]) for k in ("framework", "framework.version")]
    have.append(tag_option("vendor_contact", PROD_TAG_OPTIONS["vendor_contact"]))
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_unchanged_product(aws.catalog, tag_options=have)
    aws.catalog.add_response(
        "list_tag_options",
        {
            "TagOptionDetails": [
                tag_option("stage", "prod-eu", "tag-other"),
                tag_option("stage", "prod", "tag-stage"),
            ]
        },
        {"Filters": {"Key": "stage", "Value": "prod"}},
    )
    aws.catalog.add_response(
        "associate_tag_option_with_resource",
        {},
        {"ResourceId": PRODUCT_ID, "TagOptionId": "tag-stage"},
    )
    aws.catalog.add_response(
        "list_tag_options",
        {"TagOptionDetails": []},
        {"Filters": {"Key": "vendor_name", "Value": "CoPlane"}},
    )
    aws.catalog.add_response(
        "create_tag_option",
        {"TagOptionDetail": tag_option("vendor_name", "CoPlane", "tag-vendor")},
        {"Key": "vendor_name", "Value": "CoPlane"},
    )
    aws.catalog.add_response(
        "associate_tag_option_with_resource",
        {},
        {"ResourceId": PRODUCT_ID, "TagOptionId": "tag-vendor"},
    )
    # WHEN
    result, out = do_publish(aws, prod, time)
    # THEN
    assert result.tag_options == ("stage=prod", "vendor_name=CoPlane")
    assert result.removed_tag_options == ()
    assert result.done == (
        f"associated tag option stage=prod with {PRODUCT_ID}",
        "created tag option vendor_name=CoPlane",
        f"associated tag option vendor_name=CoPlane with {PRODUCT_ID}",
    )
    assert f"tag option stage=prod: associated with product {PRODUCT_ID}" in out


def test_stale_values_leave_the_product_and_the_portfolio_one_value_per_key(aws, prod, time):
    # GIVEN a framework upgrade: the product has framework.version 0.16, and earlier
    # publishes of dev and prod left stage=dev, stage=prod and framework.version=0.16
    # on the shared portfolio, which Service Catalog would offer as choices at launch;
    # the portfolio's own team=platform is not a key a publish sets
    on_product = [tag_option(k, v) for k, v in PROD_TAG_OPTIONS.items() if k != "framework.version"]
    on_product.append(tag_option("framework.version", "0.16", "tag-version-old"))
    on_portfolio = [
        tag_option("stage", "dev", "tag-stage-dev"),
        tag_option("stage", "prod", "tag-stage"),
        tag_option("framework.version", "0.16", "tag-version-old"),
        tag_option("team", "platform", "tag-team"),
    ]
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog, tag_options=on_portfolio)
    expect_unchanged_product(aws.catalog, tag_options=on_product)
    version_now = {"Key": "framework.version", "Value": PROD_TAG_OPTIONS["framework.version"]}
    aws.catalog.add_response(
        "list_tag_options",
        {"TagOptionDetails": [tag_option(**{k.lower(): v for k, v in version_now.items()})]},
        {"Filters": version_now},
    )
    aws.catalog.add_response(
        "associate_tag_option_with_resource",
        {},
        {"ResourceId": PRODUCT_ID, "TagOptionId": "tag-framework.version"},
    )
    for resource, option in (
        (PRODUCT_ID, "tag-version-old"),
        (PORTFOLIO_ID, "tag-stage-dev"),
        (PORTFOLIO_ID, "tag-stage"),
        (PORTFOLIO_ID, "tag-version-old"),
    ):
        aws.catalog.add_response(
            "disassociate_tag_option_from_resource",
            {},
            {"ResourceId": resource, "TagOptionId": option},
        )
    # WHEN
    result, out = do_publish(aws, prod, time)
    # THEN each key has one value, on the product; the portfolio keeps team=platform
    assert result.tag_options == ("framework.version=0.17",)
    assert result.removed_tag_options == (
        "framework.version=0.16",
        "stage=dev",
        "stage=prod",
        "framework.version=0.16",
    )
    assert f"tag option framework.version=0.16: removed from product {PRODUCT_ID}" in out
    assert f"tag option stage=dev: removed from portfolio {PORTFOLIO_ID}" in out
    assert "team" not in out


def test_tag_options_already_there_change_nothing(aws, prod, time):
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog, tag_options=[tag_option("team", "platform")])
    expect_unchanged_product(aws.catalog)
    result, out = do_publish(aws, prod, time)
    assert result.tag_options == result.removed_tag_options == ()
    assert result.done == ()
    assert f"tag options: unchanged (5 on product {PRODUCT_ID})" in out


def test_a_tag_option_created_or_associated_meanwhile_is_fine(aws, prod, time):
    # AWS answers DuplicateResourceException for what is already there
    have = [tag_option(k, v) for k, v in PROD_TAG_OPTIONS.items() if k != "stage"]
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_unchanged_product(aws.catalog, tag_options=have)
    stage = {"Filters": {"Key": "stage", "Value": "prod"}}
    aws.catalog.add_response("list_tag_options", {"TagOptionDetails": []}, stage)
    aws.catalog.add_client_error(
        "create_tag_option",
        "DuplicateResourceException",
        "TagOption already exists",
        expected_params={"Key": "stage", "Value": "prod"},
    )
    aws.catalog.add_response(
        "list_tag_options", {"TagOptionDetails": [tag_option("stage", "prod")]}, stage
    )
    aws.catalog.add_client_error(
        "associate_tag_option_with_resource",
        "DuplicateResourceException",
        "already associated",
        expected_params={"ResourceId": PRODUCT_ID, "TagOptionId": "tag-stage"},
    )
    result, _ = do_publish(aws, prod, time)
    assert result.done == ()


def test_an_inactive_tag_option_says_how_to_activate_it(aws, prod, time):
    have = [tag_option(k, v) for k, v in PROD_TAG_OPTIONS.items() if k != "stage"]
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_unchanged_product(aws.catalog, tag_options=have)
    aws.catalog.add_response(
        "list_tag_options",
        {"TagOptionDetails": [tag_option("stage", "prod", active=False)]},
        {"Filters": {"Key": "stage", "Value": "prod"}},
    )
    with pytest.raises(InputError, match="update-tag-option --id tag-stage --active"):
        do_publish(aws, prod, time)


# --- principals ------------------------------------------------------------------------
