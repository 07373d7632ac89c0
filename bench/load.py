"""Write throughput: `deconflict serve` in its own processes under N concurrent clients.

    .venv/bin/python -m bench.load                       # the whole matrix
    .venv/bin/python -m bench.load --pairs 200 --clients 16 --workers 2 --database postgresql
    .venv/bin/python -m bench.load --profile             # where one submission's CPU goes

For each database (SQLite in a temporary folder, PostgreSQL in a database of its own),
process count and client count it prints successful submissions per second, p50/p99
latency, the answers by status, and the CPU the server and the database spent per
acknowledged submission. Clients are tests/load.py's: pairs of overlapping operations,
Idempotency-Key on every submission, 503s retried after Retry-After. The rate limit is
off. Figures go to docs/BENCHMARKS.md with the command that produced them.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from deconflict.bootstrap import bootstrap
from deconflict.config import Settings
from deconflict.domain.model import Caller, Role
from deconflict.domain.volumes import AltitudeBand, Circle, LatLng, TimeWindow, Volume4D
from deconflict.services import operations as ops
from deconflict.services import registry
from tests.conftest import _fresh_postgres
from tests.load import Load, serving


def run(database: str, workers: int, clients: int, pairs: int) -> str:
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        if database == "sqlite":
            return _measure(f"sqlite:///{data / 'load.db'}", data, workers, clients, pairs)
        with _fresh_postgres() as url:
            return _measure(url, data, workers, clients, pairs)


def _measure(url: str, data: Path, workers: int, clients: int, pairs: int) -> str:
    with serving(url, data, workers) as server:
        Load(server, 20, min(clients, 8)).run()  # warm up: pools, caches, plans
        result = Load(server, pairs, clients).run()
    fivexx = sum(n for status, n in result.statuses.items() if status >= 500)
    cpu_ms = 1000 * result.cpu_s / max(1, len(result.acknowledged))
    return (
        f"| {workers} | {clients} | {result.per_s:.1f} | {result.percentile_ms(0.5):.0f} | "
        f"{result.percentile_ms(0.99):.0f} | {fivexx} | {result.lost_conflicts} | {cpu_ms:.1f} |"
    )


def profile(database: str, submissions: int = 300) -> None:
    """cProfile of `submit_operation` in this process (no HTTP), the hottest 25."""
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        if database == "sqlite":
            _profile(f"sqlite:///{data / 'p.db'}", data, submissions)
            return
        with _fresh_postgres() as url:
            _profile(url, data, submissions)


def _profile(url: str, data: Path, submissions: int) -> None:
    c = bootstrap(Settings(data_dir=data, database_url=url, audit_anchor_interval_s=0))
    root = Caller("root", "root", frozenset({Role.OPERATOR}))
    party = registry.create_party(c.uow, c.ctx, root, f"profile-{uuid.uuid4().hex[:6]}")
    pilot = Caller("pilot", party.id, frozenset({Role.SUBMITTER}))
    start = datetime.now(UTC) + timedelta(days=3)

    def submit(i: int) -> None:
        where = LatLng(-40 + (i // 100) * 0.2, 10 + (i % 100) * 0.2)
        volume = Volume4D(
            Circle(where, 600), AltitudeBand(20, 120), TimeWindow(start, start + timedelta(hours=1))
        )
        ops.submit_operation(c.uow, c.ctx, pilot, ops.OperationCommand("p", 0, (volume,)))

    for i in range(50):
        submit(i)
    cpu, wall = time.process_time(), time.perf_counter()
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(50, 50 + submissions):
        submit(i)
    profiler.disable()
    print(
        f"{c.uow.engine.dialect.name}: {1000 * (time.process_time() - cpu) / submissions:.2f} ms "
        f"CPU and {1000 * (time.perf_counter() - wall) / submissions:.2f} ms wall per submission "
        "in the service (this process only)"
    )
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    c.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], action="append")
    parser.add_argument("--workers", type=int, action="append")
    parser.add_argument("--clients", type=int, action="append")
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    databases = args.database or ["postgresql", "sqlite"]
    if args.profile:
        for database in databases:
            profile(database)
        return
    for database in databases:
        print(f"\n{database}, {args.pairs} pairs\n")
        print(
            "| processes | clients | submissions/s | p50 ms | p99 ms | 5xx | lost | CPU ms/submission |"
        )
        print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for workers in args.workers or [1, 2]:
            for clients in args.clients or [1, 16, 64]:
                print(run(database, workers, clients, args.pairs), flush=True)


if __name__ == "__main__":
    main()
