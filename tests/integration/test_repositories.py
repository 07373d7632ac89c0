"""The SQL repositories on real SQLite and PostgreSQL: round trips and the cell index."""

from __future__ import annotations

import contextlib
import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from deconflict.adapters.projection import local_frame
from deconflict.bootstrap import Container, bootstrap
from deconflict.config import Settings
from deconflict.domain.assessment import Assessment, Relations, assess
from deconflict.domain.conflicts import Separation
from deconflict.domain.model import (
    Agreement,
    AgreementKind,
    AgreementState,
    OperationState,
    Party,
    Zone,
    ZoneKind,
)
from deconflict.domain.operation import Operation, OperationVersion
from deconflict.domain.volumes import (
    AltitudeBand,
    Circle,
    LatLng,
    Polygon,
    TimeWindow,
    Volume4D,
)
from deconflict.services.ports import Page, Transaction

T0 = datetime(2032, 1, 1, tzinfo=UTC)
NOTHING = Assessment((), (), ())


def _party(container: Container) -> Party:
    party = Party(str(uuid.uuid4()), f"p-{uuid.uuid4().hex[:8]}", T0)
    container.uow.run(lambda tx: tx.parties.add(party))
    return party


def _operation(
    party: Party, *volumes: Volume4D, state: OperationState = OperationState.APPROVED
) -> Operation:
    op = Operation(str(uuid.uuid4()), party.id, "op", 5, T0)
    op.add_version(OperationVersion(1, volumes, state, T0, "tester", NOTHING))
    return op


def _volume(
    lat: float, lng: float, radius_m: float = 300, start_h: float = 0, hours: float = 1
) -> Volume4D:
    start = T0 + timedelta(hours=start_h)
    return Volume4D(
        Circle(LatLng(lat, lng), radius_m),
        AltitudeBand(0, 100),
        TimeWindow(start, start + timedelta(hours=hours)),
    )


def test_every_aggregate_reads_back_as_it_was_written(container: Container) -> None:
    alpha, bravo = _party(container), _party(container)
    agreement = Agreement(
        str(uuid.uuid4()),
        AgreementKind.COORDINATION,
        alpha.id,
        bravo.id,
        AgreementState.PROPOSED,
        Separation(100, 10, 60),
        T0,
    )
    zone = Zone(
        str(uuid.uuid4()),
        bravo.id,
        ZoneKind.REVIEW,
        "Zone with a hole",
        Polygon(
            (LatLng(10, 10), LatLng(10, 10.1), LatLng(10.1, 10.1), LatLng(10.1, 10)),
            ((LatLng(10.04, 10.04), LatLng(10.04, 10.06), LatLng(10.06, 10.06)),),
        ),
        AltitudeBand(-10.5, 300.25),
        (
            TimeWindow(T0, T0 + timedelta(hours=3)),
            TimeWindow(T0 + timedelta(days=1), T0 + timedelta(days=2)),
        ),
        T0,
    )
    operation = _operation(alpha, _volume(10.05, 10.05), _volume(10.2, 10.2, start_h=2))

    def write(tx: Transaction) -> None:
        tx.agreements.add(agreement)
        tx.zones.add(zone)
        tx.operations.add(operation)

    container.uow.run(write)

    def read(tx: Transaction) -> tuple[object, ...]:
        return (
            tx.parties.get(alpha.id),
            tx.agreements.get(agreement.id),
            tx.zones.get(zone.id),
            tx.operations.get(operation.id),
        )

    assert container.uow.run(read, write=False) == (alpha, agreement, zone, operation)


def test_a_rolled_back_unit_of_work_leaves_nothing_behind(container: Container) -> None:
    party = Party(str(uuid.uuid4()), f"p-{uuid.uuid4().hex[:8]}", T0)

    def fail(tx: Transaction) -> None:
        tx.parties.add(party)
        raise RuntimeError("boom")

    with contextlib.suppress(RuntimeError):
        container.uow.run(fail)
    assert container.uow.run(lambda tx: tx.parties.get(party.id), write=False) is None


def test_zone_candidates_find_near_zones_and_forget_deleted_ones(container: Container) -> None:
    owner, other = _party(container), _party(container)
    near = Zone(
        str(uuid.uuid4()),
        owner.id,
        ZoneKind.NOTIFY,
        "near",
        Circle(LatLng(-20, 170), 1000),
        AltitudeBand(0, 100),
        (),
        T0,
    )
    far = Zone(
        str(uuid.uuid4()),
        owner.id,
        ZoneKind.NOTIFY,
        "far",
        Circle(LatLng(-22, 170), 1000),
        AltitudeBand(0, 100),
        (),
        T0,
    )
    container.uow.run(lambda tx: (tx.zones.add(near), tx.zones.add(far)))
    query = [_volume(-20.0095, 170, radius_m=100)]  # 1,057 m from the centre: overlaps

    def found(party_ids: list[str]) -> set[str]:
        zones = container.uow.run(
            lambda tx: tx.zones.candidates(query, Separation(), party_ids), write=False
        )
        return {z.id for z in zones}

    assert found([owner.id]) == {near.id}
    assert found([other.id]) == set(), "a non-partner's notify zone is not a candidate"
    container.uow.run(lambda tx: tx.zones.delete(near.id))
    assert found([owner.id]) == set()


def test_operation_candidates_skip_own_and_withdrawn_operations(container: Container) -> None:
    mine, theirs = _party(container), _party(container)
    own = _operation(mine, _volume(40, -170))
    other = _operation(theirs, _volume(40, -170))
    container.uow.run(lambda tx: (tx.operations.add(own), tx.operations.add(other)))

    def found() -> set[str]:
        ops = container.uow.run(
            lambda tx: tx.operations.candidates([_volume(40, -170)], Separation(), mine.id),
            write=False,
        )
        return {o.id for o in ops}

    assert found() == {other.id}
    other.withdraw()
    container.uow.run(lambda tx: tx.operations.save(other))
    assert found() == set()


def test_a_long_operation_is_found_by_a_query_near_its_end(container: Container) -> None:
    """A long window is found late in the window, across the antimeridian too."""
    mine, theirs = _party(container), _party(container)
    long_op = _operation(theirs, _volume(50, 179.999, start_h=0, hours=20))
    container.uow.run(lambda tx: tx.operations.add(long_op))
    late = [_volume(50, -179.999, start_h=19, hours=0.5)]  # 143 m away, across 180
    ops = container.uow.run(
        lambda tx: tx.operations.candidates(late, Separation(), mine.id), write=False
    )
    assert [o.id for o in ops] == [long_op.id]


def test_the_cell_index_finds_exactly_the_conflicts_a_full_scan_finds(container: Container) -> None:
    rng = random.Random(20321)  # fixed: a reproducible scenario
    mine, theirs = _party(container), _party(container)
    stored = [
        _operation(
            theirs,
            _volume(
                -30 + rng.uniform(-0.06, 0.06),
                -140 + rng.uniform(-0.06, 0.06),
                radius_m=rng.uniform(100, 1500),
                start_h=rng.uniform(0, 24),
                hours=rng.uniform(0.5, 9),
            ),
        )
        for _ in range(300)
    ]

    def write(tx: Transaction) -> None:
        for op in stored:
            tx.operations.add(op)

    container.uow.run(write)
    separation = Separation(250, 10, 300)
    relations = Relations.of(mine.id, [], separation)
    total = 0
    for _ in range(25):
        query = [
            _volume(
                -30 + rng.uniform(-0.06, 0.06),
                -140 + rng.uniform(-0.06, 0.06),
                800,
                rng.uniform(0, 24),
                2,
            )
        ]

        def both(
            tx: Transaction, query: Sequence[Volume4D] = query
        ) -> tuple[Assessment, Assessment]:
            indexed = tx.operations.candidates(query, separation, mine.id)
            everything = [o for o in tx.operations.counting(mine.id) if o.party_id == theirs.id]
            return (
                assess(query, relations, [], indexed, local_frame),
                assess(query, relations, [], everything, local_frame),
            )

        indexed, naive = container.uow.run(both, write=False)
        assert sorted(c.subject_id or "" for c in indexed.conflicts) == sorted(
            c.subject_id or "" for c in naive.conflicts
        )
        total += len(naive.conflicts)
    assert total > 20, "the scenario should produce some conflicts to compare"


def test_listing_pages_and_filters_in_the_query(container: Container) -> None:
    party = _party(container)
    ops = [_operation(party, _volume(0, 0)) for _ in range(5)]
    ops[0].withdraw()
    container.uow.run(lambda tx: [tx.operations.add(o) for o in ops])
    approved = container.uow.run(
        lambda tx: tx.operations.of_party(
            party.id, Page(limit=2, offset=0), OperationState.APPROVED
        ),
        write=False,
    )
    assert len(approved) == 2
    assert all(o.state is OperationState.APPROVED for o in approved)
    withdrawn = container.uow.run(
        lambda tx: tx.operations.of_party(party.id, Page(), OperationState.WITHDRAWN), write=False
    )
    assert [o.id for o in withdrawn] == [ops[0].id]


def test_a_process_sees_an_agreement_or_authority_made_by_another_at_once(
    container: Container, settings: Settings
) -> None:
    """Relations are kept per process between checks, and read again as soon as another
    process changes them: the statement that finds candidates reports the generation."""
    other_process = bootstrap(settings)
    try:
        mine, theirs = _party(container), _party(container)
        zone = Zone(
            str(uuid.uuid4()),
            theirs.id,
            ZoneKind.NOTIFY,
            "theirs",
            Circle(LatLng(12, 34), 1000),
            AltitudeBand(0, 100),
            (),
            T0,
        )
        container.uow.run(lambda tx: tx.zones.add(zone))
        plan = [_volume(12, 34)]

        def seen() -> tuple[set[str], set[str], bool]:
            around = container.uow.run(
                lambda tx: tx.airspace.around(mine.id, plan, Separation()),
                write=False,
                snapshot=False,
            )
            return (
                set(around.relations.agreements),
                {z.id for z in around.zones},
                theirs.id in around.relations.authorities,
            )

        assert seen() == (set(), set(), False)  # now cached in this process
        agreement = Agreement(
            str(uuid.uuid4()),
            AgreementKind.DECONFLICTION,
            mine.id,
            theirs.id,
            AgreementState.ACTIVE,
            None,
            T0,
        )
        other_process.uow.run(lambda tx: tx.agreements.add(agreement))
        assert seen() == ({theirs.id}, {zone.id}, False)
        theirs_now = Party(theirs.id, theirs.name, T0, authority=True)
        other_process.uow.run(lambda tx: tx.parties.save(theirs_now))
        assert seen()[2]
    finally:
        other_process.uow.engine.dispose()
