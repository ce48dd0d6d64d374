"""One report for every mode: an error or a Ctrl-C printed in the mode's voice, with
what was done before it, and the exit code returned."""

import io

from planar_cfn.errors import ExitCode, Interrupted


def test_interrupted_and_errors_print_through_one_report():
    from planar_cfn.cli.report import deploy_voice, publish_voice, report

    err = io.StringIO()
    assert report(err, Interrupted(), deploy_voice("build.py")) == ExitCode.INTERRUPTED
    assert (
        report(err, Interrupted(["uploaded it"]), publish_voice("build.py")) == ExitCode.INTERRUPTED
    )
    assert err.getvalue() == (
        "\nbuild.py: interrupted before anything changed\n"
        "\nbuild.py: publish: interrupted\n"
        "build.py: publish: done before the interrupt: uploaded it\n"
    )
