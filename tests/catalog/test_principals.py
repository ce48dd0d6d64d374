"""The principals associated with the portfolio, as a publish sets them, within its limit
of IAM patterns. Service Catalog is botocore's Stubber, as in test_portfolio.py."""

from planar_cfn.errors import ExitCode
from tests.catalog.publish_calls import (
    PORTFOLIO_ID,
    aws_env,  # noqa: F401 - the fixture the aws fixture needs
    expect_portfolio_exists,
    expect_search,
    product_view,
    uploaded,
)
from tests.catalog.test_portfolio import (
    PATTERN,
    TEAM_ROLE,
    build_py,
    do_publish,
    expect_principals,
    expect_unchanged_product,
)


def test_principals_already_associated_are_left_and_new_ones_associated(aws, time, tmp_path):
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_principals(aws.catalog, (TEAM_ROLE, "IAM"))
    expect_unchanged_product(aws.catalog)
    aws.catalog.add_response(
        "associate_principal_with_portfolio",
        {},
        {"PortfolioId": PORTFOLIO_ID, "PrincipalARN": PATTERN, "PrincipalType": "IAM_PATTERN"},
    )
    code, out, err = build_py(aws, time, tmp_path, "--principal", TEAM_ROLE, "--principal", PATTERN)
    assert code == 0, err
    assert f"principal {TEAM_ROLE}: unchanged (already associated)" in out
    assert f"principal {PATTERN}: associated (IAM_PATTERN)" in out


def test_a_full_principal_arn_is_of_type_iam(aws, prod, time):
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_principals(aws.catalog)
    expect_unchanged_product(aws.catalog)
    aws.catalog.add_response(
        "associate_principal_with_portfolio",
        {},
        {"PortfolioId": PORTFOLIO_ID, "PrincipalARN": TEAM_ROLE, "PrincipalType": "IAM"},
    )
    result, _ = do_publish(aws, prod, time, principals=[TEAM_ROLE])
    assert result.principals == (TEAM_ROLE,)
    assert result.done == (f"associated principal {TEAM_ROLE}",)


def test_patterns_already_on_the_portfolio_count_toward_the_limit(aws, time, tmp_path):
    # GIVEN 8 IAM patterns on the portfolio (and a full ARN, which does not count);
    # one of the three given is among them, so two are new: 10, allowed; three new: 11
    there = [(f"arn:aws:iam:::role/team-{n}-*", "IAM_PATTERN") for n in range(8)]
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_principals(aws.catalog, (TEAM_ROLE, "IAM"), *there)
    new = ["arn:aws:iam:::role/new-a-*", "arn:aws:iam:::role/new-b-*", PATTERN]
    # WHEN
    code, _, err = build_py(aws, time, tmp_path, "--principal", ",".join([there[0][0], *new]))
    # THEN refused before the upload or any association
    assert code == ExitCode.BAD_INPUT
    assert (
        f"--principal {','.join(new)}: portfolio {PORTFOLIO_ID} has 8 IAM pattern(s) "
        "already, and a portfolio takes at most 10"
    ) in err
    assert "pass at most 2 new pattern(s)" in err
    assert err.endswith("build.py: publish: nothing was changed in AWS\n")
    assert uploaded(aws) == []


# --- shares ----------------------------------------------------------------------------
