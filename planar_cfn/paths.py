"""Where the command writes templates and reads stage files.

In a checkout (this package beside `build.py` and `pyproject.toml`, as after a clone
or `pip install -e .`) they are the checkout's `templates/` and `stages/`, whatever
the working directory. An installed package has no checkout around it: it uses
`templates/` and `stages/` in the working directory. `--templates-dir` and
`--stage-file` name others in either case. `docs/` holds the generated architecture
page (planar_cfn.reports.diagram). Every file the command writes is written whole
(write_whole); a path is shown to the user as `shown` gives it.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
IN_CHECKOUT = (CHECKOUT / "build.py").is_file() and (CHECKOUT / "pyproject.toml").is_file()
# Relative when installed, so it follows the working directory at each use.
BASE = CHECKOUT if IN_CHECKOUT else Path()
TEMPLATES_DIR = BASE / "templates"
STAGES_DIR = BASE / "stages"
DOCS_DIR = BASE / "docs"


def shown(path: Path) -> str:
    """The path relative to the working directory when it is below it."""
    relative = os.path.relpath(path)
    return path.as_posix() if relative.startswith("..") else relative


def write_whole(path: Path, text: str) -> None:
    """Write `text` to `path` through a file beside it, renamed over it once whole, so
    a Ctrl-C, a full disk or a concurrent writer never leaves it cut short (nothing is
    left behind on an error, which is raised). A symbolic link has its target written;
    an existing file keeps its mode, a new one gets the umask's."""
    target = path.resolve()
    partial = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        partial.write_text(text)
        if target.exists():
            shutil.copymode(target, partial)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
