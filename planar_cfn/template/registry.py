"""The optional private ECR repository for the application's image (parameter
EcrRepository), and the image reference the task runs (docs/stack.md, Image registry).

Off (the default), the task runs {ContainerRegistryUrl}/{ContainerImageName} as before.
On, the stack creates planar-app-{stage}-{app} and the task runs ContainerImageTag from
it: the execution role's AmazonECSTaskExecutionRolePolicy already allows the ECR pull,
so no registry credentials are involved (docs/security.md, ECR repository).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from troposphere import AWSHelperFn, GetAtt, If, Sub, Template, ecr

from ..inputs.parameters import Params
from ..inputs.stages import Stage
from .encryption import Encryption
from .naming import Naming

# The image in the registry the parameters name. The tag follows a ":", a digest
# (ContainerImageTag "@sha256:...") its own "@".
REGISTRY_IMAGE = "${ContainerRegistryUrl}/${ContainerImageName}${Separator}${ContainerImageTag}"
# The image in the stack's repository: its URI is {account}.dkr.ecr.{region}.{suffix}/{name}.
REPOSITORY_IMAGE = "${RepositoryUri}${Separator}${ContainerImageTag}"
# The lifecycle policy (ECR User Guide, "Lifecycle policies"). Untagged images are what a
# tag-less or interrupted push leaves (tags are immutable, so no push untags an older
# image): a week is time enough to notice. The last 30 tagged images are kept, 30 releases
# to roll back to, a few GB at most at ECR's per-GB-month storage price; older ones expire.
UNTAGGED_DAYS = 7
TAGGED_KEPT = 30
LIFECYCLE_POLICY = {
    "rules": [
        {
            "rulePriority": 1,
            "description": f"Expire untagged images {UNTAGGED_DAYS} days after their push",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": UNTAGGED_DAYS,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": f"Keep the last {TAGGED_KEPT} tagged images",
            "selection": {
                "tagStatus": "tagged",
                "tagPatternList": ["*"],
                "countType": "imageCountMoreThan",
                "countNumber": TAGGED_KEPT,
            },
            "action": {"type": "expire"},
        },
    ]
}


@dataclass(frozen=True)
class Registry:
    """Handles to the optional repository and the image reference the task runs."""

    # Created only under `condition` (parameter EcrRepository).
    repository: ecr.Repository
    condition: str
    # The repository's URI, {account}.dkr.ecr.{region}.amazonaws.com/{name}: only valid
    # under `condition`.
    repository_uri: GetAtt
    # The application's image: from the repository under `condition`, else from the
    # registry the parameters name.
    image: AWSHelperFn


def add_registry(
    template: Template, naming: Naming, stage: Stage, params: Params, encryption: Encryption
) -> Registry:
    """Add the repository under condition CreateEcrRepository, and return the image
    reference that follows the parameter."""
    condition = params.ecr_repository
    name = naming.name("planar-app")
    repository = template.add_resource(
        ecr.Repository(
            "Repository",
            Condition=condition,
            RepositoryName=name,
            ImageScanningConfiguration=ecr.ImageScanningConfiguration(ScanOnPush=True),
            # A tag names one image for good: the task definition's tag, a rollback's and a
            # new task's pull all get the image that was tested. CI pushes a new tag per
            # build (docs/deploying.md, Pushing to the stack's repository).
            ImageTagMutability="IMMUTABLE",
            # Chosen at creation: ECR replaces a repository to change it, as the database.
            # checkov's CKV_AWS_136 (KMS encryption) passes on this Fn::If as rendered.
            EncryptionConfiguration=If(
                encryption.condition,
                ecr.EncryptionConfiguration(EncryptionType="KMS", KmsKey=encryption.arn),
                ecr.EncryptionConfiguration(EncryptionType="AES256"),
            ),
            LifecyclePolicy=ecr.LifecyclePolicy(
                LifecyclePolicyText=json.dumps(LIFECYCLE_POLICY, separators=(",", ":"))
            ),
            # An unprotected stage deletes its repository with the stack, images and all,
            # as it empties and deletes its bucket; a protected one keeps it.
            EmptyOnDelete=not stage.protected,
            Tags=naming.tags(name),
            DeletionPolicy=stage.deletion_policy,
            UpdateReplacePolicy=stage.log_replacement_policy,
        )
    )
    uri = GetAtt(repository, "RepositoryUri")
    separator = If(params.image_digest, "", ":")
    image = If(
        condition,
        Sub(REPOSITORY_IMAGE, RepositoryUri=uri, Separator=separator),
        Sub(REGISTRY_IMAGE, Separator=separator),
    )
    return Registry(repository=repository, condition=condition, repository_uri=uri, image=image)
