"""The fixtures the catalog's publish tests share: the prod template, and a clock
whose time passes only when the code sleeps (a share's wait)."""

import pytest

from planar_cfn.aws.clock import Clock


class FakeClock:
    """Time that passes only when the code sleeps."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self):
        return Clock(sleep=self.sleep, monotonic=lambda: self.now, poll_seconds=5)


@pytest.fixture
def time():
    return FakeClock()


@pytest.fixture
def prod(rendered):
    return rendered["prod"]
