"""In-memory fakes of the storage ports (services.ports) for fast service tests.

They keep the contracts of the SQL adapter (adapters/sql.py) that services rely on:

* `FakeUnitOfWork.run` is transactional: `work` runs against a deep copy of the store,
  which replaces the committed store only if `work` returns and `write` is true. A
  service call that raises therefore leaves `uow.store` exactly as it was.
* Repositories hand out and keep copies, so an object changed without `save` is not
  changed in storage (as with rows), and nothing a caller holds aliases the store.
* The constraints of the schema hold: unique ids and party names, references to stored
  parties, agreements and operations. A violation raises `IntegrityError`.
* `candidates` returns every object of the right parties and states, ignoring geometry
  and time: the contract allows any superset, and the domain makes the exact test.

They are stricter than the database in two ways that catch service mistakes early:
writing in a read-only run (`write=False`) raises `ReadOnlyTransaction`, and `save` of
an object never added raises `IntegrityError` (SQL would silently update no row).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TypeVar

from deconflict.domain.assessment import OperationCandidate, Relations
from deconflict.domain.audit import Anchor, AuditDraft, AuditEvent, Head, chained
from deconflict.domain.conflicts import Separation
from deconflict.domain.f3548 import (
    ConstraintRef,
    DssSubscription,
    IntentRef,
    Notified,
    Report,
    UssAvailability,
)
from deconflict.domain.model import (
    COUNTING_STATES,
    Agreement,
    AgreementState,
    OperationState,
    Party,
    Zone,
    ZoneKind,
)
from deconflict.domain.notice import Notice
from deconflict.domain.operation import Operation
from deconflict.domain.review import ReviewCase
from deconflict.domain.subscription import Delivery, Event, OutboxEvent, Subscription
from deconflict.domain.suggestions import Suggestion
from deconflict.domain.volumes import Volume4D
from deconflict.services.ports import (
    AgreementRepository,
    AirspaceRepository,
    AuditRepository,
    ClaimedDelivery,
    F3548Repository,
    IdempotencyRepository,
    IdempotentAnswer,
    LeaseRepository,
    NoticeRepository,
    OperationRepository,
    OutboxRepository,
    Page,
    PartyRepository,
    ReviewRepository,
    SubscriptionRepository,
    SuggestionRepository,
    Surroundings,
    Transaction,
    UnitOfWork,
    ZoneRepository,
)

T = TypeVar("T")
_Item = TypeVar("_Item")


class IntegrityError(Exception):
    """A write the database schema would reject (duplicate key, dangling reference)."""


class ReadOnlyTransaction(Exception):
    """A repository was asked to write inside `run(..., write=False)`."""


@dataclass(slots=True)
class FakeStore:
    """Everything the fakes hold; compare two snapshots with `==`."""

    parties: dict[str, Party] = field(default_factory=dict)
    agreements: dict[str, Agreement] = field(default_factory=dict)
    zones: dict[str, Zone] = field(default_factory=dict)
    operations: dict[str, Operation] = field(default_factory=dict)
    reviews: dict[str, ReviewCase] = field(default_factory=dict)
    suggestions: list[tuple[str, int, Suggestion]] = field(default_factory=list)
    notices: dict[str, Notice] = field(default_factory=dict)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    events: list[OutboxEvent] = field(default_factory=list)
    audit: list[AuditEvent] = field(default_factory=list)
    unanchored: list[tuple[str, int]] = field(default_factory=list)
    anchors: list[Anchor] = field(default_factory=list)
    leases: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    answers: dict[tuple[str, str], IdempotentAnswer] = field(default_factory=dict)
    f3548_subjects: dict[str, str] = field(default_factory=dict)
    f3548_intents: dict[str, IntentRef] = field(default_factory=dict)
    f3548_constraints: dict[str, ConstraintRef] = field(default_factory=dict)
    f3548_subscriptions: dict[str, DssSubscription] = field(default_factory=dict)
    f3548_availability: dict[str, UssAvailability] = field(default_factory=dict)
    f3548_reports: list[Report] = field(default_factory=list)


def _page(items: Iterable[_Item], page: Page) -> list[_Item]:
    return list(items)[page.offset : page.offset + page.limit]


class _Repository:
    def __init__(self, store: FakeStore, writable: bool) -> None:
        self._s = store
        self._writable = writable

    def _write(self) -> None:
        if not self._writable:
            raise ReadOnlyTransaction("a write was attempted in a read-only unit of work")

    def _party_exists(self, party_id: str) -> None:
        if party_id not in self._s.parties:
            raise IntegrityError(f"no party {party_id}")


class FakeParties(_Repository):
    def add(self, party: Party) -> None:
        self._write()
        if party.id in self._s.parties:
            raise IntegrityError(f"party {party.id} exists")
        if any(p.name == party.name for p in self._s.parties.values()):
            raise IntegrityError(f"party name {party.name!r} is taken")
        self._s.parties[party.id] = party

    def exists(self, party_id: str) -> bool:
        return self.get(party_id) is not None

    def get(self, party_id: str) -> Party | None:
        return self._s.parties.get(party_id)

    def by_name(self, name: str) -> Party | None:
        return next((p for p in self._s.parties.values() if p.name == name), None)

    def listing(self, page: Page) -> list[Party]:
        return _page(sorted(self._s.parties.values(), key=lambda p: p.name), page)

    def save(self, party: Party) -> None:
        self._write()
        if party.id not in self._s.parties:
            raise IntegrityError(f"party {party.id} was never added")
        self._s.parties[party.id] = party

    def authorities(self) -> frozenset[str]:
        return frozenset(p.id for p in self._s.parties.values() if p.authority)


class FakeAgreements(_Repository):
    def _check(self, agreement: Agreement) -> None:
        self._party_exists(agreement.proposer_party_id)
        self._party_exists(agreement.partner_party_id)

    def add(self, agreement: Agreement) -> None:
        self._write()
        if agreement.id in self._s.agreements:
            raise IntegrityError(f"agreement {agreement.id} exists")
        self._check(agreement)
        self._s.agreements[agreement.id] = agreement

    def get(self, agreement_id: str) -> Agreement | None:
        return self._s.agreements.get(agreement_id)

    def save(self, agreement: Agreement) -> None:
        self._write()
        if agreement.id not in self._s.agreements:
            raise IntegrityError(f"agreement {agreement.id} was never added")
        self._check(agreement)
        self._s.agreements[agreement.id] = agreement

    def _of(self, party_id: str) -> list[Agreement]:
        return sorted(
            (a for a in self._s.agreements.values() if party_id in a.party_ids),
            key=lambda a: (a.created_at, a.id),
        )

    def of_party(self, party_id: str, page: Page) -> list[Agreement]:
        return _page(self._of(party_id), page)

    def active_of_party(self, party_id: str) -> list[Agreement]:
        return [a for a in self._of(party_id) if a.state is AgreementState.ACTIVE]


class FakeZones(_Repository):
    def add(self, zone: Zone) -> None:
        self._write()
        if zone.id in self._s.zones:
            raise IntegrityError(f"zone {zone.id} exists")
        self._party_exists(zone.party_id)
        self._source_free(zone)
        self._s.zones[zone.id] = zone

    def _source_free(self, zone: Zone) -> None:
        """The unique (party, source_id) of the zones table."""
        if zone.source_id is not None and any(
            z.party_id == zone.party_id and z.source_id == zone.source_id and z.id != zone.id
            for z in self._s.zones.values()
        ):
            raise IntegrityError(f"source id {zone.source_id!r} is taken in {zone.party_id}")

    def add_many(self, zones: Sequence[Zone]) -> None:
        for zone in zones:
            self.add(zone)

    def save_many(self, zones: Sequence[Zone]) -> None:
        self._write()
        for zone in zones:
            stored = self._s.zones.get(zone.id)
            if stored is None:
                raise IntegrityError(f"zone {zone.id} was never added")
            if (stored.party_id, stored.created_at) != (zone.party_id, zone.created_at):
                raise IntegrityError(f"zone {zone.id} changed its owner or creation time")
            self._source_free(zone)
            self._s.zones[zone.id] = zone

    def of_party(self, party_id: str) -> list[Zone]:
        return [z for z in self._ordered() if z.party_id == party_id]

    def get(self, zone_id: str) -> Zone | None:
        return self._s.zones.get(zone_id)

    def delete(self, zone_id: str) -> None:
        self._write()
        self._s.zones.pop(zone_id, None)

    def _ordered(self) -> list[Zone]:
        return sorted(self._s.zones.values(), key=lambda z: (z.created_at, z.id))

    def visible_to(self, party_id: str, partner_ids: Sequence[str], page: Page) -> list[Zone]:
        return _page((z for z in self._ordered() if z.visible_to(party_id, partner_ids)), page)

    def candidates(
        self, volumes: Sequence[Volume4D], reach: Separation, party_ids: Sequence[str]
    ) -> list[Zone]:
        return [
            z for z in self._ordered() if z.kind is ZoneKind.RESTRICTED or z.party_id in party_ids
        ]


class FakeOperations(_Repository):
    def add(self, operation: Operation) -> None:
        self._write()
        if operation.id in self._s.operations:
            raise IntegrityError(f"operation {operation.id} exists")
        if not operation.versions:
            raise IntegrityError(f"operation {operation.id} has no version")
        self._party_exists(operation.party_id)
        self._s.operations[operation.id] = copy.deepcopy(operation)

    def add_many(self, operations: Sequence[Operation]) -> None:
        for operation in operations:
            self.add(operation)

    def get(self, operation_id: str) -> Operation | None:
        return copy.deepcopy(self._s.operations.get(operation_id))

    def save(self, operation: Operation) -> None:
        self._write()
        stored = self._s.operations.get(operation.id)
        if stored is None:
            raise IntegrityError(f"operation {operation.id} was never added")
        if operation.party_id != stored.party_id or len(operation.versions) < len(stored.versions):
            raise IntegrityError(f"operation {operation.id} lost its owner or versions")
        self._s.operations[operation.id] = copy.deepcopy(operation)

    def of_party(
        self, party_id: str, page: Page, state: OperationState | None = None
    ) -> list[Operation]:
        mine = [
            o
            for o in self._s.operations.values()
            if o.party_id == party_id and (state is None or o.state is state)
        ]
        mine.sort(key=lambda o: o.id)
        mine.sort(key=lambda o: o.created_at, reverse=True)
        return copy.deepcopy(_page(mine, page))

    def counting(self, exclude_party_id: str) -> list[OperationCandidate]:
        return [
            OperationCandidate(o.id, o.party_id, o.current.volumes)
            for o in self._s.operations.values()
            if o.party_id != exclude_party_id and o.state in COUNTING_STATES
        ]

    def candidates(
        self, volumes: Sequence[Volume4D], reach: Separation, exclude_party_id: str
    ) -> list[OperationCandidate]:
        return self.counting(exclude_party_id)


class FakeReviews(_Repository):
    def add(self, case: ReviewCase) -> None:
        self._write()
        if case.id in self._s.reviews:
            raise IntegrityError(f"review case {case.id} exists")
        if case.operation_id not in self._s.operations:
            raise IntegrityError(f"no operation {case.operation_id}")
        if case.agreement_id not in self._s.agreements:
            raise IntegrityError(f"no agreement {case.agreement_id}")
        self._party_exists(case.reviewer_party_id)
        self._s.reviews[case.id] = copy.deepcopy(case)

    def save(self, case: ReviewCase) -> None:
        self._write()
        stored = self._s.reviews.get(case.id)
        if stored is None:
            raise IntegrityError(f"review case {case.id} was never added")
        if case.decisions[: len(stored.decisions)] != stored.decisions:
            raise IntegrityError(f"review case {case.id}: decisions are append-only")
        self._s.reviews[case.id] = copy.deepcopy(case)

    def get(self, case_id: str) -> ReviewCase | None:
        return copy.deepcopy(self._s.reviews.get(case_id))

    def of_operation(self, operation_id: str, version: int | None = None) -> list[ReviewCase]:
        found = [
            c
            for c in self._s.reviews.values()
            if c.operation_id == operation_id and (version is None or c.version == version)
        ]
        found.sort(key=lambda c: (c.version, c.created_at, c.id))
        return copy.deepcopy(found)

    def of_reviewer(self, party_id: str, page: Page, open_only: bool) -> list[ReviewCase]:
        found = [
            c
            for c in self._s.reviews.values()
            if c.reviewer_party_id == party_id and (c.is_open or not open_only)
        ]
        found.sort(key=lambda c: c.id)
        found.sort(key=lambda c: c.created_at, reverse=True)
        return copy.deepcopy(_page(found, page))

    def due(self, now: datetime, limit: int) -> list[ReviewCase]:
        found = [c for c in self._s.reviews.values() if (d := c.due_at) is not None and d <= now]
        found.sort(key=lambda c: c.due_at or now)
        return copy.deepcopy(found[:limit])


class FakeSuggestions(_Repository):
    def add(
        self, operation_id: str, version: int, suggestion: Suggestion, created_at: datetime
    ) -> None:
        self._write()
        if operation_id not in self._s.operations:
            raise IntegrityError(f"no operation {operation_id}")
        self._s.suggestions.append((operation_id, version, suggestion))

    def of_version(self, operation_id: str, version: int) -> list[Suggestion]:
        return [s for o, v, s in self._s.suggestions if o == operation_id and v == version]


class FakeNotices(_Repository):
    def add(self, notice: Notice) -> None:
        self._write()
        if notice.id in self._s.notices:
            raise IntegrityError(f"notice {notice.id} exists")
        if notice.operation_id not in self._s.operations:
            raise IntegrityError(f"no operation {notice.operation_id}")
        if notice.agreement_id not in self._s.agreements:
            raise IntegrityError(f"no agreement {notice.agreement_id}")
        self._party_exists(notice.recipient_party_id)
        self._s.notices[notice.id] = copy.deepcopy(notice)

    def get(self, notice_id: str) -> Notice | None:
        return copy.deepcopy(self._s.notices.get(notice_id))

    def save(self, notice: Notice) -> None:
        self._write()
        if notice.id not in self._s.notices:
            raise IntegrityError(f"notice {notice.id} was never added")
        self._s.notices[notice.id] = copy.deepcopy(notice)

    def for_recipient(self, party_id: str, page: Page) -> list[Notice]:
        mine = [n for n in self._s.notices.values() if n.recipient_party_id == party_id]
        mine.sort(key=lambda n: n.id)
        mine.sort(key=lambda n: n.created_at, reverse=True)
        return copy.deepcopy(_page(mine, page))

    def of_operation(self, operation_id: str) -> list[Notice]:
        found = [n for n in self._s.notices.values() if n.operation_id == operation_id]
        found.sort(key=lambda n: (n.created_at, n.id))
        return copy.deepcopy(found)


class FakeSubscriptions(_Repository):
    def add(self, subscription: Subscription) -> None:
        self._write()
        self._party_exists(subscription.party_id)
        self._s.subscriptions[subscription.id] = copy.deepcopy(subscription)

    def get(self, subscription_id: str) -> Subscription | None:
        return copy.deepcopy(self._s.subscriptions.get(subscription_id))

    def delete(self, subscription_id: str) -> None:
        self._write()
        self._s.subscriptions.pop(subscription_id, None)
        self._s.events = [e for e in self._s.events if e.subscription_id != subscription_id]

    def of_party(self, party_id: str) -> list[Subscription]:
        found = [x for x in self._s.subscriptions.values() if x.party_id == party_id]
        found.sort(key=lambda x: (x.created_at, x.id))
        return copy.deepcopy(found)


class FakeOutbox(_Repository):
    """Events only: delivery bookkeeping is tested against the real databases."""

    def append(self, subscription: Subscription, event: Event, now: datetime) -> OutboxEvent:
        self._write()
        stored = self._s.subscriptions[subscription.id]
        sequence = stored.next_sequence
        stored.next_sequence = subscription.next_sequence = sequence + 1
        record = OutboxEvent(
            len(self._s.events) + 1,
            subscription.id,
            event.party_id,
            sequence,
            event.type,
            event.payload,
            now,
        )
        self._s.events.append(record)
        return record

    def events_after(
        self, party_id: str, positions: Mapping[str, int], limit: int
    ) -> list[OutboxEvent]:
        return [
            e
            for e in self._s.events
            if e.party_id == party_id and e.sequence > positions.get(e.subscription_id, 0)
        ][:limit]

    def any_due(self, now: datetime) -> bool:
        return False

    def claim(
        self, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[ClaimedDelivery]:
        return []

    def delivered(self, event_id: int, owner: str, now: datetime) -> None:
        raise IntegrityError("the fake outbox holds no deliveries")

    def failed(
        self, event_id: int, owner: str, error: str, next_attempt_at: datetime | None
    ) -> None:
        raise IntegrityError("the fake outbox holds no deliveries")

    def deliveries(self, subscription_id: str, page: Page) -> list[Delivery]:
        return []


class FakeAudit(_Repository):
    def append(self, draft: AuditDraft) -> AuditEvent:
        self._write()
        tail = next((e for e in reversed(self._s.audit) if e.chain == draft.chain), None)
        event = chained(tail, draft)
        self._s.audit.append(event)
        self._s.unanchored.append((event.chain, event.seq))
        return event

    def append_many(self, drafts: Sequence[AuditDraft]) -> list[AuditEvent]:
        return [self.append(d) for d in drafts]

    def concerning(
        self, party_id: str, page: Page, object_id: str | None = None
    ) -> list[AuditEvent]:
        found = [
            e
            for e in reversed(self._s.audit)
            if party_id in e.draft.parties and (object_id is None or e.draft.object_id == object_id)
        ]
        return _page(found, page)

    def in_order(self, after: tuple[str, int] | None, limit: int) -> list[AuditEvent]:
        ordered = sorted(self._s.audit, key=lambda e: (e.chain, e.seq))
        return [e for e in ordered if after is None or (e.chain, e.seq) > after][:limit]

    def unanchored_heads(self, limit: int) -> list[Head]:
        newest: dict[str, int] = {}
        for chain, seq in self._s.unanchored:
            newest[chain] = max(seq, newest.get(chain, 0))
        by_position = {(e.chain, e.seq): e for e in self._s.audit}
        return [
            Head(chain, seq, by_position[chain, seq].hash)
            for chain, seq in sorted(newest.items())[:limit]
        ]

    def last_anchor(self) -> Anchor | None:
        return self._s.anchors[-1] if self._s.anchors else None

    def add_anchor(self, anchor: Anchor) -> None:
        self._write()
        self._s.anchors.append(anchor)
        reached = {h.chain: h.seq for h in anchor.heads}
        self._s.unanchored = [(c, s) for c, s in self._s.unanchored if s > reached.get(c, 0)]

    def anchors_in_order(self, after_seq: int, limit: int) -> list[Anchor]:
        return [a for a in self._s.anchors if a.seq > after_seq][:limit]

    def broken_heads(self, limit: int) -> list[Head]:
        stored = {(e.chain, e.seq): e.hash for e in self._s.audit}
        return [
            h for a in self._s.anchors for h in a.heads if stored.get((h.chain, h.seq)) != h.hash
        ][:limit]

    def unanchored_count(self) -> int:
        return len(self._s.unanchored)


class FakeLeases(_Repository):
    def acquire(self, name: str, owner: str, now: datetime, until: datetime) -> bool:
        held = self._s.leases.get(name)
        if held is not None and held[0] != owner and held[1] >= now:
            return False
        self._write()
        self._s.leases[name] = (owner, until)
        return True


class FakeIdempotency(_Repository):
    def get(self, party_id: str, key: str, since: datetime) -> IdempotentAnswer | None:
        answer = self._s.answers.get((party_id, key))
        return answer if answer is not None and answer.created_at >= since else None

    def put(self, party_id: str, key: str, answer: IdempotentAnswer, since: datetime) -> None:
        self._write()
        stored = self._s.answers.get((party_id, key))
        if stored is not None and stored.created_at >= since:
            raise IntegrityError(f"answer for key {key} already stored")
        self._s.answers[party_id, key] = answer

    def expire(self, before: datetime, limit: int) -> int:
        old = [k for k, a in self._s.answers.items() if a.created_at < before][:limit]
        if old:
            self._write()
        for k in old:
            del self._s.answers[k]
        return len(old)


class FakeF3548(_Repository):
    """The DSS view in dicts; `subscriptions_near` answers every subscription (a superset)."""

    def party_of(self, subject: str) -> str | None:
        return self._s.f3548_subjects.get(subject)

    def set_subjects(self, party_id: str, subjects: Sequence[str]) -> None:
        self._write()
        self._party_exists(party_id)
        held = self._s.f3548_subjects
        for subject in [k for k, v in held.items() if v == party_id]:
            del held[subject]
        held.update((subject, party_id) for subject in subjects)

    def get_intent(self, intent_id: str) -> IntentRef | None:
        return self._s.f3548_intents.get(intent_id)

    def intents_of_operations(self, operation_ids: Sequence[str]) -> list[IntentRef]:
        wanted = set(operation_ids)
        return [i for i in self._s.f3548_intents.values() if i.operation_id in wanted]

    def put_intent(self, intent: IntentRef) -> None:
        self._write()
        self._s.f3548_intents[intent.id] = intent

    def delete_intent(self, intent_id: str) -> None:
        self._write()
        self._s.f3548_intents.pop(intent_id, None)

    def get_constraint(self, constraint_id: str) -> ConstraintRef | None:
        return self._s.f3548_constraints.get(constraint_id)

    def constraints_of_zones(self, zone_ids: Sequence[str]) -> list[ConstraintRef]:
        wanted = set(zone_ids)
        return [c for c in self._s.f3548_constraints.values() if wanted & set(c.zone_ids)]

    def put_constraint(self, constraint: ConstraintRef) -> None:
        self._write()
        self._s.f3548_constraints[constraint.id] = constraint

    def delete_constraint(self, constraint_id: str) -> None:
        self._write()
        self._s.f3548_constraints.pop(constraint_id, None)

    def _with_dependents(self, subscription: DssSubscription) -> DssSubscription:
        dependents = sorted(
            i.id for i in self._s.f3548_intents.values() if i.subscription_id == subscription.id
        )
        return replace(subscription, dependent_operational_intents=tuple(dependents))

    def get_subscription(self, subscription_id: str) -> DssSubscription | None:
        found = self._s.f3548_subscriptions.get(subscription_id)
        return None if found is None else self._with_dependents(found)

    def put_subscription(self, subscription: DssSubscription) -> None:
        self._write()
        self._s.f3548_subscriptions[subscription.id] = subscription

    def delete_subscription(self, subscription_id: str) -> None:
        self._write()
        self._s.f3548_subscriptions.pop(subscription_id, None)

    def subscriptions_near(self, volumes: Sequence[Volume4D]) -> list[DssSubscription]:
        return [self._with_dependents(x) for x in self._s.f3548_subscriptions.values()]

    def notify(self, subscription_ids: Sequence[str]) -> list[Notified]:
        self._write()
        notified = []
        for subscription_id in subscription_ids:
            old = self._s.f3548_subscriptions[subscription_id]
            new = replace(old, notification_index=old.notification_index + 1)
            self._s.f3548_subscriptions[subscription_id] = new
            notified.append(Notified(new.id, new.notification_index, new.uss_base_url))
        return notified

    def availability(self, uss: str) -> UssAvailability | None:
        return self._s.f3548_availability.get(uss)

    def set_availability(self, status: UssAvailability) -> None:
        self._write()
        self._s.f3548_availability[status.uss] = status

    def add_report(self, report: Report) -> None:
        self._write()
        self._s.f3548_reports.append(report)


class FakeAirspace:
    """Surroundings from the other fakes: relations read afresh, every candidate."""

    def __init__(
        self,
        parties: PartyRepository,
        agreements: AgreementRepository,
        zones: ZoneRepository,
        operations: OperationRepository,
    ) -> None:
        self._parties, self._agreements = parties, agreements
        self._zones, self._operations = zones, operations

    def around(
        self, party_id: str, volumes: Sequence[Volume4D], default: Separation
    ) -> Surroundings:
        relations = Relations.of(
            party_id,
            self._agreements.active_of_party(party_id),
            default,
            self._parties.authorities(),
        )
        reach = relations.widest_separation()
        return Surroundings(
            relations,
            self._zones.candidates(volumes, reach, list(relations.agreements)),
            self._operations.candidates(volumes, reach, party_id),
        )

    def around_many(
        self, party_id: str, plans: Sequence[Sequence[Volume4D]], default: Separation
    ) -> list[Surroundings]:
        return [self.around(party_id, volumes, default) for volumes in plans]


class FakeTransaction:
    """Implements services.ports.Transaction over one working copy of the store."""

    def __init__(self, store: FakeStore, *, writable: bool) -> None:
        self.parties: PartyRepository = FakeParties(store, writable)
        self.agreements: AgreementRepository = FakeAgreements(store, writable)
        self.zones: ZoneRepository = FakeZones(store, writable)
        self.operations: OperationRepository = FakeOperations(store, writable)
        self.airspace: AirspaceRepository = FakeAirspace(
            self.parties, self.agreements, self.zones, self.operations
        )
        self.reviews: ReviewRepository = FakeReviews(store, writable)
        self.suggestions: SuggestionRepository = FakeSuggestions(store, writable)
        self.notices: NoticeRepository = FakeNotices(store, writable)
        self.subscriptions: SubscriptionRepository = FakeSubscriptions(store, writable)
        self.outbox: OutboxRepository = FakeOutbox(store, writable)
        self.audit: AuditRepository = FakeAudit(store, writable)
        self.leases: LeaseRepository = FakeLeases(store, writable)
        self.idempotency: IdempotencyRepository = FakeIdempotency(store, writable)
        self.f3548: F3548Repository = FakeF3548(store, writable)


class FakeUnitOfWork:
    """Implements services.ports.UnitOfWork in memory, with commit and rollback.

    `runs` records the `write` flag of every run (committed or not); `commits` counts
    the runs whose changes were kept.
    """

    def __init__(self, store: FakeStore | None = None) -> None:
        self.store = store if store is not None else FakeStore()
        self.runs: list[bool] = []
        self.commits = 0

    def run(
        self,
        work: Callable[[Transaction], T],
        *,
        write: bool = True,
        serializable: bool = True,
        snapshot: bool = True,
    ) -> T:
        self.runs.append(write)
        draft = copy.deepcopy(self.store)
        result = work(FakeTransaction(draft, writable=write))
        if write:  # reached only when `work` returned: otherwise the draft is dropped
            self.store = draft
            self.commits += 1
        return result

    def snapshot(self) -> FakeStore:
        """A deep copy of the committed store, to compare with `==` later."""
        return copy.deepcopy(self.store)


def _conforms(uow: FakeUnitOfWork, tx: FakeTransaction) -> tuple[UnitOfWork, Transaction]:
    """Never called: makes mypy check the fakes against the protocols."""
    return uow, tx
