"""SQL repositories and the unit of work (SQLAlchemy Core on SQLite or PostgreSQL).

Writes run SERIALIZABLE on PostgreSQL and under SQLite's single writer lock taken at
BEGIN (IMMEDIATE); a serialization failure, deadlock or busy database rolls the whole
unit of work back and runs it again, a bounded number of times with jittered backoff.
"""

from __future__ import annotations

import itertools
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from deconflict.domain.assessment import OperationCandidate, Relations
from deconflict.domain.audit import Anchor, AuditDraft, AuditEvent, Head, chained
from deconflict.domain.conflicts import Separation
from deconflict.domain.errors import Contended, Unavailable
from deconflict.domain.geometry import FrameFactory
from deconflict.domain.model import (
    Agreement,
    AgreementKind,
    AgreementState,
    OperationState,
    Party,
    ProposalAcceptance,
    Zone,
    ZoneDisclosure,
    ZoneKind,
)
from deconflict.domain.notice import AckState, Notice, NoticeKind
from deconflict.domain.operation import Operation, OperationVersion
from deconflict.domain.review import CaseState, Decision, DecisionRecord, ReviewCase
from deconflict.domain.subscription import (
    Delivery,
    DeliveryState,
    Event,
    EventType,
    OutboxEvent,
    Subscription,
)
from deconflict.domain.suggestions import Suggestion, SuggestionKind
from deconflict.domain.volumes import Polygon, Volume4D
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
    ZoneRepository,
)

from . import codec, spatial
from . import tables as t
from .sql_f3548 import SqlF3548

T = TypeVar("T")

# serialization_failure, deadlock_detected, and unique_violation: a concurrent insert of the
# same key; a retry re-reads, and the service then refuses it cleanly (e.g. a second decision).
_RETRYABLE_SQLSTATES = {"40001", "40P01", "23505"}
_UNIQUE_VIOLATION = "23505"
_UNIQUE_ATTEMPTS = 3
log = logging.getLogger(__name__)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url` set up for this unit of work (SQLite: WAL, foreign keys,
    transactions begun by us so that writers take the lock up front)."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # let BEGIN below start transactions
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            write = conn.get_execution_options().get("deconflict_write", True)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    # No pre-ping: a connection the server dropped fails its first statement, the pool
    # discards it, and the unit of work runs again (see _retryable).
    # PostgreSQL's serializable isolation locks a whole table for every sequential scan, so
    # that any insert into it by another writer looks like a conflict. Index scans lock
    # only the index pages they read: every query here has an index, so the planner is
    # told to use it even on a small table. A scan that has no index then looks costly
    # enough to be JIT-compiled (tens of milliseconds for a one-row table): JIT is off,
    # it never pays for short transactions.
    connect_args = (
        {"options": "-c enable_seqscan=off -c jit=off"} if url.startswith("postgresql") else {}
    )
    return create_engine(url, connect_args=connect_args, **kwargs)


class SqlParties:
    def __init__(self, conn: Connection, known: set[str] | None = None) -> None:
        self._c = conn
        self._known = set() if known is None else known

    @staticmethod
    def _party(row: Row[Any]) -> Party:
        return Party(row.id, row.name, row.created_at, row.authority)

    def add(self, party: Party) -> None:
        self._c.execute(
            insert(t.parties).values(
                id=party.id, name=party.name, created_at=party.created_at, authority=party.authority
            )
        )
        if party.authority:
            _bump_relations(self._c)

    def save(self, party: Party) -> None:
        self._c.execute(
            update(t.parties).where(t.parties.c.id == party.id).values(authority=party.authority)
        )
        _bump_relations(self._c)

    def authorities(self) -> frozenset[str]:
        rows = self._c.execute(select(t.parties.c.id).where(t.parties.c.authority.is_(True)))
        return frozenset(r.id for r in rows)

    def get(self, party_id: str) -> Party | None:
        row = self._c.execute(select(t.parties).where(t.parties.c.id == party_id)).first()
        return None if row is None else self._party(row)

    def exists(self, party_id: str) -> bool:
        if party_id in self._known:
            return True
        p = t.parties.c
        found = self._c.execute(select(p.id).where(p.id == party_id)).first() is not None
        if found:
            self._known.add(party_id)
        return found

    def by_name(self, name: str) -> Party | None:
        row = self._c.execute(select(t.parties).where(t.parties.c.name == name)).first()
        return None if row is None else self._party(row)

    def listing(self, page: Page) -> list[Party]:
        rows = self._c.execute(
            select(t.parties).order_by(t.parties.c.name).limit(page.limit).offset(page.offset)
        )
        return [self._party(r) for r in rows]


class SqlAgreements:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    @staticmethod
    def _agreement(row: Row[Any]) -> Agreement:
        separation = None
        if row.horizontal_m is not None:
            separation = Separation(row.horizontal_m, row.vertical_m, row.time_s)
        return Agreement(
            id=row.id,
            kind=AgreementKind(row.kind),
            proposer_party_id=row.proposer_party_id,
            partner_party_id=row.partner_party_id,
            state=AgreementState(row.state),
            separation=separation,
            created_at=row.created_at,
            review_chain=None
            if row.review_chain is None
            else codec.chain_from_json(row.review_chain),
            proposal_acceptance=ProposalAcceptance(row.proposal_acceptance),
        )

    @staticmethod
    def _values(a: Agreement) -> dict[str, Any]:
        s = a.separation
        return {
            "kind": a.kind.value,
            "proposer_party_id": a.proposer_party_id,
            "partner_party_id": a.partner_party_id,
            "state": a.state.value,
            "horizontal_m": None if s is None else s.horizontal_m,
            "vertical_m": None if s is None else s.vertical_m,
            "time_s": None if s is None else s.time_s,
            "created_at": a.created_at,
            "review_chain": None if a.review_chain is None else codec.chain_to_json(a.review_chain),
            "proposal_acceptance": a.proposal_acceptance.value,
        }

    def add(self, agreement: Agreement) -> None:
        self._c.execute(insert(t.agreements).values(id=agreement.id, **self._values(agreement)))
        _bump_relations(self._c)

    def save(self, agreement: Agreement) -> None:
        self._c.execute(
            update(t.agreements)
            .where(t.agreements.c.id == agreement.id)
            .values(**self._values(agreement))
        )
        _bump_relations(self._c)

    def get(self, agreement_id: str) -> Agreement | None:
        row = self._c.execute(select(t.agreements).where(t.agreements.c.id == agreement_id)).first()
        return None if row is None else self._agreement(row)

    def _of(self, party_id: str) -> ColumnElement[bool]:
        return or_(
            t.agreements.c.proposer_party_id == party_id,
            t.agreements.c.partner_party_id == party_id,
        )

    def of_party(self, party_id: str, page: Page) -> list[Agreement]:
        rows = self._c.execute(
            select(t.agreements)
            .where(self._of(party_id))
            .order_by(t.agreements.c.created_at, t.agreements.c.id)
            .limit(page.limit)
            .offset(page.offset)
        )
        return [self._agreement(r) for r in rows]

    def active_of_party(self, party_id: str) -> list[Agreement]:
        rows = self._c.execute(
            select(t.agreements).where(
                self._of(party_id), t.agreements.c.state == AgreementState.ACTIVE.value
            )
        )
        return [self._agreement(r) for r in rows]


class SqlZones:
    def __init__(self, conn: Connection, frames: FrameFactory) -> None:
        self._c = conn
        self._frames = frames

    @staticmethod
    def _zone(row: Row[Any]) -> Zone:
        return Zone(
            id=row.id,
            party_id=row.party_id,
            kind=ZoneKind(row.kind),
            name=row.name,
            footprint=codec.footprint_from_json(row.footprint),
            altitude=codec.band_from_json(row.altitude),
            periods=tuple(codec.window_from_json(p) for p in row.periods),
            created_at=row.created_at,
            source_id=row.source_id,
            attributes=row.attributes or {},
            disclosure=ZoneDisclosure(row.disclosure),
        )

    @staticmethod
    def _values(zone: Zone) -> dict[str, Any]:
        return {
            "id": zone.id,
            "party_id": zone.party_id,
            "kind": zone.kind.value,
            "name": zone.name,
            "footprint": codec.footprint_to_json(zone.footprint),
            "altitude": codec.band_to_json(zone.altitude),
            "periods": [codec.window_to_json(p) for p in zone.periods],
            "created_at": zone.created_at,
            "source_id": zone.source_id,
            "attributes": dict(zone.attributes) or None,
            "disclosure": zone.disclosure.value,
        }

    def _index(self, zones: Sequence[Zone]) -> None:
        """Inserts the zone_volumes rows of `zones`: one per active period."""
        rows = [
            {
                "zone_id": zone.id,
                "party_id": zone.party_id,
                "kind": zone.kind.value,
                **_extent_values(volume),
            }
            for zone in zones
            for volume in zone.volumes()
        ]
        if rows:
            self._c.execute(insert(t.zone_volumes), rows)

    def add(self, zone: Zone) -> None:
        self.add_many([zone])

    def add_many(self, zones: Sequence[Zone]) -> None:
        if not zones:
            return
        self._c.execute(insert(t.zones), [self._values(z) for z in zones])
        self._index(zones)

    def save_many(self, zones: Sequence[Zone]) -> None:
        if not zones:
            return
        z = t.zones.c
        fields = (
            "kind",
            "name",
            "footprint",
            "altitude",
            "periods",
            "source_id",
            "attributes",
            "disclosure",
        )
        self._c.execute(
            update(t.zones)
            .where(z.id == bindparam("zone_id"))
            .values({f: bindparam(f"new_{f}") for f in fields}),
            [
                {"zone_id": zone.id, **{f"new_{f}": v for f, v in values.items() if f in fields}}
                for zone, values in ((zone, self._values(zone)) for zone in zones)
            ],
        )
        ids = [zone.id for zone in zones]
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            self._c.execute(delete(t.zone_volumes).where(t.zone_volumes.c.zone_id.in_(chunk)))
        self._index(zones)

    def of_party(self, party_id: str) -> list[Zone]:
        z = t.zones.c
        rows = self._c.execute(
            select(t.zones).where(z.party_id == party_id).order_by(z.created_at, z.id)
        )
        return [self._zone(r) for r in rows]

    def get(self, zone_id: str) -> Zone | None:
        row = self._c.execute(select(t.zones).where(t.zones.c.id == zone_id)).first()
        return None if row is None else self._zone(row)

    def delete(self, zone_id: str) -> None:
        self._c.execute(delete(t.zone_volumes).where(t.zone_volumes.c.zone_id == zone_id))
        self._c.execute(delete(t.zones).where(t.zones.c.id == zone_id))

    def visible_to(self, party_id: str, partner_ids: Sequence[str], page: Page) -> list[Zone]:
        z = t.zones.c
        rows = self._c.execute(
            select(t.zones)
            .where(
                or_(
                    z.party_id == party_id,
                    z.disclosure == ZoneDisclosure.PUBLIC.value,
                    and_(
                        z.party_id.in_(list(partner_ids)),
                        z.disclosure == ZoneDisclosure.PARTNERS.value,
                    ),
                )
            )
            .order_by(z.created_at, z.id)
            .limit(page.limit)
            .offset(page.offset)
        )
        return [self._zone(r) for r in rows]

    def candidates(
        self, volumes: Sequence[Volume4D], reach: Separation, party_ids: Sequence[str]
    ) -> list[Zone]:
        return self.by_ids(
            spatial.zone_ids(
                self._c, volumes, reach, ZoneKind.RESTRICTED.value, sorted(set(party_ids))
            )
        )

    def by_ids(self, ids: Sequence[str]) -> list[Zone]:
        if not ids:
            return []
        rows = self._c.execute(select(t.zones).where(t.zones.c.id.in_(list(ids))))
        return [self._zone(r) for r in rows]


class SqlOperations:
    def __init__(
        self, conn: Connection, frames: FrameFactory, claims: spatial.Claims | None = None
    ) -> None:
        self._c = conn
        self._frames = frames
        self._claims = claims

    def _index(self, operation: Operation, fresh: bool = False) -> None:
        """Replaces the operation's index rows with those of its current version, if it
        counts (`fresh`: a new operation, with no rows to replace)."""
        if not fresh:
            self._c.execute(
                delete(t.operation_volumes).where(
                    t.operation_volumes.c.operation_id == operation.id
                )
            )
        self._insert_index_rows([operation])

    def _insert_index_rows(self, operations: Sequence[Operation]) -> None:
        volumes = [v for o in operations if o.counts for v in o.current.volumes]
        if self._claims is not None:
            self._claims.claim([spatial.extent(v) for v in volumes])
        rows = [row for o in operations for row in self._index_rows(o)]
        if rows:
            self._c.execute(insert(t.operation_volumes), rows)

    @staticmethod
    def _index_rows(operation: Operation) -> list[dict[str, Any]]:
        if not operation.counts:
            return []
        return [
            {
                "operation_id": operation.id,
                "volume_index": index,
                "party_id": operation.party_id,
                "volume": codec.volume_to_bytes(volume),
                **_extent_values(volume),
            }
            for index, volume in enumerate(operation.current.volumes)
        ]

    @staticmethod
    def _version_values(operation: Operation, v: OperationVersion) -> dict[str, Any]:
        return {
            "operation_id": operation.id,
            "number": v.number,
            "state": v.state.value,
            "volumes": [codec.volume_to_json(x) for x in v.volumes],
            "assessment": codec.assessment_to_json(v.assessment),
            "submitted_at": v.submitted_at,
            "submitted_by": v.submitted_by,
            "conditions": codec.imposed_to_json(v.conditions),
        }

    def _insert_versions(self, operation: Operation, versions: Iterable[OperationVersion]) -> None:
        rows = [self._version_values(operation, v) for v in versions]
        if rows:
            self._c.execute(insert(t.operation_versions), rows)

    def add(self, operation: Operation) -> None:
        self.add_many([operation])

    def add_many(self, operations: Sequence[Operation]) -> None:
        if not operations:
            return
        self._c.execute(
            insert(t.operations),
            [
                {
                    "id": o.id,
                    "party_id": o.party_id,
                    "name": o.name,
                    "priority": o.priority,
                    "state": o.state.value,
                    "current_version": o.current.number,
                    "created_at": o.created_at,
                    "updated_at": o.current.submitted_at,
                    "flexibility": codec.flexibility_to_json(o.flexibility),
                }
                for o in operations
            ],
        )
        self._c.execute(
            insert(t.operation_versions),
            [self._version_values(o, v) for o in operations for v in o.versions],
        )
        rows = [row for o in operations for row in self._index_rows(o)]
        if rows:
            self._c.execute(insert(t.operation_volumes), rows)

    def save(self, operation: Operation) -> None:
        stored = self._c.execute(
            select(func.max(t.operation_versions.c.number)).where(
                t.operation_versions.c.operation_id == operation.id
            )
        ).scalar_one()
        v = t.operation_versions.c
        for version in operation.versions[: stored or 0]:
            self._c.execute(
                update(t.operation_versions)
                .where(v.operation_id == operation.id, v.number == version.number)
                .values(
                    state=version.state.value,
                    conditions=codec.imposed_to_json(version.conditions),
                )
            )
        self._insert_versions(operation, operation.versions[stored or 0 :])
        self._c.execute(
            update(t.operations)
            .where(t.operations.c.id == operation.id)
            .values(
                name=operation.name,
                priority=operation.priority,
                state=operation.state.value,
                current_version=operation.current.number,
                updated_at=operation.current.submitted_at,
                flexibility=codec.flexibility_to_json(operation.flexibility),
            )
        )
        self._index(operation)

    @staticmethod
    def _version(row: Row[Any]) -> OperationVersion:
        return OperationVersion(
            number=row.number,
            volumes=tuple(codec.volume_from_json(x) for x in row.volumes),
            state=OperationState(row.state),
            submitted_at=row.submitted_at,
            submitted_by=row.submitted_by,
            assessment=codec.assessment_from_json(row.assessment),
            conditions=codec.imposed_from_json(row.conditions),
        )

    def _load(self, rows: Sequence[Row[Any]]) -> list[Operation]:
        if not rows:
            return []
        v = t.operation_versions.c
        versions: dict[str, list[OperationVersion]] = {r.id: [] for r in rows}
        for vr in self._c.execute(
            select(t.operation_versions)
            .where(v.operation_id.in_(list(versions)))
            .order_by(v.operation_id, v.number)
        ):
            versions[vr.operation_id].append(self._version(vr))
        return [
            Operation(
                id=r.id,
                party_id=r.party_id,
                name=r.name,
                priority=r.priority,
                created_at=r.created_at,
                versions=versions[r.id],
                flexibility=codec.flexibility_from_json(r.flexibility),
            )
            for r in rows
        ]

    def get(self, operation_id: str) -> Operation | None:
        rows = self._c.execute(select(t.operations).where(t.operations.c.id == operation_id)).all()
        found = self._load(rows)
        return found[0] if found else None

    def of_party(
        self, party_id: str, page: Page, state: OperationState | None = None
    ) -> list[Operation]:
        o = t.operations.c
        query = select(t.operations).where(o.party_id == party_id)
        if state is not None:
            query = query.where(o.state == state.value)
        query = query.order_by(o.created_at.desc(), o.id).limit(page.limit).offset(page.offset)
        return self._load(self._c.execute(query).all())

    def candidates(
        self, volumes: Sequence[Volume4D], reach: Separation, exclude_party_id: str
    ) -> list[OperationCandidate]:
        if self._claims is not None:
            self._claims.claim([spatial.extent(v, reach) for v in volumes])
        return _grouped(spatial.operation_rows(self._c, volumes, reach, exclude_party_id))

    def counting(self, exclude_party_id: str) -> list[OperationCandidate]:
        v = t.operation_volumes.c
        rows = self._c.execute(
            select(v.operation_id, v.party_id, v.volume)
            .where(v.party_id != exclude_party_id)
            .order_by(v.operation_id, v.volume_index)
        )
        return _grouped([tuple(r) for r in rows])


class RelationsCache:
    """Each party's relations as last read, with the generation they were read at.

    Per process, shared by its threads (dict operations are atomic). An entry is used
    only when the statement that finds the candidates reports the same generation, so a
    change of agreements or authorities committed by any process is seen at once."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[int, list[Agreement], frozenset[str]]] = {}

    def get(self, party_id: str) -> tuple[int, list[Agreement], frozenset[str]] | None:
        return self._entries.get(party_id)

    def put(
        self,
        party_id: str,
        generation: int,
        agreements: list[Agreement],
        authorities: frozenset[str],
    ) -> None:
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[party_id] = (generation, agreements, authorities)


def _bump_relations(conn: Connection) -> None:
    """Agreements or authorities change: every process reads relations again."""
    g = t.relations_generation.c
    conn.execute(
        update(t.relations_generation).where(g.id == 1).values(generation=g.generation + 1)
    )


class SqlAirspace:
    def __init__(
        self,
        conn: Connection,
        relations: RelationsCache,
        zones: SqlZones,
        claims: spatial.Claims | None = None,
    ) -> None:
        self._c = conn
        self._relations = relations
        self._zones = zones
        self._claims = claims

    def _read_relations(self, party_id: str) -> tuple[int, list[Agreement], frozenset[str]]:
        g = t.relations_generation.c
        generation = self._c.execute(select(g.generation).where(g.id == 1)).scalar_one()
        agreements = SqlAgreements(self._c).active_of_party(party_id)
        authorities = SqlParties(self._c).authorities()
        self._relations.put(party_id, generation, agreements, authorities)
        return generation, agreements, authorities

    def around(
        self, party_id: str, volumes: Sequence[Volume4D], default: Separation
    ) -> Surroundings:
        cached = self._relations.get(party_id)
        for _ in range(3):
            generation, agreements, authorities = cached or self._read_relations(party_id)
            relations = Relations.of(party_id, agreements, default, authorities)
            if self._claims is not None:
                reach = relations.widest_separation()
                self._claims.claim([spatial.extent(v, reach) for v in volumes])
            found = spatial.around(
                self._c,
                volumes,
                relations.widest_separation(),
                party_id,
                ZoneKind.RESTRICTED.value,
                sorted(relations.agreements),
            )
            if found.generation == generation:
                zones = self._zones.by_ids(found.zone_ids)
                return Surroundings(relations, zones, _grouped(found.operations))
            cached = None  # relations changed since they were read: read them again
        raise Contended("agreements keep changing; retry shortly")

    def around_many(
        self, party_id: str, plans: Sequence[Sequence[Volume4D]], default: Separation
    ) -> list[Surroundings]:
        _, agreements, authorities = self._read_relations(party_id)
        relations = Relations.of(party_id, agreements, default, authorities)
        reach = relations.widest_separation()
        owners = [p for p, volumes in enumerate(plans) for _ in volumes]
        if not owners:
            return [Surroundings(relations, [], []) for _ in plans]
        queries = spatial.extents_array(
            [spatial.extent(v, reach) for volumes in plans for v in volumes]
        )
        plan_of = np.array(owners, dtype=np.intp)
        t_start, t_end = float(queries[:, 6].min()), float(queries[:, 7].max())
        ops = spatial.operation_index(self._c, party_id, t_start, t_end)
        zones = spatial.zone_index(
            self._c, ZoneKind.RESTRICTED.value, sorted(relations.agreements), t_start, t_end
        )
        op_rows = _per_plan(len(plans), plan_of, *spatial.join(queries, ops.extents))
        zone_rows = _per_plan(len(plans), plan_of, *spatial.join(queries, zones.extents))
        zone_ids = sorted({zones.rows[r][0] for rows in zone_rows for r in rows})
        found = {
            z.id: z
            for start in range(0, len(zone_ids), 500)
            for z in self._zones.by_ids(zone_ids[start : start + 500])
        }
        return [
            Surroundings(
                relations,
                [found[i] for i in sorted({zones.rows[r][0] for r in zone_rows[p]})],
                _grouped(ops.rows[r] for r in op_rows[p]),
            )
            for p in range(len(plans))
        ]


def _per_plan(
    plans: int,
    plan_of: npt.NDArray[np.intp],
    query: npt.NDArray[np.intp],
    row: npt.NDArray[np.intp],
) -> list[list[int]]:
    """The rows each plan's volumes met (pairs of query volume and row), each row once
    per plan, in row order."""
    out: list[list[int]] = [[] for _ in range(plans)]
    if len(row) == 0:
        return out
    width = int(row.max()) + 1
    plan, r = np.divmod(np.unique(plan_of[query].astype(np.int64) * width + row), width)
    for p, i in zip(plan.tolist(), r.tolist(), strict=True):
        out[p].append(i)
    return out


def _grouped(rows: Iterable[Sequence[Any]]) -> list[OperationCandidate]:
    """Index rows (operation id, party id, volume bytes) as one candidate per operation."""
    volumes: dict[str, list[Volume4D]] = {}
    owners: dict[str, str] = {}
    for operation_id, party_id, data in rows:
        owners[operation_id] = party_id
        volumes.setdefault(operation_id, []).append(codec.volume_from_bytes(data))
    return [OperationCandidate(i, owners[i], tuple(vs)) for i, vs in volumes.items()]


def _extent_values(volume: Volume4D) -> dict[str, Any]:
    e = spatial.extent(volume)
    return {
        "lng_min": e.lng_min,
        "lng_max": e.lng_max,
        "lat_min": e.lat_min,
        "lat_max": e.lat_max,
        "lower_m": e.lower_m,
        "upper_m": e.upper_m,
        "t_start_s": e.t_start_s,
        "t_end_s": e.t_end_s,
    }


class SqlReviews:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    @staticmethod
    def _case_values(case: ReviewCase) -> dict[str, Any]:
        return {
            "state": case.state.value,
            "stage_index": case.stage_index,
            "stage_started_at": case.stage_started_at,
            "due_at": case.due_at,
            "closed_at": case.closed_at,
        }

    def _insert_decisions(self, case: ReviewCase, start: int) -> None:
        rows = [
            {
                "case_id": case.id,
                "seq": seq,
                "stage_index": d.stage_index,
                "role": d.role,
                "subject": d.subject,
                "party_id": d.party_id,
                "decision": None if d.decision is None else d.decision.value,
                "comment": d.comment,
                "conditions": codec.conditions_to_json(d.conditions),
                "proposal": codec.proposal_to_json(d.proposal),
                "decided_at": d.decided_at,
                "automatic": d.automatic,
                "internal_note": d.internal_note or None,
            }
            for seq, d in enumerate(case.decisions[start:], start=start)
        ]
        if rows:
            self._c.execute(insert(t.review_decisions), rows)

    def add(self, case: ReviewCase) -> None:
        self._c.execute(
            insert(t.review_cases).values(
                id=case.id,
                operation_id=case.operation_id,
                version=case.version,
                submitter_party_id=case.submitter_party_id,
                reviewer_party_id=case.reviewer_party_id,
                agreement_id=case.agreement_id,
                chain=codec.chain_to_json(case.chain),
                zone_ids=list(case.zone_ids),
                created_at=case.created_at,
                **self._case_values(case),
            )
        )
        self._insert_decisions(case, 0)

    def save(self, case: ReviewCase) -> None:
        stored = self._c.execute(
            select(func.count())
            .select_from(t.review_decisions)
            .where(t.review_decisions.c.case_id == case.id)
        ).scalar_one()
        self._c.execute(
            update(t.review_cases)
            .where(t.review_cases.c.id == case.id)
            .values(**self._case_values(case))
        )
        self._insert_decisions(case, int(stored))

    def _load(self, rows: Sequence[Row[Any]]) -> list[ReviewCase]:
        if not rows:
            return []
        d = t.review_decisions.c
        decisions: dict[str, list[DecisionRecord]] = {r.id: [] for r in rows}
        for row in self._c.execute(
            select(t.review_decisions)
            .where(d.case_id.in_(list(decisions)))
            .order_by(d.case_id, d.seq)
        ):
            decisions[row.case_id].append(
                DecisionRecord(
                    stage_index=row.stage_index,
                    role=row.role,
                    subject=row.subject,
                    party_id=row.party_id,
                    decision=None if row.decision is None else Decision(row.decision),
                    comment=row.comment,
                    decided_at=row.decided_at,
                    conditions=codec.conditions_from_json(row.conditions),
                    proposal=codec.proposal_from_json(row.proposal),
                    automatic=row.automatic,
                    internal_note=row.internal_note or "",
                )
            )
        return [
            ReviewCase(
                id=r.id,
                operation_id=r.operation_id,
                version=r.version,
                submitter_party_id=r.submitter_party_id,
                reviewer_party_id=r.reviewer_party_id,
                agreement_id=r.agreement_id,
                chain=codec.chain_from_json(r.chain),
                zone_ids=tuple(r.zone_ids),
                created_at=r.created_at,
                state=CaseState(r.state),
                stage_index=r.stage_index,
                stage_started_at=r.stage_started_at,
                closed_at=r.closed_at,
                decisions=decisions[r.id],
            )
            for r in rows
        ]

    def get(self, case_id: str) -> ReviewCase | None:
        found = self._load(
            self._c.execute(select(t.review_cases).where(t.review_cases.c.id == case_id)).all()
        )
        return found[0] if found else None

    def of_operation(self, operation_id: str, version: int | None = None) -> list[ReviewCase]:
        c = t.review_cases.c
        query = select(t.review_cases).where(c.operation_id == operation_id)
        if version is not None:
            query = query.where(c.version == version)
        return self._load(self._c.execute(query.order_by(c.version, c.created_at, c.id)).all())

    def of_reviewer(self, party_id: str, page: Page, open_only: bool) -> list[ReviewCase]:
        c = t.review_cases.c
        query = select(t.review_cases).where(c.reviewer_party_id == party_id)
        if open_only:
            query = query.where(c.state == CaseState.OPEN.value)
        query = query.order_by(c.created_at.desc(), c.id).limit(page.limit).offset(page.offset)
        return self._load(self._c.execute(query).all())

    def due(self, now: datetime, limit: int) -> list[ReviewCase]:
        c = t.review_cases.c
        query = (
            select(t.review_cases)
            .where(c.state == CaseState.OPEN.value, c.due_at.is_not(None), c.due_at <= now)
            .order_by(c.due_at)
            .limit(limit)
        )
        return self._load(self._c.execute(query).all())


class SqlSuggestions:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def add(
        self, operation_id: str, version: int, suggestion: Suggestion, created_at: datetime
    ) -> None:
        self._c.execute(
            insert(t.suggestions).values(
                id=suggestion.id,
                operation_id=operation_id,
                version=version,
                kind=suggestion.kind.value,
                summary=suggestion.summary,
                volumes=[codec.volume_to_json(v) for v in suggestion.volumes],
                created_at=created_at,
                party_id=suggestion.party_id,
            )
        )

    def of_version(self, operation_id: str, version: int) -> list[Suggestion]:
        s = t.suggestions.c
        rows = self._c.execute(
            select(t.suggestions)
            .where(s.operation_id == operation_id, s.version == version)
            .order_by(s.created_at, s.id)
        )
        return [
            Suggestion(
                row.id,
                SuggestionKind(row.kind),
                row.summary,
                tuple(codec.volume_from_json(v) for v in row.volumes),
                row.party_id,
            )
            for row in rows
        ]


class SqlNotices:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    @staticmethod
    def _notice(row: Row[Any]) -> Notice:
        outline = None if row.outline is None else codec.footprint_from_json(row.outline)
        return Notice(
            id=row.id,
            kind=NoticeKind(row.kind),
            operation_id=row.operation_id,
            version=row.version,
            submitter_party_id=row.submitter_party_id,
            recipient_party_id=row.recipient_party_id,
            agreement_id=row.agreement_id,
            zone_id=row.zone_id,
            outline=outline if isinstance(outline, Polygon) else None,
            altitude=None if row.altitude is None else codec.band_from_json(row.altitude),
            time=None if row.time is None else codec.window_from_json(row.time),
            created_at=row.created_at,
            ack=AckState(row.ack),
            ack_comment=row.ack_comment,
            acked_at=row.acked_at,
            acked_by=row.acked_by,
        )

    def add(self, notice: Notice) -> None:
        self._c.execute(
            insert(t.notices).values(
                id=notice.id,
                kind=notice.kind.value,
                operation_id=notice.operation_id,
                version=notice.version,
                submitter_party_id=notice.submitter_party_id,
                recipient_party_id=notice.recipient_party_id,
                agreement_id=notice.agreement_id,
                zone_id=notice.zone_id,
                outline=None if notice.outline is None else codec.footprint_to_json(notice.outline),
                altitude=None if notice.altitude is None else codec.band_to_json(notice.altitude),
                time=None if notice.time is None else codec.window_to_json(notice.time),
                created_at=notice.created_at,
                ack=notice.ack.value,
                ack_comment=notice.ack_comment,
                acked_at=notice.acked_at,
                acked_by=notice.acked_by,
            )
        )

    def get(self, notice_id: str) -> Notice | None:
        row = self._c.execute(select(t.notices).where(t.notices.c.id == notice_id)).first()
        return None if row is None else self._notice(row)

    def save(self, notice: Notice) -> None:
        self._c.execute(
            update(t.notices)
            .where(t.notices.c.id == notice.id)
            .values(
                ack=notice.ack.value,
                ack_comment=notice.ack_comment,
                acked_at=notice.acked_at,
                acked_by=notice.acked_by,
            )
        )

    def for_recipient(self, party_id: str, page: Page) -> list[Notice]:
        n = t.notices.c
        rows = self._c.execute(
            select(t.notices)
            .where(n.recipient_party_id == party_id)
            .order_by(n.created_at.desc(), n.id)
            .limit(page.limit)
            .offset(page.offset)
        )
        return [self._notice(r) for r in rows]

    def of_operation(self, operation_id: str) -> list[Notice]:
        n = t.notices.c
        rows = self._c.execute(
            select(t.notices).where(n.operation_id == operation_id).order_by(n.created_at, n.id)
        )
        return [self._notice(r) for r in rows]


class SqlSubscriptions:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    @staticmethod
    def _subscription(row: Row[Any]) -> Subscription:
        return Subscription(
            id=row.id,
            party_id=row.party_id,
            volume=codec.volume_from_json(row.volume),
            webhook_url=row.webhook_url,
            secret=row.secret,
            created_at=row.created_at,
            next_sequence=row.next_sequence,
        )

    def add(self, subscription: Subscription) -> None:
        self._c.execute(
            insert(t.subscriptions).values(
                id=subscription.id,
                party_id=subscription.party_id,
                volume=codec.volume_to_json(subscription.volume),
                webhook_url=subscription.webhook_url,
                secret=subscription.secret,
                created_at=subscription.created_at,
                next_sequence=subscription.next_sequence,
            )
        )

    def get(self, subscription_id: str) -> Subscription | None:
        row = self._c.execute(
            select(t.subscriptions).where(t.subscriptions.c.id == subscription_id)
        ).first()
        return None if row is None else self._subscription(row)

    def delete(self, subscription_id: str) -> None:
        events = select(t.outbox_events.c.id).where(
            t.outbox_events.c.subscription_id == subscription_id
        )
        self._c.execute(delete(t.deliveries).where(t.deliveries.c.event_id.in_(events)))
        self._c.execute(
            delete(t.outbox_events).where(t.outbox_events.c.subscription_id == subscription_id)
        )
        self._c.execute(delete(t.subscriptions).where(t.subscriptions.c.id == subscription_id))

    def of_party(self, party_id: str) -> list[Subscription]:
        s = t.subscriptions.c
        rows = self._c.execute(
            select(t.subscriptions).where(s.party_id == party_id).order_by(s.created_at, s.id)
        )
        return [self._subscription(r) for r in rows]


class SqlOutbox:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    @staticmethod
    def _event(row: Row[Any]) -> OutboxEvent:
        return OutboxEvent(
            id=row.id,
            subscription_id=row.subscription_id,
            party_id=row.party_id,
            sequence=row.sequence,
            type=EventType(row.type),
            payload=row.payload,
            created_at=row.created_at,
        )

    def append(self, subscription: Subscription, event: Event, now: datetime) -> OutboxEvent:
        # Bumping the counter row serialises appends per subscription (the row lock; under
        # SERIALIZABLE also a retry), so sequences have no gaps and no duplicates at any
        # isolation level: the increment reads the row as it is when locked.
        s = t.subscriptions.c
        sequence = self._c.execute(
            update(t.subscriptions)
            .where(s.id == subscription.id)
            .values(next_sequence=s.next_sequence + 1)
            .returning(s.next_sequence - 1)
        ).scalar_one()
        subscription.next_sequence = sequence + 1
        event_id = self._c.execute(
            insert(t.outbox_events)
            .values(
                subscription_id=subscription.id,
                party_id=event.party_id,
                sequence=sequence,
                type=event.type.value,
                payload=event.payload,
                created_at=now,
            )
            .returning(t.outbox_events.c.id)
        ).scalar_one()
        if subscription.webhook_url:
            self._c.execute(
                insert(t.deliveries).values(
                    event_id=event_id,
                    subscription_id=subscription.id,
                    sequence=sequence,
                    url=subscription.webhook_url,
                    state=DeliveryState.PENDING.value,
                    attempts=0,
                    next_attempt_at=now,
                )
            )
        return OutboxEvent(
            event_id, subscription.id, event.party_id, sequence, event.type, event.payload, now
        )

    def events_after(
        self, party_id: str, positions: Mapping[str, int], limit: int
    ) -> list[OutboxEvent]:
        e = t.outbox_events.c
        subscriptions = select(t.subscriptions.c.id).where(t.subscriptions.c.party_id == party_id)
        past = [
            and_(e.subscription_id == sub_id, e.sequence <= seq)
            for sub_id, seq in positions.items()
        ]
        query = select(t.outbox_events).where(
            e.party_id == party_id, e.subscription_id.in_(subscriptions)
        )
        if past:
            query = query.where(~or_(*past))
        rows = self._c.execute(
            query.order_by(e.created_at, e.subscription_id, e.sequence).limit(limit)
        )
        return [self._event(r) for r in rows]

    def any_due(self, now: datetime) -> bool:
        d = t.deliveries.c
        free = or_(d.lease_until.is_(None), d.lease_until < now)
        due = select(d.event_id).where(
            d.state == DeliveryState.PENDING.value, d.next_attempt_at <= now, free
        )
        return self._c.execute(due.limit(1)).first() is not None

    def claim(
        self, owner: str, now: datetime, lease_until: datetime, limit: int
    ) -> list[ClaimedDelivery]:
        d = t.deliveries.c
        earlier = t.deliveries.alias("earlier")
        head_of_line = ~(
            select(earlier.c.event_id)
            .where(
                earlier.c.subscription_id == d.subscription_id,
                earlier.c.state == DeliveryState.PENDING.value,
                earlier.c.sequence < d.sequence,
            )
            .exists()
        )
        free = or_(d.lease_until.is_(None), d.lease_until < now)
        due = (
            select(d.event_id)
            .where(
                d.state == DeliveryState.PENDING.value, d.next_attempt_at <= now, free, head_of_line
            )
            .order_by(d.next_attempt_at)
            .limit(limit)
        )
        claimed = []
        for event_id in self._c.execute(due).scalars().all():
            # Conditional on the lease still being free: of two dispatchers, one wins.
            won = self._c.execute(
                update(t.deliveries)
                .where(d.event_id == event_id, free)
                .values(lease_owner=owner, lease_until=lease_until)
            ).rowcount
            if won:
                claimed.append(event_id)
        if not claimed:
            return []
        rows = self._c.execute(
            select(t.outbox_events, d.url, d.attempts, t.subscriptions.c.secret)
            .join(t.deliveries, d.event_id == t.outbox_events.c.id)
            .join(t.subscriptions, t.subscriptions.c.id == t.outbox_events.c.subscription_id)
            .where(t.outbox_events.c.id.in_(claimed))
            .order_by(t.outbox_events.c.subscription_id, t.outbox_events.c.sequence)
        )
        return [ClaimedDelivery(self._event(r), r.url, r.secret, r.attempts) for r in rows]

    def delivered(self, event_id: int, owner: str, now: datetime) -> None:
        d = t.deliveries.c
        self._c.execute(
            update(t.deliveries)
            .where(d.event_id == event_id, d.lease_owner == owner)
            .values(
                state=DeliveryState.DELIVERED.value,
                attempts=d.attempts + 1,
                delivered_at=now,
                last_error=None,
                lease_owner=None,
                lease_until=None,
            )
        )

    def failed(
        self, event_id: int, owner: str, error: str, next_attempt_at: datetime | None
    ) -> None:
        d = t.deliveries.c
        values: dict[str, Any] = {
            "attempts": d.attempts + 1,
            "last_error": error[:2000],
            "lease_owner": None,
            "lease_until": None,
        }
        if next_attempt_at is None:
            values["state"] = DeliveryState.DEAD.value
        else:
            values["next_attempt_at"] = next_attempt_at
        self._c.execute(
            update(t.deliveries)
            .where(d.event_id == event_id, d.lease_owner == owner)
            .values(**values)
        )

    def deliveries(self, subscription_id: str, page: Page) -> list[Delivery]:
        d = t.deliveries.c
        rows = self._c.execute(
            select(
                t.outbox_events,
                d.url,
                d.state,
                d.attempts,
                d.next_attempt_at,
                d.last_error,
                d.delivered_at,
            )
            .join(t.deliveries, d.event_id == t.outbox_events.c.id)
            .where(d.subscription_id == subscription_id)
            .order_by(d.sequence.desc())
            .limit(page.limit)
            .offset(page.offset)
        )
        return [
            Delivery(
                event=self._event(r),
                url=r.url,
                state=DeliveryState(r.state),
                attempts=r.attempts,
                next_attempt_at=r.next_attempt_at,
                last_error=r.last_error,
                delivered_at=r.delivered_at,
            )
            for r in rows
        ]


class SqlAudit:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    @staticmethod
    def _event(row: Row[Any]) -> AuditEvent:
        draft = AuditDraft(
            at=row.at,
            subject=row.subject,
            party_id=row.party_id,
            roles=tuple(row.roles),
            action=row.action,
            object_type=row.object_type,
            object_id=row.object_id,
            before=row.before_digest,
            after=row.after_digest,
            parties=tuple(row.parties),
        )
        return AuditEvent(row.seq, draft, row.prev_hash, row.hash)

    def _tail(self, chain: str) -> AuditEvent | None:
        a = t.audit_events.c
        row = self._c.execute(
            select(t.audit_events).where(a.chain_id == chain).order_by(a.seq.desc()).limit(1)
        ).first()
        return None if row is None else self._event(row)

    def append(self, draft: AuditDraft) -> AuditEvent:
        return self.append_many([draft])[0]

    def append_many(self, drafts: Sequence[AuditDraft]) -> list[AuditEvent]:
        # Only the tails of the chains written here are read: those of the objects this
        # transaction changes, so writers about different objects never meet here.
        tails: dict[str, AuditEvent | None] = {}
        events = []
        for draft in drafts:
            if draft.chain not in tails:
                tails[draft.chain] = None if draft.opens_chain else self._tail(draft.chain)
            event = tails[draft.chain] = chained(tails[draft.chain], draft)
            events.append(event)
        if not events:
            return []
        self._c.execute(
            insert(t.audit_events),
            [
                {
                    "chain_id": e.chain,
                    "seq": e.seq,
                    "at": e.draft.at,
                    "subject": e.draft.subject,
                    "party_id": e.draft.party_id,
                    "roles": list(e.draft.roles),
                    "action": e.draft.action,
                    "object_type": e.draft.object_type,
                    "object_id": e.draft.object_id,
                    "before_digest": e.draft.before,
                    "after_digest": e.draft.after,
                    "parties": list(e.draft.parties),
                    "prev_hash": e.prev_hash,
                    "hash": e.hash,
                }
                for e in events
            ],
        )
        # The rows of audit_parties (who may read each event) and audit_unanchored (what
        # the next anchor takes) follow by trigger (migration 0010).
        return events

    def concerning(
        self, party_id: str, page: Page, object_id: str | None = None
    ) -> list[AuditEvent]:
        a, p = t.audit_events.c, t.audit_parties.c
        query = (
            select(t.audit_events)
            .join(t.audit_parties, and_(p.chain_id == a.chain_id, p.seq == a.seq))
            .where(p.party_id == party_id)
        )
        if object_id is not None:
            query = query.where(a.object_id == object_id)
        query = (
            query.order_by(p.at.desc(), p.chain_id, p.seq.desc())
            .limit(page.limit)
            .offset(page.offset)
        )
        return [self._event(r) for r in self._c.execute(query)]

    def in_order(self, after: tuple[str, int] | None, limit: int) -> list[AuditEvent]:
        a = t.audit_events.c
        query = select(t.audit_events)
        if after is not None:
            chain, seq = after
            query = query.where(or_(a.chain_id > chain, and_(a.chain_id == chain, a.seq > seq)))
        rows = self._c.execute(query.order_by(a.chain_id, a.seq).limit(limit))
        return [self._event(r) for r in rows]

    def unanchored_heads(self, limit: int) -> list[Head]:
        u, a = t.audit_unanchored.c, t.audit_events.c
        rows = self._c.execute(
            select(u.chain_id, func.max(u.seq).label("seq"))
            .group_by(u.chain_id)
            .order_by(u.chain_id)
            .limit(limit)
        ).all()
        if not rows:
            return []
        hashes = self._c.execute(
            select(a.chain_id, a.seq, a.hash).where(
                tuple_(a.chain_id, a.seq).in_([(r.chain_id, r.seq) for r in rows])
            )
        )
        return [Head(r.chain_id, r.seq, r.hash) for r in hashes]

    def last_anchor(self) -> Anchor | None:
        anchors = self._anchors(
            select(t.audit_anchors).order_by(t.audit_anchors.c.seq.desc()).limit(1)
        )
        return anchors[0] if anchors else None

    def _anchors(self, query: Any) -> list[Anchor]:
        rows = self._c.execute(query).all()
        if not rows:
            return []
        h = t.audit_anchor_heads.c
        heads: dict[int, list[Head]] = {r.seq: [] for r in rows}
        for r in self._c.execute(
            select(h.anchor_seq, h.chain_id, h.seq, h.hash).where(h.anchor_seq.in_(list(heads)))
        ):
            heads[r.anchor_seq].append(Head(r.chain_id, r.seq, r.hash))
        return [Anchor(r.seq, r.at, tuple(sorted(heads[r.seq])), r.prev_hash, r.hash) for r in rows]

    def add_anchor(self, anchor: Anchor) -> None:
        self._c.execute(
            insert(t.audit_anchors).values(
                seq=anchor.seq, at=anchor.at, prev_hash=anchor.prev_hash, hash=anchor.hash
            )
        )
        self._c.execute(
            insert(t.audit_anchor_heads),
            [
                {"anchor_seq": anchor.seq, "chain_id": h.chain, "seq": h.seq, "hash": h.hash}
                for h in anchor.heads
            ],
        )
        u = t.audit_unanchored.c
        for start in range(0, len(anchor.heads), 500):
            chunk = anchor.heads[start : start + 500]
            self._c.execute(
                delete(t.audit_unanchored).where(
                    or_(*(and_(u.chain_id == h.chain, u.seq <= h.seq) for h in chunk))
                )
            )

    def anchors_in_order(self, after_seq: int, limit: int) -> list[Anchor]:
        a = t.audit_anchors.c
        return self._anchors(
            select(t.audit_anchors).where(a.seq > after_seq).order_by(a.seq).limit(limit)
        )

    def broken_heads(self, limit: int) -> list[Head]:
        h, a = t.audit_anchor_heads.c, t.audit_events.c
        rows = self._c.execute(
            select(h.chain_id, h.seq, h.hash)
            .select_from(
                t.audit_anchor_heads.outerjoin(
                    t.audit_events, and_(a.chain_id == h.chain_id, a.seq == h.seq)
                )
            )
            .where(or_(a.hash.is_(None), a.hash != h.hash))
            .order_by(h.anchor_seq, h.chain_id)
            .limit(limit)
        )
        return [Head(r.chain_id, r.seq, r.hash) for r in rows]

    def unanchored_count(self) -> int:
        count = self._c.execute(select(func.count()).select_from(t.audit_unanchored)).scalar()
        return int(count or 0)


class SqlLeases:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def acquire(self, name: str, owner: str, now: datetime, until: datetime) -> bool:
        lease = t.leases.c
        taken = self._c.execute(
            update(t.leases)
            .where(lease.name == name, or_(lease.owner == owner, lease.until < now))
            .values(owner=owner, until=until)
        ).rowcount
        if taken:
            return True
        if self._c.execute(select(lease.name).where(lease.name == name)).first() is not None:
            return False
        # A concurrent first insert makes this one a unique violation: the unit of work
        # runs again and then finds the other's lease.
        self._c.execute(insert(t.leases).values(name=name, owner=owner, until=until))
        return True


class SqlIdempotency:
    def __init__(self, conn: Connection) -> None:
        self._c = conn

    def get(self, party_id: str, key: str, since: datetime) -> IdempotentAnswer | None:
        k = t.idempotency_keys.c
        row = self._c.execute(
            select(t.idempotency_keys).where(
                k.party_id == party_id, k.key == key, k.created_at >= since
            )
        ).first()
        if row is None:
            return None
        return IdempotentAnswer(row.fingerprint, row.status_code, row.response, row.created_at)

    def put(self, party_id: str, key: str, answer: IdempotentAnswer, since: datetime) -> None:
        k = t.idempotency_keys.c
        # Only an expired answer gives way: a live one makes the insert a unique violation.
        self._c.execute(
            delete(t.idempotency_keys).where(
                k.party_id == party_id, k.key == key, k.created_at < since
            )
        )
        self._c.execute(
            insert(t.idempotency_keys).values(
                party_id=party_id,
                key=key,
                fingerprint=answer.fingerprint,
                status_code=answer.status_code,
                response=answer.response,
                created_at=answer.created_at,
            )
        )

    def expire(self, before: datetime, limit: int) -> int:
        k = t.idempotency_keys.c
        old = self._c.execute(
            select(k.party_id, k.key).where(k.created_at < before).limit(limit)
        ).all()
        for start in range(0, len(old), 500):
            chunk = old[start : start + 500]
            self._c.execute(
                delete(t.idempotency_keys).where(
                    tuple_(k.party_id, k.key).in_([(r.party_id, r.key) for r in chunk])
                )
            )
        return len(old)


class SqlTransaction:
    """Implements services.ports.Transaction on one connection."""

    def __init__(
        self,
        conn: Connection,
        frames: FrameFactory,
        relations: RelationsCache | None = None,
        write: bool = True,
        big: bool = False,
        known_parties: set[str] | None = None,
    ) -> None:
        claims = spatial.Claims(conn, big) if write and conn.dialect.name != "sqlite" else None
        self.parties: PartyRepository = SqlParties(conn, known_parties)
        self.agreements: AgreementRepository = SqlAgreements(conn)
        zones = SqlZones(conn, frames)
        self.zones: ZoneRepository = zones
        self.operations: OperationRepository = SqlOperations(conn, frames, claims)
        self.airspace: AirspaceRepository = SqlAirspace(
            conn, RelationsCache() if relations is None else relations, zones, claims
        )
        self.reviews: ReviewRepository = SqlReviews(conn)
        self.suggestions: SuggestionRepository = SqlSuggestions(conn)
        self.notices: NoticeRepository = SqlNotices(conn)
        self.subscriptions: SubscriptionRepository = SqlSubscriptions(conn)
        self.outbox: OutboxRepository = SqlOutbox(conn)
        self.audit: AuditRepository = SqlAudit(conn)
        self.leases: LeaseRepository = SqlLeases(conn)
        self.idempotency: IdempotencyRepository = SqlIdempotency(conn)
        self.f3548: F3548Repository = SqlF3548(conn, frames)


def _sqlstate(error: DBAPIError) -> str | None:
    state = getattr(error.orig, "sqlstate", None)
    if state is None and "UNIQUE constraint failed" in str(error.orig):
        return _UNIQUE_VIOLATION  # SQLite names no SQLSTATE
    return state if isinstance(state, str) else None


def _retryable(error: DBAPIError) -> bool:
    if _sqlstate(error) in _RETRYABLE_SQLSTATES:
        return True
    # A pooled connection the server closed (restart, idle timeout): the pool drops it
    # when it fails, and the work runs again on a fresh one. No pre-ping round trip.
    return error.connection_invalidated or "database is locked" in str(error.orig)


def _out_of_resources(error: DBAPIError) -> bool:
    """The server is short of something (memory, lock table, connections) or refuses
    new work now: an overload, not a bug."""
    state = _sqlstate(error) or ""
    return state.startswith(("53", "57P03")) or state == "55P03"


class SqlUnitOfWork:
    """Implements services.ports.UnitOfWork over an engine.

    Retries back off exponentially with full jitter and stop at `retry_budget_s` after
    the first attempt began: the caller then gets `Unavailable` (503 + Retry-After at the
    API), as for a server out of resources or a pool with no free connection."""

    def __init__(self, engine: Engine, frames: FrameFactory, retry_budget_s: float = 2.0) -> None:
        self.engine = engine
        self._frames = frames
        self._serializable = engine.dialect.name != "sqlite"
        self.retry_budget_s = retry_budget_s
        self._relations = RelationsCache()
        self._parties: set[str] = set()  # registered parties seen (never removed)

    def _options(self, write: bool, serializable: bool, snapshot: bool) -> dict[str, Any]:
        options: dict[str, Any] = {"deconflict_write": write}
        if self._serializable:
            if not (write or snapshot):
                options["isolation_level"] = "AUTOCOMMIT"
            elif not write:
                options["isolation_level"] = "REPEATABLE READ"
            else:
                options["isolation_level"] = "SERIALIZABLE" if serializable else "READ COMMITTED"
        return options

    def run(
        self,
        work: Callable[[Transaction], T],
        *,
        write: bool = True,
        serializable: bool = True,
        snapshot: bool = True,
    ) -> T:
        options = self._options(write, serializable, snapshot)
        deadline = time.monotonic() + self.retry_budget_s
        big = False
        for attempt in itertools.count(1):
            try:
                with self.engine.connect().execution_options(**options) as conn, conn.begin():
                    return work(
                        SqlTransaction(
                            conn, self._frames, self._relations, write, big, self._parties
                        )
                    )
            except spatial.BigClaimNeeded:
                big = True  # again, as a big writer: its lock before any snapshot
                continue
            except PoolTimeout as error:
                log.warning("no free database connection: %s", error)
                raise Unavailable("the database has no free connection; retry shortly") from None
            except DBAPIError as error:
                if _out_of_resources(error):
                    log.warning("database out of resources: %s", error.orig)
                    raise Unavailable("the database is overloaded; retry shortly") from None
                if not _retryable(error):
                    raise
                if _sqlstate(error) == _UNIQUE_VIOLATION and attempt >= _UNIQUE_ATTEMPTS:
                    raise  # still there after re-reading: a real duplicate, not a race
                pause_s = random.uniform(0, min(0.25, 0.002 * 2**attempt))  # noqa: S311
                if time.monotonic() + pause_s >= deadline:
                    log.warning(
                        "gave up after %d attempts in %.1f s: %s",
                        attempt,
                        self.retry_budget_s,
                        error.orig,
                    )
                    raise Contended(
                        "too much contention on the data this request changes; retry shortly"
                    ) from None
                time.sleep(pause_s)
        raise AssertionError("unreachable")  # pragma: no cover
