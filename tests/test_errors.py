"""The exit-code table: an input error exits 2, which promises nothing changed, unless
it carries something already done; any other error exits 1."""

from planar_cfn.errors import ExitCode, InputError, PlanarError


def test_exit_2_promises_nothing_changed():
    assert InputError("bad").exit_code == ExitCode.BAD_INPUT
    assert InputError("bad", done=["uploaded it"]).exit_code == ExitCode.FAILED
    assert PlanarError("failed").exit_code == ExitCode.FAILED
