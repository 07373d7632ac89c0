"""Many USSs create intersecting operational intents at the same instant, round after
round: the key check and the write are one SERIALIZABLE unit of work, so no intent is
ever stored without the OVNs of every intersecting intent stored before it."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta

from deconflict.bootstrap import Container
from deconflict.domain.errors import Contended
from deconflict.domain.f3548 import IntentState, Manager, MissingOvns, Scope
from deconflict.domain.volumes import AltitudeBand, Circle, LatLng, TimeWindow, Volume4D
from deconflict.services import f3548 as svc

WRITERS = 6
ROUNDS = 5


def _managers(container: Container) -> list[Manager]:
    scopes = frozenset({Scope.STRATEGIC_COORDINATION.value})
    return [
        svc.resolve_manager(
            container.uow, container.ctx, f"uss-{uuid.uuid4().hex[:8]}", scopes, register=True
        )
        for _ in range(WRITERS)
    ]


def _command(center: LatLng, offset: int, key: frozenset[str], now: datetime) -> svc.IntentCommand:
    window = TimeWindow(now + timedelta(minutes=5), now + timedelta(hours=1))
    volume = Volume4D(
        Circle(LatLng(center.lat, center.lng + offset * 0.001), 400.0),
        AltitudeBand(30.0, 120.0),
        window,
    )
    return svc.IntentCommand(
        extents=(volume,),
        state=IntentState.ACCEPTED,
        uss_base_url="https://uss.example.test",
        key=key,
        new_subscription=svc.ImplicitSubscription("https://uss.example.test"),
    )


def _race(
    container: Container, managers: list[Manager], center: LatLng, read_first: bool
) -> list[tuple[svc.IntentChange, frozenset[str]]]:
    """Every manager creates an intent near `center` at once; with `read_first` each
    first reads the area and presents the OVNs it saw (its own managers' ones are
    readable here because the test stands in for the USS-USS exchange)."""
    barrier = threading.Barrier(len(managers))
    won: list[tuple[svc.IntentChange, frozenset[str]]] = []
    failures: list[BaseException] = []
    now = container.ctx.clock()
    area = _command(center, 0, frozenset(), now).extents[0]
    area = Volume4D(Circle(center, 5000.0), area.altitude, area.time)

    def write(manager: Manager, offset: int) -> None:
        barrier.wait()
        key: frozenset[str] = frozenset()
        if read_first:
            key = frozenset(
                i.ovn for i in svc.query_intents(container.uow, container.ctx, area).intents
            )
        try:
            change = svc.put_intent(
                container.uow,
                container.ctx,
                manager,
                str(uuid.uuid4()),
                None,
                _command(center, offset, key, now),
            )
            won.append((change, key))
        except (MissingOvns, Contended):
            # Both are a 409 to the USS: it lost the race (Contended: it kept losing it
            # for the whole retry budget, six writers on one spot); it reads and retries.
            pass
        except BaseException as e:  # reported by the assertion below
            failures.append(e)

    threads = [threading.Thread(target=write, args=(m, i)) for i, m in enumerate(managers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    return won


def test_of_many_writers_without_keys_exactly_one_creates_its_intent(
    container: Container,
) -> None:
    managers = _managers(container)
    for round_ in range(ROUNDS):
        center = LatLng(-40.0 + round_ * 0.3, 150.0 + round(uuid.uuid4().int % 1000 / 100, 2))
        won = _race(container, managers, center, read_first=False)
        assert len(won) == 1


def test_writers_that_read_first_never_store_an_intent_without_the_ovns_before_it(
    container: Container,
) -> None:
    managers = _managers(container)
    for round_ in range(ROUNDS):
        center = LatLng(35.0 + round_ * 0.3, -150.0 + round(uuid.uuid4().int % 1000 / 100, 2))
        won = _race(container, managers, center, read_first=True)
        assert won
        stored = sorted(won, key=lambda w: (w[0].intent.updated_at, w[0].intent.id))
        for i, (change, key) in enumerate(stored):
            earlier = {c.intent.ovn for c, _ in stored[:i]}
            assert earlier <= key, (change.intent.id, earlier - key)
