"""SQL repository of the ASTM F3548-21 DSS view (services.ports.F3548Repository)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, or_, select, update
from sqlalchemy.engine import Row

from deconflict.domain.f3548 import (
    Availability,
    ConstraintRef,
    DssSubscription,
    IntentRef,
    IntentState,
    Notified,
    Report,
    UssAvailability,
)
from deconflict.domain.geometry import FrameFactory
from deconflict.domain.volumes import Volume4D

from . import codec
from . import tables as t
from .cells import cover


def _volumes_to_json(volumes: Sequence[Volume4D]) -> list[Any]:
    return [codec.volume_to_json(v) for v in volumes]


def _volumes_from_json(data: Sequence[Any]) -> tuple[Volume4D, ...]:
    return tuple(codec.volume_from_json(v) for v in data)


class SqlF3548:
    def __init__(self, conn: Connection, frames: FrameFactory) -> None:
        self._c = conn
        self._frames = frames

    # ---- subjects ----

    def party_of(self, subject: str) -> str | None:
        s = t.f3548_subjects.c
        party: str | None = self._c.execute(
            select(s.party_id).where(s.subject == subject)
        ).scalar_one_or_none()
        return party

    def set_subjects(self, party_id: str, subjects: Sequence[str]) -> None:
        s = t.f3548_subjects.c
        self._c.execute(delete(t.f3548_subjects).where(s.party_id == party_id))
        if subjects:
            self._c.execute(
                insert(t.f3548_subjects),
                [{"subject": subject, "party_id": party_id} for subject in subjects],
            )

    # ---- intents ----

    @staticmethod
    def _intent(row: Row[Any]) -> IntentRef:
        return IntentRef(
            id=row.id,
            manager=row.manager,
            party_id=row.party_id,
            operation_id=row.operation_id,
            version=row.version,
            ovn=row.ovn,
            state=IntentState(row.state),
            extents=_volumes_from_json(row.extents),
            uss_base_url=row.uss_base_url,
            subscription_id=row.subscription_id,
            updated_at=row.updated_at,
        )

    def get_intent(self, intent_id: str) -> IntentRef | None:
        row = self._c.execute(
            select(t.f3548_intents).where(t.f3548_intents.c.id == intent_id)
        ).first()
        return None if row is None else self._intent(row)

    def intents_of_operations(self, operation_ids: Sequence[str]) -> list[IntentRef]:
        found: list[IntentRef] = []
        ids = list(operation_ids)
        for start in range(0, len(ids), 500):
            rows = self._c.execute(
                select(t.f3548_intents).where(
                    t.f3548_intents.c.operation_id.in_(ids[start : start + 500])
                )
            )
            found.extend(self._intent(r) for r in rows)
        return found

    def put_intent(self, intent: IntentRef) -> None:
        self.delete_intent(intent.id)
        self._c.execute(
            insert(t.f3548_intents).values(
                id=intent.id,
                manager=intent.manager,
                party_id=intent.party_id,
                operation_id=intent.operation_id,
                version=intent.version,
                ovn=intent.ovn,
                state=intent.state.value,
                extents=_volumes_to_json(intent.extents),
                uss_base_url=intent.uss_base_url,
                subscription_id=intent.subscription_id,
                updated_at=intent.updated_at,
            )
        )

    def delete_intent(self, intent_id: str) -> None:
        self._c.execute(delete(t.f3548_intents).where(t.f3548_intents.c.id == intent_id))

    # ---- constraints ----

    @staticmethod
    def _constraint(row: Row[Any]) -> ConstraintRef:
        return ConstraintRef(
            id=row.id,
            manager=row.manager,
            party_id=row.party_id,
            zone_ids=tuple(row.zone_ids),
            version=row.version,
            ovn=row.ovn,
            extents=_volumes_from_json(row.extents),
            uss_base_url=row.uss_base_url,
            updated_at=row.updated_at,
        )

    def get_constraint(self, constraint_id: str) -> ConstraintRef | None:
        row = self._c.execute(
            select(t.f3548_constraints).where(t.f3548_constraints.c.id == constraint_id)
        ).first()
        return None if row is None else self._constraint(row)

    def constraints_of_zones(self, zone_ids: Sequence[str]) -> list[ConstraintRef]:
        ids = list(zone_ids)
        found: dict[str, ConstraintRef] = {}
        for start in range(0, len(ids), 500):
            owners = select(t.f3548_constraint_zones.c.constraint_id).where(
                t.f3548_constraint_zones.c.zone_id.in_(ids[start : start + 500])
            )
            rows = self._c.execute(
                select(t.f3548_constraints).where(t.f3548_constraints.c.id.in_(owners))
            )
            found.update((r.id, self._constraint(r)) for r in rows)
        return list(found.values())

    def put_constraint(self, constraint: ConstraintRef) -> None:
        self.delete_constraint(constraint.id)
        self._c.execute(
            insert(t.f3548_constraints).values(
                id=constraint.id,
                manager=constraint.manager,
                party_id=constraint.party_id,
                zone_ids=list(constraint.zone_ids),
                version=constraint.version,
                ovn=constraint.ovn,
                extents=_volumes_to_json(constraint.extents),
                uss_base_url=constraint.uss_base_url,
                updated_at=constraint.updated_at,
            )
        )
        self._c.execute(
            insert(t.f3548_constraint_zones),
            [{"zone_id": z, "constraint_id": constraint.id} for z in constraint.zone_ids],
        )

    def delete_constraint(self, constraint_id: str) -> None:
        self._c.execute(
            delete(t.f3548_constraint_zones).where(
                t.f3548_constraint_zones.c.constraint_id == constraint_id
            )
        )
        self._c.execute(
            delete(t.f3548_constraints).where(t.f3548_constraints.c.id == constraint_id)
        )

    # ---- subscriptions ----

    def _subscriptions(self, rows: Sequence[Row[Any]]) -> list[DssSubscription]:
        if not rows:
            return []
        i = t.f3548_intents.c
        dependents: dict[str, list[str]] = {r.id: [] for r in rows}
        for intent_id, subscription_id in self._c.execute(
            select(i.id, i.subscription_id)
            .where(i.subscription_id.in_(list(dependents)))
            .order_by(i.id)
        ):
            dependents[subscription_id].append(intent_id)
        return [
            DssSubscription(
                id=r.id,
                manager=r.manager,
                party_id=r.party_id,
                version=r.version,
                notification_index=r.notification_index,
                volumes=_volumes_from_json(r.volumes),
                uss_base_url=r.uss_base_url,
                notify_for_operational_intents=r.notify_for_operational_intents,
                notify_for_constraints=r.notify_for_constraints,
                implicit=r.implicit,
                dependent_operational_intents=tuple(dependents[r.id]),
            )
            for r in rows
        ]

    def get_subscription(self, subscription_id: str) -> DssSubscription | None:
        rows = self._c.execute(
            select(t.f3548_subscriptions).where(t.f3548_subscriptions.c.id == subscription_id)
        ).all()
        found = self._subscriptions(rows)
        return found[0] if found else None

    def put_subscription(self, subscription: DssSubscription) -> None:
        self.delete_subscription(subscription.id)
        self._c.execute(
            insert(t.f3548_subscriptions).values(
                id=subscription.id,
                manager=subscription.manager,
                party_id=subscription.party_id,
                version=subscription.version,
                notification_index=subscription.notification_index,
                volumes=_volumes_to_json(subscription.volumes),
                uss_base_url=subscription.uss_base_url,
                notify_for_operational_intents=subscription.notify_for_operational_intents,
                notify_for_constraints=subscription.notify_for_constraints,
                implicit=subscription.implicit,
            )
        )
        cells: set[int] = set()
        for volume in subscription.volumes:
            cells.update(cover(volume.footprint, 0.0, self._frames))
        t_start = math.floor(subscription.time_start.timestamp())
        t_end = math.ceil(subscription.time_end.timestamp())
        self._c.execute(
            insert(t.f3548_subscription_cells),
            [
                {
                    "subscription_id": subscription.id,
                    "cell": cell,
                    "t_start_s": t_start,
                    "t_end_s": t_end,
                }
                for cell in sorted(cells)
            ],
        )

    def delete_subscription(self, subscription_id: str) -> None:
        self._c.execute(
            delete(t.f3548_subscription_cells).where(
                t.f3548_subscription_cells.c.subscription_id == subscription_id
            )
        )
        self._c.execute(
            delete(t.f3548_subscriptions).where(t.f3548_subscriptions.c.id == subscription_id)
        )

    def subscriptions_near(self, volumes: Sequence[Volume4D]) -> list[DssSubscription]:
        sc = t.f3548_subscription_cells.c
        near = or_(
            *(
                and_(
                    sc.cell.in_(cover(v.footprint, 0.0, self._frames)),
                    sc.t_start_s < math.ceil(v.time.end.timestamp()),
                    sc.t_end_s > math.floor(v.time.start.timestamp()),
                )
                for v in volumes
            )
        )
        ids = select(sc.subscription_id).where(near).distinct()
        rows = self._c.execute(
            select(t.f3548_subscriptions).where(t.f3548_subscriptions.c.id.in_(ids))
        ).all()
        return self._subscriptions(rows)

    def notify(self, subscription_ids: Sequence[str]) -> list[Notified]:
        s = t.f3548_subscriptions.c
        notified = []
        for subscription_id in subscription_ids:
            row = self._c.execute(
                update(t.f3548_subscriptions)
                .where(s.id == subscription_id)
                .values(notification_index=s.notification_index + 1)
                .returning(s.notification_index, s.uss_base_url)
            ).one()
            notified.append(Notified(subscription_id, row.notification_index, row.uss_base_url))
        return notified

    # ---- availability, reports ----

    def availability(self, uss: str) -> UssAvailability | None:
        row = self._c.execute(
            select(t.f3548_availability).where(t.f3548_availability.c.uss == uss)
        ).first()
        if row is None:
            return None
        return UssAvailability(row.uss, Availability(row.availability), row.version)

    def set_availability(self, status: UssAvailability) -> None:
        self._c.execute(
            delete(t.f3548_availability).where(t.f3548_availability.c.uss == status.uss)
        )
        self._c.execute(
            insert(t.f3548_availability).values(
                uss=status.uss, availability=status.availability.value, version=status.version
            )
        )

    def add_report(self, report: Report) -> None:
        self._c.execute(
            insert(t.f3548_reports).values(
                id=report.id,
                reporter=report.reporter,
                party_id=report.party_id,
                body=report.body,
                created_at=report.created_at,
            )
        )
