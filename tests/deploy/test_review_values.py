"""Values in the review: DescribeChangeSet read with IncludePropertyValues on every page
(botocore's Stubber checks each request against the API model), each changed property
shown before and after, long values as the paths that differ, values CloudFormation
learns only while the change set runs said to be so, NoEcho values masked, and a read
CloudFormation warns is incomplete read again without values."""

import json

from botocore.stub import ANY

from planar_cfn.errors import ExitCode
from tests.deploy.scenarios import previous_parameters, update_request
from tests.deploy_stubs import STAGE_VALUES, change

CONTAINERS_BEFORE = [{"Name": "planar-app", "Image": "ghcr.io/acme/planar-app:v41", "Cpu": 0}]
CONTAINERS_AFTER = [{"Name": "planar-app", "Image": "ghcr.io/acme/planar-app:v42", "Cpu": 0}]


def detail(name, before=None, after=None, *, kind="Modify", source="DirectModification", **extra):
    """One of a change's Details as IncludePropertyValues returns it."""
    target = {
        "Attribute": "Properties",
        "Name": name.split("/")[0],
        "RequiresRecreation": extra.pop("recreation", "Never"),
        "Path": f"/Properties/{name}",
        "AttributeChangeType": kind,
    }
    if before is not None:
        target["BeforeValue"] = before
    if after is not None:
        target["AfterValue"] = after
    target.update(extra.pop("target", {}))
    return {
        "Target": target,
        "Evaluation": extra.pop("evaluation", "Static"),
        "ChangeSource": source,
        **extra,
    }


def with_details(resource_change, *details):
    resource_change["ResourceChange"]["Details"] = list(details)
    return resource_change


def task_definition_change():
    return with_details(
        change("Modify", "TaskDefinition", "AWS::ECS::TaskDefinition", "True"),
        detail(
            "Cpu",
            "1024",
            "2048",
            source="ParameterReference",
            CausingEntity="ContainerCpu",
            recreation="Always",
        ),
        detail("Cpu", "1024", "2048", recreation="Always"),
        detail(
            "ContainerDefinitions",
            json.dumps(CONTAINERS_BEFORE),
            json.dumps(CONTAINERS_AFTER),
            recreation="Always",
        ),
    )


def service_change():
    return with_details(
        change("Modify", "Service", "AWS::ECS::Service", "False"),
        detail(
            "TaskDefinition",
            "arn:aws:ecs:us-east-1:123456789012:task-definition/planar-service-dev-acme:7",
            "{{changeSet:KNOWN_AFTER_APPLY}}",
            source="ResourceReference",
            CausingEntity="TaskDefinition",
            evaluation="Dynamic",
        ),
    )


def reviewed(h, *pages, reason=""):
    """The waiter's read, then the review's pages, each with property values."""
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h))
    h.change_set(changes=[], reason=reason)
    for i, changes in enumerate(pages):
        h.change_set(
            changes=changes,
            values=True,
            reason=reason,
            token=f"page-{i + 1}" if i else None,
            next_token=f"page-{i + 2}" if i + 1 < len(pages) else None,
        )


def test_every_changed_property_shows_its_values_on_every_page(harness):
    # GIVEN a change set of two pages, both read with their values
    h = harness("dev")
    reviewed(h, [task_definition_change()], [service_change()])
    h.deleted_change_set()

    # WHEN it is reviewed in a dry run
    assert h.run("--dry-run") == ExitCode.OK
    out = h.out.getvalue()

    # THEN a scalar inline, once though two causes list it; a long value as what differs
    # in it; and the value known only at execution said to be so, with its source
    assert out.count("~ Cpu: 1024 -> 2048") == 1
    assert "      ~ ContainerDefinitions:\n" in out
    assert (
        "          ~ 0/Image: ghcr.io/acme/planar-app:v41 -> ghcr.io/acme/planar-app:v42\n" in out
    )
    assert "0/Cpu" not in out  # the same both sides
    assert (
        "      ~ TaskDefinition: arn:aws:ecs:us-east-1:123456789012:task-definition/"
        "planar-service-dev-acme:7 -> (known only when the change set runs: from resource "
        "TaskDefinition)"
    ) in out
    assert "KNOWN_AFTER_APPLY" not in out
    # each under its own resource
    assert out.index("TaskDefinition  replacement") < out.index("~ Cpu") < out.index("Service ")


def test_added_and_removed_properties_and_tags(harness):
    h = harness("dev")
    bucket = with_details(
        change("Modify", "AppBucket", "AWS::S3::Bucket", "False"),
        detail(
            "Tags/0", after='{"Key":"team","Value":"ml"}', kind="Add", target={"Attribute": "Tags"}
        ),
        detail("AccelerateConfiguration", before='{"AccelerationStatus":"Enabled"}', kind="Remove"),
    )
    reviewed(h, [bucket])
    h.deleted_change_set()

    assert h.run("--dry-run") == ExitCode.OK
    out = h.out.getvalue()
    assert '      + Tags/0: {"Key":"team","Value":"ml"}\n' in out
    assert '      - AccelerateConfiguration: {"AccelerationStatus":"Enabled"}\n' in out


def test_a_noecho_value_the_deploy_sends_is_masked_wherever_it_shows(harness):
    # GIVEN a registry password (NoEcho) that a property's value would carry
    password = "hunter2-Correct-Horse"
    h = harness("dev", {**STAGE_VALUES, "registry_username": "bot"})
    h.environ["PLANAR_REGISTRY_PASSWORD"] = password
    secret = with_details(
        change("Modify", "RegistryCredentialsSecret", "AWS::SecretsManager::Secret", "False"),
        detail("Description", "old " + password, "new " + password),
    )
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h, Parameters=ANY))
    h.ready([secret])
    h.deleted_change_set()

    assert h.run("--dry-run") == ExitCode.OK
    out = h.out.getvalue()
    assert password not in out
    assert "~ Description: old **** -> new ****" in out


def test_a_secret_property_is_masked_whatever_its_value(harness):
    h = harness("dev")
    secret = with_details(
        change("Modify", "CustomSecret", "AWS::SecretsManager::Secret", "False"),
        detail("SecretString", '{"k":"old"}', '{"k":"new"}'),
    )
    reviewed(h, [secret])
    h.deleted_change_set()

    assert h.run("--dry-run") == ExitCode.OK
    out = h.out.getvalue()
    assert "~ SecretString: **** -> ****" in out
    assert "old" not in out.split("CustomSecret", 1)[1]


def test_an_incomplete_read_is_read_again_without_values_and_says_so(harness):
    # GIVEN CloudFormation's warning that the read with values left a change out
    h = harness("dev")
    warning = (
        "[WARN] --include-property-values option can return incomplete ChangeSet data "
        "because: Logical Id: Service, failed property validation"
    )
    reviewed(h, [task_definition_change()], reason=warning)
    h.change_set(
        changes=[
            change("Modify", "TaskDefinition", "AWS::ECS::TaskDefinition", "True"),
            change("Modify", "Service", "AWS::ECS::Service", "False"),
        ],
        reason=warning,
    )
    h.deleted_change_set()

    assert h.run("--dry-run") == ExitCode.OK
    out = h.out.getvalue()
    # THEN both changes are listed, the one read with values keeps them, and it is said
    assert "2 resource change(s)" in out
    assert "~ Cpu: 1024 -> 2048" in out
    assert "AWS::ECS::Service                            Service" in out
    assert "Note: CloudFormation left some property values out ([WARN]" in out
