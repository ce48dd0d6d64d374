"""GIVEN an account, WHEN a stage deploys, THEN what the stack needs from the account is
there before CloudFormation changes anything: the ECS service-linked role on a first
create (made when missing), and an access-logs bucket in the stack's Region with SSE-S3.
The deploy runs against botocore Stubbers; the bucket checks also against moto's S3."""

import json

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from planar_cfn.deploy import account_checks
from planar_cfn.deploy.account_checks import CREATE_ECS_ROLE, access_logs_policy, bucket_problem
from planar_cfn.errors import ExitCode
from tests.deploy.scenarios import create_request, previous_parameters, update_request
from tests.deploy_stubs import (
    ACCESS_LOGS_BUCKET,
    ACCOUNT,
    ACCOUNT_ERRORS,
    REGION,
    STAGE_VALUES,
    change,
    expected_parameters,
    stack_tags,
)

WITH_LOGS = {**STAGE_VALUES, "access_logs_bucket": ACCESS_LOGS_BUCKET}


def first_create(h, *role, **bucket):
    """A first create that gets as far as a change set kept for review (no --yes, no
    terminal), after the account checks' answers."""
    h.no_stack()
    h.account_checks(*role, **bucket)
    stage = (
        {}
        if h.stage == "dev"
        else {
            "StackName": h.name,
            "ChangeSetName": f"planar-{h.stage}-20261127-100000",
            "Description": f"build.py --stage {h.stage} (planar-cfn 0.1.0)",
            "Tags": stack_tags(h.stage),
        }
    )
    values = json.loads(h.path.read_text())
    h.created(**create_request(h, Parameters=expected_parameters(values, h.stage), **stage))
    h.ready([change("Add", "Cluster", "AWS::ECS::Cluster")])


# What acme's dev stack in us-east-1 needs on its access-logs bucket: the load
# balancers' log writer of us-east-1 (ELB account 127311923021) under the ALB prefix,
# and S3's log delivery for the app bucket under the S3 prefix.
DEV_ACCESS_LOGS_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "LoadBalancerAccessLogs",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::127311923021:root"},
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::acme-access-logs/alb/planar-dev-acme/AWSLogs/{ACCOUNT}/*",
        },
        {
            "Sid": "S3ServerAccessLogs",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::acme-access-logs/s3/planar-dev-acme/*",
            "Condition": {
                "ArnLike": {"aws:SourceArn": "arn:aws:s3:::planar-dev-acme-????????"},
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
            },
        },
    ],
}


def refused_policy(err: str) -> dict:
    """The bucket policy a refusal prints, parsed."""
    text = err.split("--policy file://policy.json`:\n", 1)[1]
    return json.loads(text.split("build.py: nothing was created or changed", 1)[0])


# --- the ECS service-linked role ----------------------------------------------------


def test_a_first_create_with_the_ecs_role_present_creates_nothing(harness):
    h = harness("dev")
    first_create(h, "ok")  # GetRole finds it: no CreateServiceLinkedRole

    assert h.run() == ExitCode.NOT_EXECUTED, h.err.getvalue()
    assert "service-linked role" not in h.out.getvalue() + h.err.getvalue()


def test_a_new_account_gets_the_ecs_role_before_the_change_set_and_is_told(harness):
    h = harness("dev")
    first_create(h, "NoSuchEntity", "ok")

    assert h.run() == ExitCode.NOT_EXECUTED, h.err.getvalue()
    out = h.out.getvalue()
    said = (
        "Created the ECS service-linked role AWSServiceRoleForECS (ecs.amazonaws.com): the "
        "account's first ECS cluster needs it.\n"
    )
    assert said in out
    assert out.index(said) < out.index("Creating change set")


def test_an_ecs_role_made_meanwhile_is_taken_as_there(harness):
    h = harness("dev")
    first_create(
        h, "NoSuchEntity", "taken"
    )  # InvalidInput: "... has been taken in this account ..."

    assert h.run() == ExitCode.NOT_EXECUTED, h.err.getvalue()
    assert "Created the ECS service-linked role" not in h.out.getvalue()
    assert h.err.getvalue() == ""


OTHER_INVALID_INPUT = "Invalid AWS service name: ecs.amazonaws.com is not a valid service."


def test_only_the_has_been_taken_answer_means_the_ecs_role_exists():
    # GIVEN IAM answers InvalidInput, but not that the role's name has been taken
    iam = boto3.client("iam", region_name=REGION)
    stub = Stubber(iam)
    stub.add_client_error("create_service_linked_role", "InvalidInput", OTHER_INVALID_INPUT, 400)
    stub.add_client_error(
        "create_service_linked_role", "InvalidInput", ACCOUNT_ERRORS["taken"][1], 400
    )
    with stub:
        # THEN that is an error the command reports, naming the role and IAM's answer
        with pytest.raises(account_checks.AccountNotReady) as raised:
            account_checks.create_ecs_role(iam)
        assert "AWSServiceRoleForECS" in str(raised.value)
        assert f"InvalidInput: {OTHER_INVALID_INPUT}" in str(raised.value)
        # and only "has been taken" is the role there already
        assert account_checks.create_ecs_role(iam) is False


def test_another_invalid_input_creating_the_ecs_role_stops_before_any_change_set(harness):
    h = harness("dev")
    h.no_stack()
    h.account_checks("NoSuchEntity")
    h.aws.stub("iam").add_client_error(
        "create_service_linked_role",
        "InvalidInput",
        OTHER_INVALID_INPUT,
        400,
        expected_params={"AWSServiceName": "ecs.amazonaws.com"},
    )

    code = h.run("--yes")

    assert code == ExitCode.BAD_INPUT
    assert h.err.getvalue() == (
        "build.py: error: the ECS service-linked role AWSServiceRoleForECS does not exist in "
        "this account yet, and IAM would not create it (iam:CreateServiceLinkedRole: "
        f"InvalidInput: {OTHER_INVALID_INPUT}); the stack's ECS cluster cannot be created "
        f"without it. Run `{CREATE_ECS_ROLE}` to see IAM's answer, then deploy again\n"
        "build.py: nothing was created or changed\n"
    )
    assert "Creating change set" not in h.out.getvalue()


def test_a_deployer_that_may_not_create_the_ecs_role_stops_before_any_change_set(harness):
    h = harness("dev")
    h.no_stack()
    h.account_checks("NoSuchEntity", "AccessDenied")  # and no CreateChangeSet queued

    code = h.run("--yes")

    assert code == ExitCode.BAD_INPUT
    err = h.err.getvalue()
    assert (
        "the ECS service-linked role AWSServiceRoleForECS does not exist in this account "
        "yet, and these credentials may not create it (iam:CreateServiceLinkedRole: "
        "AccessDenied: User: arn:aws:iam::123456789012:user/deployer"
    ) in err
    assert (
        "the stack's ECS cluster cannot be created without it. Have someone allowed run "
        f"`{CREATE_ECS_ROLE}` once for the account, or allow iam:CreateServiceLinkedRole "
        "for ecs.amazonaws.com (docs/deploying.md), then deploy again\n"
    ) in err
    assert (
        CREATE_ECS_ROLE == "aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com"
    )
    assert err.endswith("build.py: nothing was created or changed\n")
    assert "Creating change set" not in h.out.getvalue()


def test_a_deployer_that_may_not_read_iam_roles_still_creates_the_ecs_role(harness):
    # PowerUserAccess, say: iam:CreateServiceLinkedRole but no iam:GetRole
    h = harness("dev")
    first_create(h, "AccessDenied", "ok")

    assert h.run() == ExitCode.NOT_EXECUTED, h.err.getvalue()
    assert "Created the ECS service-linked role AWSServiceRoleForECS" in h.out.getvalue()


def test_an_ecs_role_that_cannot_be_checked_at_all_is_a_warning_not_a_stop(harness):
    h = harness("dev")
    first_create(h, "AccessDenied", "AccessDenied")  # it may well exist

    assert h.run() == ExitCode.NOT_EXECUTED
    err = h.err.getvalue()
    assert err == (
        "build.py: warning: could not check the ECS service-linked role "
        "AWSServiceRoleForECS (iam:GetRole and iam:CreateServiceLinkedRole are "
        "not allowed). If the stack's ECS cluster fails with \"Unable to assume the service "
        f'linked role", run `{CREATE_ECS_ROLE}` and deploy again\n'
    )


def test_a_dry_run_that_may_not_read_iam_roles_warns_and_creates_nothing(harness):
    h = harness("dev")
    h.no_stack()
    h.account_checks("AccessDenied")  # no CreateServiceLinkedRole queued
    h.created(**create_request(h))
    h.ready([change("Add", "Cluster", "AWS::ECS::Cluster")])
    h.deleted_change_set()
    h.deleted_stack()

    assert h.run("--dry-run") == ExitCode.OK, h.err.getvalue()
    assert h.err.getvalue() == (
        "build.py: warning: could not check the ECS service-linked role AWSServiceRoleForECS "
        "(iam:GetRole is not allowed). If the stack's ECS cluster fails with \"Unable to "
        f'assume the service linked role", run `{CREATE_ECS_ROLE}` and deploy again\n'
    )


def test_a_dry_run_says_the_ecs_role_is_missing_but_creates_nothing(harness):
    h = harness("dev")
    h.no_stack()
    h.account_checks("NoSuchEntity")  # no CreateServiceLinkedRole queued
    h.created(**create_request(h))
    h.ready([change("Add", "Cluster", "AWS::ECS::Cluster")])
    h.deleted_change_set()
    h.deleted_stack()

    assert h.run("--dry-run") == ExitCode.OK, h.err.getvalue()
    assert (
        "The ECS service-linked role AWSServiceRoleForECS does not exist yet: the deploy "
        "will create it."
    ) in h.out.getvalue()


def test_an_update_does_not_look_for_the_ecs_role(harness):
    # A stack that can be updated has its ECS cluster, and IAM keeps the role while one exists.
    h = harness("dev")
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h))
    h.ready([change("Modify", "Service", "AWS::ECS::Service")])

    assert h.run() == ExitCode.NOT_EXECUTED, h.err.getvalue()
    assert "iam" not in h.aws.clients


# --- the access-logs bucket, in a deploy --------------------------------------------


@pytest.mark.parametrize("encryption", ["AES256", "ServerSideEncryptionConfigurationNotFoundError"])
def test_an_update_with_a_good_access_logs_bucket_goes_ahead(harness, encryption):
    # SSE-S3 (every bucket's default since January 2023), or no default encryption at all
    h = harness("dev", WITH_LOGS)
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.account_checks(location="", encryption=encryption)  # us-east-1: a null LocationConstraint
    h.created(**update_request(h, Parameters=expected_parameters(WITH_LOGS, h.stage)))
    h.ready([change("Modify", "LoadBalancer", "AWS::ElasticLoadBalancingV2::LoadBalancer")])

    assert h.run() == ExitCode.NOT_EXECUTED, h.err.getvalue()
    assert h.err.getvalue() == ""


def test_a_first_create_checks_the_role_and_the_bucket(harness):
    h = harness("prod", WITH_LOGS)
    first_create(h, "NoSuchEntity", "ok", location="", encryption="AES256")

    assert h.run() == ExitCode.NOT_EXECUTED, h.err.getvalue()
    assert "Created the ECS service-linked role" in h.out.getvalue()


@pytest.mark.parametrize(
    ("location", "encryption", "problem"),
    [
        (
            "NoSuchBucket",
            None,
            "no such bucket: create it in us-east-1, with SSE-S3 default encryption",
        ),
        (
            "eu-west-1",
            None,
            "the bucket is in eu-west-1, but the stack is in us-east-1: a load "
            "balancer delivers access logs only to a bucket in its own region",
        ),
        ("EU", None, "the bucket is in eu-west-1, but the stack is in us-east-1"),
        (
            "",
            "aws:kms",
            "its default encryption is aws:kms, but load balancer access logs support "
            "only SSE-S3 (AES256): switch it with `aws s3api put-bucket-encryption "
            "--bucket acme-access-logs --server-side-encryption-configuration "
            """'{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'`, """
            "or name another bucket (or set",
        ),
        ("", "aws:kms:dsse", "its default encryption is aws:kms:dsse"),
        (
            "AccessDenied",
            None,
            "its region cannot be read (s3:GetBucketLocation: AccessDenied: User: "
            f"arn:aws:iam::{ACCOUNT}:user/deployer is not authorized to perform this action): "
            f"it must be a bucket of this account, {ACCOUNT} (S3 delivers server access logs "
            "only to one of the source bucket's account, and the deploy names the account "
            "as the bucket's owner: S3 refuses a bucket of another account with "
            "AccessDenied), and these credentials need "
            "s3:GetBucketLocation and s3:GetEncryptionConfiguration on it (or set",
        ),
        (
            "",
            "AccessDenied",
            "its default encryption cannot be read (s3:GetEncryptionConfiguration: AccessDenied: ",
        ),
    ],
)
def test_an_unfit_access_logs_bucket_stops_before_anything_with_the_policy_to_apply(
    harness, location, encryption, problem
):
    # GIVEN a first create in a new account: nothing may be made, not even the role
    h = harness("dev", WITH_LOGS)
    h.no_stack()
    h.account_checks("NoSuchEntity", location=location, encryption=encryption, caller=True)

    code = h.run("--yes")

    # THEN exit 2, the bucket and what is wrong named, and the policy it needs, filled in
    assert code == ExitCode.BAD_INPUT
    err = h.err.getvalue()
    assert err.startswith(f"build.py: error: access_logs_bucket = 'acme-access-logs': {problem}")
    assert (
        '(or set access_logs_bucket to "" for no access logs). The bucket\'s policy must also '
        "let the load balancer and S3 deliver the logs (the deploy does not read it): put "
        "this one in policy.json, merged with any statements the bucket has, and apply it "
        "with `aws s3api put-bucket-policy --bucket acme-access-logs --policy "
        "file://policy.json`:\n" + json.dumps(DEV_ACCESS_LOGS_POLICY, indent=2)
    ) in err
    assert h.out.getvalue() == ""  # no role created, no change set


def encryption_rules(*rules: dict) -> Stubber:
    """An S3 client in us-east-1 whose bucket has these default-encryption rules."""
    s3 = boto3.client("s3", region_name=REGION)
    stub = Stubber(s3)
    owned = {"Bucket": "logs", "ExpectedBucketOwner": ACCOUNT}
    stub.add_response("get_bucket_location", {}, owned)
    configuration = {"ServerSideEncryptionConfiguration": {"Rules": list(rules)}}
    stub.add_response("get_bucket_encryption", configuration, owned)
    return stub


def by_default(algorithm: str) -> dict:
    return {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": algorithm}}


def test_every_other_algorithm_of_the_buckets_rules_is_named():
    with encryption_rules(by_default("aws:kms"), by_default("aws:kms:dsse")) as stub:
        problem = bucket_problem(stub.client, "logs", REGION, ACCOUNT)
    assert problem.startswith("its default encryption is aws:kms, aws:kms:dsse, but ")


def test_a_rule_with_no_default_encryption_is_no_problem():
    # a rule may set only BucketKeyEnabled, which says nothing of the algorithm
    with encryption_rules({"BucketKeyEnabled": True}, by_default("AES256")) as stub:
        assert bucket_problem(stub.client, "logs", REGION, ACCOUNT) is None


# --- the access-logs bucket, against moto's S3 --------------------------------------


@pytest.fixture
def s3():
    with mock_aws():
        yield boto3.client("s3", region_name=REGION)


def test_moto_a_bucket_in_the_region_with_sse_s3_or_none_is_fit(s3):
    s3.create_bucket(Bucket="logs-plain")  # moto answers like S3 before 2023: no configuration
    s3.create_bucket(Bucket="logs-sse-s3")
    s3.put_bucket_encryption(
        Bucket="logs-sse-s3",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )

    assert bucket_problem(s3, "logs-plain", "us-east-1", ACCOUNT) is None
    assert bucket_problem(s3, "logs-sse-s3", "us-east-1", ACCOUNT) is None


def test_moto_region_names_us_east_1_null_and_legacy_eu(s3):
    s3.create_bucket(Bucket="logs-virginia")
    s3.create_bucket(Bucket="logs-ireland", CreateBucketConfiguration={"LocationConstraint": "EU"})

    assert bucket_problem(s3, "logs-ireland", "eu-west-1", ACCOUNT) is None
    assert bucket_problem(s3, "logs-virginia", "eu-west-1", ACCOUNT).startswith(
        "the bucket is in us-east-1, but the stack is in eu-west-1"
    )
    assert bucket_problem(s3, "logs-ireland", "us-east-1", ACCOUNT).startswith(
        "the bucket is in eu-west-1, but the stack is in us-east-1"
    )


def test_moto_a_missing_bucket_and_sse_kms(s3):
    s3.create_bucket(Bucket="logs-kms")
    s3.put_bucket_encryption(
        Bucket="logs-kms",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234",
                    }
                }
            ]
        },
    )

    assert bucket_problem(s3, "no-such-logs", "us-east-1", ACCOUNT).startswith("no such bucket")
    assert bucket_problem(s3, "logs-kms", "us-east-1", ACCOUNT).startswith(
        "its default encryption is aws:kms"
    )


# --- the bucket policy ----------------------------------------------------------------


def test_regions_before_august_2022_let_the_elb_account_write():
    policy = access_logs_policy("logs", "eu-west-1", ACCOUNT, "prod", "acme")
    alb, s3_logs = policy["Statement"]
    assert alb == {
        "Sid": "LoadBalancerAccessLogs",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::156460612806:root"},
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::logs/alb/planar-prod-acme/AWSLogs/{ACCOUNT}/*",
    }
    assert s3_logs == {
        "Sid": "S3ServerAccessLogs",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::logs/s3/planar-prod-acme/*",
        "Condition": {
            "ArnLike": {"aws:SourceArn": "arn:aws:s3:::planar-prod-acme-????????"},
            "StringEquals": {"aws:SourceAccount": ACCOUNT},
        },
    }


@pytest.mark.parametrize("region", ["ap-southeast-4", "ca-west-1", "il-central-1", "mx-central-1"])
def test_newer_regions_let_the_log_delivery_service_write(region):
    alb = access_logs_policy("logs", region, ACCOUNT, "dev", "acme")["Statement"][0]
    assert alb["Principal"] == {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}


def test_other_partitions_get_their_arns():
    china = access_logs_policy("logs", "cn-north-1", ACCOUNT, "dev", "acme")["Statement"]
    assert china[0]["Principal"] == {"AWS": "arn:aws-cn:iam::638102146993:root"}
    assert china[1]["Resource"] == "arn:aws-cn:s3:::logs/s3/planar-dev-acme/*"
    gov = access_logs_policy("logs", "us-gov-west-1", ACCOUNT, "dev", "acme")["Statement"]
    assert gov[0]["Principal"] == {"AWS": "arn:aws-us-gov:iam::048591011584:root"}


def test_the_policy_names_the_prefixes_and_bucket_the_template_uses(templates, stage):
    """The load balancer's access-log prefix, the application bucket's log prefix and
    its name, as the template writes them (load_balancer.py, storage.py, naming.py)."""
    resources = templates[stage]["Resources"]
    attributes = resources["LoadBalancer"]["Properties"]["LoadBalancerAttributes"]
    # AccessLogsPrefix empty (its default): the stack's own prefix, the If's else branch.
    prefixes = [
        a["Fn::If"][1]["Value"]["Fn::If"][2]["Fn::Sub"]
        for a in attributes
        if "Fn::If" in a and a["Fn::If"][1]["Key"] == "access_logs.s3.prefix"
    ]
    bucket = resources["AppBucket"]["Properties"]
    logging = bucket["LoggingConfiguration"]["Fn::If"][1]
    name, _ = bucket["BucketName"]["Fn::Sub"]

    app = "${AppName}"
    assert prefixes == [account_checks.ALB_LOG_PREFIX.format(stage=stage, app=app)]
    assert logging["LogFilePrefix"]["Fn::Sub"] == account_checks.S3_LOG_PREFIX.format(
        stage=stage, app=app
    )
    assert logging["DestinationBucketName"] == {"Ref": "AccessLogsBucket"}
    # The suffix: the first group of the stack id's UUID, 8 hex digits, one `?` each
    assert name.replace("${Suffix}", "????????") == account_checks.APP_BUCKET.format(
        stage=stage, app=app
    )


def test_an_access_logs_bucket_of_another_account_is_refused(aws_env):
    """Both calls name the caller's account as the bucket's owner; S3 answers a bucket
    of another account with 403 AccessDenied."""
    s3 = boto3.client("s3", region_name=REGION)
    with Stubber(s3) as stub:
        stub.add_client_error(
            "get_bucket_location",
            "AccessDenied",
            "Access Denied",
            403,
            expected_params={"Bucket": "their-logs", "ExpectedBucketOwner": ACCOUNT},
        )
        problem = bucket_problem(s3, "their-logs", REGION, ACCOUNT)
    assert problem is not None
    assert f"it must be a bucket of this account, {ACCOUNT}" in problem
    assert "S3 refuses a bucket of another account with AccessDenied" in problem
