"""The product's launch constraint in the portfolio, as a publish sets it: created, left,
refused or replaced; a denied one names the IAM actions on the role. Service Catalog
is botocore's Stubber, as in test_portfolio.py."""

import json

import pytest
from botocore.stub import ANY

from planar_cfn.catalog.launch_constraint import LaunchRoleConflictError
from planar_cfn.errors import AccessDenied, ExitCode
from tests.catalog.publish_calls import (
    PORTFOLIO_ID,
    aws_env,  # noqa: F401 - the fixture the aws fixture needs
    expect_association,
    expect_new_product,
    expect_portfolio_exists,
    expect_search,
    expect_tag_options_associated,
    product_view,
    uploaded,
)
from tests.catalog.test_portfolio import (
    CONSTRAINT_ID,
    OTHER_ROLE_ARN,
    ROLE_ARN,
    ROLE_NAME,
    build_py,
    do_publish,
    expect_constraints,
    expect_create_constraint,
    expect_unchanged_product,
)


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
