"""The command runs as build.py, planar-cfn or python -m planar_cfn: every message and
suggested command names it as the user ran it, and so does the change set's
Description sent to AWS (checked by the Stubber)."""

import pytest

from planar_cfn.cli import commands as cli
from planar_cfn.errors import ExitCode
from tests.deploy.scenarios import previous_parameters, update_request
from tests.deploy_stubs import change, event

PROGS = ["planar-cfn", "python -m planar_cfn"]


@pytest.mark.parametrize("prog", PROGS)
def test_a_library_caller_names_its_command_in_the_messages_and_the_change_set(harness, prog):
    # GIVEN a deploy run as `prog` whose update outlasts the timeout
    h = harness("dev")
    h.prog = prog
    h.stack("UPDATE_COMPLETE", parameters=previous_parameters(h))
    h.created(**update_request(h, Description=f"{prog} --stage dev (planar-cfn 0.1.0)"))
    h.ready([change("Modify", "Service", "AWS::ECS::Service")])
    h.events(event("dev", "planar-dev-acme", "UPDATE_COMPLETE"))
    h.executed()
    for _ in range(13):  # one minute at one poll per 5 s, and the poll at the deadline
        h.progress("UPDATE_IN_PROGRESS")
    h.stack("UPDATE_IN_PROGRESS", by=h.id)

    # WHEN it runs
    assert h.run("--yes", "--timeout", "1") == ExitCode.STILL_CHANGING

    # THEN what it says, and the Description it sent, name `prog`
    err = h.err.getvalue()
    assert f"\n{prog}: stopped waiting (timed out after 1 minute(s))" in err
    assert f"  follow it:  {prog} --stage dev --watch" in err
    assert "build.py" not in err + h.out.getvalue()


@pytest.mark.parametrize("prog", PROGS)
def test_the_command_passes_its_name_to_the_deploy(harness, prog):
    # GIVEN a stack whose first create rolled back
    h = harness("dev")
    h.stack("ROLLBACK_COMPLETE")

    # WHEN the command, run as `prog`, watches it
    argv = ["--stage", "dev", "--stage-file", str(h.path), "--watch"]
    code = cli.main(argv, out=h.out, err=h.err, runtime=h.runtime(), prog=prog)

    # THEN the failure and the next step name `prog`, not the harness's build.py
    assert code == ExitCode.FAILED
    err = h.err.getvalue()
    assert err.startswith(
        f"{prog}: error: create failed: stack planar-dev-acme is ROLLBACK_COMPLETE"
    )
    assert f"delete it with `{prog} --stage dev --destroy`, then deploy again" in err
    assert "build.py" not in err + h.out.getvalue()
