"""The optional ECR repository (planar_cfn/template/registry.py, parameter
EcrRepository): the image repository row of docs/stack.md's components table and
docs/security.md's "ECR repository", asserted on the rendered templates.

GIVEN a stage's template, WHEN EcrRepository is false (the default), THEN no
repository is created and the task runs the registry's image as before; WHEN true,
THEN the repository holds the settings the pages give and the task runs from it."""

import json

from planar_cfn.template.registry import LIFECYCLE_POLICY, TAGGED_KEPT, UNTAGGED_DAYS
from tests.cfn import evaluate, props
from tests.template.sample import REFS, SAMPLE, name_of

COMPONENTS = {
    "image repository": (
        "test_the_repository_is_conditional_scanned_immutable_and_named_for_the_stack",
        "test_encryption_follows_the_customer_managed_key",
        "test_the_lifecycle_policy_expires_untagged_images_and_keeps_the_last_tagged",
        "test_a_protected_stage_keeps_the_repository",
        "test_the_repository_uri_is_an_output_only_with_the_repository",
    ),
}


def test_the_repository_is_conditional_scanned_immutable_and_named_for_the_stack(template, stage):
    repository = template["Resources"]["Repository"]
    assert repository["Type"] == "AWS::ECR::Repository"
    assert repository["Condition"] == "CreateEcrRepository"
    assert template["Conditions"]["CreateEcrRepository"] == {
        "Fn::Equals": [{"Ref": "EcrRepository"}, "true"]
    }
    assert template["Parameters"]["EcrRepository"]["Default"] == "false"
    p = repository["Properties"]
    assert name_of(p["RepositoryName"], stage) == f"planar-app-{stage}-shop"
    assert p["ImageScanningConfiguration"] == {"ScanOnPush": True}
    assert p["ImageTagMutability"] == "IMMUTABLE"
    assert "RepositoryPolicyText" not in p
    tags = {t["Key"]: t["Value"] for t in p["Tags"]}
    assert tags["framework"] == "planar"
    assert name_of(tags["Name"], stage) == f"planar-app-{stage}-shop"


def test_encryption_follows_the_customer_managed_key(template):
    encryption = props(template, "Repository")["EncryptionConfiguration"]
    with_key = evaluate(encryption, REFS, {"UseCustomerManagedKey": True})
    assert with_key == {"EncryptionType": "KMS", "KmsKey": REFS["EncryptionKey.Arn"]}
    assert evaluate(encryption, REFS, {"UseCustomerManagedKey": False}) == {
        "EncryptionType": "AES256"
    }


def test_the_lifecycle_policy_expires_untagged_images_and_keeps_the_last_tagged(template):
    text = props(template, "Repository")["LifecyclePolicy"]["LifecyclePolicyText"]
    policy = json.loads(text)
    assert policy == LIFECYCLE_POLICY
    untagged, tagged = policy["rules"]
    assert (untagged["rulePriority"], tagged["rulePriority"]) == (1, 2)
    assert untagged["selection"] == {
        "tagStatus": "untagged",
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": UNTAGGED_DAYS,
    }
    # ECR requires a tag pattern (or prefix) list with tagStatus tagged; "*" is every tag.
    assert tagged["selection"] == {
        "tagStatus": "tagged",
        "tagPatternList": ["*"],
        "countType": "imageCountMoreThan",
        "countNumber": TAGGED_KEPT,
    }
    assert (UNTAGGED_DAYS, TAGGED_KEPT) == (7, 30)
    assert all(rule["action"] == {"type": "expire"} for rule in policy["rules"])


def test_a_protected_stage_keeps_the_repository(template, stage):
    repository = template["Resources"]["Repository"]
    kept = stage == "prod"
    assert repository["DeletionPolicy"] == ("Retain" if kept else "Delete")
    assert repository["UpdateReplacePolicy"] == ("Retain" if kept else "Delete")
    # An unprotected stage deletes the repository with its images, or the delete fails.
    assert repository["Properties"]["EmptyOnDelete"] is (not kept)


def test_the_repository_uri_is_an_output_only_with_the_repository(template):
    output = template["Outputs"]["RepositoryUri"]
    assert output["Condition"] == "CreateEcrRepository"
    assert output["Value"] == {"Fn::GetAtt": ["Repository", "RepositoryUri"]}
    # The ContainerImage output follows the image the task runs, either way.
    container = props(template, "TaskDefinition")["ContainerDefinitions"][0]
    assert template["Outputs"]["ContainerImage"]["Value"] == container["Image"]


def test_off_by_default_the_image_and_the_roles_are_todays(template):
    container = props(template, "TaskDefinition")["ContainerDefinitions"][0]
    refs = {
        **SAMPLE,
        "ContainerRegistryUrl": "ghcr.io/acme",
        "ContainerImageName": "planar",
        "ContainerImageTag": "1.4.2",
    }
    off = {"CreateEcrRepository": False, "ImageTagIsDigest": False}
    assert evaluate(container["Image"], refs, off) == "ghcr.io/acme/planar:1.4.2"
    # No statement is added for the pull: the managed policy the role always had allows it.
    role = props(template, "ExecutionRole")
    assert "CreateEcrRepository" not in json.dumps(role)
    assert [evaluate(arn, SAMPLE) for arn in role["ManagedPolicyArns"]] == [
        "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    ]
