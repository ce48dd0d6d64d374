"""The plan's JSON (--plan-json) is a contract with users' CI jobs: its shape is pinned
here, key for key. A change to it is a new VERSION, and docs/deploying.md's example is
generated from the same code (tests/deploy_docs.py)."""

from planar_cfn.deploy import plan_document
from planar_cfn.deploy.change_set import Change, ChangeSet, ChangeSetState
from planar_cfn.deploy.property_values import KNOWN_AFTER_APPLY, PropertyValue
from planar_cfn.deploy.template_diff import compare

CPU = PropertyValue(
    "Properties", "/Properties/Cpu", "Modify", "1024", "2048", "Always", ("parameter ContainerCpu",)
)
ARN = PropertyValue(
    "Properties", "/Properties/TaskDefinition", "Modify", "arn:7", KNOWN_AFTER_APPLY, "Never"
)
READY = ChangeSet(
    id="arn:cs",
    stack_id="arn:stack",
    state=ChangeSetState.READY,
    status="CREATE_COMPLETE",
    execution_status="AVAILABLE",
    reason="",
    changes=(
        Change(
            "Modify",
            "TaskDefinition",
            "AWS::ECS::TaskDefinition",
            "True",
            "",
            ("Cpu",),
            "arn:td:7",
            ("Cpu",),
            (CPU,),
        ),
        Change(
            "Modify",
            "Service",
            "AWS::ECS::Service",
            "False",
            "",
            (),
            "svc",
            ("TaskDefinition",),
            (ARN,),
        ),
    ),
    parameters={"ContainerCpu": "2048"},
)


def test_the_plan_of_a_change_set_has_this_shape():
    document = plan_document.from_change_set(
        READY,
        stack="planar-dev-acme",
        stage="dev",
        region="us-east-1",
        operation="UPDATE",
        parameters=[("ContainerCpu", "1024", "2048")],
        decision="dry-run",
    )
    cpu = {
        "path": "/Properties/Cpu",
        "attribute": "Properties",
        "change": "Modify",
        "before": "1024",
        "after": "2048",
        "afterKnown": True,
        "requiresRecreation": "Always",
        "causes": ["parameter ContainerCpu"],
        "beforeFrom": None,
        "drift": None,
    }
    assert document == {
        "format": "planar-cfn-plan",
        "version": 1,
        "stack": "planar-dev-acme",
        "stage": "dev",
        "region": "us-east-1",
        "source": "change-set",
        "operation": "UPDATE",
        "changeSetId": "arn:cs",
        "valuesComplete": True,
        "driftAware": False,
        "stackDriftStatus": None,
        "decision": "dry-run",
        "blocked": [],
        "parameters": [{"name": "ContainerCpu", "before": "1024", "after": "2048"}],
        "resources": [
            {
                "logicalId": "TaskDefinition",
                "type": "AWS::ECS::TaskDefinition",
                "action": "Modify",
                "physicalId": "arn:td:7",
                "replacement": "True",
                "replacementCauses": ["Cpu"],
                "policyAction": None,
                "stateful": False,
                "dataLoss": False,
                "driftStatus": None,
                "driftIgnored": [],
                "properties": [cpu],
            },
            {
                "logicalId": "Service",
                "type": "AWS::ECS::Service",
                "action": "Modify",
                "physicalId": "svc",
                "replacement": "False",
                "replacementCauses": [],
                "policyAction": None,
                "stateful": False,
                "dataLoss": False,
                "driftStatus": None,
                "driftIgnored": [],
                "properties": [
                    {
                        **cpu,
                        "path": "/Properties/TaskDefinition",
                        "before": "arn:7",
                        "after": None,  # never the placeholder
                        "afterKnown": False,
                        "requiresRecreation": "Never",
                        "causes": [],
                    }
                ],
            },
        ],
        "templateSections": [],
        "notCompared": [],
    }


def test_a_diff_plan_has_the_same_keys_at_every_level():
    changed = compare(
        {"Resources": {"R": {"Type": "T", "Properties": {"P": 1}}}},
        {"Resources": {"R": {"Type": "T", "Properties": {"P": 2}}}},
        {"A": "1"},
        {"A": "2"},
    )
    diffed = plan_document.from_diff(changed, stack="s", stage="dev", region="us-east-1")
    reviewed = plan_document.from_change_set(
        READY,
        stack="s",
        stage="dev",
        region="us-east-1",
        operation="UPDATE",
        parameters=[],
        decision="execute",
    )
    assert diffed.keys() == reviewed.keys()
    assert diffed["resources"][0].keys() == reviewed["resources"][0].keys()
    assert diffed["resources"][0]["properties"][0].keys() == cpu_keys(reviewed)
    assert (diffed["source"], diffed["decision"], diffed["resources"][0]["replacement"]) == (
        "diff",
        "differs",
        None,
    )


def cpu_keys(document):
    return document["resources"][0]["properties"][0].keys()
