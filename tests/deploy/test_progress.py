"""Watching a stack change (deploy/progress.py): the new events read across pages down
to the cursor, and a failure's root cause, not the cancellations it caused."""

from planar_cfn.errors import ExitCode
from tests.deploy.scenarios import create_request, executed_update
from tests.deploy_stubs import change, event


def test_events_are_read_across_pages_until_the_cursor(harness):
    h = harness("dev")
    cursor = executed_update(h, [change("Modify", "Service", "AWS::ECS::Service")])
    h.stack("UPDATE_COMPLETE", by=h.id)
    newest = [event("dev", "planar-dev-acme", "UPDATE_COMPLETE", seconds=20)]
    older = [
        event("dev", "Service", "UPDATE_COMPLETE", "AWS::ECS::Service", seconds=19),
        event("dev", "Service", "UPDATE_IN_PROGRESS", "AWS::ECS::Service", seconds=2),
    ]
    h.events(*newest, next_token="events-2")
    h.events(*older, cursor, token="events-2", next_token="events-3")  # page 3 is never read

    assert h.run("--yes") == ExitCode.OK
    statuses = [line.split()[1] for line in h.out.getvalue().splitlines() if line[:2].isdigit()]
    assert statuses == ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_COMPLETE"]


def test_failure_prints_the_root_cause_not_the_cancellations(harness):
    h = harness("dev")
    h.no_stack()
    h.created(**create_request(h))
    h.ready([change("Add", "DatabaseCluster", "AWS::RDS::DBCluster")])
    cursor = event("dev", "planar-dev-acme", "REVIEW_IN_PROGRESS")
    h.events(cursor)
    h.executed()
    cause = event(
        "dev",
        "DatabaseCluster",
        "CREATE_FAILED",
        "AWS::RDS::DBCluster",
        seconds=5,
        reason='Resource handler returned message: "Cannot find version 16.99"',
    )
    noise = [
        event(
            "dev", "AppBucket", "CREATE_FAILED", "AWS::S3::Bucket", "Resource creation cancelled", 6
        ),
        event(
            "dev", "CustomSecret", "CREATE_FAILED", "AWS::SecretsManager::Secret", "cancelled", 6
        ),
    ]
    rollback = event(
        "dev",
        "planar-dev-acme",
        "ROLLBACK_IN_PROGRESS",
        seconds=7,
        reason="The following resource(s) failed to create: [DatabaseCluster, AppBucket]",
    )
    h.progress("ROLLBACK_IN_PROGRESS", rollback, *reversed(noise), cause, cursor)
    h.progress(
        "ROLLBACK_COMPLETE",
        event("dev", "planar-dev-acme", "ROLLBACK_COMPLETE", seconds=60),
        rollback,
    )

    assert h.run("--yes") == ExitCode.FAILED
    err = h.err.getvalue()
    root = err[err.index("Root cause:") :]
    assert "DatabaseCluster" in root
    assert "Cannot find version 16.99" in root
    assert "cancelled" not in root
    assert "build.py --stage dev --destroy" in err  # what to do with a ROLLBACK_COMPLETE stack
