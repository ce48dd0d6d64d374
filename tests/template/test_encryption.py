"""The optional customer-managed KMS key (planar_cfn/template/encryption.py), one of
the hardening switches docs/security.md lists. GIVEN a stage's template, WHEN the
switch is on or off (its condition), THEN the secrets, logs, database, Performance
Insights, bucket and roles use the key as said, and the key outlives the stack."""

import pytest

from tests.cfn import props, resources_of_type
from tests.template.sample import KEY, with_key


@pytest.mark.parametrize("on", [True, False])
def test_customer_managed_key_switch(template, stage, on):
    key = KEY if on else None
    assert template["Parameters"]["CustomerManagedKey"]["Default"] == "false"
    assert template["Resources"]["EncryptionKey"]["Condition"] == "UseCustomerManagedKey"
    assert template["Resources"]["EncryptionKey"]["Properties"]["EnableKeyRotation"] is True
    for secret in resources_of_type(template, "AWS::SecretsManager::Secret").values():
        assert with_key(secret["Properties"]["KmsKeyId"], on) == key
    for group in resources_of_type(template, "AWS::Logs::LogGroup").values():
        assert with_key(group["Properties"]["KmsKeyId"], on) == key
    cluster = props(template, "DatabaseCluster")
    assert with_key(cluster["KmsKeyId"], on) == key
    assert with_key(cluster["MasterUserSecret"], on) == {"KmsKeyId": key}
    for instance in resources_of_type(template, "AWS::RDS::DBInstance").values():
        assert with_key(instance["Properties"]["PerformanceInsightsKMSKeyId"], on) == key
    (rule,) = with_key(
        props(template, "AppBucket")["BucketEncryption"]["ServerSideEncryptionConfiguration"], on
    )
    expected = (
        {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY} if on else {"SSEAlgorithm": "AES256"}
    )
    assert rule["ServerSideEncryptionByDefault"] == expected
    # The roles that read secrets and objects may use the key, and only then.
    # Only through the services that use it for them (kms:ViaService), and only the
    # task role, which writes the bucket's objects, may make data keys.
    uses = {
        "TaskRole": (["kms:Decrypt", "kms:GenerateDataKey"], ["secretsmanager", "s3"]),
        "ExecutionRole": (["kms:Decrypt"], ["secretsmanager", "ssm"]),
    }
    for role, (actions, services) in uses.items():
        switched = [
            p
            for p in props(template, role)["Policies"]
            if p.get("Fn::If", [None])[0] == "UseCustomerManagedKey"
        ]
        assert len(switched) == 1, role
        key_policies = [p for p in [with_key(switched[0], on)] if p]
        if on:
            (statement,) = key_policies[0]["PolicyDocument"]["Statement"]
            assert statement["Resource"] == [KEY]
            assert statement["Action"] == actions
            assert statement["Condition"]["StringEquals"]["kms:ViaService"] == [
                f"{service}.${{AWS::Region}}.amazonaws.com" for service in services
            ]
        else:
            assert key_policies == []


def test_the_key_outlives_the_stack_in_every_stage(template, stage):
    # What it encrypted can outlive any stage's stack: a snapshot, or a bucket or
    # secret kept by a replacing update.
    key = template["Resources"]["EncryptionKey"]
    assert key["DeletionPolicy"] == "Retain"
    assert key["UpdateReplacePolicy"] == "Retain"
