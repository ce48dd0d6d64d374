"""One error vocabulary: aws_gateway translates every AWS error once, and deploy and
publish report the same error the same way, with the same exit code."""

import re

import boto3
import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    TokenRetrievalError,
)
from botocore.stub import ANY, Stubber

from planar_cfn.aws import gateway as aws_gateway
from planar_cfn.aws.gateway import (
    DEPLOYER,
    PUBLISHER,
    aws_errors,
    make_session,
    s3_object_url,
    translate,
)
from planar_cfn.deploy.engine import Runtime
from planar_cfn.errors import (
    AccessDenied,
    AwsError,
    AwsRefused,
    CredentialsError,
    ExitCode,
    InputError,
    Interrupted,
    Unreachable,
)
from tests.catalog.publish_calls import (
    KEY,
    expect_search,
    publish_args,
    run_publish,
    version_parameters,
)
from tests.deploy.scenarios import previous_parameters, update_request
from tests.publish_stubs import BUCKET, REGION, Clients

EXPIRED = ("ExpiredTokenException", "The security token included in the request is expired")


def refused(code, message="said", operation="DescribeStacks"):
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


# --- the translation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
    ],
)
def test_rejected_credentials_are_a_credentials_error_whatever_the_call(code):
    error = translate(refused(code), DEPLOYER)
    assert type(error) is CredentialsError
    assert str(error) == (
        f"AWS rejected the credentials on DescribeStacks ({code}): refresh them "
        "(`aws sso login`, or new access keys) and deploy again"
    )
    assert error.exit_code == ExitCode.BAD_INPUT


@pytest.mark.parametrize(
    "error", [NoCredentialsError(), TokenRetrievalError(provider="sso", error_msg="expired")]
)
def test_credentials_that_cannot_be_loaded_are_a_credentials_error(error):
    translated = translate(error, PUBLISHER)
    assert type(translated) is CredentialsError
    assert str(translated).endswith(
        "refresh them (`aws sso login`, or new access keys) and publish again"
    )


def test_a_denial_names_the_call_the_action_the_resource_and_the_policy():
    denied = refused("AccessDenied", "User x is not authorized.", "PutObject")
    error = translate(denied, PUBLISHER, action="s3:PutObject", resource="arn:aws:s3:::b/k")
    assert type(error) is AccessDenied
    assert str(error) == (
        "AWS denied PutObject on arn:aws:s3:::b/k: the publishing identity needs s3:PutObject on "
        "arn:aws:s3:::b/k (the policy is in docs/publishing.md). AWS said: User x is not authorized"
    )
    assert error.exit_code == ExitCode.FAILED
    # Without the action (the deploy's calls), the policy's document is named instead.
    assert str(translate(denied, DEPLOYER)) == (
        "AWS denied PutObject: the deploying identity needs the permissions in docs/deploying.md. "
        "AWS said: User x is not authorized"
    )


def test_any_other_refusal_keeps_aws_words_and_adds_the_hint():
    error = translate(refused("ValidationError", "Template format error."), DEPLOYER, hint="Look")
    assert type(error) is AwsRefused
    assert str(error) == "AWS refused DescribeStacks (ValidationError): Template format error. Look"


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (
            EndpointConnectionError(endpoint_url="https://cloudformation.us-east-1.amazonaws.com/"),
            "no answer from AWS cloudformation: Could not connect to the endpoint URL",
        ),
        (
            ConnectionClosedError(endpoint_url="https://ec2.eu-west-1.amazonaws.com/"),
            "no answer from AWS ec2: Connection was closed",
        ),
    ],
)
def test_no_connection_is_unreachable_naming_the_service(error, said):
    translated = translate(error, DEPLOYER)
    assert type(translated) is Unreachable
    assert str(translated).startswith(said)
    assert str(translated).endswith("; check the network and the region")


def test_a_client_error_that_is_no_network_failure_is_not_called_one():
    error = translate(ParamValidationError(report="Invalid type"), PUBLISHER, action="s3:PutObject")
    assert type(error) is AwsError
    assert "network" not in str(error)
    assert str(error).startswith("the call to AWS s3 failed: Parameter validation failed")


def test_inside_aws_errors_each_error_carries_what_was_done_by_then():
    done = []

    def run(stop):
        with aws_errors(PUBLISHER, done):
            done.append("uploaded it")
            raise stop

    with pytest.raises(Unreachable) as stopped:
        run(EndpointConnectionError(endpoint_url="https://servicecatalog.x/"))
    assert stopped.value.done == ("uploaded it",)

    done.clear()
    with pytest.raises(Interrupted) as interrupted:
        run(KeyboardInterrupt())
    assert interrupted.value.done == ("uploaded it",)
    assert interrupted.value.exit_code == ExitCode.INTERRUPTED
    # Still a KeyboardInterrupt: `except Exception` does not swallow a Ctrl-C.
    assert isinstance(interrupted.value, KeyboardInterrupt)
    assert not isinstance(interrupted.value, Exception)


def test_a_missing_profile_region_and_credentials_are_refused_before_any_call(aws_env, monkeypatch):
    with pytest.raises(InputError, match="--profile 'nobody': no such profile"):
        make_session("nobody")
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
    ):
        monkeypatch.delenv(name)
    with pytest.raises(CredentialsError) as refused_:
        make_session()
    assert [line.split(":")[0] for line in str(refused_.value).splitlines()] == [
        "no AWS region",
        "no AWS credentials found",
    ]


def test_clients_are_made_once_with_adaptive_retries(aws_env):
    session = aws_gateway.Aws.connect(None, "eu-west-1")
    cloudformation = session.client("cloudformation")
    assert session.client("cloudformation") is cloudformation
    assert session.region == "eu-west-1"
    # Ten retries after the first attempt, rate-limited on throttling.
    assert cloudformation.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 11}


# --- the same expired token, in a deploy and in a publish -------------------------------

# The error, then what the run had done: the same words after each command's prefix.
SHAPE = re.compile(
    r"(?P<prefix>build\.py: (error|publish): )AWS rejected the credentials on (?P<call>\w+) "
    r"\(ExpiredTokenException\): refresh them \(`aws sso login`, or new access keys\) and "
    r"(deploy|publish) again\n"
    r"(?P<note>build\.py: (publish: )?)(?P<after>done before the error: .+|nothing was (created or )?changed( in AWS)?)\n\Z"
)


def deploy_stopped_by_expired_credentials(h, mid_operation):
    """A dev update whose credentials expire before anything changed, or once the change
    set exists (the waiter's DescribeChangeSet), so that it cannot be deleted either."""
    if not mid_operation:
        h.cfn.add_client_error(
            "describe_stacks", *EXPIRED, 400, expected_params={"StackName": h.name}
        )
        return h.run("--yes")
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h))
    h.cfn.add_client_error(
        "describe_change_set", *EXPIRED, 400, expected_params={"ChangeSetName": h.cs_id}
    )
    h.cfn.add_client_error(
        "delete_change_set", *EXPIRED, 400, expected_params={"ChangeSetName": h.cs_id}
    )
    return h.run("--yes")


def publish_stopped_by_expired_credentials(aws, rendered, mid_operation):
    """A first publish whose credentials expire before anything changed (GetCallerIdentity),
    or once the template is uploaded (CreateProduct)."""
    clients = aws.clients
    if not mid_operation:
        sts = boto3.Session(region_name=REGION).client("sts")
        stub = Stubber(sts)
        stub.add_client_error("get_caller_identity", *EXPIRED, 400)
        stub.activate()
        clients = Clients(REGION, {**aws.clients.made, "sts": sts})
    else:
        expect_search(aws.catalog)
        aws.catalog.add_client_error(
            "create_product",
            *EXPIRED,
            400,
            expected_params={
                "Name": "planar-prod",
                "Owner": "planar-cfn",
                "Description": "Planar application stack, stage prod",
                "ProductType": "CLOUD_FORMATION_TEMPLATE",
                "ProvisioningArtifactParameters": version_parameters(),
                "IdempotencyToken": ANY,
            },
        )
    runtime = Runtime(connect=lambda *_: clients)
    return run_publish(publish_args("--artifact-bucket", BUCKET), rendered, runtime)


@pytest.mark.parametrize("mid_operation", [False, True], ids=["before any change", "mid-operation"])
def test_the_same_expired_token_exits_the_same_way_from_deploy_and_publish(
    harness,
    aws,
    rendered,
    mid_operation,
):
    h = harness("dev")
    deployed = deploy_stopped_by_expired_credentials(h, mid_operation)
    published, _, publish_err = publish_stopped_by_expired_credentials(aws, rendered, mid_operation)

    # THEN one exit code: 2 (setup) while nothing changed, 1 once something had
    expected = ExitCode.FAILED if mid_operation else ExitCode.BAD_INPUT
    assert (deployed, published) == (expected, expected), (h.err.getvalue(), publish_err)
    # and one message: the call, AWS's code, what to do; then what the run had done
    deploy_said = SHAPE.search(h.err.getvalue())
    publish_said = SHAPE.search(publish_err)
    assert deploy_said, h.err.getvalue()
    assert publish_said, publish_err
    if mid_operation:
        assert deploy_said["call"] == "DescribeChangeSet"
        assert deploy_said["after"] == (
            "done before the error: created change set planar-dev-20261127-100000, left behind: the "
            "commands above delete it"
        )
        assert "aws cloudformation delete-change-set --change-set-name" in h.err.getvalue()
        assert publish_said["call"] == "CreateProduct"
        assert publish_said["after"] == f"done before the error: uploaded s3://{BUCKET}/{KEY}"
    else:
        assert (deploy_said["call"], publish_said["call"]) == (
            "DescribeStacks",
            "GetCallerIdentity",
        )
        assert deploy_said["after"] == "nothing was created or changed"
        assert publish_said["after"] == "nothing was changed in AWS"


def test_an_expired_token_on_execute_is_not_the_change_sets_fault(harness):
    # GIVEN a change set ready to execute, and credentials that expire just then
    h = harness("dev")
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h))
    h.ready()
    h.events()
    h.cfn.add_client_error(
        "execute_change_set", *EXPIRED, 400, expected_params={"ChangeSetName": h.cs_id}
    )
    h.deleted_change_set()

    # THEN said as for any call: the credentials, not a refusal of the change set
    assert h.run("--yes") == ExitCode.BAD_INPUT  # the change set was deleted: nothing changed
    err = h.err.getvalue()
    assert "refused to execute" not in err
    assert err == (
        "build.py: error: AWS rejected the credentials on ExecuteChangeSet (ExpiredTokenException): "
        "refresh them (`aws sso login`, or new access keys) and deploy again\n"
        "build.py: nothing was created or changed\n"
    )


def test_template_urls():
    assert (
        s3_object_url("b-1", "k.json", "eu-west-1")
        == "https://b-1.s3.eu-west-1.amazonaws.com/k.json"
    )
    # A dotted bucket breaks the virtual host's TLS certificate: path style.
    assert (
        s3_object_url("a.b", "k.json", "us-east-1")
        == "https://s3.us-east-1.amazonaws.com/a.b/k.json"
    )
    assert (
        s3_object_url("b-1", "k.json", "cn-north-1")
        == "https://b-1.s3.cn-north-1.amazonaws.com.cn/k.json"
    )
