"""Publishing a stage template to AWS Service Catalog (in progress)."""

from __future__ import annotations

import argparse
from typing import TextIO

from .render import Rendered


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Publish flags; build.py shows them in --help."""


def requested(args: argparse.Namespace) -> bool:
    return False


def run(args: argparse.Namespace, rendered: Rendered, out: TextIO, err: TextIO) -> int:
    return 2
