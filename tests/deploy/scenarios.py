"""What the deploy's test files share: the change set requests a dev or a prod deploy
sends (checked by botocore's Stubber against the API model), runs set up to a point (an
update executed, or followed to UPDATE_COMPLETE; a prod update that replaces the load
balancer), a prompt answered with Ctrl-C, and the command run as build.py."""

import json

from planar_cfn.cli import commands as cli
from tests.deploy_stubs import (
    STAGE_VALUES,
    Terminal,
    change,
    event,
    expected_parameters,
    service_outputs,
)

OUTPUTS = {
    "ApplicationUrl": "https://acme-dev.example.com",
    "BucketName": "planar-dev-acme-5f0c9a70",
}


TAGS = [  # as naming.stack_tags gives them: sorted by key, app.version on the resources only
    {"Key": "app.name", "Value": "acme"},
    {"Key": "framework", "Value": "planar"},
    {"Key": "framework.version", "Value": "0.17"},
    {"Key": "stage", "Value": "dev"},
    {"Key": "vendor_contact", "Value": "support@coplane.com"},
    {"Key": "vendor_name", "Value": "CoPlane"},
]


def prod_update_request(h, **changes):
    return update_request(
        h,
        StackName="planar-prod-acme",
        ChangeSetName="planar-prod-20261127-100000",
        Description="build.py --stage prod (planar-cfn 0.1.0)",
        Tags=[t if t["Key"] != "stage" else {"Key": "stage", "Value": "prod"} for t in TAGS],
        **changes,
    )


def create_request(h, stage=None, **changes):
    """A first deploy's CreateChangeSet; `stage`: a Stage defined as data (else h's)."""
    return {
        "StackName": "planar-dev-acme",
        "ChangeSetName": "planar-dev-20261127-100000",
        "ChangeSetType": "CREATE",
        **h.template_argument(),
        "Parameters": expected_parameters(STAGE_VALUES, stage or h.stage),
        "Capabilities": ["CAPABILITY_NAMED_IAM"],
        "Tags": TAGS,
        "Description": "build.py --stage dev (planar-cfn 0.1.0)",
        **changes,
    }


def update_request(h, **changes):
    return create_request(h, ChangeSetType="UPDATE", **changes)


def previous_parameters(h, **changes):
    sent = expected_parameters(STAGE_VALUES, h.stage)
    values = {p["ParameterKey"]: p["ParameterValue"] for p in sent}
    return {**values, **changes}


def executed_update(h, changes: list) -> dict:
    """A dev update whose change set holds `changes` and is executed; returns the event
    the stream's cursor starts on."""
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h))
    h.ready(changes)
    cursor = event("dev", "planar-dev-acme", "UPDATE_COMPLETE")
    h.events(cursor)
    h.executed()
    return cursor


class Interrupting(Terminal):
    def readline(self, *_):
        raise KeyboardInterrupt


PROD_RESOURCES = [
    ("AppBucket", "AWS::S3::Bucket", "planar-prod-acme-5f0c9a70"),
    (
        "CustomSecret",
        "AWS::SecretsManager::Secret",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:custom-secret-prod-acme-AbCdEf",
    ),
    ("DatabaseCluster", "AWS::RDS::DBCluster", "aurora-pg-prod-acme"),
    (
        "LoadBalancer",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/plb-prod-acme/50dc6c495c0c9188",
    ),
    ("Cluster", "AWS::ECS::Cluster", "app-cluster-prod-acme"),
]


OLD_ALB = PROD_RESOURCES[3][2]


NEW_ALB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/plb-prod-acme/7e1f00d2a9b83c41"


LB = "AWS::ElasticLoadBalancingV2::LoadBalancer"


# Switching alb_internal changes Scheme, which CloudFormation can only do with a new load balancer.
REPLACE_ALB = [
    change("Modify", "LoadBalancer", LB, "True", causes=("Scheme",), physical=OLD_ALB),
    change(
        "Modify",
        "TargetGroup",
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        "True",
        causes=("Name",),
    ),
    change(
        "Modify",
        "HttpsListener",
        "AWS::ElasticLoadBalancingV2::Listener",
        "True",
        causes=("LoadBalancerArn",),
    ),
]


def balancer_protection(h, arn: str, on: bool) -> None:
    h.aws.stub("elbv2").add_response(
        "modify_load_balancer_attributes",
        {},
        {
            "LoadBalancerArn": arn,
            "Attributes": [{"Key": "deletion_protection.enabled", "Value": str(on).lower()}],
        },
    )


def prod_alb_switch(h, **kw):
    """A prod update whose change set replaces the load balancer, up to its review."""
    values = {
        **STAGE_VALUES,
        "alb_internal": False,
        "alb_subnets": ["subnet-0ccccccccccccccc3", "subnet-0ddddddddddddddd4"],
    }
    h.path.write_text(json.dumps(values))
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h, AlbInternal="true"))
    h.created(**prod_update_request(h, Parameters=expected_parameters(values, "prod")))
    h.ready(REPLACE_ALB, **kw)


def executed_alb_switch(h) -> dict:
    """prod_alb_switch, executed once the old load balancer's protection is off; returns
    the event the stream's cursor starts on."""
    prod_alb_switch(h)
    cursor = event("prod", "planar-prod-acme", "UPDATE_COMPLETE")
    h.events(cursor)
    balancer_protection(h, OLD_ALB, on=False)
    h.executed()
    return cursor


def updated_to_complete(h, changes=()):
    """A dev update, executed and followed to UPDATE_COMPLETE; its service not yet read."""
    h.auto_service = False
    cursor = executed_update(h, list(changes))
    done = event("dev", "planar-dev-acme", "UPDATE_COMPLETE", seconds=60)
    h.progress("UPDATE_COMPLETE", done, cursor, outputs={**OUTPUTS, **service_outputs("dev")})


def build_py(h, tmp_path, *flags):
    argv = ["--stage", "dev", "--stage-file", str(h.path), "--templates-dir", str(tmp_path)]
    code = cli.main([*argv, "--yes", *flags], out=h.out, err=h.err, runtime=h.runtime())
    h.aws.assert_done()
    return code


def executed_image_tag(h, template: dict) -> dict:
    """A prod --image-tag v42 whose change set (the task definition replaced, the
    service modified) is executed; returns the event the stream's cursor starts on."""
    before = previous_parameters(h)
    h.stack("UPDATE_COMPLETE", parameters=before)
    image_tag_update(h, template, before)
    after = [
        {"ParameterKey": k, "ParameterValue": "v42" if k == "ContainerImageTag" else v}
        for k, v in before.items()
    ]
    h.ready(
        [
            change("Modify", "TaskDefinition", "AWS::ECS::TaskDefinition", "True"),
            change("Modify", "Service", "AWS::ECS::Service"),
        ],
        parameters=after,
    )
    cursor = event("prod", "planar-prod-acme", "UPDATE_COMPLETE")
    h.events(cursor)
    h.executed()
    return cursor


def image_tag_update(h, template: dict, before: dict, **extra) -> None:
    """GetTemplate of the deployed prod template, then the --image-tag v42 change set:
    the previous template, every parameter kept but the tag (`extra`: more of the request)."""
    h.cfn.add_response(
        "get_template",
        {"TemplateBody": json.dumps(template)},
        {"StackName": h.id, "TemplateStage": "Original"},
    )
    h.created(
        StackName="planar-prod-acme",
        ChangeSetName="planar-prod-20261127-100000",
        ChangeSetType="UPDATE",
        UsePreviousTemplate=True,
        Parameters=[
            {"ParameterKey": k, "ParameterValue": "v42"}
            if k == "ContainerImageTag"
            else {"ParameterKey": k, "UsePreviousValue": True}
            for k in before
        ],
        Capabilities=["CAPABILITY_NAMED_IAM"],
        Description="build.py --stage prod --image-tag v42 (planar-cfn 0.1.0)",
        **extra,
    )
