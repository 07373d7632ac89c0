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
from deconflict.domain.assessment import Assessment, assess
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
        around = timed(
            "airspace.around (one statement)",
            lambda: tx.airspace.around(QUERY_PARTY, volumes, ctx.default_separation),
        )
        return timed(
            "assess",
            lambda: assess(volumes, around.relations, around.zones, around.operations, ctx.frames),
        )

    for _ in range(rounds):
        timed("validate_volumes", lambda: validate_volumes(volumes, ctx))
        timed(
            "uow.run (nothing, as a check runs)",
            lambda: uow.run(lambda tx: None, write=False, snapshot=False),
        )
        timed("uow.run (the steps above)", lambda: uow.run(work, write=False, snapshot=False))
        timed("check_volumes (whole)", lambda: check_volumes(uow, ctx, caller, volumes))
    container.uow.engine.dispose()
    print(f"{size:,} operations ({backend()}), {rounds} rounds, medians:")
    for name, values in times.items():
        print(f"  {name:32s} {statistics.median(values) * 1e3:7.3f} ms")


if __name__ == "__main__":
    main(sys.argv[1:])
