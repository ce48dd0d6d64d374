"""The product a publish finds or makes: this account's product of the name, searched
over every page, never one shared from another account or one of two of the same name;
a changed template becomes a new version of it."""

import pytest

from planar_cfn.catalog import product
from tests.catalog.publish_calls import (
    KEY,
    OTHER_ACCOUNT,
    PRODUCT_ID,
    VERSION_NAME,
    aws_env,  # noqa: F401 - the fixture the aws fixture needs
    do_publish,
    expect_new_version,
    expect_search,
    expect_versions,
    product_view,
    uploaded,
    version,
)


def test_every_page_of_products_is_searched(aws, prod):
    aws.catalog.add_response(
        "search_products_as_admin",
        {
            "ProductViewDetails": [product_view(name="other", product_id="prod-otherotherothe")],
            "NextPageToken": "page-2",
        },
        {"PageSize": 100},
    )
    aws.catalog.add_response(
        "search_products_as_admin",
        {"ProductViewDetails": [product_view()]},
        {"PageSize": 100, "PageToken": "page-2"},
    )
    expect_versions(aws.catalog, version("pa-same000000001", VERSION_NAME))
    result, _ = do_publish(aws, prod)
    assert result.product_id == PRODUCT_ID
    assert result.done == ()


def test_changed_template_becomes_a_new_version(aws, prod):
    expect_search(aws.catalog, product_view())
    expect_versions(aws.catalog, version("pa-old0000000001", "0.0.9-aaaaaaaa"))
    expect_new_version(aws.catalog)
    result, out = do_publish(aws, prod)
    assert result.version_id == "pa-new0000000001"
    assert uploaded(aws) == [KEY]
    assert f"created version {VERSION_NAME} (pa-new0000000001)" in out


def test_product_shared_from_another_account(aws, prod):
    expect_search(aws.catalog, product_view(account=OTHER_ACCOUNT))
    with pytest.raises(product.SharedProductError) as raised:
        do_publish(aws, prod)
    message = str(raised.value)
    assert f"shared from account {OTHER_ACCOUNT}" in message
    assert "publish with that account's credentials" in message
    assert "--product-name" in message
    assert uploaded(aws) == []


def test_own_product_wins_over_a_shared_one_of_the_same_name(aws, prod):
    shared = product_view(product_id="prod-sharedsharedx", account=OTHER_ACCOUNT)
    expect_search(aws.catalog, shared, product_view())
    expect_versions(aws.catalog, version("pa-same000000001", VERSION_NAME))
    result, _ = do_publish(aws, prod)
    assert result.product_id == PRODUCT_ID


def test_two_products_of_the_same_name(aws, prod):
    expect_search(aws.catalog, product_view(), product_view(product_id="prod-twotwotwotwot"))
    names_both = f"2 products are named 'planar-prod'.*{PRODUCT_ID}, prod-twotwotwotwot"
    with pytest.raises(product.AmbiguousProductError, match=names_both):
        do_publish(aws, prod)
