"""Deploying a stage as a reviewed change set (in progress)."""

from __future__ import annotations

import argparse
from typing import TextIO

from .render import Rendered


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Deploy flags; build.py shows them in --help."""


def run(args: argparse.Namespace, rendered: Rendered, out: TextIO, err: TextIO) -> int:
    print("build.py: error: deploying is not available yet; run with --no-deploy", file=err)
    return 2
