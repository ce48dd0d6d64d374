"""The package's version, its one source: pyproject.toml reads it from here, and
every module that names the version imports it (a leaf, so importing it loads nothing)."""

__version__ = "0.1.0"
