"""A StackSet target's pre-flight credentials: the role assumed through STS, its
temporary credentials in a session of the target's region."""

from datetime import UTC, datetime

from planar_cfn.aws.assume import SESSION_NAME, assume_role
from tests.deploy_stubs import FakeAws

ROLE = "arn:aws:iam::222222222222:role/PlanarPreflight"


def test_the_role_is_assumed_and_its_credentials_used_in_the_targets_region():
    admin = FakeAws()
    admin.stub("sts").add_response(
        "assume_role",
        {
            "Credentials": {
                "AccessKeyId": "ASIA0123456789EXAMPLE",
                "SecretAccessKey": "secret",
                "SessionToken": "token",
                "Expiration": datetime(2026, 11, 27, 10, 15, tzinfo=UTC),
            }
        },
        {"RoleArn": ROLE, "RoleSessionName": SESSION_NAME, "DurationSeconds": 900},
    )

    target = assume_role(admin, ROLE, "eu-west-1")

    admin.assert_done()
    assert target.region == "eu-west-1"
    credentials = target.session.get_credentials()
    assert (credentials.access_key, credentials.token) == ("ASIA0123456789EXAMPLE", "token")
    assert target.client("ec2").meta.region_name == "eu-west-1"
