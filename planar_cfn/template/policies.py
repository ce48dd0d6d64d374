"""IAM policy-document helpers shared by the template modules.

A leaf module: it imports no other planar_cfn module, so iam, database, storage
and encryption can all use it without importing one another.
"""

from __future__ import annotations

from awacs.aws import Allow, Condition, ConditionElement, Policy, Principal, Statement
from awacs.sts import AssumeRole
from troposphere import AWSHelperFn, Sub

# The current IAM policy language version. The only other one, 2008-10-17, lacks
# policy variables and is kept by AWS for old policies only.
POLICY_VERSION = "2012-10-17"


def policy_document(statements: list[Statement] | AWSHelperFn) -> Policy:
    """An IAM policy document, in the current policy language version, of `statements`."""
    return Policy(Version=POLICY_VERSION, Statement=statements)


def assume_role_policy(service: str, *conditions: ConditionElement) -> Policy:
    """A trust policy: the AWS service `service` (e.g. ecs-tasks.amazonaws.com) may assume
    the role, when every condition given holds (the confused-deputy keys aws:SourceAccount
    and aws:SourceArn, where the service documents them)."""
    return policy_document(
        [
            Statement(
                Effect=Allow,
                Principal=Principal("Service", [service]),
                Action=[AssumeRole],
                **({"Condition": Condition(list(conditions))} if conditions else {}),
            ),
        ]
    )


def managed_policy(path: str) -> Sub:
    """The ARN of an AWS managed policy, in the stack's partition."""
    return Sub(f"arn:${{AWS::Partition}}:iam::aws:policy/{path}")


def objects_in(bucket_arn: AWSHelperFn) -> Sub:
    """Every object of the bucket whose ARN is given."""
    return Sub("${Bucket}/*", Bucket=bucket_arn)
