"""Build-time behaviour of each stage, written into its template as literal values."""

from __future__ import annotations

from dataclasses import dataclass


class UnknownStageError(ValueError):
    def __init__(self, stage: str) -> None:
        super().__init__(f"stage {stage!r} is not known; allowed: {', '.join(STAGE_NAMES)}")


@dataclass(frozen=True)
class Stage:
    name: str
    # True: bucket, secrets are retained and the database snapshotted on delete,
    # deletion protection is on and nothing stateful is emptied.
    protected: bool
    # Aurora readers beside the writer, each in its own Availability Zone when given.
    reader_count: int

    @property
    def deletion_policy(self) -> str:
        return "Retain" if self.protected else "Delete"

    @property
    def database_deletion_policy(self) -> str:
        return "Snapshot" if self.protected else "Delete"


STAGES: dict[str, Stage] = {
    "dev": Stage("dev", protected=False, reader_count=0),
    "staging": Stage("staging", protected=False, reader_count=0),
    "prod": Stage("prod", protected=True, reader_count=1),
}
STAGE_NAMES: tuple[str, ...] = tuple(STAGES)


def get_stage(name: str) -> Stage:
    try:
        return STAGES[name]
    except KeyError:
        raise UnknownStageError(name) from None
