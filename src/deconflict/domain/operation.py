"""Operations: a party's planned activity, one version per submission."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from .assessment import Assessment
from .errors import StateConflict
from .model import COUNTING_STATES, FINAL_STATES, OperationState
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


@dataclass(slots=True)
class Operation:
    """A party's planned activity; each resubmission appends a version."""

    id: str
    party_id: str
    name: str
    priority: int
    created_at: datetime
    versions: list[OperationVersion] = field(default_factory=list)

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

    def settle(self, state: OperationState) -> None:
        """Sets the current version's state from its review cases."""
        if self.state not in (OperationState.IN_REVIEW, state):
            raise StateConflict(f"operation {self.id} is {self.state}; its review is over")
        self.versions[-1] = replace(self.current, state=state)

    def withdraw(self) -> None:
        if self.state in FINAL_STATES:
            raise StateConflict(f"operation {self.id} is already {self.state}")
        self.versions[-1] = replace(self.current, state=OperationState.WITHDRAWN)
