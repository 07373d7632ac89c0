"""Builders for the service unit tests: callers, shapes, volumes and a small world."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from deconflict.bootstrap import service_context
from deconflict.config import Settings
from deconflict.domain.conflicts import Separation
from deconflict.domain.model import (
    Agreement,
    AgreementKind,
    Caller,
    Role,
    Zone,
    ZoneKind,
)
from deconflict.domain.volumes import AltitudeBand, Circle, LatLng, Polygon, TimeWindow, Volume4D
from deconflict.services import operations, registry
from deconflict.services.context import ServiceContext
from tests.fakes import FakeUnitOfWork

T0 = datetime(2030, 1, 1, 10, tzinfo=UTC)
HERE = LatLng(47.0, 8.0)
#: About 55 km north of HERE: far beyond any separation used here.
FAR = LatLng(47.5, 8.0)

MAX_VOLUMES = 3
MAX_WINDOW_S = 6 * 3600.0
MAX_VERTICES = 8
MAX_AREA_KM2 = 100.0


def caller(party_id: str, *roles: str) -> Caller:
    return Caller(f"someone@{party_id}", party_id, frozenset(roles))


def admin(party_id: str) -> Caller:
    return caller(party_id, Role.ADMIN)


def submitter(party_id: str) -> Caller:
    return caller(party_id, Role.SUBMITTER)


#: The deployment's operator, who registers parties (its own party need not exist).
ROOT = caller("root", Role.OPERATOR)


def circle(center: LatLng = HERE, radius_m: float = 300.0) -> Circle:
    return Circle(center, radius_m)


def square(center: LatLng = HERE, half_deg: float = 0.01) -> Polygon:
    lat, lng = center.lat, center.lng
    return Polygon(
        (
            LatLng(lat - half_deg, lng - half_deg),
            LatLng(lat - half_deg, lng + half_deg),
            LatLng(lat + half_deg, lng + half_deg),
            LatLng(lat + half_deg, lng - half_deg),
        )
    )


def window(start: datetime = T0, hours: float = 1.0) -> TimeWindow:
    return TimeWindow(start, start + timedelta(hours=hours))


def volume(
    footprint: Circle | Polygon | None = None,
    *,
    lower_m: float = 0.0,
    upper_m: float = 120.0,
    start: datetime = T0,
    hours: float = 1.0,
) -> Volume4D:
    return Volume4D(
        footprint if footprint is not None else circle(),
        AltitudeBand(lower_m, upper_m),
        window(start, hours),
    )


def command(
    *volumes: Volume4D, name: str = "Survey", priority: int = 0
) -> operations.OperationCommand:
    return operations.OperationCommand(name, priority, volumes or (volume(),))


class StepClock:
    """A clock that moves on one second per reading: ordering by time is deterministic."""

    def __init__(self, start: datetime = datetime(2029, 12, 1, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def make_context() -> ServiceContext:
    """The production context (pyproj frames) with small limits, a step clock and
    sequential ids. Limits are passed explicitly so that no environment overrides them."""
    settings = Settings(
        env="development",
        max_volumes=MAX_VOLUMES,
        max_window_s=MAX_WINDOW_S,
        max_vertices=MAX_VERTICES,
        max_area_km2=MAX_AREA_KM2,
        separation_horizontal_m=50.0,
        separation_vertical_m=10.0,
        separation_time_s=60.0,
    )
    ids = itertools.count(1)
    return replace(
        service_context(settings), clock=StepClock(), new_id=lambda: f"id-{next(ids):04d}"
    )


@contextmanager
def unchanged(uow: FakeUnitOfWork) -> Iterator[None]:
    """Asserts that the committed store is the same after the block as before it."""
    before = copy.deepcopy(uow.store)
    commits = uow.commits
    yield
    assert uow.store == before
    assert uow.commits == commits


@dataclass
class World:
    """Three registered parties: alpha (submits), bravo (alpha's partner once agreed) and
    charlie (unrelated to both; an authority, whose restricted zones bind everyone)."""

    uow: FakeUnitOfWork
    ctx: ServiceContext
    alpha: str
    bravo: str
    charlie: str

    @classmethod
    def build(cls, uow: FakeUnitOfWork, ctx: ServiceContext) -> World:
        ids = [
            registry.create_party(uow, ctx, ROOT, n, authority=n == "Charlie").id
            for n in ("Alpha", "Bravo", "Charlie")
        ]
        return cls(uow, ctx, *ids)

    def agree(
        self,
        proposer: str,
        partner: str,
        kind: AgreementKind = AgreementKind.COORDINATION,
        separation: Separation | None = None,
        *,
        accept: bool = True,
    ) -> Agreement:
        agreement = registry.propose_agreement(
            self.uow,
            self.ctx,
            admin(proposer),
            registry.AgreementCreate(kind, partner, separation),
        )
        if accept:
            agreement = registry.accept_agreement(self.uow, self.ctx, admin(partner), agreement.id)
        return agreement

    def zone(
        self,
        party_id: str,
        kind: ZoneKind,
        footprint: Circle | Polygon | None = None,
        *,
        periods: tuple[TimeWindow, ...] = (),
        name: str = "Zone",
    ) -> Zone:
        return registry.create_zone(
            self.uow,
            self.ctx,
            admin(party_id),
            registry.ZoneCreate(
                kind,
                name,
                footprint if footprint is not None else circle(radius_m=2_000.0),
                AltitudeBand(0.0, 500.0),
                periods,
            ),
        )

    def submit(
        self, party_id: str, *volumes: Volume4D, name: str = "Survey"
    ) -> operations.Submission:
        return operations.submit_operation(
            self.uow, self.ctx, submitter(party_id), command(*volumes, name=name)
        )
