"""Fixtures of the benchmark suite: seeded databases, one per size, and the query.

bench/ is not under the project's `testpaths`, so a plain `pytest` never collects it;
run it by name. Sizes come from DECONFLICT_BENCH_SIZES (default 1000,10000,100000); the
backend is SQLite unless DECONFLICT_BENCH_DATABASE_URL names a PostgreSQL database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bench.paths import CHECKS, same, unredacted
from bench.scenario import (
    backend,
    open_seeded,
    planted,
    query_caller,
    query_volume,
    rich_progress,
)
from deconflict.bootstrap import Container
from deconflict.domain.assessment import Assessment
from deconflict.domain.model import Caller
from deconflict.domain.volumes import Volume4D

SIZES = [int(s) for s in os.environ.get("DECONFLICT_BENCH_SIZES", "1000,10000,100000").split(",")]


@dataclass(frozen=True, slots=True)
class Seeded:
    """One seeded database and the query against it, with the answer both paths agree on."""

    size: int
    backend: str
    container: Container
    caller: Caller
    volumes: tuple[Volume4D, ...]
    expected: Assessment  # as the caller sees it
    conflicts: int
    candidates: int  # operations the index hands to the exact test


def _agreed_answer(
    container: Container, caller: Caller, volumes: tuple[Volume4D, ...]
) -> tuple[Assessment, int, int]:
    """Runs both paths once, asserts they find the same conflicts (and the planted
    ones, and no others of the planted), and returns the answer and the candidate count."""
    uow, ctx, party = container.uow, container.ctx, caller.party_id
    indexed = unredacted("indexed", uow, ctx, party, volumes)
    naive = unredacted("naive", uow, ctx, party, volumes)
    assert same(indexed, naive), "the indexed and the naive check disagree"
    found = {c.subject_id for c in indexed.conflicts}
    plants = planted()
    assert {o.id for o in plants.conflicts} <= found, "a planted conflict was missed"
    assert not found & {o.id for o in plants.misses + plants.ignored}, "a false conflict"

    public = {path: check(uow, ctx, caller, volumes) for path, check in CHECKS.items()}
    assert same(public["indexed"], public["naive"])
    assert same(public["indexed"], indexed.seen_by(party))

    reach = ctx.default_separation
    candidates = uow.run(
        lambda tx: len(tx.operations.candidates(volumes, reach, party)), write=False
    )
    return public["indexed"], len(found), candidates


@pytest.fixture(scope="session")
def seeded(request: pytest.FixtureRequest) -> Iterator[Seeded]:
    size: int = request.param
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        update, close = rich_progress(f"{size:,} operations ({backend()})")
        try:
            container = open_seeded(size, update)
        finally:
            close()
    caller, volumes = query_caller(), (query_volume(),)
    expected, conflicts, candidates = _agreed_answer(container, caller, volumes)
    yield Seeded(size, backend(), container, caller, volumes, expected, conflicts, candidates)
    container.uow.engine.dispose()
