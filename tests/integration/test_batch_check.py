"""Batch checks (`services.batch.check_many`) answer as single checks do, plan for plan.

On SQLite and PostgreSQL: a few hundred random plans around stored operations and zones
of every kind (partners' review and notify zones, an authority's public restricted zone,
a stranger's restricted zone that does not bind, a private zone, a zone with periods, a
wider agreed separation), the geometric edge cases of tests/geometries.py (antimeridian,
poles, ties) as plans against their counterparts stored, and plans that validation
refuses. Every answer must equal `check_volumes`'s for the same plan; the order in which
conflicts are listed may differ (each path lists them in the order it found candidates).

Each test has a database of its own: it stores authorities, which bind every party of
a shared database (tests elsewhere count them).
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from deconflict.bootstrap import Container, bootstrap
from deconflict.config import Settings
from deconflict.domain.assessment import Assessment, ConflictKind
from deconflict.domain.conflicts import Separation
from deconflict.domain.errors import InvalidInput
from deconflict.domain.model import (
    Agreement,
    AgreementKind,
    AgreementState,
    Caller,
    OperationState,
    Party,
    Role,
    Zone,
    ZoneDisclosure,
    ZoneKind,
)
from deconflict.domain.operation import Operation, OperationVersion
from deconflict.domain.volumes import (
    AltitudeBand,
    Circle,
    Footprint,
    LatLng,
    Polygon,
    TimeWindow,
    Volume4D,
)
from deconflict.services.batch import check_many
from deconflict.services.context import ServiceContext
from deconflict.services.operations import check_volumes
from deconflict.services.ports import Transaction
from tests.geometries import CASES, INVALID_FOOTPRINTS

T0 = datetime(2032, 3, 1, 8, tzinfo=UTC)
CENTER = LatLng(-12.0, 45.0)
SPREAD_M = 15_000.0
NOTHING = Assessment((), (), ())
BAND_100 = AltitudeBand(0, 100)


@pytest.fixture
def container(own_database_url: str, tmp_path: Path) -> Iterator[Container]:
    container = bootstrap(
        Settings(
            data_dir=tmp_path,
            database_url=own_database_url,
            dispatch_in_process=False,
            deadline_interval_s=0,
            audit_anchor_interval_s=0,
        )
    )
    yield container
    container.uow.engine.dispose()


def _id() -> str:
    return str(uuid.uuid4())


def _at(dx_m: float, dy_m: float) -> LatLng:
    lat = CENTER.lat + dy_m / 111_320.0
    return LatLng(lat, CENTER.lng + dx_m / (111_320.0 * math.cos(math.radians(lat))))


def _footprint(rng: random.Random) -> Footprint:
    x, y = rng.uniform(-SPREAD_M, SPREAD_M), rng.uniform(-SPREAD_M, SPREAD_M)
    radius = rng.uniform(100.0, 1_500.0)
    if rng.random() < 0.6:
        return Circle(_at(x, y), radius)
    k = rng.randint(3, 7)
    step = 2 * math.pi / k
    return Polygon(
        tuple(
            _at(
                x + radius * rng.uniform(0.4, 1.0) * math.cos((i + rng.uniform(0, 0.8)) * step),
                y + radius * rng.uniform(0.4, 1.0) * math.sin((i + rng.uniform(0, 0.8)) * step),
            )
            for i in range(k)
        )
    )


def _volume(rng: random.Random, footprint: Footprint | None = None) -> Volume4D:
    start = T0 + timedelta(minutes=rng.randrange(0, 24 * 60))
    lower = rng.uniform(0, 300)
    return Volume4D(
        footprint or _footprint(rng),
        AltitudeBand(lower, lower + rng.uniform(10, 150)),
        TimeWindow(start, start + timedelta(minutes=rng.randrange(10, 180))),
    )


def _operation(party_id: str, volumes: Sequence[Volume4D], state: OperationState) -> Operation:
    op = Operation(_id(), party_id, "stored", 0, T0 - timedelta(days=1))
    op.add_version(OperationVersion(1, tuple(volumes), state, T0, "tester", NOTHING))
    return op


def _zone(
    party_id: str,
    kind: ZoneKind,
    footprint: Footprint,
    disclosure: ZoneDisclosure = ZoneDisclosure.PARTNERS,
    periods: tuple[TimeWindow, ...] = (),
) -> Zone:
    return Zone(
        _id(),
        party_id,
        kind,
        f"{kind.value} zone",
        footprint,
        AltitudeBand(0, 200),
        periods,
        T0 - timedelta(days=1),
        disclosure=disclosure,
    )


def _airspace(container: Container, rng: random.Random) -> tuple[str, list[list[Volume4D]]]:
    """Stores parties, agreements, zones and operations; returns the checking party and
    the plans to check."""
    me, reviewer, notifier, authority, stranger = (
        Party(_id(), f"p-{uuid.uuid4().hex[:8]}", T0, authority=(i == 3)) for i in range(5)
    )
    agreements = [
        Agreement(
            _id(),
            AgreementKind.COORDINATION,
            reviewer.id,
            me.id,
            AgreementState.ACTIVE,
            Separation(400.0, 30.0, 300.0),  # wider than the default: the search reaches further
            T0,
        ),
        Agreement(
            _id(), AgreementKind.DECONFLICTION, me.id, notifier.id, AgreementState.ACTIVE, None, T0
        ),
        Agreement(
            _id(), AgreementKind.COORDINATION, me.id, stranger.id, AgreementState.PROPOSED, None, T0
        ),
    ]
    zones = [
        _zone(reviewer.id, ZoneKind.REVIEW, _footprint(rng)),
        _zone(reviewer.id, ZoneKind.REVIEW, _footprint(rng), ZoneDisclosure.PRIVATE),
        _zone(reviewer.id, ZoneKind.RESTRICTED, _footprint(rng)),
        _zone(
            reviewer.id,
            ZoneKind.NOTIFY,
            Circle(CENTER, 6_000.0),
            periods=(TimeWindow(T0, T0 + timedelta(hours=6)),),
        ),
        _zone(notifier.id, ZoneKind.NOTIFY, Circle(_at(5_000, 5_000), 4_000.0)),
        _zone(notifier.id, ZoneKind.NOTIFY, _footprint(rng), ZoneDisclosure.PRIVATE),
        _zone(notifier.id, ZoneKind.REVIEW, _footprint(rng)),  # deconfliction: no review
        _zone(authority.id, ZoneKind.RESTRICTED, _footprint(rng), ZoneDisclosure.PUBLIC),
        _zone(authority.id, ZoneKind.RESTRICTED, _footprint(rng)),  # partners only: not mine
        _zone(stranger.id, ZoneKind.RESTRICTED, _footprint(rng)),
        _zone(me.id, ZoneKind.RESTRICTED, _footprint(rng)),  # my own never binds me
    ]
    others = (reviewer.id, notifier.id, authority.id, stranger.id)
    states = [OperationState.APPROVED] * 6 + [
        OperationState.IN_REVIEW,
        OperationState.ACTIVATED,
        OperationState.WITHDRAWN,
        OperationState.REJECTED,
    ]
    operations = [
        _operation(
            rng.choice(others) if i % 10 else me.id,
            [_volume(rng) for _ in range(rng.choice((1, 1, 1, 2, 3)))],
            rng.choice(states),
        )
        for i in range(400)
    ]
    plans = [[_volume(rng) for _ in range(rng.choice((1, 1, 1, 2, 4)))] for _ in range(300)]
    # The edge cases: each case's first volume a plan, its second stored.
    for case in CASES:
        plans.append([case.a])
        operations.append(_operation(stranger.id, [case.b], OperationState.APPROVED))
    # Plans validation refuses, between valid ones.
    for bad in INVALID_FOOTPRINTS:
        try:
            footprint = Polygon(bad.vertices)
        except InvalidInput:
            continue  # refused before any check could see it
        plans.insert(rng.randrange(len(plans)), [_volume(rng), _volume(rng, footprint)])
    past = TimeWindow(T0 - timedelta(days=3650), T0 - timedelta(days=3649))
    plans.insert(rng.randrange(len(plans)), [Volume4D(Circle(CENTER, 500.0), BAND_100, past)])
    plans.insert(rng.randrange(len(plans)), [])

    def store(tx: Transaction) -> None:
        for party in (me, reviewer, notifier, authority, stranger):
            tx.parties.add(party)
        for agreement in agreements:
            tx.agreements.add(agreement)
        tx.zones.add_many(zones)
        tx.operations.add_many(operations)

    container.uow.run(store)
    return me.id, plans


def _canonical(answer: Assessment | InvalidInput) -> object:
    """An answer with its conflicts, reviews and notices in a fixed order."""
    if isinstance(answer, InvalidInput):
        return ("invalid", str(answer))
    return (
        sorted(answer.conflicts, key=repr),
        sorted((r.party_id, r.agreement_id, sorted(r.zone_ids)) for r in answer.required_reviews),
        sorted(answer.notices, key=repr),
    )


def _single(
    container: Container, ctx: ServiceContext, caller: Caller, plan: Sequence[Volume4D]
) -> Assessment | InvalidInput:
    try:
        return check_volumes(container.uow, ctx, caller, plan)
    except InvalidInput as e:
        return e


def _stopped(container: Container) -> ServiceContext:
    """The container's context with its clock stopped: refusals quote the time."""
    now = datetime.now(UTC)
    return replace(container.ctx, clock=lambda: now)


def test_a_batch_answers_every_plan_as_a_single_check_would(container: Container) -> None:
    rng = random.Random(16)
    party_id, plans = _airspace(container, rng)
    caller = Caller("batch-tester", party_id, frozenset({Role.OBSERVER}))
    heard: list[tuple[str, int, int]] = []
    ctx = _stopped(container)

    answers = check_many(container.uow, ctx, caller, plans, lambda *a: heard.append(a))

    assert len(answers) == len(plans)
    for i, (plan, answer) in enumerate(zip(plans, answers, strict=True)):
        assert _canonical(answer) == _canonical(_single(container, ctx, caller, plan)), f"plan {i}"
    # Not vacuous: every kind of answer is among them.
    checked = [a for a in answers if isinstance(a, Assessment)]
    kinds = {c.kind for a in checked for c in a.conflicts}
    assert kinds == set(ConflictKind)
    assert any(a.required_reviews for a in checked)
    assert any(a.notices for a in checked)
    assert any(not a.conflicts for a in checked)
    assert sum(isinstance(a, InvalidInput) for a in answers) >= 4
    # Need to know: other parties' operations are anonymous, private zones unnamed.
    operations = [c for a in checked for c in a.conflicts if c.kind is ConflictKind.OPERATION]
    assert all(c.subject_id is None and c.party_id is None for c in operations)
    assert any(c.private and c.subject_id is None for a in checked for c in a.conflicts)
    # Progress: each stage reported, ending complete.
    assert list(dict.fromkeys(stage for stage, _, _ in heard)) == [
        "validating",
        "loading",
        "checking",
    ]
    finals = {stage: (done, total) for stage, done, total in heard}
    assert finals["validating"] == (len(plans), len(plans))
    assert finals["loading"] == (1, 1)
    valid = len(checked)
    assert finals["checking"] == (valid, valid)


@pytest.mark.parametrize("count", [0, 1])
def test_a_batch_of_no_plan_or_one(container: Container, count: int) -> None:
    party_id, plans = _airspace(container, random.Random(count))
    caller = Caller("batch-tester", party_id, frozenset({Role.OBSERVER}))
    ctx = _stopped(container)
    answers = check_many(container.uow, ctx, caller, plans[:count])
    assert [_canonical(a) for a in answers] == [
        _canonical(_single(container, ctx, caller, p)) for p in plans[:count]
    ]
