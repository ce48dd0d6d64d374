"""build.py --targets against moto's StackSets (moto 5.2.5): a second model of the
StackSet API, beside the Stubber tests (tests/deploy/test_stack_sets.py), which hold
each request to botocore's model and to arguments written out by hand. Here nothing
is scripted: the run creates, updates and destroys a StackSet in moto, and the test
reads moto back with boto3. What moto models, and so what this checks:

- CreateStackSet and UpdateStackSet read TemplateURL from moto's S3, so the StackSet
  holds the template the run uploaded; DescribeStackSet gives back its template,
  parameters, tags, permission model and roles.
- CreateStackInstances makes an instance per account and region, with the
  ParameterOverrides sent; DescribeStackInstance and ListStackInstances read them.
- UpdateStackInstances replaces the overrides of the instances it names, and only
  theirs; DeleteStackInstances removes instances; DeleteStackSet refuses a StackSet
  that still has instances (StackSetNotEmpty), as CloudFormation does.
- Each operation's DescribeStackSetOperation and ListStackSetOperationResults
  (SUCCEEDED, with the instances it touched), and ListStackSetOperations, the record
  of which operations the run started.

Where moto is not faithful, and what this does not check (the Stubber tests do):

- Every operation ends SUCCEEDED as it starts: no QUEUED or RUNNING, no per-instance
  progress, no failure, no StatusReason. The run's polling, a failed instance, Ctrl-C
  and --timeout while an operation runs are the Stubber tests'.
- A self-managed instance's stack is made with moto's CreateStack in the target
  account from the ParameterOverrides alone (CloudFormation gives it the StackSet's
  parameters with the overrides over them), so it fails "Missing parameter AppName";
  and moto cannot make this template's resources (no AWS::RDS::DBCluster). The
  `instance_stacks` fixture records those CreateStack and DeleteStack calls instead
  of running them: the StackSet's bookkeeping is moto's, the stacks are not.
- UpdateStackSet without Accounts and Regions changes the StackSet alone: its
  operation lists no instance (CloudFormation updates every instance).
- Every instance is CURRENT (never OUTDATED or INOPERABLE); OperationPreferences,
  RetainStacks and CallAs are taken and ignored; ListStackInstances does not page;
  NoEcho parameters come back unmasked; the template is not validated.
- Nothing of the target accounts beyond the instance stacks: no pre-flight role
  (the targets file names none, so the run skips the pre-flight checks, and says so).
"""

import copy
import hashlib
import io
import json
from types import SimpleNamespace

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.cloudformation import models as moto_cloudformation

from planar_cfn.aws.gateway import Aws
from planar_cfn.cli import arguments
from planar_cfn.cli.report import deploy_voice, report
from planar_cfn.deploy import Runtime, deploy_stack_set
from planar_cfn.errors import ExitCode, Interrupted, PlanarError
from tests.deploy.stack_set_stubs import ACCOUNT_A, ACCOUNT_B, ADMIN_ROLE, NAME, TARGETS
from tests.deploy.stack_set_stubs import overrides_b as expected_overrides_b
from tests.deploy_stubs import REGION, STAGE_VALUES, FakeClock, Terminal, expected_parameters
from tests.deploy_stubs import stack_tags as expected_tags

A, B = (ACCOUNT_A, "us-east-1"), (ACCOUNT_B, "eu-west-1")
BUCKET = STAGE_VALUES["template_bucket"]
# No pre-flight role: the run reads no target account, which moto would not hold.
MOTO_TARGETS = {k: v for k, v in TARGETS.items() if k != "preflight_role_name"}


class RecordingAws(Aws):
    """The run's own Aws (a real boto3 session, which moto intercepts) that records the
    name of every CloudFormation call its clients make."""

    def __init__(self, session, calls: list[str]) -> None:
        super().__init__(session)
        self.calls = calls

    def client(self, service: str):
        made = service in self._clients
        client = super().client(service)
        if not made and service == "cloudformation":
            client.meta.events.register(
                "before-call.cloudformation.*",
                lambda model, **_: self.calls.append(model.name),
                unique_id="record-calls",
            )
        return client


@pytest.fixture
def instance_stacks(monkeypatch):
    """(account, region, CreateStack or DeleteStack) for each instance stack moto would
    make or delete in a target account: recorded, not run (the module's docstring says
    why)."""
    calls: list[tuple[str, str, str]] = []

    def create_stack(backend, name, **_):
        calls.append((backend.account_id, backend.region_name, "CreateStack"))
        return SimpleNamespace(name=name)

    def delete_stack(backend, name):
        calls.append((backend.account_id, backend.region_name, "DeleteStack"))

    monkeypatch.setattr(moto_cloudformation.CloudFormationBackend, "create_stack", create_stack)
    monkeypatch.setattr(moto_cloudformation.CloudFormationBackend, "delete_stack", delete_stack)
    return calls


class MotoRun:
    """build.py --stage dev --stage-file FILE --targets FILE [FLAGS], in moto."""

    def __init__(self, tmp_path, rendered) -> None:
        self.rendered = rendered
        self.stage_path = tmp_path / "dev.json"
        self.stage_path.write_text(json.dumps(STAGE_VALUES))
        self.targets_path = tmp_path / "dev-targets.json"
        self.write_targets(MOTO_TARGETS)
        self.cfn = boto3.client("cloudformation", region_name=REGION)
        self.s3 = boto3.client("s3", region_name=REGION)
        self.s3.create_bucket(Bucket=BUCKET)
        self.calls: list[str] = []
        self.out = self.err = io.StringIO()
        self.result = None

    def write_targets(self, targets) -> None:
        self.targets_path.write_text(json.dumps(targets))

    def connect(self, profile, region) -> Aws:
        return RecordingAws(Aws.connect(profile, region).session, self.calls)

    def run(self, *flags: str) -> int:
        """One run, with fresh output and a fresh record of its calls."""
        self.out, self.err = io.StringIO(), io.StringIO()
        self.calls.clear()
        argv = ["--stage", "dev", "--stage-file", str(self.stage_path)]
        argv += ["--targets", str(self.targets_path), *flags]
        options = arguments.deploy_options(arguments.parser().parse_args(argv))
        runtime = Runtime(
            environ={},
            stdin=Terminal(tty=False),
            connect=self.connect,
            clock=FakeClock().clock(),
            prog="build.py",
        )
        try:
            self.result = deploy_stack_set(
                None if options.destroy else self.rendered,
                options,
                out=self.out,
                err=self.err,
                runtime=runtime,
            )
            return self.result.exit_code
        except (PlanarError, Interrupted) as error:
            return report(self.err, error, deploy_voice("build.py"))

    def overrides(self, account: str, region: str) -> list[dict]:
        instance = self.cfn.describe_stack_instance(
            StackSetName=NAME, StackInstanceAccount=account, StackInstanceRegion=region
        )["StackInstance"]
        return instance["ParameterOverrides"]

    def instances(self) -> set[tuple[str, str]]:
        summaries = self.cfn.list_stack_instances(StackSetName=NAME)["Summaries"]
        return {(s["Account"], s["Region"]) for s in summaries}

    def operations(self) -> list[tuple[str, str, list[tuple[str, str, str]]]]:
        """Each operation moto holds: its action, status and instances' results."""
        found = []
        for summary in self.cfn.list_stack_set_operations(StackSetName=NAME)["Summaries"]:
            results = self.cfn.list_stack_set_operation_results(
                StackSetName=NAME, OperationId=summary["OperationId"]
            )["Summaries"]
            found.append(
                (
                    summary["Action"],
                    summary["Status"],
                    [(r["Account"], r["Region"], r["Status"]) for r in results],
                )
            )
        return found


@pytest.fixture
def moto_run(aws_env, tmp_path, rendered, instance_stacks):
    with mock_aws():
        yield MotoRun(tmp_path, rendered["dev"])


def image_a(tag: str) -> list[dict]:
    return [{"ParameterKey": "ContainerImageTag", "ParameterValue": tag}]


def created(h: MotoRun) -> None:
    assert h.run("--yes") == ExitCode.OK, h.out.getvalue() + h.err.getvalue()


def test_a_create_makes_the_stack_set_from_the_uploaded_template_and_each_targets_instances(
    moto_run, instance_stacks
):
    h = moto_run
    created(h)

    # The template went to the bucket once; the StackSet holds exactly that object.
    keys = [o["Key"] for o in h.s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    digest = hashlib.sha256(h.rendered.minified.encode()).hexdigest()[:16]
    assert keys == [f"planar-cfn/{NAME}/{digest}.json"]
    uploaded = h.s3.get_object(Bucket=BUCKET, Key=keys[0])["Body"].read().decode()
    assert uploaded == h.rendered.minified
    stack_set = h.cfn.describe_stack_set(StackSetName=NAME)["StackSet"]
    assert stack_set["TemplateBody"] == uploaded
    assert stack_set["Status"] == "ACTIVE"
    assert stack_set["Parameters"] == expected_parameters(STAGE_VALUES)
    assert sorted(stack_set["Tags"], key=lambda t: t["Key"]) == expected_tags("dev")
    assert stack_set["PermissionModel"] == "SELF_MANAGED"
    assert stack_set["AdministrationRoleARN"] == ADMIN_ROLE
    assert stack_set["ExecutionRoleName"] == "AWSCloudFormationStackSetExecutionRole"

    # Exactly the targets' instances, each with exactly its own target's values.
    assert h.instances() == {A, B}
    assert h.overrides(*A) == image_a("1.4.3")
    assert h.overrides(*B) == expected_overrides_b()
    assert instance_stacks == [(*A, "CreateStack"), (*B, "CreateStack")]

    # One operation per target, in the targets' order, each over its own instances.
    assert h.calls == [
        "DescribeStackSet",
        "CreateStackSet",
        "CreateStackInstances",
        "DescribeStackSetOperation",
        "ListStackSetOperationResults",
        "CreateStackInstances",
        "DescribeStackSetOperation",
        "ListStackSetOperationResults",
    ]
    assert h.operations() == [
        ("CREATE", "SUCCEEDED", [(*A, "SUCCEEDED")]),
        ("CREATE", "SUCCEEDED", [(*B, "SUCCEEDED")]),
    ]
    ends = h.result.operations
    assert [(e.status, [(r.account, r.region, r.status) for r in e.results]) for e in ends] == [
        ("SUCCEEDED", [(*A, "SUCCEEDED")]),
        ("SUCCEEDED", [(*B, "SUCCEEDED")]),
    ]
    out = h.out.getvalue()
    url = f"https://{BUCKET}.s3.{REGION}.amazonaws.com/{keys[0]}"
    assert f"Uploaded the template to {url}\n" in out
    assert f"Created StackSet {NAME} in {REGION}.\n" in out
    for end, (label, (account, region)) in zip(
        ends,
        ((f"targets[0] ({ACCOUNT_A}; us-east-1)", A), (f"targets[1] ({ACCOUNT_B}; eu-west-1)", B)),
        strict=True,
    ):
        assert (
            f"Creating instances of {label} (operation {end.operation_id}) ...\n"
            f"  {account}  {region:<15} SUCCEEDED\n"
            f"Operation {end.operation_id} SUCCEEDED.\n"
        ) in out
    # No pre-flight role in the file: the run says what it did not check.
    assert f"Pre-flight targets[1] ({ACCOUNT_B}; eu-west-1): skipped (hosted zone," in out
    assert h.err.getvalue() == ""


def test_a_targets_new_value_updates_only_its_instances_and_not_the_stack_set(moto_run):
    h = moto_run
    created(h)
    before = h.cfn.describe_stack_set(StackSetName=NAME)["StackSet"]
    targets = copy.deepcopy(MOTO_TARGETS)
    targets["targets"][0]["values"]["container_image_tag"] = "1.4.4"
    h.write_targets(targets)

    assert h.run("--yes") == ExitCode.OK, h.err.getvalue()

    assert h.overrides(*A) == image_a("1.4.4")
    assert h.overrides(*B) == expected_overrides_b()
    assert h.instances() == {A, B}
    # No upload and no UpdateStackSet: the StackSet is as it was.
    assert "UpdateStackSet" not in h.calls
    assert h.calls.count("UpdateStackInstances") == 1
    assert len(h.s3.list_objects_v2(Bucket=BUCKET)["Contents"]) == 1
    assert h.cfn.describe_stack_set(StackSetName=NAME)["StackSet"] == before
    assert h.operations()[2:] == [("UPDATE", "SUCCEEDED", [(*A, "SUCCEEDED")])]
    out = h.out.getvalue()
    assert (
        f"StackSet {NAME} in {REGION} (SELF_MANAGED): the StackSet's template and values unchanged\n"
        in out
    )
    assert f"  new values: targets[0] ({ACCOUNT_A}; us-east-1) in us-east-1\n" in out
    assert "Uploaded the template" not in out
    # The preview read moto's template and overrides: only account A's value differs.
    assert "    ContainerImageTag: 1.4.3 -> 1.4.4\n" in out
    assert [(p.account, p.region) for p in h.result.previews] == [A, B]
    assert f"  {ACCOUNT_A}  us-east-1       SUCCEEDED\n" in out
    assert f"  {ACCOUNT_B}" not in out.split("Updating the values of", 1)[1]

    # Run again: moto now holds what the files say, so nothing is sent.
    assert h.run("--yes") == ExitCode.OK
    assert h.out.getvalue().endswith(
        f"No changes: StackSet {NAME} already holds this template and these values.\n"
    )
    assert len(h.operations()) == 3


def test_a_stage_file_change_updates_the_stack_set_keeping_each_instances_overrides(moto_run):
    h = moto_run
    created(h)
    h.stage_path.write_text(json.dumps({**STAGE_VALUES, "desired_count": 2}))

    assert h.run("--yes") == ExitCode.OK, h.err.getvalue()

    stack_set = h.cfn.describe_stack_set(StackSetName=NAME)["StackSet"]
    assert stack_set["Parameters"] == expected_parameters(STAGE_VALUES, desired_count=2)
    assert stack_set["TemplateBody"] == h.rendered.minified
    assert h.overrides(*A) == image_a("1.4.3")
    assert h.overrides(*B) == expected_overrides_b()
    assert h.calls.count("UpdateStackSet") == 1
    assert "UpdateStackInstances" not in h.calls
    assert "DesiredCount: 1 -> 2" in h.out.getvalue()
    # moto's UpdateStackSet operation names no instance (CloudFormation's names each).
    assert h.operations()[2:] == [("UPDATE", "SUCCEEDED", [])]


def test_destroy_deletes_every_instance_then_the_stack_set(moto_run, instance_stacks):
    h = moto_run
    created(h)

    assert h.run("--destroy", "--yes") == ExitCode.OK, h.err.getvalue()

    with pytest.raises(ClientError) as gone:
        h.cfn.describe_stack_set(StackSetName=NAME)
    assert gone.value.response["Error"]["Code"] == "StackSetNotFoundException"
    summaries = h.cfn.list_stack_sets()["Summaries"]
    assert [(s["StackSetName"], s["Status"]) for s in summaries] == [(NAME, "DELETED")]
    # One DeleteStackInstances per region (its accounts differ), then the StackSet,
    # which moto, like CloudFormation, refuses while it has instances.
    assert h.calls == [
        "DescribeStackSet",
        "ListStackInstances",
        "DeleteStackInstances",
        "DescribeStackSetOperation",
        "ListStackSetOperationResults",
        "DeleteStackInstances",
        "DescribeStackSetOperation",
        "ListStackSetOperationResults",
        "DeleteStackSet",
    ]
    assert instance_stacks == [
        (*A, "CreateStack"),
        (*B, "CreateStack"),
        (*A, "DeleteStack"),
        (*B, "DeleteStack"),
    ]
    out = h.out.getvalue()
    assert "deletes its 2 instance(s) and their stacks" in out
    assert f"  {ACCOUNT_A}  us-east-1       SUCCEEDED\n" in out
    assert f"  {ACCOUNT_B}  eu-west-1       SUCCEEDED\n" in out
    assert out.endswith(f"Deleted StackSet {NAME} in {REGION}.\n")

    # Nothing left to destroy the second time.
    assert h.run("--destroy", "--yes") == ExitCode.OK
    assert h.out.getvalue() == f"StackSet {NAME} does not exist in {REGION}: nothing to destroy.\n"
