"""Build, lint and deploy the Planar stack: `python build.py --help`."""

import sys

from planar_cfn.cli import main

if __name__ == "__main__":
    sys.exit(main())
