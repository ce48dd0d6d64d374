"""The portfolio's side of a publish as a whole, through build.py and through the
Python API: its steps in order, and its flags and options refused up front; with the
calls' stub helpers that test_launch_constraint.py, test_tag_options.py,
test_principals.py, test_sharing.py and test_old_versions.py share. Service Catalog is botocore's Stubber,
which checks every request against the real service model; each test states the exact
arguments of each call it expects, in order, and nothing else may be called."""

import io
import json

import pytest
from botocore.stub import ANY

from planar_cfn.catalog import publish
from planar_cfn.catalog.sharing import (
    Share,
)
from planar_cfn.cli import arguments
from planar_cfn.cli import commands as cli
from planar_cfn.deploy.engine import Runtime
from planar_cfn.errors import ExitCode, InputError
from planar_cfn.inputs.options import PublishOptions
from tests.catalog.publish_calls import (
    NO_AWS,
    PORTFOLIO_ID,
    PRODUCT_ID,
    TOKEN,
    VERSION_NAME,
    aws_env,  # noqa: F401 - the fixture the aws fixture needs
    expect_association,
    expect_new_product,
    expect_portfolio_exists,
    expect_product_tag_options,
    expect_search,
    expect_tag_options_associated,
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


def expect_principals(stub, *principals):
    """The portfolio's principals: (ARN, type) each."""
    stub.add_response(
        "list_principals_for_portfolio",
        {"Principals": [{"PrincipalARN": a, "PrincipalType": t} for a, t in principals]},
        {"PortfolioId": PORTFOLIO_ID},
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
