"""The demo scenario: three fictional parties around the fictional Isle of Veloria.

Everything is loaded through the ordinary services, so the demo shows what users get.
Veloria sits over open ocean (around 30 S, 140 W), far from any real airspace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from deconflict.domain.conflicts import Separation
from deconflict.domain.geometry import FrameFactory
from deconflict.domain.model import AgreementKind, Caller, Party, Role, ZoneKind
from deconflict.domain.volumes import AltitudeBand, Circle, LatLng, Polygon, TimeWindow, Volume4D

from . import operations as ops
from . import registry
from .context import ServiceContext
from .ports import Transaction, UnitOfWork

OPERATOR = "Northwind Aerial Works"
REVIEWER = "Veloria Coastal Command"
NEIGHBOUR = "Harbor Survey Cooperative"
ALL_ROLES: frozenset[str] = frozenset(Role)


@dataclass(frozen=True, slots=True)
class DemoParties:
    operator: Party
    reviewer: Party
    neighbour: Party

    def all(self) -> tuple[Party, Party, Party]:
        return (self.operator, self.reviewer, self.neighbour)


def _as(party: Party) -> Caller:
    return Caller(subject=f"demo:{party.name}", party_id=party.id, roles=ALL_ROLES)


def _offset(frames: FrameFactory, origin: LatLng, east_m: float, north_m: float) -> LatLng:
    lngs, lats = frames(origin).to_lnglat([east_m], [north_m])
    return LatLng(float(lats[0]), float(lngs[0]))


def _box(
    frames: FrameFactory, origin: LatLng, x_m: float, y_m: float, w_m: float, h_m: float
) -> Polygon:
    return Polygon(
        tuple(
            _offset(frames, origin, x, y)
            for x, y in ((x_m, y_m), (x_m + w_m, y_m), (x_m + w_m, y_m + h_m), (x_m, y_m + h_m))
        )
    )


def find_demo(uow: UnitOfWork) -> DemoParties | None:
    """The demo parties if the scenario is loaded already, else None."""

    def work(tx: Transaction) -> DemoParties | None:
        found = [tx.parties.by_name(n) for n in (OPERATOR, REVIEWER, NEIGHBOUR)]
        if found[0] is None or found[1] is None or found[2] is None:
            return None
        return DemoParties(found[0], found[1], found[2])

    return uow.run(work, write=False)


def load_demo(uow: UnitOfWork, ctx: ServiceContext, start: datetime) -> DemoParties:
    """Loads the scenario, with operations from `start` on (tomorrow morning, say)."""
    admin = Caller("demo:loader", "demo-loader", frozenset({Role.ADMIN}))
    parties = DemoParties(
        registry.create_party(uow, ctx, admin, OPERATOR),
        registry.create_party(uow, ctx, admin, REVIEWER),
        registry.create_party(uow, ctx, admin, NEIGHBOUR),
    )
    operator, reviewer, neighbour = (_as(p) for p in parties.all())
    f = ctx.frames
    isle = LatLng(-30.0, -140.0)

    coordination = registry.propose_agreement(
        uow,
        ctx,
        operator,
        registry.AgreementCreate(
            AgreementKind.COORDINATION, parties.reviewer.id, Separation(100.0, 15.0, 120.0)
        ),
    )
    registry.accept_agreement(uow, reviewer, coordination.id)
    deconfliction = registry.propose_agreement(
        uow,
        ctx,
        operator,
        registry.AgreementCreate(AgreementKind.DECONFLICTION, parties.neighbour.id, None),
    )
    registry.accept_agreement(uow, neighbour, deconfliction.id)

    def zone(
        by: Caller,
        kind: ZoneKind,
        name: str,
        footprint: Polygon | Circle,
        top_m: float,
        periods: tuple[TimeWindow, ...] = (),
    ) -> None:
        registry.create_zone(
            uow,
            ctx,
            by,
            registry.ZoneCreate(kind, name, footprint, AltitudeBand(0.0, top_m), periods),
        )

    day = timedelta(days=1)
    zone(reviewer, ZoneKind.REVIEW, "Range Alpha", Circle(_offset(f, isle, 8000, 6000), 6000), 1500)
    zone(
        reviewer,
        ZoneKind.RESTRICTED,
        "Fuel Depot Kestrel",
        _box(f, isle, -9000, -4000, 2500, 2000),
        600,
    )
    zone(
        reviewer,
        ZoneKind.REVIEW,
        "Coastal Radar Sector (exercise days)",
        _box(f, isle, -15000, 9000, 9000, 6000),
        3000,
        tuple(TimeWindow(start + i * day, start + i * day + timedelta(hours=10)) for i in (0, 2)),
    )
    zone(
        neighbour,
        ZoneKind.NOTIFY,
        "Harbor Approaches",
        _box(f, isle, 2000, -14000, 10000, 5000),
        400,
    )

    def window(day_offset: int, hour: float, hours: float) -> TimeWindow:
        begin = start + day_offset * day + timedelta(hours=hour)
        return TimeWindow(begin, begin + timedelta(hours=hours))

    def submit(by: Caller, name: str, *volumes: Volume4D, priority: int = 0) -> str:
        return ops.submit_operation(
            uow, ctx, by, ops.OperationCommand(name, priority, tuple(volumes))
        ).operation.id

    def circle(east_m: float, north_m: float, radius_m: float) -> Circle:
        return Circle(_offset(f, isle, east_m, north_m), radius_m)

    low, mid = AltitudeBand(20.0, 120.0), AltitudeBand(100.0, 400.0)
    # The reviewer's own flying, which the operator's plans must not disrupt.
    submit(
        reviewer,
        "Range Alpha live firing window",
        Volume4D(circle(8000, 6000, 4000), AltitudeBand(0, 1200), window(0, 2, 3)),
        priority=80,
    )
    submit(
        reviewer,
        "Coastal patrol, north arc",
        Volume4D(_box(f, isle, -12000, 10000, 6000, 3000), mid, window(1, 3, 2)),
        priority=60,
    )
    # Operator: in review (Range Alpha), approved, notified, versioned, withdrawn.
    submit(
        operator, "Lighthouse inspection", Volume4D(circle(9000, 5000, 500), low, window(0, 3, 1.5))
    )
    submit(operator, "Cliff survey east", Volume4D(circle(11000, 9000, 700), low, window(1, 6, 2)))
    submit(
        operator,
        "Orchard mapping",
        Volume4D(_box(f, isle, -3000, 2000, 1500, 1200), low, window(0, 1, 2)),
    )
    submit(operator, "Beach patrol south", Volume4D(circle(1000, -6000, 800), low, window(1, 0, 3)))
    submit(
        operator,
        "Harbor crane inspection",
        Volume4D(circle(6000, -12000, 400), low, window(0, 5, 1)),
    )
    moved = submit(
        operator, "Radio mast check", Volume4D(circle(-2000, -2000, 300), low, window(2, 1, 1))
    )
    ops.update_operation(
        uow,
        ctx,
        operator,
        moved,
        ops.OperationCommand(
            "Radio mast check", 0, (Volume4D(circle(-2500, -1500, 300), low, window(2, 2, 1)),)
        ),
    )
    dropped = submit(
        operator,
        "Wildlife count (cancelled)",
        Volume4D(circle(4000, 3000, 900), low, window(1, 2, 2)),
    )
    ops.withdraw_operation(uow, ctx, operator, dropped)
    submit(
        operator,
        "Radar sector calibration",
        Volume4D(_box(f, isle, -13000, 10000, 2000, 2000), mid, window(0, 4, 1)),
    )
    # The neighbour's own work on the harbour.
    submit(
        neighbour,
        "Channel depth survey",
        Volume4D(_box(f, isle, 3000, -13000, 3000, 2000), low, window(0, 4, 3)),
    )
    submit(neighbour, "Buoy maintenance", Volume4D(circle(9000, -11000, 600), low, window(1, 1, 2)))
    return parties
