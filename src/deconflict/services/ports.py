"""What the services need from storage: repositories per aggregate and a unit of work.

The SQL adapter implements these; unit tests use the in-memory fakes in tests/fakes.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from deconflict.domain.assessment import OperationCandidate
from deconflict.domain.audit import AuditDraft, AuditEvent
from deconflict.domain.conflicts import Separation
from deconflict.domain.model import Agreement, OperationState, Party, Zone
from deconflict.domain.notice import Notice
from deconflict.domain.operation import Operation
from deconflict.domain.review import ReviewCase
from deconflict.domain.subscription import Delivery, Event, OutboxEvent, Subscription
from deconflict.domain.suggestions import Suggestion
from deconflict.domain.volumes import Volume4D

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page:
    """Offset pagination: `limit` items after the first `offset`."""

    limit: int = 100
    offset: int = 0


class PartyRepository(Protocol):
    def add(self, party: Party) -> None: ...
    def get(self, party_id: str) -> Party | None: ...
    def by_name(self, name: str) -> Party | None: ...
    def listing(self, page: Page) -> list[Party]: ...
    def save(self, party: Party) -> None:
        """Stores whether a party already added is an authority."""
        ...

    def authorities(self) -> frozenset[str]:
        """The ids of the parties marked as authorities."""
        ...


class AgreementRepository(Protocol):
    def add(self, agreement: Agreement) -> None: ...
    def get(self, agreement_id: str) -> Agreement | None: ...
    def save(self, agreement: Agreement) -> None: ...
    def of_party(self, party_id: str, page: Page) -> list[Agreement]:
        """Agreements (any state) that name `party_id` on either side."""
        ...

    def active_of_party(self, party_id: str) -> list[Agreement]: ...


class ZoneRepository(Protocol):
    def add(self, zone: Zone) -> None: ...
    def get(self, zone_id: str) -> Zone | None: ...
    def delete(self, zone_id: str) -> None: ...
    def visible_to(self, party_id: str, partner_ids: Sequence[str], page: Page) -> list[Zone]:
        """Own zones, public zones and partners' `partners` zones (not private ones)."""
        ...

    def candidates(
        self, volumes: Sequence[Volume4D], reach: Separation, party_ids: Sequence[str]
    ) -> list[Zone]:
        """A superset of the zones of `party_ids`, plus restricted zones of anyone, that
        may come within `reach` of any of `volumes` (whether they bind is the domain's
        to say: `Relations.zone_matters`)."""
        ...

    def of_party(self, party_id: str) -> list[Zone]:
        """Every zone the party owns, oldest first (imports match against them)."""
        ...

    def add_many(self, zones: Sequence[Zone]) -> None:
        """`add` of many zones at once, in batched statements (bulk imports)."""
        ...

    def save_many(self, zones: Sequence[Zone]) -> None:
        """Stores new contents of zones already added (same id, party and creation time)
        and indexes them again."""
        ...


class OperationRepository(Protocol):
    def add(self, operation: Operation) -> None: ...
    def get(self, operation_id: str) -> Operation | None: ...
    def save(self, operation: Operation) -> None:
        """Stores new versions and the current state of an operation already added."""
        ...

    def of_party(
        self, party_id: str, page: Page, state: OperationState | None = None
    ) -> list[Operation]:
        """The party's operations, newest first, optionally in one state only."""
        ...

    def candidates(
        self, volumes: Sequence[Volume4D], reach: Separation, exclude_party_id: str
    ) -> list[OperationCandidate]:
        """A superset of the counting operations of other parties that may come within
        `reach` of any of `volumes`."""
        ...

    def counting(self, exclude_party_id: str) -> list[OperationCandidate]:
        """Every counting operation of other parties: the naive scan, for benchmarks."""
        ...


class ReviewRepository(Protocol):
    def add(self, case: ReviewCase) -> None: ...
    def save(self, case: ReviewCase) -> None:
        """Stores the case's state and the decisions appended since it was read."""
        ...

    def get(self, case_id: str) -> ReviewCase | None: ...
    def of_operation(self, operation_id: str, version: int | None = None) -> list[ReviewCase]:
        """The operation's cases, oldest first; only those of `version` when given."""
        ...

    def of_reviewer(self, party_id: str, page: Page, open_only: bool) -> list[ReviewCase]:
        """Cases the party reviews, newest first."""
        ...

    def due(self, now: datetime, limit: int) -> list[ReviewCase]:
        """Open cases whose current stage's deadline is at or before `now`."""
        ...


class SuggestionRepository(Protocol):
    def add(
        self, operation_id: str, version: int, suggestion: Suggestion, created_at: datetime
    ) -> None: ...
    def of_version(self, operation_id: str, version: int) -> list[Suggestion]: ...


class NoticeRepository(Protocol):
    def add(self, notice: Notice) -> None: ...
    def get(self, notice_id: str) -> Notice | None: ...
    def save(self, notice: Notice) -> None:
        """Stores the acknowledgement of a notice already added."""
        ...

    def for_recipient(self, party_id: str, page: Page) -> list[Notice]:
        """Notices addressed to the party, newest first."""
        ...

    def of_operation(self, operation_id: str) -> list[Notice]:
        """Every notice about one operation, oldest first."""
        ...


class SubscriptionRepository(Protocol):
    def add(self, subscription: Subscription) -> None: ...
    def get(self, subscription_id: str) -> Subscription | None: ...
    def delete(self, subscription_id: str) -> None: ...
    def of_party(self, party_id: str) -> list[Subscription]: ...


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A delivery leased to one dispatcher: send it, then report the outcome."""

    event: OutboxEvent
    url: str
    secret: str
    attempts: int


class OutboxRepository(Protocol):
    def append(self, subscription: Subscription, event: Event, now: datetime) -> OutboxEvent:
        """Stores the event as the subscription's next in sequence (bumping its counter)
        and, for a webhook subscription, a pending delivery due now."""
        ...

    def events_after(
        self, party_id: str, positions: Mapping[str, int], limit: int
    ) -> list[OutboxEvent]:
        """The party's events past the given per-subscription positions (0 where absent),
        in each subscription's order."""
        ...

    def any_due(self, now: datetime) -> bool:
        """Whether some pending delivery is due and free (a cheap read before claiming)."""
        ...

    def claim(
        self, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[ClaimedDelivery]:
        """Leases due pending deliveries to `owner`: at most one per subscription, the
        earliest pending one, so each subscription's events go out in order."""
        ...

    def delivered(self, event_id: int, owner: str, now: datetime) -> None: ...
    def failed(
        self, event_id: int, owner: str, error: str, next_attempt_at: datetime | None
    ) -> None:
        """Records a failed attempt: retried at `next_attempt_at`, or dead when None."""
        ...

    def deliveries(self, subscription_id: str, page: Page) -> list[Delivery]: ...


class AuditRepository(Protocol):
    def append(self, draft: AuditDraft) -> AuditEvent:
        """Chains the draft after the last stored event and stores it."""
        ...

    def append_many(self, drafts: Sequence[AuditDraft]) -> list[AuditEvent]:
        """`append` of each draft in order, in batched statements (bulk imports)."""
        ...

    def concerning(
        self, party_id: str, page: Page, object_id: str | None = None
    ) -> list[AuditEvent]:
        """Events about the party, newest first (optionally about one object)."""
        ...

    def in_order(self, after_seq: int, limit: int) -> list[AuditEvent]:
        """The whole chain in order, `limit` events after `after_seq`."""
        ...


class Transaction(Protocol):
    """The repositories bound to one open transaction."""

    parties: PartyRepository
    agreements: AgreementRepository
    zones: ZoneRepository
    operations: OperationRepository
    reviews: ReviewRepository
    suggestions: SuggestionRepository
    notices: NoticeRepository
    subscriptions: SubscriptionRepository
    outbox: OutboxRepository
    audit: AuditRepository


class UnitOfWork(Protocol):
    def run(self, work: Callable[[Transaction], T], *, write: bool = True) -> T:
        """Runs `work` in one transaction and commits; rolls back if it raises.

        Writes are SERIALIZABLE (or SQLite's single writer) and retried from the start on
        a serialization failure, so `work` must not have effects outside the transaction.
        """
        ...
