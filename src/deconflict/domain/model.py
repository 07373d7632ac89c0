"""Parties, agreements, zones and operations: the aggregates and their lifecycles."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from .conflicts import Separation
from .errors import InvalidInput, StateConflict
from .volumes import ALWAYS, AltitudeBand, Footprint, TimeWindow, Volume4D


class Role(StrEnum):
    ADMIN = "admin"
    SUBMITTER = "submitter"
    REVIEWER = "reviewer"
    OBSERVER = "observer"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: a subject acting for one party with some roles (from a verified token)."""

    subject: str
    party_id: str
    roles: frozenset[Role]

    def has(self, role: Role) -> bool:
        return role in self.roles


@dataclass(frozen=True, slots=True)
class Party:
    id: str
    name: str
    created_at: datetime


class AgreementKind(StrEnum):
    COORDINATION = "coordination"
    DECONFLICTION = "deconfliction"


class AgreementState(StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"


@dataclass(frozen=True, slots=True)
class Agreement:
    """A mutual agreement between two parties; it binds only once the second accepts.

    Under `coordination`, each party's review zones send the other's operations to review;
    under either kind, each party's notify zones send the other notices. `separation`
    overrides the deployment default between the two parties when set.
    """

    id: str
    kind: AgreementKind
    proposer_party_id: str
    partner_party_id: str
    state: AgreementState
    separation: Separation | None
    created_at: datetime

    def __post_init__(self) -> None:
        if self.proposer_party_id == self.partner_party_id:
            raise InvalidInput.at(("partner_party_id",), "an agreement needs two different parties")

    @property
    def party_ids(self) -> frozenset[str]:
        return frozenset((self.proposer_party_id, self.partner_party_id))

    def other(self, party_id: str) -> str:
        return (
            self.partner_party_id if party_id == self.proposer_party_id else self.proposer_party_id
        )

    def accepted(self) -> Agreement:
        if self.state is not AgreementState.PROPOSED:
            raise StateConflict(f"agreement {self.id} is already {self.state}")
        return replace(self, state=AgreementState.ACTIVE)


class ZoneKind(StrEnum):
    REVIEW = "review"
    NOTIFY = "notify"
    RESTRICTED = "restricted"


@dataclass(frozen=True, slots=True)
class Zone:
    """A party's area: footprint, altitude band and active periods (none: always active)."""

    id: str
    party_id: str
    kind: ZoneKind
    name: str
    footprint: Footprint
    altitude: AltitudeBand
    periods: tuple[TimeWindow, ...]
    created_at: datetime

    def volumes(self) -> tuple[Volume4D, ...]:
        windows = self.periods or (ALWAYS,)
        return tuple(Volume4D(self.footprint, self.altitude, w) for w in windows)


class OperationState(StrEnum):
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    MODIFICATION_REQUESTED = "modification_requested"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    ACTIVATED = "activated"
    ENDED = "ended"


#: States in which an operation of another party counts as a conflict.
COUNTING_STATES = frozenset(
    {OperationState.APPROVED, OperationState.IN_REVIEW, OperationState.ACTIVATED}
)
#: States from which nothing moves on.
FINAL_STATES = frozenset({OperationState.REJECTED, OperationState.WITHDRAWN, OperationState.ENDED})
