"""The clock every wait runs on: deploys, publishes and health checks poll AWS through
it, and tests pass one that neither sleeps nor depends on the time."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Clock:
    """Waiting, injectable so tests neither sleep nor depend on the time."""

    sleep: Callable[[float], None]
    monotonic: Callable[[], float]
    poll_seconds: float = 5.0

    def polls(self, seconds: float) -> Iterator[None]:
        """One step per poll, `poll_seconds` apart, until `seconds` have passed since
        the first (checked after each poll): the caller polls at each step and leaves
        the loop when it has its answer; a loop that runs out has timed out."""
        start = self.monotonic()
        # The deadline ends the wait; the attempt count only guards a clock that stands still.
        attempts = math.ceil(seconds / max(self.poll_seconds, 1)) + 1
        for attempt in range(attempts):
            if attempt:
                self.sleep(self.poll_seconds)
            yield
            if self.monotonic() - start >= seconds:
                return
