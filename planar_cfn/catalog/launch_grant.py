"""One grant of the launch role: actions on resources, under an optional condition,
with the reason it is there (launch_grants.py holds them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from awacs.aws import Action as AwacsAction
from awacs.aws import Allow, Condition, Statement
from troposphere import Sub

__all__ = ["Grant", "service"]


@dataclass(frozen=True)
class Grant:
    """Actions on resources, under an optional condition, and why."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]  # Fn::Sub strings
    reason: str
    condition: Condition | None = None
    # In SCOPES: also every required action of this service no earlier grant placed.
    rest_of: str | None = None
    # Granted only when the stages' templates hold a resource of this type.
    only_with: str | None = None

    def statement(self, actions: Iterable[str] | None = None) -> Statement:
        """The grant as an awacs statement, for `actions` (default: all of its own)."""
        chosen = self.actions if actions is None else tuple(actions)
        return Statement(
            Sid=self.sid,
            Effect=Allow,
            Action=[_action(a) for a in sorted(chosen, key=str.lower)],
            Resource=[r if r == "*" else Sub(r) for r in self.resources],
            **({"Condition": self.condition} if self.condition else {}),
        )


def _action(name: str) -> AwacsAction:
    prefix, action = name.split(":", 1)
    return AwacsAction(prefix, action)


def service(action: str) -> str:
    """The service prefix of an IAM action, lower case."""
    return action.split(":", 1)[0].lower()
