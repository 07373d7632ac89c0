"""Operations: a party's planned activity, one version per submission."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from .assessment import Assessment
from .errors import InvalidInput, Loc, StateConflict
from .model import COUNTING_STATES, FINAL_STATES, OperationState
from .review import ImposedConditions
from .volumes import Volume4D


@dataclass(frozen=True, slots=True)
class OperationVersion:
    """One submission of an operation's volumes, with the state it reached and the
    assessment that put it there."""

    number: int
    volumes: tuple[Volume4D, ...]
    state: OperationState
    submitted_at: datetime
    submitted_by: str
    assessment: Assessment
    #: What the reviewers' approvals ask (state `approved_with_conditions`).
    conditions: tuple[ImposedConditions, ...] = ()


@dataclass(frozen=True, slots=True)
class Flexibility:
    """How far the submitter lets suggestions move a plan: its (first) start between
    `earliest_start` and `latest_start`, its band between `lowest_m` and `highest_m`.
    An unset bound takes the default (see `suggestions.SearchLimits.of`)."""

    earliest_start: datetime | None = None
    latest_start: datetime | None = None
    lowest_m: float | None = None
    highest_m: float | None = None

    def __post_init__(self) -> None:
        if (
            self.earliest_start is not None
            and self.latest_start is not None
            and self.earliest_start > self.latest_start
        ):
            raise InvalidInput.at(("latest_start",), "the latest start is before the earliest")
        if (
            self.lowest_m is not None
            and self.highest_m is not None
            and self.lowest_m >= self.highest_m
        ):
            raise InvalidInput.at(("highest_m",), "the highest band is not above the lowest")

    def check(self, volumes: Sequence[Volume4D]) -> None:
        """Raises InvalidInput (located at the bound) unless the plan itself keeps to it."""
        start = min(v.time.start for v in volumes)
        problems: list[tuple[Loc, str]] = []
        if self.earliest_start is not None and start < self.earliest_start:
            problems.append((("earliest_start",), "the plan starts before its earliest start"))
        if self.latest_start is not None and start > self.latest_start:
            problems.append((("latest_start",), "the plan starts after its latest start"))
        if self.lowest_m is not None and min(v.altitude.lower_m for v in volumes) < self.lowest_m:
            problems.append((("lowest_m",), "the plan flies below its lowest band"))
        if self.highest_m is not None and max(v.altitude.upper_m for v in volumes) > self.highest_m:
            problems.append((("highest_m",), "the plan flies above its highest band"))
        if problems:
            raise InvalidInput(problems)


@dataclass(slots=True)
class Operation:
    """A party's planned activity; each resubmission appends a version."""

    id: str
    party_id: str
    name: str
    priority: int
    created_at: datetime
    versions: list[OperationVersion] = field(default_factory=list)
    flexibility: Flexibility | None = None

    @property
    def current(self) -> OperationVersion:
        return self.versions[-1]

    @property
    def state(self) -> OperationState:
        return self.current.state

    @property
    def counts(self) -> bool:
        return self.state in COUNTING_STATES

    def add_version(self, version: OperationVersion) -> None:
        if self.versions and self.state in FINAL_STATES:
            raise StateConflict(
                f"operation {self.id} is {self.state}; it cannot take a new version"
            )
        if version.number != len(self.versions) + 1:
            raise StateConflict(f"operation {self.id} expects version {len(self.versions) + 1}")
        self.versions.append(version)

    def settle(self, state: OperationState, conditions: tuple[ImposedConditions, ...] = ()) -> None:
        """Sets the current version's state (and the conditions it is approved with) from
        its review cases."""
        if self.state not in (OperationState.IN_REVIEW, state):
            raise StateConflict(f"operation {self.id} is {self.state}; its review is over")
        self.versions[-1] = replace(self.current, state=state, conditions=conditions)

    def withdraw(self) -> None:
        if self.state in FINAL_STATES:
            raise StateConflict(f"operation {self.id} is already {self.state}")
        self.versions[-1] = replace(self.current, state=OperationState.WITHDRAWN)
