"""The portfolio's side of a publish, through build.py and through the Python API: the
launch constraint, tag options, principals, shares to accounts, OUs and the
organization, and deprecating old versions. Service Catalog is botocore's Stubber,
which checks every request against the real service model; each test states the exact
arguments of each call it expects, in order, and nothing else may be called."""

import io
import json

import pytest
from botocore.stub import ANY

from planar_cfn.aws.clock import Clock
from planar_cfn.catalog import publish
from planar_cfn.catalog.portfolio import (
    SHARED_EARLIER,
    LaunchRoleConflictError,
    OrganizationsAccessError,
    Share,
    ShareFailedError,
)
from planar_cfn.cli import arguments
from planar_cfn.cli import commands as cli
from planar_cfn.deploy.engine import Runtime
from planar_cfn.errors import AccessDenied, AwsRefused, ExitCode, InputError
from planar_cfn.inputs.options import PublishOptions
from tests.catalog.test_publish import (
    NO_AWS,
    PORTFOLIO_ID,
    PROD_TAG_OPTIONS,
    PRODUCT_ID,
    TOKEN,
    VERSION_NAME,
    aws_env,  # noqa: F401 - the fixture the aws fixture needs
    expect_association,
    expect_new_product,
    expect_new_version,
    expect_portfolio_exists,
    expect_product_tag_options,
    expect_search,
    expect_tag_options_associated,
    expect_versions,
    product_view,
    tag_option,
    uploaded,
    version,
)
from tests.publish_stubs import BUCKET

ROLE_NAME = "planar-launch-role"
ROLE_ARN = "arn:aws:iam::123456789012:role/planar-launch-role"
OTHER_ROLE_ARN = "arn:aws:iam::123456789012:role/old-launch"
CONSTRAINT_ID = "cons-abcdefghijklm"
MEMBER = "210987654321"
OU = "ou-ab12-cdefgh34"
ORG = "o-abcdef1234"
SHARE_TOKEN = "share-token-1"
TEAM_ROLE = "arn:aws:iam::123456789012:role/platform-admins"
PATTERN = "arn:aws:iam:::role/app-team-*"


class FakeClock:
    """Time that passes only when the code sleeps."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self):
        return Clock(sleep=self.sleep, monotonic=lambda: self.now, poll_seconds=5)


@pytest.fixture
def time():
    return FakeClock()


@pytest.fixture
def prod(rendered):
    return rendered["prod"]


def do_publish(aws, prod, time, **options):
    out = io.StringIO()
    result = publish.publish(
        prod,
        PublishOptions(BUCKET, portfolio_id=PORTFOLIO_ID, **options),
        out=out,
        connect=aws.connect,
        token=TOKEN,
        clock=time.clock(),
    )
    return result, out.getvalue()


def build_py(aws, time, tmp_path, *flags):
    out, err = io.StringIO(), io.StringIO()
    argv = ["--stage", "prod", "--publish", "--artifact-bucket", BUCKET]
    argv += ["--portfolio-id", PORTFOLIO_ID, "--templates-dir", str(tmp_path), *flags]
    runtime = Runtime(connect=aws.connect, clock=time.clock())
    code = cli.main(argv, out=out, err=err, runtime=runtime)
    return code, out.getvalue(), err.getvalue()


# --- the calls, as the stubs expect them ---------------------------------------------


def expect_unchanged_product(stub, tag_options=None):
    """An existing product whose version is this template, already in the portfolio,
    with these tag options (default: the stage's)."""
    stub.add_response(
        "list_provisioning_artifacts",
        {"ProvisioningArtifactDetails": [version("pa-same000000001", VERSION_NAME)]},
        {"ProductId": PRODUCT_ID},
    )
    stub.add_response(
        "list_portfolios_for_product",
        {"PortfolioDetails": [{"Id": PORTFOLIO_ID, "DisplayName": "Platform"}]},
        {"ProductId": PRODUCT_ID},
    )
    expect_product_tag_options(stub, tag_options)


def expect_constraints(stub, *constraints):
    """The product's constraints in the portfolio: (id, type, parameters) each."""
    stub.add_response(
        "list_constraints_for_portfolio",
        {
            "ConstraintDetails": [
                {"ConstraintId": cid, "Type": kind, "ProductId": PRODUCT_ID}
                for cid, kind, _ in constraints
            ]
        },
        {"PortfolioId": PORTFOLIO_ID, "ProductId": PRODUCT_ID},
    )
    for cid, kind, parameters in constraints:
        if kind == "LAUNCH":
            stub.add_response(
                "describe_constraint",
                {
                    "ConstraintDetail": {"ConstraintId": cid, "Type": kind},
                    "ConstraintParameters": json.dumps(parameters),
                    "Status": "AVAILABLE",
                },
                {"Id": cid},
            )


def expect_create_constraint(stub, parameters, product_id=PRODUCT_ID):
    stub.add_response(
        "create_constraint",
        {"ConstraintDetail": {"ConstraintId": CONSTRAINT_ID, "Type": "LAUNCH"}},
        {
            "PortfolioId": PORTFOLIO_ID,
            "ProductId": product_id,
            "Type": "LAUNCH",
            "Parameters": json.dumps(parameters),
            "Description": "planar-cfn launch role",
            "IdempotencyToken": ANY,  # a new one each run
        },
    )


def expect_org_access(stub, status="ENABLED"):
    stub.add_response("get_aws_organizations_access_status", {"AccessStatus": status}, {})


def expect_shares(stub, kind, *details):
    stub.add_response(
        "describe_portfolio_shares",
        {"PortfolioShareDetails": list(details)},
        {"PortfolioId": PORTFOLIO_ID, "Type": kind},
    )


def share_detail(target, kind, tag_options=True, principals=True, accepted=True):
    return {
        "PrincipalId": target,
        "Type": kind,
        "Accepted": accepted,
        "ShareTagOptions": tag_options,
        "SharePrincipals": principals,
    }


def node(kind, value):
    return {"OrganizationNode": {"Type": kind, "Value": value}}


def expect_node_share(stub, kind, value):
    """A new share with an OU or the organization, tag options and principals shared."""
    stub.add_response(
        "create_portfolio_share",
        {"PortfolioShareToken": SHARE_TOKEN},
        {
            "PortfolioId": PORTFOLIO_ID,
            **node(kind, value),
            "ShareTagOptions": True,
            "SharePrincipals": True,
        },
    )


def expect_status(stub, *statuses, errors=()):
    for status in statuses:
        details = {"SuccessfulShares": [], "ShareErrors": list(errors)}
        stub.add_response(
            "describe_portfolio_share_status",
            {"PortfolioShareToken": SHARE_TOKEN, "Status": status, "ShareDetails": details},
            {"PortfolioShareToken": SHARE_TOKEN},
        )


# --- the launch constraint -------------------------------------------------------------


def test_launch_role_name_becomes_a_local_role_constraint_on_a_new_product(aws, time, tmp_path):
    # GIVEN no product yet: the constraint comes after the product joins the portfolio
    expect_search(aws.catalog)
    expect_portfolio_exists(aws.catalog)
    expect_new_product(aws.catalog, token=ANY)
    expect_association(aws.catalog)
    expect_tag_options_associated(aws.catalog)
    expect_create_constraint(aws.catalog, {"LocalRoleName": ROLE_NAME})
    # WHEN
    code, out, err = build_py(aws, time, tmp_path, "--launch-role", ROLE_NAME)
    # THEN
    assert code == 0, err
    assert "launch constraint: created (role planar-launch-role)" in out
    assert "launch role:  planar-launch-role (created)" in out


def test_launch_role_arn_becomes_a_role_arn_constraint(aws, prod, time):
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_constraints(aws.catalog)  # none yet
    expect_unchanged_product(aws.catalog)
    expect_create_constraint(aws.catalog, {"RoleArn": ROLE_ARN})
    result, _ = do_publish(aws, prod, time, launch_role=ROLE_ARN)
    assert result.launch_constraint == "created"
    assert result.done == (f"created launch constraint {CONSTRAINT_ID}",)


def test_the_same_launch_role_again_changes_nothing(aws, prod, time):
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_constraints(
        aws.catalog,
        ("cons-template00001", "TEMPLATE", {}),
        (CONSTRAINT_ID, "LAUNCH", {"LocalRoleName": ROLE_NAME}),
    )
    expect_unchanged_product(aws.catalog)
    result, out = do_publish(aws, prod, time, launch_role=ROLE_NAME)
    assert result.launch_constraint == "unchanged"
    assert result.done == ()
    assert "launch constraint: unchanged (role planar-launch-role)" in out


def test_another_launch_role_is_refused_before_anything_is_written(aws, time, tmp_path):
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_constraints(aws.catalog, (CONSTRAINT_ID, "LAUNCH", {"RoleArn": OTHER_ROLE_ARN}))
    code, _, err = build_py(aws, time, tmp_path, "--launch-role", ROLE_NAME)
    assert code == ExitCode.BAD_INPUT
    assert (
        f"build.py: publish: --launch-role planar-launch-role: the product's launch constraint in "
        f"portfolio {PORTFOLIO_ID} ({CONSTRAINT_ID}) names role {OTHER_ROLE_ARN}; pass "
        f"--replace-launch-role to replace {OTHER_ROLE_ARN} with planar-launch-role"
    ) in err
    assert err.endswith("build.py: publish: nothing was changed in AWS\n")
    assert uploaded(aws) == []


def test_another_launch_role_reaches_a_python_caller_as_its_own_error(aws, prod, time):
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_constraints(aws.catalog, (CONSTRAINT_ID, "LAUNCH", {"LocalRoleName": "old-launch"}))
    with pytest.raises(LaunchRoleConflictError) as raised:
        do_publish(aws, prod, time, launch_role=ROLE_ARN)
    assert raised.value.done == ()
    assert "--launch-role old-launch to keep it" in str(raised.value)


def test_another_launch_role_is_replaced_when_asked(aws, prod, time):
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    expect_constraints(aws.catalog, (CONSTRAINT_ID, "LAUNCH", {"RoleArn": OTHER_ROLE_ARN}))
    expect_unchanged_product(aws.catalog)
    aws.catalog.add_response(
        "update_constraint",
        {"ConstraintDetail": {"ConstraintId": CONSTRAINT_ID, "Type": "LAUNCH"}},
        {"Id": CONSTRAINT_ID, "Parameters": json.dumps({"LocalRoleName": ROLE_NAME})},
    )
    result, out = do_publish(aws, prod, time, launch_role=ROLE_NAME, replace_launch_role=True)
    assert result.launch_constraint == "replaced"
    assert result.done == (f"replaced launch role {OTHER_ROLE_ARN} with planar-launch-role",)
    assert f"launch constraint: replaced role {OTHER_ROLE_ARN} with planar-launch-role" in out


# --- tag options -----------------------------------------------------------------------


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


def expect_principals(stub, *principals):
    """The portfolio's principals: (ARN, type) each."""
    stub.add_response(
        "list_principals_for_portfolio",
        {"Principals": [{"PrincipalARN": a, "PrincipalType": t} for a, t in principals]},
        {"PortfolioId": PORTFOLIO_ID},
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


def expect_update(stub, version_id, **change):
    stub.add_response(
        "update_provisioning_artifact",
        {},
        {"ProductId": PRODUCT_ID, "ProvisioningArtifactId": version_id, **change},
    )


def test_deprecate_old_marks_every_other_version_deprecated(aws, prod, time):
    expect_search(aws.catalog, product_view())
    expect_versions(
        aws.catalog,
        {**version("pa-old0000000001", "0.0.8-11111111"), "Guidance": "DEFAULT"},
        {**version("pa-old0000000002", "0.0.9-22222222"), "Guidance": "DEPRECATED"},
    )
    expect_new_version(aws.catalog)
    expect_update(aws.catalog, "pa-old0000000001", Guidance="DEPRECATED")
    result = publish.publish(
        prod,
        PublishOptions(BUCKET, deprecate_old=True),
        out=io.StringIO(),
        connect=aws.connect,
        token=TOKEN,
    )
    assert result.deprecated == ("pa-old0000000001",)
    assert result.done[-1] == "deprecated version pa-old0000000001"


def test_deprecate_and_deactivate_together_are_one_call_per_version(aws, time, tmp_path):
    expect_search(aws.catalog, product_view())
    expect_versions(aws.catalog, version("pa-old0000000001", "0.0.8-11111111"))
    expect_new_version(aws.catalog, token=ANY)
    expect_update(aws.catalog, "pa-old0000000001", Active=False, Guidance="DEPRECATED")
    out, err = io.StringIO(), io.StringIO()
    argv = [
        "--stage",
        "prod",
        "--publish",
        "--artifact-bucket",
        BUCKET,
        "--templates-dir",
        str(tmp_path),
    ]
    code = cli.main(
        [*argv, "--deprecate-old", "--deactivate-old"], out=out, err=err, runtime=aws.runtime()
    )
    assert code == 0, err.getvalue()
    assert "deactivated and deprecated version 0.0.8-11111111 (pa-old0000000001)" in out.getvalue()


def test_deprecate_old_with_nothing_to_deprecate_says_so(aws, prod, time):
    expect_search(aws.catalog, product_view())
    expect_versions(
        aws.catalog,
        version("pa-same000000001", VERSION_NAME),
        {**version("pa-old0000000002", "0.0.9-22222222"), "Guidance": "DEPRECATED"},
    )
    out = io.StringIO()
    result = publish.publish(
        prod, PublishOptions(BUCKET, deprecate_old=True), out=out, connect=aws.connect
    )
    assert result.done == ()
    assert "unchanged: no other version to deprecate" in out.getvalue()


def test_republishing_a_deprecated_version_makes_it_the_default_again(aws, prod, time):
    expect_search(aws.catalog, product_view())
    expect_versions(
        aws.catalog,
        {**version("pa-back000000001", VERSION_NAME), "Guidance": "DEPRECATED"},
    )
    expect_update(aws.catalog, "pa-back000000001", Guidance="DEFAULT")
    result = publish.publish(prod, PublishOptions(BUCKET), out=io.StringIO(), connect=aws.connect)
    assert result.done == ("made default version pa-back000000001",)


# --- everything at once, through the Python API --------------------------------------


def test_python_api_sets_up_the_portfolio_in_order(aws, prod, time):
    expect_search(aws.catalog)
    expect_portfolio_exists(aws.catalog)
    expect_org_access(aws.catalog)
    expect_principals(aws.catalog)
    expect_new_product(aws.catalog)
    expect_association(aws.catalog)
    expect_tag_options_associated(aws.catalog)
    expect_create_constraint(aws.catalog, {"LocalRoleName": ROLE_NAME})
    aws.catalog.add_response(
        "associate_principal_with_portfolio",
        {},
        {"PortfolioId": PORTFOLIO_ID, "PrincipalARN": PATTERN, "PrincipalType": "IAM_PATTERN"},
    )
    expect_shares(aws.catalog, "ORGANIZATIONAL_UNIT")
    expect_node_share(aws.catalog, "ORGANIZATIONAL_UNIT", OU)
    expect_status(aws.catalog, "COMPLETED")
    result, _ = do_publish(
        aws, prod, time, launch_role=ROLE_NAME, principals=PATTERN, share_with=OU
    )
    assert tuple(d for d in result.done if "tag option" not in d)[-4:] == (
        f"associated {PRODUCT_ID} with {PORTFOLIO_ID}",
        f"created launch constraint {CONSTRAINT_ID}",
        f"associated principal {PATTERN}",
        f"created share with {OU}",
    )
    assert result.shares == (Share(OU, "ORGANIZATIONAL_UNIT", "created", "COMPLETED"),)


# --- bad input: refused before anything is sent ---------------------------------------


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        (
            "--launch-role",
            "planar launch",
            "'planar launch' is not a launch role: a role name (1-64 letters, digits and +=,.@_-",
        ),
        ("--launch-role", "r" * 65, "is not a launch role: a role name (1-64"),
        (
            "--launch-role",
            "arn:aws:iam::123:role/x",
            "'arn:aws:iam::123:role/x' is not a launch role:",
        ),
        (
            "--launch-role",
            "arn:aws:iam::123456789012:user/x",
            "or a role ARN (arn:aws:iam::111122223333:role/planar-launch-role)",
        ),
        (
            "--share-with",
            "12345",
            "'12345' is not an account id (12 digits), an organizational unit id "
            "(ou-ab12-cdefgh34) or the organization id (o-abcdef1234)",
        ),
        ("--share-with", f"{MEMBER},ou-x", "'ou-x' is not an account id (12 digits)"),
        ("--share-with", "r-ab12", "'r-ab12' is not an account id"),
        ("--share-with", "", "'' is not an account id"),
        (
            "--principal",
            "platform-admins",
            "'platform-admins' is not a principal: an IAM role, group or user ARN",
        ),
        (
            "--principal",
            "arn:aws:iam:::*/admins",
            "'arn:aws:iam:::*/admins' is not a principal:",
        ),
        (
            "--principal",
            "arn:aws:iam::123456789012:role/team-*",
            "is not a principal: an IAM role, group or user ARN",
        ),
        (
            "--principal",
            "arn:aws:s3:::bucket",
            "* and ? allowed in the path and name (arn:aws:iam:::role/app-team-*)",
        ),
    ],
)
def test_bad_portfolio_flags_name_flag_value_and_what_is_allowed(flag, value, message, capsys):
    argv = ["--stage", "prod", "--publish", "--artifact-bucket", BUCKET]
    with pytest.raises(SystemExit) as exited:
        cli.main([*argv, "--portfolio-id", PORTFOLIO_ID, flag, value], runtime=NO_AWS)
    assert exited.value.code == 2
    # argparse wraps nothing after "error:": the message is one line
    (line,) = [x for x in capsys.readouterr().err.splitlines() if "error:" in x]
    assert line.startswith(f"build.py: error: argument {flag}: ")
    assert message in line


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--launch-role", "planar launch", "'planar launch' is not a launch role"),
        ("--share-with", "12345", "'12345' is not an account id"),
        ("--principal", "platform-admins", "'platform-admins' is not a principal"),
    ],
)
def test_bad_portfolio_flag_message_is_exact_on_stderr(flag, value, message, capsys):
    argv = ["--stage", "prod", "--publish", "--artifact-bucket", BUCKET]
    with pytest.raises(SystemExit):
        cli.main([*argv, "--portfolio-id", PORTFOLIO_ID, flag, value], runtime=NO_AWS)
    assert f"build.py: error: argument {flag}: {message}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--launch-role", ROLE_NAME], "argument --launch-role: needs --portfolio-id"),
        (["--share-with", MEMBER], "argument --share-with: needs --portfolio-id"),
        (["--principal", TEAM_ROLE], "argument --principal: needs --portfolio-id"),
        (
            ["--portfolio-id", PORTFOLIO_ID, "--replace-launch-role"],
            "argument --replace-launch-role: needs --launch-role",
        ),
    ],
)
def test_portfolio_flags_without_what_they_need_are_refused_up_front(flags, message, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(
            ["--stage", "prod", "--publish", "--artifact-bucket", BUCKET, *flags], runtime=NO_AWS
        )
    assert exited.value.code == 2
    assert f"build.py: error: {message}" in capsys.readouterr().err


@pytest.mark.parametrize(
    "flags",
    [
        ["--artifact-bucket", BUCKET],
        ["--portfolio-id", PORTFOLIO_ID],
        ["--deprecate-old"],
        ["--launch-role", ROLE_NAME],
        ["--share-with", MEMBER],
        ["--principal", TEAM_ROLE],
    ],
)
@pytest.mark.parametrize("mode", [[], ["--no-deploy"], ["--dry-run"]])
def test_publish_flags_without_publish_are_refused_not_ignored(flags, mode, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["--stage", "prod", *mode, *flags], runtime=NO_AWS)
    assert exited.value.code == 2
    assert f"build.py: error: argument {flags[0]}: only with --publish" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"launch_role": "planar launch", "portfolio_id": PORTFOLIO_ID},
            "launch_role: 'planar launch' is not a launch role",
        ),
        (
            {"share_with": ["12345"], "portfolio_id": PORTFOLIO_ID},
            "share_with: '12345' is not an account id",
        ),
        ({"share_with": [], "portfolio_id": PORTFOLIO_ID}, "share_with: [] lists nothing"),
        ({"principals": [7], "portfolio_id": PORTFOLIO_ID}, "principals: 7 is not a principal"),
        (
            {"launch_role": ROLE_NAME, "share_with": OU},
            "launch_role, share_with: need portfolio_id",
        ),
        ({"replace_launch_role": True}, "replace_launch_role: needs launch_role"),
        ({"deprecate_old": "yes"}, "deprecate_old: must be True or False, not 'yes'"),
        (
            {
                "principals": [f"arn:aws:iam:::role/team-{n}-*" for n in range(11)],
                "portfolio_id": PORTFOLIO_ID,
            },
            "principals: 11 IAM patterns; a portfolio takes at most 10",
        ),
    ],
)
def test_bad_portfolio_options_from_python_are_refused_before_any_call(options, message, prod):
    def no_aws(*_):
        raise AssertionError("no AWS call may be made")

    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        publish.publish(prod, PublishOptions(BUCKET, **options), connect=no_aws)


def test_repeated_and_comma_separated_values_are_one_list_without_repeats():
    args = arguments.parser().parse_args(
        [
            "--stage",
            "prod",
            "--publish",
            "--artifact-bucket",
            BUCKET,
            "--portfolio-id",
            PORTFOLIO_ID,
            "--share-with",
            f"{MEMBER}, {OU}",
            "--share-with",
            f"{ORG},{MEMBER}",
            "--principal",
            TEAM_ROLE,
        ]
    )
    made = arguments.publish_options(args)
    assert made.share_with == (MEMBER, OU, ORG)
    assert made.principals == (TEAM_ROLE,)


def test_too_many_patterns_across_repeated_flags_exit_2_before_any_render(monkeypatch):
    # Each --principal is checked as it is parsed; the limit is over all of them.
    def no_render(config):
        raise AssertionError("rendered before the publish input was checked")

    monkeypatch.setattr(cli, "render", no_render)
    patterns = [f"arn:aws:iam:::role/team-{n}-*" for n in range(12)]
    argv = ["--stage", "prod", "--publish", "--artifact-bucket", BUCKET]
    argv += ["--portfolio-id", PORTFOLIO_ID]
    for pattern in patterns:
        argv += ["--principal", pattern]
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(argv, out=out, err=err, runtime=NO_AWS)
    assert code == ExitCode.BAD_INPUT
    assert "12 IAM patterns; a portfolio takes at most 10" in err.getvalue()
    assert "lint" not in out.getvalue()


# --- a launch constraint's IAM needs, account share updates, failed shares -------------


@pytest.mark.parametrize("replace", [False, True])
def test_a_denied_launch_constraint_names_the_iam_actions_on_the_role(aws, prod, time, replace):
    expect_search(aws.catalog, product_view())
    expect_portfolio_exists(aws.catalog)
    if replace:
        expect_constraints(aws.catalog, (CONSTRAINT_ID, "LAUNCH", {"RoleArn": OTHER_ROLE_ARN}))
    else:
        expect_constraints(aws.catalog)
    expect_unchanged_product(aws.catalog)
    aws.catalog.add_client_error(
        "update_constraint" if replace else "create_constraint",
        "AccessDeniedException",
        "not authorized to perform iam:PassRole",
    )
    with pytest.raises(AccessDenied) as raised:
        do_publish(aws, prod, time, launch_role=ROLE_ARN, replace_launch_role=replace)
    message = str(raised.value)
    assert "iam:GetRole and iam:PassRole on the launch role" in message
    assert ROLE_ARN in message
    assert "iam:PassedToService servicecatalog.amazonaws.com" in message


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
