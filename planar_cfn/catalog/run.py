"""What every step of one publish shares: its AWS clients, where it says what it
does, the record of each change it makes in AWS (the `done` an error carries), and
the clock that paces its waits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TextIO

from ..aws.clock import Clock
from ..aws.gateway import Clients

__all__ = ["Run"]


@dataclass(frozen=True)
class Run:
    """One publish's connection to AWS and its record; each call names the IAM action
    it needs."""

    clients: Clients
    out: TextIO
    clock: Clock
    done: list[str]

    @property
    def sc(self) -> Any:
        """The Service Catalog client."""
        return self.clients.client("servicecatalog")

    def say(self, line: str) -> None:
        """Write a line of the run."""
        print(line, file=self.out)

    def did(self, change: str) -> None:
        """Record a change made in AWS."""
        self.done.append(change)
