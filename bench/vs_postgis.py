"""One conflict check by deconflict beside PostGIS and an in-process STRtree (issue 16).

    scripts/postgis                                   # once per machine: PostGIS
    DECONFLICT_BENCH_SIZES=1000,10000 .venv/bin/python -m bench.vs_postgis
    .venv/bin/python -m bench.vs_postgis --load 100000    # also bulk-load timings

For each case, on the same operations, four paths answer the same 4D question with
the default minima (50 m, 10 m, 60 s), measured in one process, in alternating blocks
(each block runs every path, in a rotating order), after warm-up:

- `PostGIS`: `bench.baselines.PostGIS`, a prepared GiST query returning ids.
- `STRtree`: `bench.baselines.InProcess`, shapely STRtree + numpy, returning ids.
- `SQLite` and `PostgreSQL`: `services.operations.check_volumes` (the whole dry run:
  role, validation, one read transaction, exact test, need-to-know) on the scenario's
  cached databases (bench/scenario.py, bench/hotspot.py).

Cases: `check` (the scenario's query against each size of DECONFLICT_BENCH_SIZES,
default 1000,10000,100000), `hot` (1,000 operations within 5 km, plus 10,000),
`plan` (a 50-volume plan) and `large` (a 9,980 km2 square), the last two against the
largest size. Before timing, every path's answer is checked against the others:
the baselines return the same operation volumes, and each deconflict check reports
exactly one conflict for each of them, with the overlap (window, band) the domain
computes for that pair; the planted conflicts are among them, the planted misses not.

PostgreSQL: the server and the database-name prefix of DECONFLICT_BENCH_DATABASE_URL
(default postgresql+psycopg://postgres@127.0.0.1:5432/deconflict_bench). Databases kept
as caches: `<prefix>_n<size>_...`, `<prefix>_hot..._...` and `<prefix>_postgis` (one
table per case). `--load N` seeds N operations into a temporary SQLite file and a
temporary PostgreSQL database `<prefix>_load_tmp` (both removed afterwards).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.baselines import InProcess, PostGIS, Row, rows
from bench.hotspot import (
    HOT_SPOT_BACKGROUND,
    HOT_SPOT_COUNT,
    hot_spot_key,
    hot_spot_stored,
    large_volume,
    route_plan,
    seed_hot_spot,
)
from bench.scenario import (
    DATA_DIR,
    DATABASE_URL_ENV,
    QUERY_PARTY,
    SCENARIO_VERSION,
    Progress,
    _open,
    cache_key,
    database_prefix,
    open_cached,
    open_seeded_on,
    planted,
    query_caller,
    query_volume,
    rich_progress,
    seed,
    stored,
    stored_operations,
)
from deconflict.bootstrap import Container
from deconflict.domain.conflicts import altitude_overlap, time_overlap
from deconflict.domain.volumes import Volume4D
from deconflict.services.operations import check_volumes

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/deconflict_bench"
PATHS = ("PostGIS", "STRtree", "SQLite", "PostgreSQL")
CASES = ("check", "hot", "plan", "large")


@dataclass
class Data:
    """One set of stored operations on all four paths."""

    label: str
    stored: int
    sqlite: Container
    postgresql: Container
    postgis: PostGIS
    inprocess: InProcess
    rows: dict[tuple[str, int], Row]

    def close(self) -> None:
        self.sqlite.uow.engine.dispose()
        self.postgresql.uow.engine.dispose()
        self.postgis.close()


@dataclass
class Result:
    case: str
    stored: int
    volumes: int
    conflicts: int
    times: dict[str, list[float]] = field(default_factory=dict)

    def median(self, path: str) -> float:
        return statistics.median(self.times[path])


def _with_progress(label: str, open_: Callable[[Progress], Container]) -> Container:
    update, close = rich_progress(label)
    try:
        return open_(update)
    finally:
        close()


def _data(
    label: str,
    url: str,
    stored_count: int,
    operations: Callable[[], Iterable[Any]],
    table: str,
    open_: Callable[[str | None, Progress], Container],
) -> Data:
    sqlite = _with_progress(f"{label} (sqlite)", lambda p: open_(None, p))
    postgresql = _with_progress(f"{label} (postgresql)", lambda p: open_(url, p))
    data = rows(operations())
    postgis = PostGIS(url, table, data)
    if postgis.load_s is not None:
        print(f"  {label}: PostGIS table {postgis.table} loaded in {postgis.load_s:.1f} s")
    start = time.perf_counter()
    inprocess = InProcess(data)
    print(
        f"  {label}: STRtree over {len(data):,} volumes built in {time.perf_counter() - start:.2f} s"
    )
    by_key = {(r.operation_id, r.volume_index): r for r in data}
    return Data(label, stored_count, sqlite, postgresql, postgis, inprocess, by_key)


def uniform(url: str, size: int) -> Data:
    return _data(
        f"{size:,} operations",
        url,
        size,
        lambda: stored(size),
        f"ops_{cache_key(size)}",
        lambda u, p: open_seeded_on(u, size, p),
    )


def hot(url: str) -> Data:
    total = HOT_SPOT_COUNT + HOT_SPOT_BACKGROUND

    def open_(u: str | None, p: Progress) -> Container:
        container = open_cached(u, hot_spot_key(), seed_hot_spot, p)
        found = stored_operations(container)
        assert found == total, f"cached hot spot has {found} operations, not {total}"
        return container

    return _data("hot spot", url, total, hot_spot_stored, f"ops_{hot_spot_key()}", open_)


def agree(data: Data, volumes: Sequence[Volume4D], uniform_query: bool) -> int:
    """Asserts that all four paths give the same answer; returns the conflicts."""
    c = data.sqlite
    sep, caller = c.ctx.default_separation, query_caller()
    postgis = data.postgis.query(volumes, sep, QUERY_PARTY)
    inprocess = data.inprocess.query(volumes, sep, QUERY_PARTY)
    if postgis != inprocess:
        raise AssertionError(
            f"{data.label}: PostGIS and STRtree disagree: only PostGIS {postgis - inprocess}, "
            f"only STRtree {inprocess - postgis}"
        )
    expected: Counter[tuple[Any, ...]] = Counter()
    for i, op_id, k in postgis:
        other = data.rows[(op_id, k)].volume
        window = time_overlap(volumes[i].time, other.time, sep.time_s)
        band = altitude_overlap(volumes[i].altitude, other.altitude, sep.vertical_m)
        expected[(i, window, band)] += 1
    for name, container in (("SQLite", data.sqlite), ("PostgreSQL", data.postgresql)):
        answer = check_volumes(container.uow, container.ctx, caller, volumes)
        got = Counter(
            (x.volume_index, x.overlap.time, x.overlap.altitude)
            for x in answer.conflicts
            if x.subject_type == "operation"
        )
        if got != expected:
            raise AssertionError(
                f"{data.label}: deconflict on {name} and the baselines disagree: "
                f"only deconflict {got - expected}, only the baselines {expected - got}"
            )
    if uniform_query:
        found = {op_id for _, op_id, _ in postgis}
        plants = planted()
        assert {o.id for o in plants.conflicts} <= found, "a planted conflict was missed"
        assert not found & {o.id for o in plants.misses + plants.ignored}, "a false conflict"
    return len(postgis)


def measure(
    data: Data, case: str, volumes: Sequence[Volume4D], blocks: int, block_s: float, calls: int
) -> Result:
    conflicts = agree(data, volumes, case == "check")
    sep, caller = data.sqlite.ctx.default_separation, query_caller()
    sqlite, pg = data.sqlite, data.postgresql
    runs: dict[str, Callable[[], object]] = {
        "PostGIS": lambda: data.postgis.query(volumes, sep, QUERY_PARTY),
        "STRtree": lambda: data.inprocess.query(volumes, sep, QUERY_PARTY),
        "SQLite": lambda: check_volumes(sqlite.uow, sqlite.ctx, caller, volumes),
        "PostgreSQL": lambda: check_volumes(pg.uow, pg.ctx, caller, volumes),
    }
    per_block: dict[str, int] = {}
    for name, run in runs.items():  # warm-up, and how many calls fit in a block
        start = time.perf_counter()
        for _ in range(3):
            run()
        each = (time.perf_counter() - start) / 3
        per_block[name] = max(1, min(calls, int(block_s / each)))
    result = Result(case, data.stored, len(volumes), conflicts, {name: [] for name in runs})
    names = list(runs)
    for b in range(blocks):
        gc.collect()
        for name in names[b % len(names) :] + names[: b % len(names)]:
            run, times = runs[name], result.times[name]
            for _ in range(per_block[name]):
                start = time.perf_counter()
                run()
                times.append(time.perf_counter() - start)
    return result


def _ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.1f}" if ms >= 10 else f"{ms:.2f}"


CASE_LABELS = {
    "check": "1 volume",
    "hot": f"1 volume, {HOT_SPOT_COUNT:,} ops within 5 km",
    "plan": "50-volume plan",
    "large": "9,980 km2 footprint",
}


def table(results: Sequence[Result]) -> str:
    lines = [
        "| case | stored | conflicts | PostGIS ms | STRtree ms | SQLite ms (x PostGIS) "
        "| PostgreSQL ms (x PostGIS) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        base = r.median("PostGIS")
        cells = [CASE_LABELS[r.case], f"{r.stored:,}", str(r.conflicts), _ms(base)]
        cells.append(_ms(r.median("STRtree")))
        for path in ("SQLite", "PostgreSQL"):
            cells.append(f"{_ms(r.median(path))} ({r.median(path) / base:.1f}x)")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def spread(results: Sequence[Result]) -> str:
    """Per path: median, min, interquartile range and the number of timed calls."""
    lines = []
    for r in results:
        parts = []
        for path in PATHS:
            ts = sorted(r.times[path])
            q1, _, q3 = (
                statistics.quantiles(ts, n=4, method="inclusive") if len(ts) > 1 else (ts[0],) * 3
            )
            parts.append(f"{path} {_ms(ts[0])}-{_ms(q1)}/{_ms(q3)} n={len(ts)}")
        lines.append(f"  {CASE_LABELS[r.case]}, {r.stored:,}: min-q1/q3 ms: " + "; ".join(parts))
    return "\n".join(lines)


# ---- Bulk load ----------------------------------------------------------------------


def load(url: str, size: int) -> list[tuple[str, float]]:
    """Seconds to seed `size` operations (`scenario.seed`) into fresh databases."""
    figures: list[tuple[str, float]] = []
    start = time.perf_counter()
    data = rows(stored(size))
    figures.append(
        ("generate the operations (in seed, not a database)", time.perf_counter() - start)
    )

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / f"load_tmp_{os.getpid()}.db"
    try:
        container = _open(f"sqlite:///{path}", DATA_DIR)
        figures.append(("SQLite: seed()", _timed_seed(container, size, "SQLite")))
        container.uow.engine.dispose()
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    base = make_url(url)
    name = f"{database_prefix(url)}_load_tmp"[:63]
    admin = create_engine(
        base.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            container = _open(
                base.set(database=name).render_as_string(hide_password=False), DATA_DIR
            )
            figures.append(("PostgreSQL: seed()", _timed_seed(container, size, "PostgreSQL")))
            container.uow.engine.dispose()
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()

    postgis = PostGIS(url, f"load_tmp_{os.getpid()}", data)
    assert postgis.load_s is not None
    figures.append(("PostGIS: COPY, geographies, GiST, ANALYZE", postgis.load_s))
    postgis.drop()
    postgis.close()
    return figures


def _timed_seed(container: Container, size: int, label: str) -> float:
    update, close = rich_progress(f"seeding {size:,} operations ({label})")
    try:
        start = time.perf_counter()
        seed(container, size, update)
        return time.perf_counter() - start
    finally:
        close()


# ---- Main ---------------------------------------------------------------------------


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.vs_postgis", description=__doc__)
    parser.add_argument("--cases", default=",".join(CASES), help="of " + ",".join(CASES))
    parser.add_argument("--blocks", type=int, default=10, help="alternating blocks per case")
    parser.add_argument("--block-s", type=float, default=0.1, help="time per path per block")
    parser.add_argument("--calls", type=int, default=20, help="most calls per path per block")
    parser.add_argument("--load", type=int, default=0, help="also time seeding N operations")
    parser.add_argument("--json", type=Path, help="write every timing to this file")
    args = parser.parse_args(argv)
    cases = args.cases.split(",")
    unknown = set(cases) - set(CASES)
    if unknown:
        parser.error(f"unknown cases {sorted(unknown)}")
    sizes = [
        int(s) for s in os.environ.get("DECONFLICT_BENCH_SIZES", "1000,10000,100000").split(",")
    ]
    url = os.environ.get(DATABASE_URL_ENV) or DEFAULT_URL
    if make_url(url).get_backend_name() != "postgresql":
        parser.error(f"{DATABASE_URL_ENV} must name a PostgreSQL server")

    def run(data: Data, case: str, volumes: Sequence[Volume4D]) -> Result:
        result = measure(data, case, volumes, args.blocks, args.block_s, args.calls)
        print(table([result]).splitlines()[-1], flush=True)
        return result

    results: list[Result] = []
    started = time.perf_counter()
    print(f"scenario v{SCENARIO_VERSION}, PostgreSQL at {make_url(url).render_as_string()}")
    for size in sizes:
        if not {"check", "plan", "large"} & set(cases):
            break
        data = uniform(url, size)
        try:
            if "check" in cases:
                results.append(run(data, "check", (query_volume(),)))
            if size == max(sizes):
                if "plan" in cases:
                    results.append(run(data, "plan", route_plan()))
                if "large" in cases:
                    results.append(run(data, "large", (large_volume(),)))
        finally:
            data.close()
    if "hot" in cases:
        data = hot(url)
        try:
            results.append(run(data, "hot", (query_volume(),)))
        finally:
            data.close()
    if results:
        print()
        print(table(results))
        print(spread(results))
    figures = load(url, args.load) if args.load else []
    if figures:
        print(f"\nbulk load of {args.load:,} operations:")
        for label, seconds in figures:
            print(f"  {label:52s} {seconds:8.1f} s  ({args.load / seconds:,.0f} ops/s)")
    print(f"\n({time.perf_counter() - started:.0f} s in all)")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "results": [r.__dict__ for r in results],
                    "load": {"size": args.load, "seconds": dict(figures)},
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main(sys.argv[1:])
