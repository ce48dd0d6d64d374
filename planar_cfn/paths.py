"""Where the command writes templates and reads stage files.

In a checkout (this package beside `build.py` and `pyproject.toml`, as after a clone
or `pip install -e .`) they are the checkout's `templates/` and `stages/`, whatever
the working directory. An installed package has no checkout around it: it uses
`templates/` and `stages/` in the working directory. `--templates-dir` and
`--stage-file` name others in either case. `docs/` holds the generated architecture
page (planar_cfn.reports.diagram). Every file the command writes is written whole
(write_whole), to a path checked first (unwritable); a path is shown to the user as
`shown` gives it.
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


def unwritable(path: Path, example: str) -> str | None:
    """Why a file could not be written at `path` (checked before the run's work, so
    what it writes at its end is never lost), or None; `example` is a file name to
    suggest when `path` is a directory."""
    if path.is_dir():
        return f"is a directory: name a file in it, such as {path / example}"
    if not path.parent.is_dir():
        return (
            f"{path.parent} is not a directory"
            if path.parent.exists()
            else f"no such directory {path.parent}"
        )
    if path.exists():
        if not os.access(path, os.W_OK):
            return "cannot be written (read-only): make it writable or name another file"
    elif not os.access(path.parent, os.W_OK | os.X_OK):
        return f"cannot create it: the directory {path.parent} is not writable; name a file in one that is"
    return None
