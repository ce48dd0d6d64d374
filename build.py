"""Build, lint and deploy the Planar stack: `python build.py --help`."""

import gc
import sys

# A build takes about two seconds, and collecting cyclic garbage while cfn-lint
# loads its rules would cost a sixth of that. cli.main turns collection back on
# before a deploy or publish, which can run for an hour.
gc.disable()

from planar_cfn.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
