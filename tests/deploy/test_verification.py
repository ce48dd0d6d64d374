"""After a create or update ends complete (deploy/verification.py): --watch on a
complete stack checks the service too, and a check AWS refuses fails the deploy, naming
the permissions."""

from planar_cfn.errors import ExitCode
from tests.deploy.scenarios import OUTPUTS, build_py, updated_to_complete
from tests.deploy_stubs import service_outputs


def test_a_check_aws_refuses_fails_the_deploy_and_names_the_permissions(harness, tmp_path):
    # GIVEN a deployer policy from before the check: DescribeServices is denied
    h = harness("dev")
    updated_to_complete(h)
    h.aws.stub("ecs").add_client_error(
        "describe_services", "AccessDeniedException", "not authorized", 400
    )

    code = build_py(h, tmp_path)

    assert code == ExitCode.FAILED
    assert "service planar-service-dev-acme could not be checked" in h.err.getvalue()
    assert "docs/deploying.md" in h.err.getvalue()


def test_watch_on_a_complete_stack_checks_the_service(harness):
    # GIVEN a stack that is UPDATE_COMPLETE, its service healthy
    h = harness("dev")
    h.stack("UPDATE_COMPLETE", outputs={**OUTPUTS, **service_outputs("dev")})
    h.service_healthy()

    code = h.run("--watch")

    assert code == ExitCode.OK, h.err.getvalue()
    assert "Service planar-service-dev-acme: rollout COMPLETED" in h.out.getvalue()
