"""A fictional, reproducible traffic scenario and the seeded databases it lives in.

Operations of 20 fictional parties are spread uniformly over a square of 500 km x 500 km
of open ocean centred at 30 S 140 W and over 7 days: each lasts 30 min to 4 h, flies in
a band between 0 and 400 m, over a circle of 100-1000 m radius or a small star-shaped
polygon of that size. The benchmark query (one volume: a 600 m circle, 1 h) sits in the
middle of day 4; around it a few planted operations conflict with it for certain, a few
others miss it narrowly in one dimension each, one is withdrawn and one belongs to the
querying party itself, so that both the index and the exact test have something to do.

Seeded databases are cached, keyed by size and everything that shapes their content:
SQLite files under bench/.data/, or PostgreSQL databases named after the one in
DECONFLICT_BENCH_DATABASE_URL. A cache entry appears only once fully seeded (SQLite:
file rename; PostgreSQL: database rename), so an interrupted seeding is redone.

Pre-seed without running the benchmarks: `.venv/bin/python -m bench.scenario 1000 10000`.
"""

from __future__ import annotations

import math
import os
import re
import sqlite3
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from deconflict.adapters import tables as t
from deconflict.adapters.projection import AeqdFrame, local_frame
from deconflict.bootstrap import Container, bootstrap
from deconflict.config import Settings
from deconflict.domain.assessment import Assessment
from deconflict.domain.model import Caller, OperationState, Party, Role
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
from deconflict.services.ports import Transaction

#: Bump whenever the generated content changes: it is part of every cache key.
SCENARIO_VERSION = 2
SEED = 20_310_303
INDEX = "box"

DATA_DIR = Path(__file__).resolve().parent / ".data"
DATABASE_URL_ENV = "DECONFLICT_BENCH_DATABASE_URL"

CENTER = LatLng(-30.0, -140.0)
HALF_SIDE_M = 250_000.0
T0 = datetime(2031, 3, 3, tzinfo=UTC)
SPAN = timedelta(days=7)
BATCH = 2_000  # operations per seeding transaction

EMPTY = Assessment((), (), ())
QUERY_PARTY = "00000000-0000-4000-8000-00000000b0b0"
OTHER_PARTIES = tuple(f"00000000-0000-4000-8000-{i:012d}" for i in range(1, 21))

#: The query: a 600 m circle 1.2 km east and 0.7 km south of the centre, 10:00-11:00 on day 4.
QUERY_OFFSET_M = (1_234.0, -678.0)
QUERY_RADIUS_M = 600.0
QUERY_BAND = AltitudeBand(60.0, 120.0)
QUERY_START = T0 + timedelta(days=3, hours=10)
QUERY_END = QUERY_START + timedelta(hours=1)


def _offset(origin: LatLng, dx_m: float, dy_m: float) -> LatLng:
    """The point `dx_m` east and `dy_m` north of `origin` (azimuthal equidistant frame
    centred exactly there: `local_frame` rounds its centre to 0.01 degree)."""
    (lng,), (lat,) = AeqdFrame(origin.lat, origin.lng).to_lnglat([dx_m], [dy_m])
    return LatLng(float(lat), float(lng))


QUERY_CENTER = _offset(CENTER, *QUERY_OFFSET_M)


def query_volume() -> Volume4D:
    return Volume4D(
        Circle(QUERY_CENTER, QUERY_RADIUS_M), QUERY_BAND, TimeWindow(QUERY_START, QUERY_END)
    )


def query_caller() -> Caller:
    return Caller("bench-submitter", QUERY_PARTY, frozenset({Role.SUBMITTER}))


def _square(dx_m: float, dy_m: float, half_m: float) -> Polygon:
    corners = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
    return Polygon(
        tuple(_offset(QUERY_CENTER, dx_m + sx * half_m, dy_m + sy * half_m) for sx, sy in corners)
    )


def _near(dx_m: float, dy_m: float, radius_m: float) -> Circle:
    return Circle(_offset(QUERY_CENTER, dx_m, dy_m), radius_m)


def _at(hours: float) -> datetime:
    return QUERY_START + timedelta(hours=hours)


def _operation(
    op_id: str, party_id: str, volume: Volume4D, state: OperationState = OperationState.APPROVED
) -> Operation:
    created = volume.time.start - timedelta(days=2)
    version = OperationVersion(1, (volume,), state, created, "bench-seeder", EMPTY)
    return Operation(op_id, party_id, f"bench {op_id[-6:]}", 0, created, [version])


@dataclass(frozen=True, slots=True)
class Planted:
    """Operations placed around the query on purpose."""

    conflicts: tuple[Operation, ...]  # must be found by any check (default minima)
    misses: tuple[Operation, ...]  # counting, near in cells, but clear in one dimension
    ignored: tuple[Operation, ...]  # overlapping, but withdrawn or the querying party's own

    @property
    def counting(self) -> int:
        return len(self.conflicts) + len(self.misses)

    def all(self) -> tuple[Operation, ...]:
        return self.conflicts + self.misses + self.ignored


def planted() -> Planted:
    """The planted operations; clearances assume the default minima (50 m, 10 m, 60 s)."""
    ids = iter(f"00000000-0000-4000-9000-{i:012d}" for i in range(1, 100))
    p = OTHER_PARTIES

    def op(
        party: str,
        fp: Footprint,
        lo: float,
        hi: float,
        t0: float,
        t1: float,
        state: OperationState = OperationState.APPROVED,
    ) -> Operation:
        """An operation over `fp`, from `lo` to `hi` m, `t0` to `t1` h after the query start."""
        volume = Volume4D(fp, AltitudeBand(lo, hi), TimeWindow(_at(t0), _at(t1)))
        return _operation(next(ids), party, volume, state)

    conflicts = (
        op(p[0], _near(800, 0, 300), 0, 90, -0.5, 1.5),  # 800 m apart < 600 + 300 + 50
        op(p[1], _near(0, -1_200, 700), 100, 150, 0.75, 2.25),
        op(p[2], _square(-500, 300, 400), 30, 70, -2, 0.5),
        op(p[3], _near(0, 0, 150), 110, 200, 59.5 / 60, 3),  # 30 s of shared time
        op(p[4], _square(600, 600, 250), 115, 125, 0.01, 0.3, state=OperationState.IN_REVIEW),
        op(p[5], _near(-300, -300, 400), 0, 400, -1, 2, state=OperationState.ACTIVATED),
    )
    misses = (
        op(p[6], _near(0, 0, 900), 135, 300, -1, 2),  # 15 m above the band: > 10 m
        op(p[7], _near(100, 100, 800), 0, 400, -2, -2 / 60),  # ends 2 min before: > 60 s
        op(p[8], _near(1_800, 0, 1_000), 0, 400, -1, 2),  # 200 m between edges: > 50 m
        op(p[9], _square(0, -2_000, 650), 0, 400, -1, 2),  # square edge 750 m off the circle
    )
    ignored = (
        op(p[10], _near(0, 0, 500), 0, 400, -1, 2, state=OperationState.WITHDRAWN),
        op(QUERY_PARTY, _near(0, 0, 500), 0, 400, -1, 2),  # own operations never conflict
    )
    return Planted(conflicts, misses, ignored)


def background(count: int, seed: int) -> Iterator[Operation]:
    """`count` approved operations of the other parties, uniform over the region and week."""
    rng = np.random.default_rng(seed)
    xs = rng.uniform(-HALF_SIDE_M, HALF_SIDE_M, count)
    ys = rng.uniform(-HALF_SIDE_M, HALF_SIDE_M, count)
    lngs, lats = local_frame(CENTER).to_lnglat(xs, ys)
    durations_min = rng.integers(30, 241, count)
    starts_min = (rng.random(count) * (SPAN.total_seconds() / 60 - durations_min)).astype(int)
    lowers = rng.integers(0, 361, count)
    uppers = lowers + 20 + (rng.random(count) * (380 - lowers)).astype(int)
    radii = rng.uniform(100.0, 1_000.0, count)
    polygon = rng.random(count) < 0.3
    parties = rng.integers(0, len(OTHER_PARTIES), count)
    for i in range(count):
        lat, lng = float(lats[i]), float(lngs[i])
        if polygon[i]:
            k = int(rng.integers(4, 9))
            angles = np.sort(rng.uniform(0.0, 2 * math.pi, k))
            reach = radii[i] * rng.uniform(0.5, 1.0, k)
            m_per_deg_lng = 111_320.0 * math.cos(math.radians(lat))
            footprint: Footprint = Polygon(
                tuple(
                    LatLng(lat + r * math.sin(a) / 111_320.0, lng + r * math.cos(a) / m_per_deg_lng)
                    for a, r in zip(angles, reach, strict=True)
                )
            )
        else:
            footprint = Circle(LatLng(lat, lng), float(radii[i]))
        start = T0 + timedelta(minutes=int(starts_min[i]))
        volume = Volume4D(
            footprint,
            AltitudeBand(float(lowers[i]), float(uppers[i])),
            TimeWindow(start, start + timedelta(minutes=int(durations_min[i]))),
        )
        op_id = str(uuid.UUID(bytes=rng.bytes(16), version=4))
        yield _operation(op_id, OTHER_PARTIES[parties[i]], volume)


def stored(size: int) -> Iterator[Operation]:
    """Every operation `seed(container, size)` stores, in the same order: the planted
    ones, then the background. For baselines that index the same data elsewhere."""
    plants = planted()
    yield from plants.all()
    yield from background(size - plants.counting, SEED + size)


# ---- Seeded databases ------------------------------------------------------------------


def cache_key(size: int) -> str:
    """What the content of a seeded database depends on. Not the schema revision: a
    cached database is brought up to date by the migrations when it is opened, as a
    deployed one would be. Delete bench/.data/ (or the databases) to seed afresh.
    `INDEX` names the kind of spatial index (migration 0009: the backend's own)."""
    return f"n{size}_v{SCENARIO_VERSION}_{INDEX}"


def backend() -> str:
    url = os.environ.get(DATABASE_URL_ENV)
    return "sqlite" if not url else make_url(url).get_backend_name()


Progress = Callable[[int, int], None]


def seed(container: Container, size: int, progress: Progress | None = None) -> None:
    """Stores the parties and `size` counting operations of other parties (plus the
    planted withdrawn and own ones) through the repositories, BATCH per transaction."""
    plants = planted()
    created = T0 - timedelta(days=30)

    def parties(tx: Transaction) -> None:
        for i, party_id in enumerate((QUERY_PARTY, *OTHER_PARTIES)):
            tx.parties.add(Party(party_id, f"Bench party {i:02d}", created))
        for operation in plants.all():
            tx.operations.add(operation)

    container.uow.run(parties)
    done = plants.counting
    ops = background(size - plants.counting, SEED + size)
    while done < size:
        batch = [next(ops) for _ in range(min(BATCH, size - done))]

        def add(tx: Transaction, batch: list[Operation] = batch) -> None:
            tx.operations.add_many(batch)

        container.uow.run(add)
        done += len(batch)
        if progress is not None:
            progress(done, size)


def _open(url: str, data_dir: Path) -> Container:
    return bootstrap(Settings(data_dir=data_dir, database_url=url))


def stored_operations(container: Container) -> int:
    with container.uow.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.operations)).scalar_one())


Fill = Callable[[Container, Progress | None], None]


def _sqlite(key: str, fill: Fill, progress: Progress | None) -> Container:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / f"sqlite_{key}.db"
    if not path.exists():
        partial = path.with_suffix(".partial")
        for leftover in DATA_DIR.glob(f"{partial.name}*"):
            leftover.unlink()
        container = _open(f"sqlite:///{partial}", DATA_DIR)
        fill(container, progress)
        container.uow.engine.dispose()
        with closing(sqlite3.connect(partial)) as conn:  # fold the WAL into the file
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for suffix in ("-wal", "-shm"):
            Path(f"{partial}{suffix}").unlink(missing_ok=True)
        partial.rename(path)
    return _open(f"sqlite:///{path}", DATA_DIR)


def database_prefix(url: str) -> str:
    """The prefix of every cached PostgreSQL database: the one `url` names, sanitised."""
    return re.sub(r"[^a-z0-9_]", "_", (make_url(url).database or "deconflict_bench").lower())


def _postgresql(url: str, key: str, fill: Fill, progress: Progress | None) -> Container:
    base = make_url(url)
    name = f"{database_prefix(url)}_{key}"[:63]
    partial = f"{name[:55]}_partial"
    admin = create_engine(
        base.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).first()
            if exists is None:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{partial}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{partial}"'))
        if exists is None:
            partial_url = base.set(database=partial).render_as_string(hide_password=False)
            container = _open(partial_url, DATA_DIR)
            fill(container, progress)
            with container.uow.engine.connect() as conn:
                conn.execute(text("ANALYZE"))  # what autovacuum would soon do after a bulk load
                conn.commit()
            container.uow.engine.dispose()
            with admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{partial}" RENAME TO "{name}"'))
    finally:
        admin.dispose()
    return _open(base.set(database=name).render_as_string(hide_password=False), DATA_DIR)


def open_cached(
    url: str | None, key: str, fill: Fill, progress: Progress | None = None
) -> Container:
    """A container on the cached database `key`, filled by `fill` if missing: a SQLite
    file under bench/.data/ when `url` is None, else a PostgreSQL database named after
    the one in `url`."""
    return _postgresql(url, key, fill, progress) if url else _sqlite(key, fill, progress)


def open_seeded_on(url: str | None, size: int, progress: Progress | None = None) -> Container:
    """`open_seeded` on SQLite (`url` None) or on the PostgreSQL server of `url`."""

    def fill(container: Container, progress: Progress | None) -> None:
        seed(container, size, progress)

    container = open_cached(url, cache_key(size), fill, progress)
    stored = stored_operations(container)
    expected = size + len(planted().ignored)
    assert stored == expected, f"cached database has {stored} operations, not {expected}"
    return container


def open_seeded(size: int, progress: Progress | None = None) -> Container:
    """A container on a database seeded with `size` counting operations of other
    parties: from the cache, or seeded now (reporting progress)."""
    return open_seeded_on(os.environ.get(DATABASE_URL_ENV), size, progress)


def rich_progress(description: str) -> tuple[Progress, Callable[[], None]]:
    """A Rich progress bar on stderr, as (update, close)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(file=sys.__stderr__),
    )
    task = bar.add_task(description, total=None)
    bar.start()

    def update(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return update, bar.stop


def main(argv: list[str]) -> None:
    for size in [int(a) for a in argv] or [1_000, 10_000, 100_000]:
        update, close = rich_progress(f"seeding {size:,} operations ({backend()})")
        try:
            container = open_seeded(size, update)
        finally:
            close()
        container.uow.engine.dispose()
        print(f"{size:,} operations: ready ({backend()}, {cache_key(size)})")


if __name__ == "__main__":
    main(sys.argv[1:])
