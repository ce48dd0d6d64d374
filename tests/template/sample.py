"""Values the template tests resolve the rendered templates' Refs, GetAtts and
conditions with (tests/cfn.py, evaluate): a sample stack's for the components of
docs/stack.md, and the hardening switches' for docs/security.md."""

from tests.cfn import evaluate

# A sample stack's values, for the components of docs/stack.md.
ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-2b5ab3f1-4d8e-4c4b-9d34-0f1e2a3b4c5d-AbC123"
SAMPLE = {
    "AppName": "shop",
    "BaseDomainName": "example.com",
    "AWS::StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/planar-prod/5f0c9a70-1234-11ef-9f5a-0a1b2c3d4e5f",
    "AWS::Region": "us-east-1",
    "AWS::Partition": "aws",
    "DatabaseCluster.MasterUserSecret.SecretArn": ARN,
}


def name_of(value, stage):
    return evaluate(value, SAMPLE)


# The hardening switches' values (docs/security.md): the key, the access-logs bucket
# and the firewall.
KEY = "arn:aws:kms:eu-west-1:123456789012:key/k"
REFS = {
    "EncryptionKey.Arn": KEY,
    "AWS::NoValue": None,
    "AppName": "shop",
    "AccessLogsBucket": "logs",
    "FirewallWebAcl.Arn": "arn:created",
    "WebAcl": "arn:existing",
}


def with_key(node, on):
    # Performance Insights on, as by default: its key follows the switch too.
    return evaluate(node, REFS, {"UseCustomerManagedKey": on, "UsePerformanceInsights": True})
