"""The hot-spot cases of issue 16, beside the uniform scenario of bench/scenario.py.

- **Hot spot**: a database of its own, with 1,000 counting operations whose centres lie
  within 5 km of the query's centre and whose windows all overlap the query's hour,
  on top of 10,000 operations of the uniform background. Queried with the usual query.
- **50-volume plan**: 50 consecutive 10-minute volumes (1 km circles every 2 km due
  east), the first at the query's place and hour, against the uniform scenario.
- **Large footprint**: a 100 km x 100 km square (just under the 10,000 km2 limit) for the
  query's hour, against the uniform scenario.

All fictional, seeded, cached like the scenario's databases (key `hot_spot_key()`).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from datetime import timedelta

import numpy as np

from bench.scenario import (
    BATCH,
    OTHER_PARTIES,
    QUERY_BAND,
    QUERY_CENTER,
    QUERY_END,
    QUERY_PARTY,
    QUERY_START,
    SEED,
    T0,
    Progress,
    _offset,
    _operation,
    background,
    cache_key,
)
from deconflict.bootstrap import Container
from deconflict.domain.model import Party
from deconflict.domain.operation import Operation
from deconflict.domain.volumes import (
    AltitudeBand,
    Circle,
    Footprint,
    LatLng,
    Polygon,
    TimeWindow,
    Volume4D,
)
from deconflict.services.ports import Transaction

#: Bump whenever the generated hot spot changes: it is part of its cache key.
HOT_SPOT_VERSION = 1
HOT_SPOT_COUNT = 1_000
HOT_SPOT_RADIUS_M = 5_000.0
HOT_SPOT_BACKGROUND = 10_000

ROUTE_VOLUMES = 50
ROUTE_STEP_M = 2_000.0
ROUTE_RADIUS_M = 1_000.0
ROUTE_LEG = timedelta(minutes=10)

#: Half the side of the large square: 99.9 km sides, 9,980 km2 (the limit is 10,000).
LARGE_HALF_SIDE_M = 49_950.0


def hot_spot(count: int, seed: int) -> Iterator[Operation]:
    """`count` approved operations of the other parties, centred uniformly (by area)
    within HOT_SPOT_RADIUS_M of the query's centre, each over a 50-300 m circle (70 %)
    or a square of that half-side, in a 20-200 m thick band between 0 and 400 m, for
    30 min to 4 h starting in the 3 h before the query's hour or during it."""
    rng = np.random.default_rng(seed)
    distance = HOT_SPOT_RADIUS_M * np.sqrt(rng.random(count))
    bearing = rng.uniform(0.0, 2 * math.pi, count)
    sizes = rng.uniform(50.0, 300.0, count)
    square = rng.random(count) < 0.3
    lowers = rng.integers(0, 201, count)
    thick = rng.integers(20, 201, count)
    durations_min = rng.integers(30, 241, count)
    starts_min = rng.integers(-180, 60, count)
    parties = rng.integers(0, len(OTHER_PARTIES), count)
    for i in range(count):
        dx, dy = distance[i] * math.cos(bearing[i]), distance[i] * math.sin(bearing[i])
        footprint: Footprint
        if square[i]:
            h = float(sizes[i])
            footprint = Polygon(
                tuple(
                    _offset(QUERY_CENTER, dx + sx * h, dy + sy * h)
                    for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))
                )
            )
        else:
            footprint = Circle(_offset(QUERY_CENTER, dx, dy), float(sizes[i]))
        start = QUERY_START + timedelta(minutes=int(starts_min[i]))
        volume = Volume4D(
            footprint,
            AltitudeBand(float(lowers[i]), float(lowers[i] + thick[i])),
            TimeWindow(start, start + timedelta(minutes=int(durations_min[i]))),
        )
        op_id = str(uuid.UUID(bytes=rng.bytes(16), version=4))
        yield _operation(op_id, OTHER_PARTIES[parties[i]], volume)


def hot_spot_stored() -> Iterator[Operation]:
    """Every operation of the hot-spot database, in the order it is stored."""
    yield from hot_spot(HOT_SPOT_COUNT, SEED + 1)
    yield from background(HOT_SPOT_BACKGROUND, SEED + 2)


def hot_spot_key() -> str:
    """The scenario's key for its background, prefixed with the hot spot's own."""
    return f"hot{HOT_SPOT_COUNT}_v{HOT_SPOT_VERSION}_{cache_key(HOT_SPOT_BACKGROUND)}"


def seed_hot_spot(container: Container, progress: Progress | None = None) -> None:
    """Stores the parties and the hot spot's operations, BATCH per transaction."""
    created = T0 - timedelta(days=30)

    def parties(tx: Transaction) -> None:
        for i, party_id in enumerate((QUERY_PARTY, *OTHER_PARTIES)):
            tx.parties.add(Party(party_id, f"Bench party {i:02d}", created))

    container.uow.run(parties)
    total, done = HOT_SPOT_COUNT + HOT_SPOT_BACKGROUND, 0
    ops = hot_spot_stored()
    while done < total:
        batch = [next(ops) for _ in range(min(BATCH, total - done))]

        def add(tx: Transaction, batch: list[Operation] = batch) -> None:
            tx.operations.add_many(batch)

        container.uow.run(add)
        done += len(batch)
        if progress is not None:
            progress(done, total)


def route_plan() -> tuple[Volume4D, ...]:
    """ROUTE_VOLUMES consecutive 10-minute volumes due east from the query's place."""
    return tuple(
        Volume4D(
            Circle(_offset(QUERY_CENTER, i * ROUTE_STEP_M, 0.0), ROUTE_RADIUS_M),
            QUERY_BAND,
            TimeWindow(QUERY_START + i * ROUTE_LEG, QUERY_START + (i + 1) * ROUTE_LEG),
        )
        for i in range(ROUTE_VOLUMES)
    )


def large_volume() -> Volume4D:
    """A square of 99.9 km sides centred on the query, for the query's hour and band."""
    h = LARGE_HALF_SIDE_M
    corners: tuple[LatLng, ...] = tuple(
        _offset(QUERY_CENTER, sx * h, sy * h) for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))
    )
    return Volume4D(Polygon(corners), QUERY_BAND, TimeWindow(QUERY_START, QUERY_END))
