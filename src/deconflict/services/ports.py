"""What the services need from storage: repositories per aggregate and a unit of work.

The SQL adapter implements these; unit tests use the in-memory fakes in tests/fakes.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from deconflict.domain.assessment import OperationCandidate, Relations
from deconflict.domain.audit import Anchor, AuditDraft, AuditEvent, Head
from deconflict.domain.conflicts import Separation
from deconflict.domain.f3548 import (
    ConstraintRef,
    DssSubscription,
    IntentRef,
    Notified,
    Report,
    UssAvailability,
)
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
    def exists(self, party_id: str) -> bool:
        """Whether the party is registered (parties are never removed: the SQL adapter
        remembers those it found, per process)."""
        ...

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
    def add_many(self, operations: Sequence[Operation]) -> None:
        """Adds many new operations at once (imports, benchmarks): as `add` for each."""
        ...

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


@dataclass(frozen=True, slots=True)
class Surroundings:
    """What one check needs: the submitter's relations and the candidates around it."""

    relations: Relations
    zones: list[Zone]
    operations: list[OperationCandidate]


class AirspaceRepository(Protocol):
    def around(
        self, party_id: str, volumes: Sequence[Volume4D], default: Separation
    ) -> Surroundings:
        """The party's relations (active agreements, authorities, `default` minima) and,
        within the widest separation they ask for around `volumes`, a superset of the
        zones of its partners and restricted zones of anyone, and of the counting
        operations of other parties. The SQL adapter keeps relations per process and
        reads them again only when they changed: one statement for the whole answer."""
        ...

    def around_many(
        self, party_id: str, plans: Sequence[Sequence[Volume4D]], default: Separation
    ) -> list[Surroundings]:
        """`around` for each of many plans at once (`services.batch.check_many`): the
        relations read once, and for each plan a superset of its zone and operation
        candidates, as `around` would find them. The SQL adapter reads every counting
        operation and relevant zone volume once and joins them with the plans in
        process; run it in a snapshot so that all plans see the same airspace."""
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
        """Chains the draft after the last stored event of its object's chain."""
        ...

    def append_many(self, drafts: Sequence[AuditDraft]) -> list[AuditEvent]:
        """`append` of each draft in order, in batched statements (bulk imports)."""
        ...

    def concerning(
        self, party_id: str, page: Page, object_id: str | None = None
    ) -> list[AuditEvent]:
        """Events about the party, newest first (optionally about one object)."""
        ...

    def in_order(self, after: tuple[str, int] | None, limit: int) -> list[AuditEvent]:
        """Every chain, each in order, `limit` events after position (chain, seq)."""
        ...

    def unanchored_heads(self, limit: int) -> list[Head]:
        """The newest event of up to `limit` chains that advanced since their last anchor."""
        ...

    def last_anchor(self) -> Anchor | None: ...
    def add_anchor(self, anchor: Anchor) -> None:
        """Stores the anchor; its heads' events and those before them are anchored."""
        ...

    def anchors_in_order(self, after_seq: int, limit: int) -> list[Anchor]: ...
    def broken_heads(self, limit: int) -> list[Head]:
        """Anchored heads whose event is gone or no longer has the anchored hash."""
        ...

    def unanchored_count(self) -> int:
        """Events written since the anchor that last covered their chain."""
        ...


class LeaseRepository(Protocol):
    def acquire(self, name: str, owner: str, now: datetime, until: datetime) -> bool:
        """Takes or renews the lease `name` for `owner` until `until`, unless another
        owner holds it past `now`. True when `owner` holds it."""
        ...


@dataclass(frozen=True, slots=True)
class IdempotentAnswer:
    """The first answer to a write sent with an Idempotency-Key."""

    fingerprint: str
    status_code: int
    response: Any
    created_at: datetime


class IdempotencyRepository(Protocol):
    def get(self, party_id: str, key: str, since: datetime) -> IdempotentAnswer | None:
        """The answer stored for the party's key at or after `since`, if any."""
        ...

    def put(self, party_id: str, key: str, answer: IdempotentAnswer, since: datetime) -> None:
        """Stores the answer, replacing one stored before `since` (expired); a unique
        violation when a newer one is stored."""
        ...

    def expire(self, before: datetime, limit: int) -> int:
        """Forgets up to `limit` answers stored before `before`; how many."""
        ...


class F3548Repository(Protocol):
    """The ASTM F3548-21 DSS view: references beside the operations and zones that
    hold their volumes, DSS subscriptions, USS availability, reports."""

    def party_of(self, subject: str) -> str | None:
        """The party whose `f3548_subjects` holds `subject`."""
        ...

    def set_subjects(self, party_id: str, subjects: Sequence[str]) -> None: ...
    def get_intent(self, intent_id: str) -> IntentRef | None: ...
    def intents_of_operations(self, operation_ids: Sequence[str]) -> list[IntentRef]: ...
    def put_intent(self, intent: IntentRef) -> None:
        """Inserts or replaces the reference with this id."""
        ...

    def delete_intent(self, intent_id: str) -> None: ...
    def get_constraint(self, constraint_id: str) -> ConstraintRef | None: ...
    def constraints_of_zones(self, zone_ids: Sequence[str]) -> list[ConstraintRef]: ...
    def put_constraint(self, constraint: ConstraintRef) -> None: ...
    def delete_constraint(self, constraint_id: str) -> None: ...
    def get_subscription(self, subscription_id: str) -> DssSubscription | None: ...
    def put_subscription(self, subscription: DssSubscription) -> None:
        """Inserts or replaces the subscription (and its cells) with this id."""
        ...

    def delete_subscription(self, subscription_id: str) -> None: ...
    def subscriptions_near(self, volumes: Sequence[Volume4D]) -> list[DssSubscription]:
        """A superset of the subscriptions whose volume may meet any of `volumes`."""
        ...

    def notify(self, subscription_ids: Sequence[str]) -> list[Notified]:
        """Increments each subscription's notification index once; the new values."""
        ...

    def availability(self, uss: str) -> UssAvailability | None: ...
    def set_availability(self, status: UssAvailability) -> None: ...
    def add_report(self, report: Report) -> None: ...


class Transaction(Protocol):
    """The repositories bound to one open transaction."""

    parties: PartyRepository
    agreements: AgreementRepository
    zones: ZoneRepository
    operations: OperationRepository
    airspace: AirspaceRepository
    reviews: ReviewRepository
    suggestions: SuggestionRepository
    notices: NoticeRepository
    subscriptions: SubscriptionRepository
    outbox: OutboxRepository
    audit: AuditRepository
    leases: LeaseRepository
    idempotency: IdempotencyRepository
    f3548: F3548Repository


class UnitOfWork(Protocol):
    def run(
        self,
        work: Callable[[Transaction], T],
        *,
        write: bool = True,
        serializable: bool = True,
        snapshot: bool = True,
    ) -> T:
        """Runs `work` in one transaction and commits; rolls back if it raises.

        Writes are SERIALIZABLE (or SQLite's single writer) and retried from the start on
        a serialization failure, so `work` must not have effects outside the transaction.
        `serializable=False` runs a write at READ COMMITTED, outside the serialization
        graph of the other writers: only for work that is correct under it (anchoring, and
        new submissions, whose overlap invariant the area claims keep: adapters/spatial.py).
        `snapshot=False` runs a read with no transaction around it, each statement
        consistent on its own (a dry-run check: one statement): two round trips fewer.
        Raises `Unavailable` when the work cannot commit within the retry budget or the
        database is out of a resource.
        """
        ...
