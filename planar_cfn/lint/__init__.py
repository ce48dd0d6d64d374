"""cfn-lint through its Python API, informational rules included (runner), the stack's
own cfn-lint rules (rules; their version: pack), and the on-disk cache that spares an
unchanged template a second lint (cache)."""

from .runner import Finding, known_regions, lint, lint_bodies, lint_body

__all__ = ["Finding", "known_regions", "lint", "lint_bodies", "lint_body"]
