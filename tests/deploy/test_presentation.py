"""What a terminal reads (deploy/presentation.py): the progress table redrawn in place."""

from planar_cfn.errors import ExitCode
from tests.deploy.scenarios import executed_update
from tests.deploy_stubs import TtyOut, change, event


def test_a_terminal_gets_the_progress_redrawn_in_place(harness):
    h = harness("dev")
    h.out = TtyOut()
    cursor = executed_update(h, [change("Modify", "Service", "AWS::ECS::Service")])
    started = event("dev", "Service", "UPDATE_IN_PROGRESS", "AWS::ECS::Service", seconds=2)
    h.progress("UPDATE_IN_PROGRESS", started, cursor)
    h.progress(
        "UPDATE_COMPLETE",
        event("dev", "Service", "UPDATE_COMPLETE", "AWS::ECS::Service", seconds=9),
        started,
    )

    assert h.run("--yes") == ExitCode.OK
    out = h.out.getvalue()
    assert "\x1b[2F\x1b[J" in out  # the header and the one resource row, redrawn
    assert out.count("planar-dev-acme  UPDATE_IN_PROGRESS  (0m 00s)") == 1
    assert "planar-dev-acme  UPDATE_COMPLETE  (0m 05s)" in out
