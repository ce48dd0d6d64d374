"""A qa stage defined as data, built as a library call and by the command."""

import sys
import tempfile

from planar_cfn import DEFAULT_STAGES, StackConfig, Stage, build_template
from planar_cfn.__main__ import console

# Deleted with its stack like dev, with a reader to try failover on. Prod with two
# readers would be Stage("prod", protected=True, reader_count=2).
QA = Stage("qa", protected=False, reader_count=1)
STAGES = (*DEFAULT_STAGES, QA)

built = build_template(StackConfig(stage=QA))
resources = built.to_dict()["Resources"]
print(
    "qa database instances:",
    [k for k, v in resources.items() if v["Type"] == "AWS::RDS::DBInstance"],
)

if __name__ == "__main__":
    # A build script of your own ends the same way and takes build.py's arguments:
    # python build_qa.py --stage qa --no-deploy, or --all-stages --check. With no
    # arguments, this one builds and lints every stage into a temporary directory.
    with tempfile.TemporaryDirectory() as out:
        argv = sys.argv[1:] or ["--all-stages", "--no-deploy", "--templates-dir", out]
        sys.exit(console("qa_stage.py", stages=STAGES, argv=argv))
