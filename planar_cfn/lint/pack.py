"""The stack's own cfn-lint rules (the rule pack in `rules/`): where they are and their
version, read without importing cfn-lint, so the lint cache's key can cover the pack."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

__all__ = ["PACK_DIR", "PACK_MODULE", "pack_version"]

# What cfn-lint's --append-rules (and a .cfnlintrc's append_rules) takes to load the pack.
PACK_MODULE = "planar_cfn.lint.rules"
PACK_DIR = Path(__file__).resolve().parent / "rules"


@lru_cache(maxsize=1)
def pack_version() -> str:
    """A SHA-256 over every module of the pack, by name and bytes: an edited, added or
    removed rule changes it."""
    digest = hashlib.sha256()
    for path in sorted(PACK_DIR.glob("*.py")):
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()
