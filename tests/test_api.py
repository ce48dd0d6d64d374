"""Deploy and publish from Python, without argparse: options that do not go together, a
template of another stage and a bad publish option are refused before any AWS call; and
the same options send AWS the same requests as build.py's flags. Each option's own
value checks: tests/inputs/test_options.py."""

import copy
import doctest
import io
import json
from pathlib import Path

import pytest
from botocore.stub import ANY

from planar_cfn.catalog import publish
from planar_cfn.cli import commands as cli
from planar_cfn.deploy.engine import DeployResult, deploy
from planar_cfn.errors import ExitCode, InputError
from planar_cfn.inputs.options import DeployOptions, PublishOptions
from tests.catalog.publish_calls import (
    KEY,
    PORTFOLIO_ID,
    expect_association,
    expect_new_product,
    expect_portfolio_exists,
    expect_search,
    expect_tag_options_associated,
    product_view,
)
from tests.deploy.scenarios import OUTPUTS, create_request
from tests.deploy_stubs import VERIFIED_STATE, FakeAws, change, event, service_outputs
from tests.publish_stubs import BUCKET

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
LIBRARY = ROOT / "docs" / "library.md"


def test_the_library_pages_examples_run():
    failures, tried = doctest.testfile(str(LIBRARY), module_relative=False)
    assert tried >= 2
    assert failures == 0


def test_the_readme_examples_run():
    failures, tried = doctest.testfile(str(README), module_relative=False)
    assert tried >= 2
    assert failures == 0


# --- refused before any AWS call -------------------------------------------------------


@pytest.fixture
def untouchable(harness):
    """A dev harness whose stubbed clients answer nothing: any AWS call fails the test."""
    return harness("dev")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"destroy": True, "dry_run": True}, "--dry-run: not with --destroy"),
        (
            {"outputs_json": "/no/such/dir/o.json"},
            "--outputs-json /no/such/dir/o.json: no such directory",
        ),
        ({"confirm_prod_destroy": True}, "--confirm-prod-destroy: only with --destroy"),
    ],
)
def test_options_that_do_not_go_together_are_refused_before_any_aws_call(
    untouchable, options, message
):
    h = untouchable
    with pytest.raises(InputError, match=message) as refused:
        deploy(h.rendered, DeployOptions("dev", stage_file=h.path, **options), runtime=h.runtime())
    assert refused.value.done == ()
    h.aws.assert_done()  # nothing was queued: a call would have failed with UnStubbedResponseError


def test_a_template_of_another_stage_is_refused_before_any_aws_call(untouchable, rendered):
    h = untouchable
    with pytest.raises(InputError, match="the template given is the prod stage's"):
        deploy(rendered["prod"], DeployOptions("dev", stage_file=h.path), runtime=h.runtime())


def test_a_full_deploy_needs_its_template(untouchable):
    h = untouchable
    with pytest.raises(InputError, match="a deploy of dev sends its template"):
        deploy(None, DeployOptions("dev", stage_file=h.path), runtime=h.runtime())


def test_a_bad_publish_option_never_reaches_aws(rendered):
    def no_aws(*_):
        raise AssertionError("no AWS call may be made")

    with pytest.raises(InputError, match="'Bad_Bucket' is not an S3 bucket name"):
        publish.publish(rendered["prod"], PublishOptions("Bad_Bucket"), connect=no_aws)


# --- the same options, the same requests -------------------------------------------------


class Requests(list):
    """Every request the clients send, with its parameters, in order (botocore holds its
    handlers weakly: the test holds this one)."""

    def __call__(self, params, model, **_):
        self.append((model.name, copy.deepcopy(params)))

    def listen(self, *clients):
        for client in clients:
            client.meta.events.register_first("before-parameter-build.*.*", self)
        return self


def first_dev_deploy(h):
    """A first dev create, executed and followed to CREATE_COMPLETE."""
    h.no_stack()
    h.created(**create_request(h))
    h.ready([change("Add", "AppBucket", "AWS::S3::Bucket")])
    review = event("dev", "planar-dev-acme", "REVIEW_IN_PROGRESS", event_id="review")
    h.events(review)
    h.executed()
    done = event("dev", "planar-dev-acme", "CREATE_COMPLETE", seconds=31, event_id="done")
    h.progress("CREATE_COMPLETE", done, review, outputs=OUTPUTS)
    services = ("cloudformation", "s3", "ec2", "route53", "iam")
    return Requests().listen(*(h.aws.client(service) for service in services))


def test_deploy_from_python_sends_what_build_py_sends(harness, tmp_path, stage_lint):
    # GIVEN the same first deploy twice: by build.py's flags, and by options from Python
    by_flags = harness("dev", aws=FakeAws())
    flags_requests = first_dev_deploy(by_flags)
    outputs = tmp_path / "outputs.json"
    code = cli.main(
        [
            "--stage",
            "dev",
            "--stage-file",
            str(by_flags.path),
            "--yes",
            "--outputs-json",
            str(outputs),
        ],
        out=by_flags.out,
        err=by_flags.err,
        runtime=by_flags.runtime(),
    )
    assert code == ExitCode.OK, by_flags.err.getvalue()
    by_flags.aws.assert_done()

    in_python = harness("dev", aws=FakeAws())
    python_requests = first_dev_deploy(in_python)
    result = deploy(
        in_python.rendered,
        DeployOptions(stage="dev", stage_file=in_python.path, yes=True, outputs_json=outputs),
        out=in_python.out,
        err=in_python.err,
        runtime=in_python.runtime(),
    )
    in_python.aws.assert_done()

    # THEN the same requests, in the same order, and the outcome as a result
    assert [name for name, _ in python_requests][:3] == [
        "DescribeStacks",
        "GetHostedZone",
        "DescribeSubnets",
    ]
    assert python_requests == flags_requests
    stack_outputs = {**service_outputs("dev"), **OUTPUTS}
    reviewed = result.change_set
    assert reviewed is not None
    assert [(c.action, c.logical_id) for c in reviewed.changes] == [("Add", "AppBucket")]
    assert result.plan is not None
    assert result.plan["decision"] == "execute"
    assert result == DeployResult(
        ExitCode.OK,
        "planar-dev-acme",
        "CREATE_COMPLETE",
        stack_outputs,
        change_set=reviewed,
        plan=result.plan,
    )
    assert json.loads(outputs.read_text()) == {**stack_outputs, **VERIFIED_STATE}


def test_publish_from_python_sends_what_build_py_sends(aws, rendered, tmp_path, stage_lint):
    # GIVEN a first publish of a named product into a portfolio, twice
    name = "Planar (EU): prod"

    def expect_first_publish():
        expect_search(
            aws.catalog, product_view(name="planar-prod", product_id="prod-defaultdefaul")
        )
        expect_portfolio_exists(aws.catalog)
        expect_new_product(aws.catalog, token=ANY, name=name)
        expect_association(aws.catalog)
        expect_tag_options_associated(aws.catalog)

    requests = Requests().listen(aws.clients.client("servicecatalog"), aws.s3)
    expect_first_publish()
    argv = ["--stage", "prod", "--publish", "--artifact-bucket", BUCKET]
    argv += [
        "--product-name",
        name,
        "--portfolio-id",
        PORTFOLIO_ID,
        "--templates-dir",
        str(tmp_path),
    ]
    err = io.StringIO()
    assert cli.main(argv, out=io.StringIO(), err=err, runtime=aws.runtime()) == 0, err.getvalue()
    by_flags = list(requests)

    aws.s3.delete_object(Bucket=BUCKET, Key=KEY)  # as before the first publish
    expect_first_publish()
    requests.clear()
    result = publish.publish(
        rendered["prod"],
        PublishOptions(BUCKET, product_name=name, portfolio_id=PORTFOLIO_ID),
        out=io.StringIO(),
        connect=aws.connect,
    )

    # THEN the same requests, but for each run's own idempotency token
    def tokenless(sent):
        return [(op, {k: v for k, v in p.items() if k != "IdempotencyToken"}) for op, p in sent]

    assert [op for op, _ in by_flags] == [
        "HeadBucket",
        "GetBucketLocation",
        "SearchProductsAsAdmin",
        "DescribePortfolio",
        "HeadObject",
        "PutObject",
        "CreateProduct",
        "AssociateProductWithPortfolio",
        *["ListTagOptions", "AssociateTagOptionWithResource"] * 5,
    ]
    assert tokenless(requests) == tokenless(by_flags)
    assert result.done[:4] == (
        f"uploaded s3://{BUCKET}/{KEY}",
        f"created product {result.product_id}",
        f"created version {result.version_id}",
        f"associated {result.product_id} with {PORTFOLIO_ID}",
    )
    assert len(result.done) == 9
