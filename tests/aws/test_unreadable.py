"""An answer botocore cannot read (a proxy's HTML error page) is one of the project's
errors, naming the call and what came back, wherever it is met; botocore's
ResponseParserError is no BotoCoreError, so each place that catches AWS's errors
must name it too."""

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from planar_cfn.aws.gateway import AWS_FAILURES, DEPLOYER, Aws, aws_errors, call, why
from planar_cfn.errors import AwsError, ExitCode, Unreadable
from tests.deploy_stubs import BAD_GATEWAY, PROXY_PAGE, _Body


def answered(client, status, kind, body):
    """Every call on `client` answered in the network's place."""

    def answer(request, **_):
        return AWSResponse(request.url, status, {"Content-Type": kind}, _Body(body))

    client.meta.events.register("before-send.*.*", answer)
    return answer  # botocore may hold it weakly: the test keeps it


def test_a_proxy_page_is_unreadable_naming_the_call_status_and_content_type(aws_env):
    aws = Aws(boto3.Session(region_name="us-east-1"))
    cfn = aws.client("cloudformation")
    _keep = answered(cfn, *BAD_GATEWAY)

    with pytest.raises(Unreadable) as raised:
        call(cfn.describe_stacks, DEPLOYER, action="cloudformation:DescribeStacks", StackName="s")

    error = raised.value
    assert isinstance(error, AwsError)
    assert error.exit_code == ExitCode.FAILED
    message = str(error)
    assert message.startswith(
        "AWS's answer to DescribeStacks could not be read (HTTP 502, text/html, Unable to "
        "parse response (mismatched tag"
    )
    assert "a proxy or load balancer between here and AWS may have answered" in message
    assert "Further retries" not in message
    assert "<center>" not in message  # the page itself is not the message


def test_inside_aws_errors_an_unreadable_answer_carries_what_was_done(aws_env):
    aws = Aws(boto3.Session(region_name="us-east-1"))
    cfn = aws.client("cloudformation")
    _keep = answered(cfn, 200, "text/html", PROXY_PAGE)
    done = ["created change set c"]

    with pytest.raises(Unreadable) as raised, aws_errors(DEPLOYER, done):
        cfn.update_termination_protection(EnableTerminationProtection=True, StackName="s")

    assert raised.value.done == ("created change set c",)
    assert "UpdateTerminationProtection could not be read (HTTP 200, text/html" in str(raised.value)


def test_the_short_reason_names_the_call_without_the_page(aws_env):
    aws = Aws(boto3.Session(region_name="us-east-1"))
    cfn = aws.client("cloudformation")
    _keep = answered(cfn, *BAD_GATEWAY)

    with pytest.raises(AWS_FAILURES) as raised:
        cfn.execute_change_set(ChangeSetName="c")

    assert why(raised.value).startswith(
        "AWS's answer to ExecuteChangeSet could not be read (HTTP 502, text/html,"
    )
    assert "DOCTYPE" not in why(raised.value)
