"""A queue for the application: its URL in an environment variable, and a task-role
statement that lets the app use it, both referencing the queue by object."""

from awacs import sqs
from awacs.aws import Allow, Statement
from troposphere import GetAtt, Output, Ref
from troposphere.sqs import Queue

from planar_cfn import StackConfig, build_template, get_stage

# Made before the stack so that the configuration can reference it; added after.
queue = Queue(
    "JobQueue",
    SqsManagedSseEnabled=True,
    MessageRetentionPeriod=4 * 24 * 3600,  # SQS's default, written out: 4 days
    # Messages are work in flight, not data to keep.
    DeletionPolicy="Delete",
    UpdateReplacePolicy="Delete",
)
config = StackConfig(
    stage=get_stage("prod"),
    environment={"JOB_QUEUE_URL": Ref(queue)},
    task_role_statements=(
        Statement(
            Effect=Allow,
            Action=[sqs.SendMessage, sqs.ReceiveMessage, sqs.DeleteMessage],
            Resource=[GetAtt(queue, "Arn")],
        ),
    ),
)
built = build_template(config)
queue.Tags = built.tags()  # the stack's tags, so the queue is found and billed with it
built.template.add_resource(queue)
built.template.add_output(Output("JobQueueUrl", Value=Ref(queue)))

resources = built.to_dict()["Resources"]
app = resources["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
print("environment:", app["Environment"][-1])
print("task role:", resources["TaskRole"]["Properties"]["Policies"][-1])
