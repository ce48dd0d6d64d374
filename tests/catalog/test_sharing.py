"""The portfolio's shares with accounts, OUs and the organization, as a publish makes
them: created, updated or left; awaited; failures reported. Service Catalog is
botocore's Stubber, as in test_portfolio.py."""

import pytest
from botocore.stub import ANY

from planar_cfn.catalog.sharing import (
    SHARED_EARLIER,
    OrganizationsAccessError,
    Share,
    ShareFailedError,
)
from planar_cfn.errors import AccessDenied, AwsRefused, ExitCode
from tests.catalog.publish_calls import (
    PORTFOLIO_ID,
    PRODUCT_ID,
    aws_env,  # noqa: F401 - the fixture the aws fixture needs
    expect_new_version,
    expect_portfolio_exists,
    expect_product_tag_options,
    expect_search,
    expect_versions,
    product_view,
    uploaded,
    version,
)
from tests.catalog.test_portfolio import (
    MEMBER,
    ORG,
    OU,
    SHARE_TOKEN,
    build_py,
    do_publish,
    expect_node_share,
    expect_org_access,
    expect_shares,
    expect_status,
    expect_unchanged_product,
    node,
    share_detail,
)


def test_share_to_an_account_shares_tag_options_and_awaits_acceptance(aws, prod, time):
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_unchanged_product(aws.catalog)
    expect_shares(aws.catalog, "ACCOUNT")
    aws.catalog.add_response(
        "create_portfolio_share",
        {},
        {"PortfolioId": PORTFOLIO_ID, "AccountId": MEMBER, "ShareTagOptions": True},
    )
    result, out = do_publish(aws, prod, time, share_with=MEMBER)
    assert result.shares == (Share(MEMBER, "ACCOUNT", "created", "not yet accepted"),)
    assert result.done == (f"created share with {MEMBER}",)
    assert f"share with {MEMBER} (ACCOUNT): created, not yet accepted" in out


def test_shares_to_an_ou_and_the_organization_wait_for_their_status(aws, time, tmp_path):
    # GIVEN Organizations access, no shares yet, and the OU's share taking two polls
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_org_access(aws.catalog)
    expect_unchanged_product(aws.catalog)
    expect_shares(aws.catalog, "ORGANIZATIONAL_UNIT")
    expect_shares(aws.catalog, "ORGANIZATION")
    for kind, target in (("ORGANIZATIONAL_UNIT", OU), ("ORGANIZATION", ORG)):
        expect_node_share(aws.catalog, kind, target)
        expect_status(
            aws.catalog, *(["IN_PROGRESS", "COMPLETED"] if target == OU else ["COMPLETED"])
        )
    # WHEN both are given, in one flag, comma-separated
    code, out, err = build_py(aws, time, tmp_path, "--share-with", f"{OU},{ORG}")
    # THEN each share is reported with its status; the wait slept once, through the clock
    assert code == 0, err
    assert f"share with {OU} (ORGANIZATIONAL_UNIT): created, COMPLETED" in out
    assert f"shared with:  {ORG} (ORGANIZATION): COMPLETED" in out
    assert time.sleeps == [5]


def test_a_repeated_share_changes_nothing_and_reports_its_status(aws, prod, time):
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_org_access(aws.catalog)
    expect_unchanged_product(aws.catalog)
    expect_shares(aws.catalog, "ACCOUNT", share_detail(MEMBER, "ACCOUNT", principals=False))
    expect_shares(aws.catalog, "ORGANIZATIONAL_UNIT", share_detail(OU, "ORGANIZATIONAL_UNIT"))
    result, _ = do_publish(aws, prod, time, share_with=(MEMBER, OU, MEMBER))
    assert result.shares == (
        Share(MEMBER, "ACCOUNT", "unchanged", "accepted"),
        Share(OU, "ORGANIZATIONAL_UNIT", "unchanged", SHARED_EARLIER),
    )
    assert result.done == ()


def test_an_existing_share_without_principals_is_updated(aws, prod, time):
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_org_access(aws.catalog)
    expect_unchanged_product(aws.catalog)
    expect_shares(
        aws.catalog,
        "ORGANIZATIONAL_UNIT",
        share_detail(OU, "ORGANIZATIONAL_UNIT", tag_options=True, principals=False),
    )
    aws.catalog.add_response(
        "update_portfolio_share",
        {"PortfolioShareToken": SHARE_TOKEN, "Status": "IN_PROGRESS"},
        {
            "PortfolioId": PORTFOLIO_ID,
            **node("ORGANIZATIONAL_UNIT", OU),
            "ShareTagOptions": True,
            "SharePrincipals": True,
        },
    )
    expect_status(aws.catalog, "COMPLETED")
    result, _ = do_publish(aws, prod, time, share_with=[OU])
    assert result.shares == (Share(OU, "ORGANIZATIONAL_UNIT", "updated", "COMPLETED"),)
    assert result.done == (f"updated share with {OU}",)


@pytest.mark.parametrize("status", ["DISABLED", "UNDER_CHANGE"])
def test_organizations_access_not_enabled_names_the_missing_step(aws, time, tmp_path, status):
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_org_access(aws.catalog, status)
    code, _, err = build_py(aws, time, tmp_path, "--share-with", MEMBER, "--share-with", OU)
    assert code == ExitCode.BAD_INPUT
    assert (
        f"build.py: publish: --share-with {OU}: sharing with the organization or an OU needs "
        f"AWS Organizations access for Service Catalog, which is {status}: run "
        "`aws servicecatalog enable-aws-organizations-access` with the management account's "
        "credentials"
    ) in err
    assert err.endswith("nothing was changed in AWS\n")
    assert uploaded(aws) == []


def test_organizations_access_error_reaches_a_python_caller(aws, prod, time):
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_org_access(aws.catalog, "DISABLED")
    with pytest.raises(OrganizationsAccessError) as raised:
        do_publish(aws, prod, time, share_with=ORG)
    assert raised.value.exit_code == ExitCode.BAD_INPUT


def test_a_share_that_ends_in_error_is_reported_and_exits_1(aws, time, tmp_path):
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_org_access(aws.catalog)
    expect_unchanged_product(aws.catalog)
    expect_shares(aws.catalog, "ORGANIZATIONAL_UNIT")
    expect_node_share(aws.catalog, "ORGANIZATIONAL_UNIT", OU)
    error = {"Accounts": [MEMBER], "Message": "Account is suspended", "Error": "InvalidState"}
    expect_status(aws.catalog, "COMPLETED_WITH_ERRORS", errors=[error])
    code, out, err = build_py(aws, time, tmp_path, "--share-with", OU)
    assert code == ExitCode.FAILED == ShareFailedError.code
    assert f"share with {OU} (ORGANIZATIONAL_UNIT): created, COMPLETED_WITH_ERRORS" in out
    assert f"portfolio shares failed: {OU}: InvalidState for {MEMBER}: Account is suspended" in err
    assert f"done before the error: created share with {OU}" in err


def test_a_share_still_in_progress_after_the_wait_is_reported_not_failed(aws, prod, time):
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_org_access(aws.catalog)
    expect_unchanged_product(aws.catalog)
    expect_shares(aws.catalog, "ORGANIZATION")
    expect_node_share(aws.catalog, "ORGANIZATION", ORG)
    # 300 s at 5 s a poll: 61 polls, then the wait ends
    expect_status(aws.catalog, *["IN_PROGRESS"] * 61)
    result, out = do_publish(aws, prod, time, share_with=ORG)
    assert result.shares == (Share(ORG, "ORGANIZATION", "created", "IN_PROGRESS"),)
    assert f"--portfolio-share-token {SHARE_TOKEN}" in out
    assert time.now == 300


def test_a_denied_share_names_the_permission(aws, prod, time):
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_unchanged_product(aws.catalog)
    expect_shares(aws.catalog, "ACCOUNT")
    aws.catalog.add_client_error(
        "create_portfolio_share",
        "AccessDeniedException",
        "not authorized",
        expected_params={"PortfolioId": PORTFOLIO_ID, "AccountId": MEMBER, "ShareTagOptions": True},
    )
    with pytest.raises(AccessDenied) as raised:
        do_publish(aws, prod, time, share_with=MEMBER)
    assert str(raised.value).startswith(
        f"AWS denied CreatePortfolioShare on portfolio {PORTFOLIO_ID}: the publishing "
        "identity needs servicecatalog:CreatePortfolioShare"
    )


def test_an_account_that_cannot_share_with_the_organization_is_told_who_can(aws, prod, time):
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    aws.catalog.add_client_error(
        "get_aws_organizations_access_status",
        "OperationNotSupportedException",
        "Operation not supported",
        expected_params={},
    )
    with pytest.raises(AwsRefused) as raised:
        do_publish(aws, prod, time, share_with=OU)
    assert str(raised.value) == (
        "AWS refused GetAWSOrganizationsAccessStatus (OperationNotSupportedException): "
        "Operation not supported. only the organization's management account or a Service "
        "Catalog delegated administrator can share with the organization or an OU"
    )
    assert uploaded(aws) == []


def test_a_refused_share_to_an_ou_says_what_it_needs(aws, prod, time):
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_org_access(aws.catalog)
    expect_unchanged_product(aws.catalog)
    expect_shares(aws.catalog, "ORGANIZATIONAL_UNIT")
    aws.catalog.add_client_error(
        "create_portfolio_share",
        "InvalidStateException",
        "Organizations access is not enabled",
        expected_params={
            "PortfolioId": PORTFOLIO_ID,
            **node("ORGANIZATIONAL_UNIT", OU),
            "ShareTagOptions": True,
            "SharePrincipals": True,
        },
    )
    with pytest.raises(AwsRefused, match="aws servicecatalog enable-aws-organizations-access"):
        do_publish(aws, prod, time, share_with=OU)


# --- deprecating old versions ----------------------------------------------------------


def test_an_updated_account_share_reports_acceptance_and_reads_no_share_status(aws, prod, time):
    # GIVEN an accepted account share without tag options: UpdatePortfolioShare answers
    # a token, but DescribePortfolioShareStatus is for organization nodes only (the
    # Stubber fails the test if it is called)
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_unchanged_product(aws.catalog)
    expect_shares(
        aws.catalog,
        "ACCOUNT",
        share_detail(MEMBER, "ACCOUNT", tag_options=False, principals=False),
    )
    aws.catalog.add_response(
        "update_portfolio_share",
        {"PortfolioShareToken": SHARE_TOKEN, "Status": "COMPLETED"},
        {"PortfolioId": PORTFOLIO_ID, "AccountId": MEMBER, "ShareTagOptions": True},
    )
    result, out = do_publish(aws, prod, time, share_with=[MEMBER])
    assert result.shares == (Share(MEMBER, "ACCOUNT", "updated", "accepted"),)
    assert f"share with {MEMBER} (ACCOUNT): updated, accepted" in out


def test_a_failed_share_still_retires_the_old_versions_then_exits_1(aws, time, tmp_path):
    # GIVEN a new version, and an organization share that ends in error
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_org_access(aws.catalog)
    expect_versions(aws.catalog, version("pa-old0000000001", "0.0.8-11111111"))
    expect_new_version(aws.catalog, token=ANY)
    aws.catalog.add_response(
        "list_portfolios_for_product",
        {"PortfolioDetails": [{"Id": PORTFOLIO_ID, "DisplayName": "Platform"}]},
        {"ProductId": PRODUCT_ID},
    )
    expect_product_tag_options(aws.catalog)
    expect_shares(aws.catalog, "ORGANIZATION")
    expect_node_share(aws.catalog, "ORGANIZATION", ORG)
    error = {"Accounts": [MEMBER], "Message": "Account is suspended", "Error": "InvalidState"}
    expect_status(aws.catalog, "ERROR", errors=[error])
    aws.catalog.add_response(
        "update_provisioning_artifact",
        {},
        {
            "ProductId": PRODUCT_ID,
            "ProvisioningArtifactId": "pa-old0000000001",
            "Active": False,
            "Guidance": "DEPRECATED",
        },
    )
    # WHEN
    code, out, err = build_py(
        aws, time, tmp_path, "--share-with", ORG, "--deactivate-old", "--deprecate-old"
    )
    # THEN the old version is retired, and the failure is reported after, with what was
    # done and the command for the share's own kind
    assert code == ExitCode.FAILED
    assert "deactivated and deprecated version 0.0.8-11111111 (pa-old0000000001)" in out
    assert f"portfolio shares failed: {ORG}: InvalidState for {MEMBER}" in err
    assert "--type ORGANIZATION`" in err
    assert "ORGANIZATIONAL_UNIT" not in err
    assert (f"created share with {ORG}; deactivated and deprecated version pa-old0000000001") in err


def test_a_rerun_after_a_failed_organization_share_does_not_claim_it_succeeded(aws, time, tmp_path):
    # GIVEN the share a failed run made: it is there, with tag options and principals,
    # and its status can be read only with the token of the call that made it
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_org_access(aws.catalog)
    expect_unchanged_product(aws.catalog)
    expect_shares(aws.catalog, "ORGANIZATION", share_detail(ORG, "ORGANIZATION"))
    code, out, err = build_py(aws, time, tmp_path, "--share-with", ORG)
    assert code == 0, err
    assert (
        f"share with {ORG} (ORGANIZATION): unchanged, shared earlier; status not rechecked" in out
    )
    assert f"shared with:  {ORG} (ORGANIZATION): shared earlier; status not rechecked" in out
    assert ", shared\n" not in out
