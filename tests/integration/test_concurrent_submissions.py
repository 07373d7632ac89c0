"""Two parties submit overlapping operations at the same instant, many times over.

Under SERIALIZABLE transactions (SQLite: one writer at a time) exactly one of each pair
sees the other as a conflict: never neither (a lost conflict), never both.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from deconflict.adapters import tables as t
from deconflict.bootstrap import Container
from deconflict.domain.assessment import ConflictKind
from deconflict.domain.model import Caller, Role
from deconflict.domain.volumes import AltitudeBand, Circle, LatLng, TimeWindow, Volume4D
from deconflict.services import audit, registry
from deconflict.services import operations as ops

#: Enough rounds that the spatial index grows past one page (where PostgreSQL's own
#: serializable isolation of GiST searches was seen to miss conflicts: see "Claims" in
#: adapters/spatial.py).
ROUNDS = 80
Round = tuple[LatLng, TimeWindow, threading.Barrier, dict[str, ops.Submission], list[BaseException]]


def _party(container: Container, name: str) -> Caller:
    admin = Caller("test", "test-admin", frozenset({Role.OPERATOR}))
    party = registry.create_party(
        container.uow, container.ctx, admin, f"{name}-{uuid.uuid4().hex[:8]}"
    )
    return Caller(f"{name}-pilot", party.id, frozenset({Role.SUBMITTER}))


#: Where each round takes place: an ordinary place (claims of a few cells), or across the
#: antimeridian, where one or both boxes take every longitude (the big claim).
PLACES = {
    "ordinary": (lambda r: LatLng(-45.0 + r * 0.2, 160.0), 400.0, 200.0),
    "antimeridian": (lambda r: LatLng(-45.0 + r * 0.2, 179.999), 400.0, 100.0),
    "big and small": (lambda r: LatLng(-45.0 + r * 0.2, 179.99), 1_200.0, -1_500.0),
}


@pytest.mark.parametrize("place", list(PLACES))
def test_of_two_simultaneous_overlapping_submissions_exactly_one_sees_the_other(
    container: Container, place: str
) -> None:
    where, radius_m, offset_m = PLACES[place]
    alpha, bravo = _party(container, "alpha"), _party(container, "bravo")
    # Each place its own months: the databases are shared by the whole run.
    start = datetime(2031, 5, 1, 8, tzinfo=UTC) + timedelta(days=100 * list(PLACES).index(place))
    lost, both = [], []
    for round_ in range(ROUNDS):
        # A fresh place and time each round, so rounds never see each other.
        center = where(round_)
        window = TimeWindow(start + timedelta(days=round_), start + timedelta(days=round_, hours=1))
        barrier = threading.Barrier(2)
        results: dict[str, ops.Submission] = {}
        failures: list[BaseException] = []

        def submit(
            caller: Caller,
            offset_m: float,
            radius_m: float,
            round_: Round = (center, window, barrier, results, failures),
        ) -> None:
            center, window, barrier, results, failures = round_
            volume = Volume4D(
                Circle(LatLng(center.lat, center.lng + offset_m / 100_000), radius_m),
                AltitudeBand(30.0, 120.0),
                window,
            )
            command = ops.OperationCommand("overlap", 0, (volume,))
            barrier.wait()
            try:
                results[caller.party_id] = ops.submit_operation(
                    container.uow, container.ctx, caller, command
                )
            except BaseException as e:  # reported by the assertion below, not swallowed
                failures.append(e)

        threads = [
            threading.Thread(target=submit, args=(alpha, 0.0, radius_m)),
            threading.Thread(target=submit, args=(bravo, offset_m, 400.0)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not failures, failures
        saw = [
            any(c.kind is ConflictKind.OPERATION for c in results[p.party_id].assessment.conflicts)
            for p in (alpha, bravo)
        ]
        if not any(saw):
            lost.append(round_)
        if all(saw):
            both.append(round_)
    assert lost == [], f"rounds in which neither submission saw the other: {lost}"
    assert both == [], f"rounds in which both saw each other: {both}"

    assert audit.verify_chain(container.uow).broken is None, "every audit chain stayed linear"
    with container.uow.engine.connect() as conn:
        for caller in (alpha, bravo):
            stored = conn.execute(
                select(func.count())
                .select_from(t.operations)
                .where(t.operations.c.party_id == caller.party_id)
            ).scalar_one()
            assert stored == ROUNDS, f"{caller.party_id} has {stored} operations, not {ROUNDS}"
            versions = conn.execute(
                select(func.count())
                .select_from(t.operation_versions.join(t.operations))
                .where(t.operations.c.party_id == caller.party_id)
            ).scalar_one()
            assert versions == ROUNDS
