"""Build-time behaviour of each stage, written into its template as literal values.

A stage is data: `Stage("qa", protected=False, reader_count=0)` defines one, and
`DEFAULT_STAGES` holds the three this repository builds. Nothing here is a registry:
whoever needs a stage list passes it along.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# Every resource name is {prefix}-{stage}-{app} (naming.py). With the longest app name
# the template accepts (36 characters), `rds-monitoring-role-{stage}-{app}` fills IAM's
# 64-character role names at a 7-character stage, as long as "staging": a longer stage
# name would break a name in some stack. Lowercase letters and digits only: the name
# goes into S3 bucket names, which take no capitals, and into database identifiers,
# where a hyphen could make two in a row.
NAME_PATTERN = re.compile(r"[a-z][a-z0-9]*")
NAME_MAX_LENGTH = 7
NAME_ALLOWED = (
    f"1 to {NAME_MAX_LENGTH} lowercase letters or digits, starting with a letter "
    "(every resource name must fit its AWS limit with the longest app name)"
)
# An Aurora DB cluster has one writer and up to 15 Aurora Replicas (Amazon Aurora User
# Guide, "Adding Aurora Replicas to a DB cluster").
MAX_READERS = 15
# Reader instances are named aurora-pg-{stage}-{app}-reader-{n}, and RDS caps an
# instance identifier at 63 characters: with the longest app name, the stage name and
# the reader number's digits together take at most 8 characters.
STAGE_AND_READER_DIGITS_MAX = 8
# ECS's deployment strategies (DeploymentConfiguration.Strategy in cfn-lint's schema).
DEPLOYMENT_STRATEGIES = ("ROLLING", "CANARY", "LINEAR", "BLUE_GREEN")


class UnknownStageError(ValueError):
    """A stage name that is not among the defined stages; the message names both."""

    def __init__(self, stage: str, allowed: Sequence[str]) -> None:
        super().__init__(f"stage {stage!r} is not known; allowed: {', '.join(allowed)}")
        self.stage = stage
        self.allowed = tuple(allowed)


@dataclass(frozen=True)
class Stage:
    """What one stage decides at build time: how much it protects and how many readers.

    `protected` (prod) keeps the bucket, the secrets and the service logs when the
    stack is deleted, snapshots the database, turns deletion protection on for the
    database and the load balancer, and builds no bucket emptier. Unprotected stages
    delete all of that with the stack, emptying the bucket first. `reader_count` is the
    number of Aurora readers beside the writer, each in the next Availability Zone
    when zones are given. `deployment_strategy` and `alarms` are the defaults of the
    DeploymentStrategy and Alarms parameters in the stage's template and stage file.

    Invalid values raise ValueError (TypeError for a value of the wrong type) naming
    the field, the value and what is allowed.
    """

    name: str
    protected: bool
    reader_count: int
    deployment_strategy: str = "ROLLING"
    alarms: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"Stage.name = {self.name!r}: must be a str")
        if not isinstance(self.protected, bool):
            raise TypeError(f"Stage.protected = {self.protected!r}: must be True or False")
        # bool is an int in Python; True readers is a mistake, not one reader.
        if not isinstance(self.reader_count, int) or isinstance(self.reader_count, bool):
            raise TypeError(f"Stage.reader_count = {self.reader_count!r}: must be an int")
        if self.deployment_strategy not in DEPLOYMENT_STRATEGIES:
            raise ValueError(
                f"Stage.deployment_strategy = {self.deployment_strategy!r}: must be one of "
                + ", ".join(DEPLOYMENT_STRATEGIES)
            )
        if not isinstance(self.alarms, bool):
            raise TypeError(f"Stage.alarms = {self.alarms!r}: must be True or False")
        if not NAME_PATTERN.fullmatch(self.name) or len(self.name) > NAME_MAX_LENGTH:
            raise ValueError(f"Stage.name = {self.name!r}: must be {NAME_ALLOWED}")
        if not 0 <= self.reader_count <= MAX_READERS:
            raise ValueError(
                f"Stage.reader_count = {self.reader_count!r}: must be 0 to {MAX_READERS} "
                "(Aurora's limit of readers beside the writer)"
            )
        if len(self.name) + len(str(self.reader_count)) > STAGE_AND_READER_DIGITS_MAX:
            raise ValueError(
                f"Stage.reader_count = {self.reader_count} with Stage.name = {self.name!r}: "
                f"a two-digit reader count needs a name of at most "
                f"{STAGE_AND_READER_DIGITS_MAX - 2} characters, or the identifier "
                "aurora-pg-{stage}-{app}-reader-{n} can pass RDS's 63 characters"
            )

    @property
    def deletion_policy(self) -> str:
        """DeletionPolicy of the bucket, the secrets and the service logs."""
        return "Retain" if self.protected else "Delete"

    @property
    def database_deletion_policy(self) -> str:
        """DeletionPolicy of the database cluster: a final snapshot when protected."""
        return "Snapshot" if self.protected else "Delete"

    @property
    def log_replacement_policy(self) -> str:
        """UpdateReplacePolicy of the log groups: a protected stage keeps the old logs.

        The bucket and the secrets keep their old selves in every stage, and the
        database is snapshotted in every stage: those are not the stage's choice."""
        return "Retain" if self.protected else "Delete"

    @property
    def deletion_protection(self) -> bool:
        """Deletion protection on the database cluster and the load balancer."""
        return self.protected

    @property
    def empties_bucket(self) -> bool:
        """Whether a custom resource empties the bucket on stack delete, so that the
        stack can delete it (an unprotected stage deletes its bucket)."""
        return not self.protected


DEFAULT_STAGES: tuple[Stage, ...] = (
    Stage("dev", protected=False, reader_count=0),
    Stage("staging", protected=False, reader_count=0, alarms=True),
    # A canary with alarm rollback: docs/stack.md, Rollouts, says why not linear or blue/green.
    Stage("prod", protected=True, reader_count=1, deployment_strategy="CANARY", alarms=True),
)
STAGE_NAMES: tuple[str, ...] = tuple(stage.name for stage in DEFAULT_STAGES)


def stage_names(stages: Sequence[Stage]) -> tuple[str, ...]:
    """The stages' names in order; ValueError when the sequence is empty, holds
    something that is not a Stage, or names a stage twice."""
    if not stages:
        raise ValueError("stages = (): must hold at least one Stage")
    for stage in stages:
        if not isinstance(stage, Stage):
            raise TypeError(f"stages: {stage!r} is not a Stage")
    names = tuple(stage.name for stage in stages)
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(
            f"stages: {', '.join(map(repr, twice))} defined more than once; one Stage per name"
        )
    return names


def get_stage(name: str, stages: Sequence[Stage] = DEFAULT_STAGES) -> Stage:
    """The stage called `name` among `stages` (default: dev, staging, prod).

    Raises UnknownStageError, naming the value and the allowed names, when none is."""
    for stage in stages:
        if stage.name == name:
            return stage
    raise UnknownStageError(name, [stage.name for stage in stages])
