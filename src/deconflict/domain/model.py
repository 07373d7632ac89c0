"""Parties, agreements, zones and operations: the aggregates and their lifecycles."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from .chain import DEFAULT_CHAIN, ReviewChain
from .conflicts import Separation
from .errors import InvalidInput, StateConflict
from .volumes import ALWAYS, AltitudeBand, Footprint, TimeWindow, Volume4D


class Role(StrEnum):
    OPERATOR = "operator"
    ADMIN = "admin"
    SUBMITTER = "submitter"
    REVIEWER = "reviewer"
    OBSERVER = "observer"


_ROLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


def role_name(value: str) -> str:
    """A valid role name: a base `Role`, or a stage role a review chain names (lower case
    letters, digits and underscores, up to 40, starting with a letter)."""
    if not _ROLE_NAME.fullmatch(value):
        raise InvalidInput.at(
            ("roles",), f"invalid role name {value!r}: lower-case letters, digits and _, 1 to 40"
        )
    return value


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: a subject acting for one party with some roles (from a verified
    token). Roles are the base `Role`s and the stage roles of review chains."""

    subject: str
    party_id: str
    roles: frozenset[str]

    def has(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True, slots=True)
class Party:
    """A party; an `authority` (marked by an operator: an aviation authority, say) has
    restricted zones that bind every party when public."""

    id: str
    name: str
    created_at: datetime
    authority: bool = False


class AgreementKind(StrEnum):
    COORDINATION = "coordination"
    DECONFLICTION = "deconfliction"


class AgreementState(StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"


class ProposalAcceptance(StrEnum):
    """What a coordination agreement says of a new version that keeps to the reviewing
    party's own proposal: that party approves it at once (`approve`, recorded as approval
    by proposal), or reviews it again through its whole chain (`review`)."""

    APPROVE = "approve"
    REVIEW = "review"


@dataclass(frozen=True, slots=True)
class Agreement:
    """A mutual agreement between two parties; it binds only once the second accepts.

    Under `coordination`, each party's review zones send the other's operations to review
    through `chain`;
    under either kind, each party's notify zones send the other notices. `separation`
    overrides the deployment default between the two parties when set. The chain
    describes the proposer's review process: the partner sees only its public labels,
    rules and deadlines.
    """

    id: str
    kind: AgreementKind
    proposer_party_id: str
    partner_party_id: str
    state: AgreementState
    separation: Separation | None
    created_at: datetime
    review_chain: ReviewChain | None = None
    proposal_acceptance: ProposalAcceptance = ProposalAcceptance.APPROVE

    def __post_init__(self) -> None:
        if self.review_chain is not None and self.kind is not AgreementKind.COORDINATION:
            raise InvalidInput.at(
                ("review_chain",), "only a coordination agreement has a review chain"
            )
        if self.proposer_party_id == self.partner_party_id:
            raise InvalidInput.at(("partner_party_id",), "an agreement needs two different parties")

    @property
    def party_ids(self) -> frozenset[str]:
        return frozenset((self.proposer_party_id, self.partner_party_id))

    @property
    def chain(self) -> ReviewChain:
        """The review chain in force: the agreement's own, or one reviewer deciding."""
        return self.review_chain or DEFAULT_CHAIN

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


class ZoneDisclosure(StrEnum):
    """Who else may see a zone: everyone (`public`: all of it), the owner's agreement
    partners (`partners`: its kind, shape, band and active windows, never its name or
    other properties), or nobody (`private`: a check entering it says only that review
    or a notice by its owner is needed, with the overlapping window and band)."""

    PUBLIC = "public"
    PARTNERS = "partners"
    PRIVATE = "private"


def default_disclosure(kind: ZoneKind, owner_is_authority: bool) -> ZoneDisclosure:
    """`public` for an authority's restricted zones, `partners` for every other zone."""
    if kind is ZoneKind.RESTRICTED and owner_is_authority:
        return ZoneDisclosure.PUBLIC
    return ZoneDisclosure.PARTNERS


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
    #: Its identifier in the file it was imported from (ED-269 `identifier`, GeoJSON `id`,
    #: KML Placemark `id`), unique per party; None for a zone made here.
    source_id: str | None = None
    #: What that file said about it that deconflict does not use (ED-269 `reason`,
    #: `message`, `zoneAuthority`...): JSON values, kept only to be exported again.
    attributes: Mapping[str, Any] = field(default_factory=dict, hash=False)
    disclosure: ZoneDisclosure = ZoneDisclosure.PARTNERS

    def __post_init__(self) -> None:
        if self.kind is ZoneKind.RESTRICTED and self.disclosure is ZoneDisclosure.PRIVATE:
            raise InvalidInput.at(
                ("disclosure",),
                "a restricted zone binds only parties that may see it: a private one would "
                "bind nobody (use partners or public)",
            )

    def visible_to(self, party_id: str, partner_ids: Collection[str]) -> bool:
        """Whether `party_id` (with these active agreement partners) may see the zone."""
        return (
            party_id == self.party_id
            or self.disclosure is ZoneDisclosure.PUBLIC
            or (self.disclosure is ZoneDisclosure.PARTNERS and self.party_id in partner_ids)
        )

    def named_to(self, party_id: str) -> bool:
        """Whether `party_id` may read the zone's name and properties, beyond its shape."""
        return party_id == self.party_id or self.disclosure is ZoneDisclosure.PUBLIC

    def volumes(self) -> tuple[Volume4D, ...]:
        windows = self.periods or (ALWAYS,)
        return tuple(Volume4D(self.footprint, self.altitude, w) for w in windows)


class OperationState(StrEnum):
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions"
    MODIFICATION_REQUESTED = "modification_requested"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    ACTIVATED = "activated"
    ENDED = "ended"


#: States in which an operation of another party counts as a conflict.
COUNTING_STATES = frozenset(
    {
        OperationState.APPROVED,
        OperationState.APPROVED_WITH_CONDITIONS,
        OperationState.IN_REVIEW,
        OperationState.ACTIVATED,
    }
)
#: States from which nothing moves on.
FINAL_STATES = frozenset({OperationState.REJECTED, OperationState.WITHDRAWN, OperationState.ENDED})
