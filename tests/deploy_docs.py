"""The generated parts of docs/deploying.md: the stage-file key table (from the
parameter table and the deploy settings) and the example sessions (the real
deploy, run against botocore Stubbers). tests/deploy/test_docs.py checks them;
`.venv/bin/python -m tests.deploy_docs --write` regenerates them in place."""

from __future__ import annotations

import io
import re
import sys
import tempfile
from pathlib import Path

from planar_cfn.inputs import notifications, parameter_rollout
from planar_cfn.inputs.parameters import SPECS
from planar_cfn.inputs.stage_file import LOOKED_UP, SETTINGS, expected_json
from planar_cfn.inputs.stages import DEFAULT_STAGES
from planar_cfn.paths import shown
from planar_cfn.template.config import StackConfig
from planar_cfn.template.render import render
from tests import drift_stubs
from tests.deploy_stubs import (
    ACCESS_LOGS_BUCKET,
    STAGE_VALUES,
    Harness,
    Terminal,
    change,
    event,
    expected_parameters,
    stack_tags,
)
from tests.drift_stubs import AUTOSCALING, DESIRED_COUNT, build_py, detection, resource
from tests.drift_stubs import resource_drifts as drifts

DOC = Path(__file__).resolve().parent.parent / "docs" / "deploying.md"
# The template's hash names its S3 object; it changes with every template change.
_DIGEST = re.compile(r"/[0-9a-f]{16}\.json")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def keys_table() -> str:
    rows = [
        "| key | parameter | JSON value | default | allowed |",
        "| --- | --- | --- | --- | --- |",
    ]
    for spec in SPECS:
        # The topics' row is the deploy setting's, below.
        if spec.secret or spec.key == notifications.KEY:
            continue
        if spec.key in LOOKED_UP:
            default = (
                "looked up"
                if spec.required
                else ("on a create: looked up in prod, else empty; on an update: the stack's")
            )
        elif spec.required:
            default = "required"
        elif spec.name in ("DeploymentStrategy", "Alarms"):
            by_stage = {
                stage.name: parameter_rollout.for_stage(spec, stage).default
                for stage in DEFAULT_STAGES
            }
            default = "the stage's: " + ", ".join(
                f"`{value}` in {name}" for name, value in by_stage.items()
            )
        else:
            default = "empty" if spec.default == "" else f"`{spec.default}`"
        json_value = expected_json(spec).replace('["a", "b"]', '`["a", "b"]`')
        rows.append(
            f"| `{spec.key}` | `{spec.name}` | {json_value} | {_cell(default)} | {_cell(spec.allowed_text())} |"
        )
    for setting in SETTINGS:
        rows.append(
            f"| `{setting.key}` | (deploy setting) | a JSON string | - | "
            f"{_cell(setting.pattern.allowed)}. {_cell(setting.description)} |"
        )
    rows.append(
        f"| `{notifications.KEY}` | (deploy setting) and `AlarmTopicArns` | a JSON list of strings | - | "
        f"at most {notifications.MAX_TOPICS} SNS topic ARNs in the stack's region, such as "
        "arn:aws:sns:us-east-1:123456789012:deploys. CloudFormation publishes the stack's "
        "events to them (NotificationARNs); [] removes the stack's topics, and leaving the "
        "key out leaves them as they are. The same list is the alarms' topics (AlarmTopicArns, "
        "empty by default), kept likewise when the key is left out. |"
    )
    return "\n".join(rows)


class _Typing(Terminal):
    """A terminal whose typed answer shows in the transcript, as it would on screen."""

    def __init__(self, answer: str, screen: io.StringIO) -> None:
        super().__init__(answer)
        self.screen = screen

    def readline(self, *args) -> str:
        line = super().readline(*args)
        self.screen.write(line)
        return line


def _harness(stage: str, values: dict, tmp: Path) -> Harness:
    h = Harness(tmp, render(StackConfig.for_stage(stage)), values)
    h.err = h.out  # one screen: errors interleaved where they happen
    return h


def _prod_update(tmp: Path) -> str:
    values = {k: v for k, v in STAGE_VALUES.items() if k != "container_image_tag"}
    values.update(container_cpu=4096, container_memory=8192, desired_count=2)
    h = _harness("prod", values, tmp)
    before = {p["ParameterKey"]: p["ParameterValue"] for p in expected_parameters(values, h.stage)}
    before.update(ContainerCpu="2048", ContainerMemory="4096", ContainerImageTag="v41")
    h.stack("UPDATE_COMPLETE", parameters=before)
    params = expected_parameters(values, h.stage, container_image_tag={"UsePreviousValue": True})
    h.created(
        StackName=h.name,
        ChangeSetName="planar-prod-20261127-100000",
        ChangeSetType="UPDATE",
        **h.template_argument(),
        Parameters=params,
        Capabilities=["CAPABILITY_NAMED_IAM"],
        Tags=stack_tags("prod"),
        Description="build.py --stage prod (planar-cfn 0.1.0)",
    )
    after = [
        {"ParameterKey": k, "ParameterValue": v}
        for k, v in {**before, "ContainerCpu": "4096", "ContainerMemory": "8192"}.items()
    ]
    changes = _with_values(
        [
            change(
                "Modify",
                "TaskDefinition",
                "AWS::ECS::TaskDefinition",
                "True",
                causes=("Cpu", "Memory"),
            ),
            change("Modify", "Service", "AWS::ECS::Service", "False"),
        ]
    )
    h.ready(changes, parameters=after)
    cursor = event("prod", h.name, "UPDATE_COMPLETE", event_id="e0")
    h.events(cursor)
    h.executed()
    new_task = (
        "Requested update requires the creation of a new physical resource; hence creating one."
    )
    steps = [
        (
            "UPDATE_IN_PROGRESS",
            [
                event("prod", h.name, "UPDATE_IN_PROGRESS", reason="User Initiated", seconds=3),
                event(
                    "prod",
                    "TaskDefinition",
                    "UPDATE_IN_PROGRESS",
                    "AWS::ECS::TaskDefinition",
                    new_task,
                    6,
                ),
            ],
        ),
        (
            "UPDATE_IN_PROGRESS",
            [
                event(
                    "prod",
                    "TaskDefinition",
                    "UPDATE_COMPLETE",
                    "AWS::ECS::TaskDefinition",
                    seconds=7,
                ),
                event("prod", "Service", "UPDATE_IN_PROGRESS", "AWS::ECS::Service", seconds=8),
            ],
        ),
        (
            "UPDATE_COMPLETE",
            [
                event("prod", "Service", "UPDATE_COMPLETE", "AWS::ECS::Service", seconds=212),
                event("prod", h.name, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", seconds=214),
                event(
                    "prod",
                    "TaskDefinition",
                    "DELETE_COMPLETE",
                    "AWS::ECS::TaskDefinition",
                    seconds=216,
                ),
                event("prod", h.name, "UPDATE_COMPLETE", seconds=217),
            ],
        ),
    ]
    seen = [cursor]
    for status, events in steps:
        extra = {"outputs": OUTPUTS} if status == "UPDATE_COMPLETE" else {}
        h.progress(status, *reversed(events), *reversed(seen[-1:]), **extra)
        seen += events
    h.protected()
    code = h.run(stdin=_Typing("y\n", h.out))
    return f"$ python build.py --stage prod\n[... the build summary: resources, size, lint ...]\n{h.out.getvalue()}$ echo $?\n{code}\n"


def _with_values(changes: list[dict]) -> list[dict]:
    """The prod update's changes as IncludePropertyValues gives them: the task size from
    its parameters, and the service's new task definition, known only once it exists."""
    from tests.deploy.test_review_values import detail

    task, service = (c["ResourceChange"] for c in changes)
    task["Details"] = [
        detail(
            name,
            was,
            now,
            source="ParameterReference",
            CausingEntity=parameter,
            recreation="Always",
        )
        for name, parameter, was, now in (
            ("Cpu", "ContainerCpu", "2048", "4096"),
            ("Memory", "ContainerMemory", "4096", "8192"),
        )
    ]
    arn = "arn:aws:ecs:us-east-1:123456789012:task-definition/planar-service-prod-acme:7"
    service["Details"] = [
        detail(
            "TaskDefinition",
            arn,
            "{{changeSet:KNOWN_AFTER_APPLY}}",
            source="ResourceReference",
            CausingEntity="TaskDefinition",
            evaluation="Dynamic",
        )
    ]
    return changes


def _prod_diff(tmp: Path) -> str:
    """A pull request's read-only check: a stage file that doubles the tasks, against
    a stack whose template has an older health check path."""
    import copy
    import json

    values = {k: v for k, v in STAGE_VALUES.items() if k != "container_image_tag"}
    values.update(container_cpu=4096, container_memory=8192)
    h = _harness("prod", values, tmp)
    template = json.loads(h.rendered.body)
    deployed = copy.deepcopy(template)
    deployed["Resources"]["TargetGroup"]["Properties"]["HealthCheckPath"] = "/health"
    before = {p["ParameterKey"]: p["ParameterValue"] for p in expected_parameters(values, h.stage)}
    before.update(ContainerCpu="2048", ContainerMemory="4096", ContainerImageTag="v41")
    h.stack("UPDATE_COMPLETE", parameters=before)
    h.network()
    h.cfn.add_response(
        "get_template",
        {"TemplateBody": json.dumps(deployed)},
        {"StackName": h.id, "TemplateStage": "Original"},
    )
    code = h.run("--diff")
    return f"$ python build.py --stage prod --diff\n[... the build summary: resources, size, lint ...]\n{h.out.getvalue()}$ echo $?\n{code}\n"


def _prod_revert_drift(tmp: Path) -> str:
    """A drift-aware dry run after a console change to the security group and backups."""
    from tests.deploy.test_revert_drift import (
        DRIFT_AWARE,
        drifted_retention,
        drifted_security_group,
    )

    values = {k: v for k, v in STAGE_VALUES.items() if k != "container_image_tag"}
    h = _harness("prod", values, tmp)
    before = {p["ParameterKey"]: p["ParameterValue"] for p in expected_parameters(values, h.stage)}
    h.stack("UPDATE_COMPLETE", parameters=before)
    h.created(
        StackName=h.name,
        ChangeSetName="planar-prod-20261127-100000",
        ChangeSetType="UPDATE",
        **h.template_argument(),
        Parameters=expected_parameters(
            values, h.stage, container_image_tag={"UsePreviousValue": True}
        ),
        Capabilities=["CAPABILITY_NAMED_IAM"],
        Tags=stack_tags("prod"),
        Description="build.py --stage prod (planar-cfn 0.1.0)",
        DeploymentMode="REVERT_DRIFT",
    )
    changes = [drifted_security_group(), drifted_retention()]
    h.change_set(changes=[], fields=DRIFT_AWARE)
    h.change_set(changes=changes, values=True, fields=DRIFT_AWARE)
    h.deleted_change_set()
    code = h.run("--revert-drift", "--dry-run", "--plan-json", str(tmp / "plan.json"))
    screen = h.out.getvalue().replace(str(tmp / "plan.json"), "plan.json")
    return f"$ python build.py --stage prod --revert-drift --dry-run --plan-json plan.json\n[... the build summary: resources, size, lint ...]\n{screen}$ echo $?\n{code}\n"


def _prod_blocked(tmp: Path) -> str:
    values = {**STAGE_VALUES, "database_availability_zones": ["us-east-1b", "us-east-1a"]}
    h = _harness("prod", values, tmp)
    before = {p["ParameterKey"]: p["ParameterValue"] for p in expected_parameters(values, h.stage)}
    before["DatabaseAvailabilityZones"] = "us-east-1a,us-east-1b"
    h.stack("UPDATE_COMPLETE", parameters=before)
    h.created(
        StackName=h.name,
        ChangeSetName="planar-prod-20261127-100000",
        ChangeSetType="UPDATE",
        **h.template_argument(),
        Parameters=expected_parameters(values, h.stage),
        Capabilities=["CAPABILITY_NAMED_IAM"],
        Tags=stack_tags("prod"),
        Description="build.py --stage prod (planar-cfn 0.1.0)",
    )
    after = [
        {"ParameterKey": k, "ParameterValue": v}
        for k, v in {**before, "DatabaseAvailabilityZones": "us-east-1b,us-east-1a"}.items()
    ]
    changes = [
        change(
            "Modify",
            "DatabaseWriter",
            "AWS::RDS::DBInstance",
            "True",
            "ReplaceAndDelete",
            ("AvailabilityZone",),
        ),
        change(
            "Modify",
            "DatabaseReader1",
            "AWS::RDS::DBInstance",
            "True",
            "ReplaceAndDelete",
            ("AvailabilityZone",),
        ),
    ]
    h.ready(changes, parameters=after)
    h.deleted_change_set()
    code = h.run("--dry-run")
    return f"$ python build.py --stage prod --dry-run\n[... the build summary: resources, size, lint ...]\n{h.out.getvalue()}$ echo $?\n{code}\n"


def _prod_key_switch(tmp: Path) -> str:
    values = {**STAGE_VALUES, "customer_managed_key": True}
    h = _harness("prod", values, tmp)
    before = {p["ParameterKey"]: p["ParameterValue"] for p in expected_parameters(values, h.stage)}
    before["CustomerManagedKey"] = "false"
    h.stack("UPDATE_COMPLETE", parameters=before)
    code = h.run("--dry-run")
    screen = h.out.getvalue().replace(shown(h.path), "stages/prod.json")
    return f"$ python build.py --stage prod --dry-run\n[... the build summary: resources, size, lint ...]\n{screen}$ echo $?\n{code}\n"


def _access_logs_kms(tmp: Path) -> str:
    values = {**STAGE_VALUES, "access_logs_bucket": ACCESS_LOGS_BUCKET}
    h = _harness("staging", values, tmp)
    h.no_stack()
    h.account_checks("ok", location="", encryption="aws:kms", caller=True)
    code = h.run("--dry-run")
    return f"$ python build.py --stage staging --dry-run\n[... the build summary: resources, size, lint ...]\n{h.out.getvalue()}$ echo $?\n{code}\n"


def _prod_drift(tmp: Path) -> str:
    h = _harness("prod", STAGE_VALUES, tmp)
    drift_stubs.certificate_stack(h, **AUTOSCALING)
    detection(h, "DETECTION_IN_PROGRESS", "DETECTION_COMPLETE")
    ingress = '{"CidrIp":"0.0.0.0/0","FromPort":22,"IpProtocol":"tcp","ToPort":22}'
    drifts(
        h,
        resource(
            h,
            "ServiceSecurityGroup",
            "AWS::EC2::SecurityGroup",
            "MODIFIED",
            ("/SecurityGroupIngress/1", "", ingress, "ADD"),
        ),
        resource(
            h,
            "Service",
            "AWS::ECS::Service",
            "MODIFIED",
            DESIRED_COUNT,
        ),
        resource(
            h,
            "DatabaseCluster",
            "AWS::RDS::DBCluster",
            "MODIFIED",
            ("/BackupRetentionPeriod", "7", "1", "NOT_EQUAL"),
        ),
    )
    drift_stubs.healthy_certificate(h)
    code = build_py(h)
    return f"$ python build.py --stage prod --drift\n{h.out.getvalue()}$ echo $?\n{code}\n"


def _tasks_keep_stopping(tmp: Path) -> str:
    """A dev update whose new tasks keep exiting: the service's events beside the
    stack's, the early warning, then the rollback."""
    from tests.deploy.scenarios import executed_update
    from tests.deploy.test_service_events import SERVICE_ARN, service_read
    from tests.deploy_stubs import stopped, task_definition, task_definition_arn

    h = _harness("dev", STAGE_VALUES, tmp)
    changes = [
        change("Modify", "TaskDefinition", "AWS::ECS::TaskDefinition", "True", causes=("Image",)),
        change("Modify", "Service", "AWS::ECS::Service", "False"),
    ]
    cursor = executed_update(h, changes)
    updating = event(
        "dev", "Service", "UPDATE_IN_PROGRESS", "AWS::ECS::Service", seconds=5, physical=SERVICE_ARN
    )
    prefix = "(service planar-service-dev-acme)"
    crash = "Essential container in task exited"
    tasks = [stopped("dev", f"{i}f3c9e0b7a2d4e51", crash, 1, 48 + 41 * i) for i in range(3)]
    started = [
        (f"{prefix} has started 1 tasks: (task {i}f3c9e0b7a2d4e51).", 10 + 41 * i) for i in range(3)
    ]
    h.progress("UPDATE_IN_PROGRESS", updating, cursor)
    service_read(h, started[:1], tasks[:1], tasks[:1])
    h.progress("UPDATE_IN_PROGRESS")
    service_read(h, reversed(started[:2]), tasks[1::-1], tasks[1:2])
    h.progress("UPDATE_IN_PROGRESS")
    service_read(h, reversed(started), tasks[::-1], tasks[2:])
    h.aws.stub("ecs").add_response(
        "describe_task_definition",
        {"taskDefinition": task_definition("dev", 8)},
        {"taskDefinition": task_definition_arn("dev", 8)},
    )
    log = [
        "INFO:     Started server process [1]",
        "ERROR:    connection to the database failed: password authentication failed",
    ]
    h.aws.stub("logs").add_response(
        "get_log_events",
        {"events": [{"timestamp": 0, "message": m} for m in log]},
        {
            "logGroupName": "/ecs/planar-service-dev-acme",
            "logStreamName": "ecs/planar-app/2f3c9e0b7a2d4e51",
            "limit": 20,
            "startFromHead": False,
        },
    )
    breaker = "ECS Deployment Circuit Breaker was triggered"
    failed = event("dev", "Service", "UPDATE_FAILED", "AWS::ECS::Service", breaker, 190)
    rolled = event("dev", h.name, "UPDATE_ROLLBACK_COMPLETE", seconds=400)
    h.progress("UPDATE_ROLLBACK_COMPLETE", rolled, failed)
    service_read(h, reversed(started), tasks[::-1], [])
    code = h.run("--yes")
    return f"$ python build.py --stage dev --yes\n[... the build summary: resources, size, lint ...]\n{h.out.getvalue()}$ echo $?\n{code}\n"


def _rolled_back(tmp: Path) -> str:
    """A dev update that ends complete while its service was rolled back."""
    from tests.deploy.scenarios import updated_to_complete
    from tests.deploy.test_service_health import ROLLED_BACK
    from tests.deploy_stubs import service, stopped

    h = _harness("dev", STAGE_VALUES, tmp)
    updated_to_complete(
        h,
        [
            change(
                "Modify", "TaskDefinition", "AWS::ECS::TaskDefinition", "True", causes=("Image",)
            ),
            change("Modify", "Service", "AWS::ECS::Service", "False"),
        ],
    )
    h.service_reading(service("dev", revision=7, events=tuple(reversed(ROLLED_BACK))), 8)
    h.target_health(("healthy", ""))
    h.stopped_tasks(
        stopped("dev", "9b1e2f3a4c5d6e7f", "Essential container in task exited", 137, 70),
        stopped("dev", "8a0d1e2f3b4c5d6e", "Essential container in task exited", 137, 130),
        logs=["INFO:     Started server process [1]", "Killed"],
    )
    code = h.run("--yes")
    return f"$ python build.py --stage dev --yes\n[... the build summary: resources, size, lint ...]\n{h.out.getvalue()}$ echo $?\n{code}\n"


def _prod_canary(tmp: Path) -> str:
    """--image-tag in prod under CANARY: the stages with the split, then the check."""
    import json
    from datetime import timedelta

    from tests.deploy.scenarios import image_tag_update
    from tests.deploy.test_service_deployments import CANARY_STAGES, deployment, poll, updating
    from tests.deploy_stubs import T0

    values = {k: v for k, v in STAGE_VALUES.items() if k != "container_image_tag"}
    h = _harness("prod", values, tmp)
    h.auto_service = False
    before = {p["ParameterKey"]: p["ParameterValue"] for p in expected_parameters(values)}
    before.update(ContainerImageTag="v41")
    h.stack("UPDATE_COMPLETE", parameters=before)
    image_tag_update(h, json.loads(h.rendered.body), before)
    after = [
        {"ParameterKey": k, "ParameterValue": "v42" if k == "ContainerImageTag" else v}
        for k, v in before.items()
    ]
    changes = [
        change("Modify", "TaskDefinition", "AWS::ECS::TaskDefinition", "True", causes=("Image",)),
        change("Modify", "Service", "AWS::ECS::Service", "False"),
    ]
    h.ready(changes, parameters=after)
    cursor = event("prod", h.name, "UPDATE_COMPLETE", event_id="e0")
    h.events(cursor)
    h.executed()
    h.progress("UPDATE_IN_PROGRESS", updating("prod"), cursor)
    # minutes after the start each stage is first seen: 10% for the canary's bake (5 min),
    # then all of it, the bake time (10 min), the old revision gone
    minutes = [1, 2, 5, 8, 9, 19]
    for (stage, new), at in zip(CANARY_STAGES, minutes, strict=True):
        answer = {**deployment(stage, new), "updatedAt": T0 + timedelta(minutes=at)}
        poll(h, answer, stage="prod")
        if at != minutes[-1]:
            h.progress("UPDATE_IN_PROGRESS")
    done = event("prod", "Service", "UPDATE_COMPLETE", "AWS::ECS::Service", seconds=1210)
    complete = event("prod", h.name, "UPDATE_COMPLETE", seconds=1220)
    outputs = {**OUTPUTS, "ContainerImage": "ghcr.io/acme/planar-app:v42"}
    h.progress("UPDATE_COMPLETE", complete, done, outputs=outputs)
    final = {**deployment("CLEAN_UP", 100, "SUCCESSFUL"), "updatedAt": T0 + timedelta(minutes=20)}
    poll(h, final, stage="prod")
    h.protected()
    h.service_healthy(image=outputs["ContainerImage"])
    code = h.run("--image-tag", "v42", "--yes")
    return f"$ python build.py --stage prod --image-tag v42 --yes\n{h.out.getvalue()}$ echo $?\n{code}\n"


OUTPUTS = {
    "ApplicationUrl": "https://acme-prod.example.com",
    "LoadBalancerDnsName": "planar-loadb-1a2b3c4d5e6f-1234567890.us-east-1.elb.amazonaws.com",
    "EcsClusterName": "app-cluster-prod-acme",
    "EcsServiceName": "planar-service-prod-acme",
    "TaskDefinitionFamily": "planar-service-prod-acme",
    "ContainerImage": "ghcr.io/acme/planar-app:v41",
    "DatabaseEndpoint": "aurora-pg-prod-acme.cluster-c1a2b3c4d5e6.us-east-1.rds.amazonaws.com",
    "BucketName": "planar-prod-acme-5f0c9a70",
}


def transcripts() -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        return {
            "update": _prod_update(Path(tmp)),
            "diff": _prod_diff(Path(tmp)),
            "revert-drift": _prod_revert_drift(Path(tmp)),
            # The plan that run wrote: the example of --plan-json's shape.
            "plan-json": (Path(tmp) / "plan.json").read_text(),
            "blocked": _prod_blocked(Path(tmp)),
            "key-switch": _prod_key_switch(Path(tmp)),
            "access-logs": _access_logs_kms(Path(tmp)),
            "drift": _prod_drift(Path(tmp)),
            "tasks-stopping": _tasks_keep_stopping(Path(tmp)),
            "rolled-back": _rolled_back(Path(tmp)),
            "canary": _prod_canary(Path(tmp)),
        }


def sections() -> dict[str, str]:
    generated = {"stage-file-keys": keys_table()}
    for name, text in transcripts().items():
        fence = "json" if name == "plan-json" else "text"
        generated[f"transcript-{name}"] = f"```{fence}\n" + text + "```"
    return generated


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}: generated by tests/deploy_docs.py -->", f"<!-- /{name} -->"


def section(text: str, name: str) -> str:
    begin, end = markers(name)
    assert begin in text, f"{DOC.name} lacks the marker {begin}"
    assert end in text, f"{DOC.name} lacks the marker {end}"
    return text.split(begin, 1)[1].split(end, 1)[0].strip("\n")


def normalized(text: str) -> str:
    return _DIGEST.sub("/<sha256>.json", text)


def write() -> None:
    text = DOC.read_text()
    for name, body in sections().items():
        begin, end = markers(name)
        text = text.replace(f"{begin}\n{section(text, name)}\n{end}", f"{begin}\n{body}\n{end}")
    DOC.write_text(text)


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write()
    else:
        for name, body in sections().items():
            print(f"--- {name}\n{body}")
