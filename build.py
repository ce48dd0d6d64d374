"""Build, lint and deploy the Planar stack: `python build.py --help`.

The same command as an installed package's `planar-cfn` (planar_cfn/__main__.py):
it turns off cyclic garbage collection for the short build before importing the
library."""

import sys

from planar_cfn.__main__ import console

if __name__ == "__main__":
    sys.exit(console("build.py"))
