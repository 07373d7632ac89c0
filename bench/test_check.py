"""One dry-run check against N stored operations: the cell index vs the naive scan.

Grouped by size, so pytest-benchmark prints both paths side by side; `bench/report.py`
turns the saved JSON into medians and ratios. See docs/BENCHMARKS.md.
"""

from __future__ import annotations

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from bench.conftest import SIZES, Seeded
from bench.paths import CHECKS, same


@pytest.mark.parametrize("path", list(CHECKS))
@pytest.mark.parametrize("seeded", SIZES, indirect=True, ids=lambda n: f"{n}")
def test_check(benchmark: BenchmarkFixture, seeded: Seeded, path: str) -> None:
    benchmark.group = f"check vs {seeded.size:>7,} operations ({seeded.backend})"
    benchmark.extra_info.update(
        size=seeded.size,
        path=path,
        backend=seeded.backend,
        conflicts=seeded.conflicts,
        candidates=seeded.candidates if path == "indexed" else seeded.size,
    )
    c = seeded.container
    result = benchmark(CHECKS[path], c.uow, c.ctx, seeded.caller, seeded.volumes)
    assert same(result, seeded.expected)
