"""Where the command writes templates and reads stage files.

In a checkout (this package beside `build.py` and `pyproject.toml`, as after a clone
or `pip install -e .`) they are the checkout's `templates/` and `stages/`, whatever
the working directory. An installed package has no checkout around it: it uses
`templates/` and `stages/` in the working directory. `--templates-dir` and
`--stage-file` name others in either case. `docs/` holds the generated architecture
page (planar_cfn.diagram).
"""

from __future__ import annotations

from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
IN_CHECKOUT = (CHECKOUT / "build.py").is_file() and (CHECKOUT / "pyproject.toml").is_file()
# Relative when installed, so it follows the working directory at each use.
BASE = CHECKOUT if IN_CHECKOUT else Path()
TEMPLATES_DIR = BASE / "templates"
STAGES_DIR = BASE / "stages"
DOCS_DIR = BASE / "docs"
