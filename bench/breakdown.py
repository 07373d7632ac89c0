"""Where the time of one indexed check goes: the median of each step, timed separately.

    .venv/bin/python -m bench.breakdown 100000     # a cached size (seeds it if missing)

Mirrors services.operations._assess step by step inside one read transaction; the
backend follows DECONFLICT_BENCH_DATABASE_URL as in the benchmarks.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import TypeVar

from bench.scenario import QUERY_PARTY, backend, open_seeded, query_caller, query_volume
from deconflict.adapters.cells import cover
from deconflict.domain.assessment import Assessment, Relations, assess
from deconflict.services.operations import check_volumes, validate_volumes
from deconflict.services.ports import Transaction

T = TypeVar("T")


def main(argv: list[str]) -> None:
    size = int(argv[0]) if argv else 100_000
    rounds = int(argv[1]) if len(argv) > 1 else 300
    container = open_seeded(size)
    uow, ctx, volumes, caller = container.uow, container.ctx, (query_volume(),), query_caller()
    times: dict[str, list[float]] = {}

    def timed(name: str, f: Callable[[], T]) -> T:
        start = time.perf_counter()
        result = f()
        times.setdefault(name, []).append(time.perf_counter() - start)
        return result

    def work(tx: Transaction) -> Assessment:
        agreements = timed(
            "agreements.active_of_party", lambda: tx.agreements.active_of_party(QUERY_PARTY)
        )
        relations = Relations.of(QUERY_PARTY, agreements, ctx.default_separation)
        reach = relations.widest_separation()
        zones = timed(
            "zones.candidates",
            lambda: tx.zones.candidates(volumes, reach, list(relations.agreements)),
        )
        operations = timed(
            "operations.candidates", lambda: tx.operations.candidates(volumes, reach, QUERY_PARTY)
        )
        return timed("assess", lambda: assess(volumes, relations, zones, operations, ctx.frames))

    for _ in range(rounds):
        timed("validate_volumes", lambda: validate_volumes(volumes, ctx))
        timed("uow.run (empty transaction)", lambda: uow.run(lambda tx: None, write=False))
        timed("uow.run (the steps above)", lambda: uow.run(work, write=False))
        timed("cover (one footprint)", lambda: cover(volumes[0].footprint, 50.0, ctx.frames))
        timed("check_volumes (whole)", lambda: check_volumes(uow, ctx, caller, volumes))
    container.uow.engine.dispose()
    print(f"{size:,} operations ({backend()}), {rounds} rounds, medians:")
    for name, values in times.items():
        print(f"  {name:32s} {statistics.median(values) * 1e3:7.3f} ms")


if __name__ == "__main__":
    main(sys.argv[1:])
