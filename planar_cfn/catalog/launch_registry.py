"""The launch role's grant for the stack's ECR repository (parameter EcrRepository):
the repository's actions, only on the repositories a Planar stack names."""

from __future__ import annotations

from .launch_grant import Grant

__all__ = ["SCOPES"]

# The repository naming.py gives the stack: planar-app-{stage}-{app}. Every action
# AWS::ECR::Repository's schema lists takes the repository resource type (Service
# Authorization Reference, docs.aws.amazon.com/service-authorization/latest/reference/
# list_amazonelasticcontainerregistry.html), CreateRepository included: none need `*`.
SCOPES: tuple[Grant, ...] = (
    Grant(
        "StackRepository",
        (
            "ecr:CreateRepository",
            "ecr:DeleteLifecyclePolicy",
            "ecr:DeleteRepository",
            "ecr:DeleteRepositoryPolicy",
            "ecr:DescribeRepositories",
            "ecr:GetLifecyclePolicy",
            "ecr:GetRepositoryPolicy",
            "ecr:ListTagsForResource",
            "ecr:PutImageScanningConfiguration",
            "ecr:PutImageTagMutability",
            "ecr:PutLifecyclePolicy",
            "ecr:SetRepositoryPolicy",
            "ecr:TagResource",
            "ecr:UntagResource",
        ),
        ("arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/planar-app-*",),
        "the image repository, planar-app-{stage}-{app} (naming.py), created only with "
        "EcrRepository: every ecr action its schema lists",
    ),
)
