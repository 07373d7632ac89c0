"""Writes under load on PostgreSQL, against `deconflict serve --workers 2` in its own
processes: 64 concurrent clients submit pairs of mutually overlapping operations, each
pair at its own place, retrying with Idempotency-Key. No conflict is lost, nothing
answers 500, retries create nothing twice; and a worker killed with SIGKILL mid-load
loses no acknowledged write, index row or audit event.

The suite runs a short version (DECONFLICT_LOAD_PAIRS, default 60 pairs);
`DECONFLICT_LOAD_PAIRS=400` runs the full one. Throughput is measured in bench/load.py.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from deconflict.adapters import tables as t
from deconflict.bootstrap import bootstrap
from deconflict.services import audit
from tests.conftest import _fresh_postgres
from tests.load import Load, serving

pytestmark = pytest.mark.postgresql

PAIRS = int(os.environ.get("DECONFLICT_LOAD_PAIRS", "60"))
CLIENTS = 64


@pytest.fixture
def load_database() -> Iterator[str]:
    """A PostgreSQL database of this test's own (the server processes migrate it)."""
    with _fresh_postgres() as url:
        yield url


def _assert_all_stored(load: Load, url: str, acknowledged: list[str]) -> None:
    stored = load.stored()
    assert [name for name, count in stored.items() if count > 1] == [], "duplicates"
    engine = create_engine(url)
    with engine.connect() as conn:
        ids = set(conn.execute(select(t.operations.c.id)).scalars())
        indexed = set(conn.execute(select(t.operation_volumes.c.operation_id).distinct()).scalars())
        chains = set(
            conn.execute(
                select(t.audit_events.c.object_id).where(
                    t.audit_events.c.action == "operation.submitted"
                )
            ).scalars()
        )
        missing = [i for i in acknowledged if i not in ids]
        assert missing == [], f"acknowledged but not stored: {missing[:5]}"
        assert [i for i in acknowledged if i not in indexed] == [], "acknowledged, not indexed"
        assert [i for i in acknowledged if i not in chains] == [], "acknowledged, not audited"
        assert conn.execute(select(func.count()).select_from(t.operations)).scalar_one() == len(
            stored
        ), "every stored operation is one of the load's"
    engine.dispose()


def test_64_clients_on_two_workers_lose_no_conflict_and_get_no_500(
    load_database: str, tmp_path: Path
) -> None:
    with serving(load_database, tmp_path, workers=2) as server:
        load = Load(server, PAIRS, CLIENTS)
        result = load.run()
        print(result.summary())
        assert result.lost_conflicts == 0
        assert result.statuses[500] == 0
        assert set(result.statuses) <= {201, 503}, result.statuses
        assert len(result.acknowledged) == 2 * PAIRS, "every submission got through"
        assert result.replays_checked > 0
        assert result.replays_mismatched == 0
        _assert_all_stored(load, load_database, result.acknowledged)
    container = bootstrap(server.settings, migrate=False)
    try:
        assert audit.verify_chain(container.uow).broken is None
    finally:
        container.close()


def test_a_worker_killed_mid_load_loses_no_acknowledged_write(
    load_database: str, tmp_path: Path
) -> None:
    with serving(load_database, tmp_path, workers=2) as server:
        load = Load(server, PAIRS, CLIENTS // 2)
        victim = server.workers()[0]
        killed = threading.Event()

        def kill_when_busy() -> None:
            time.sleep(1.0)
            os.kill(victim, signal.SIGKILL)
            killed.set()

        killer = threading.Thread(target=kill_when_busy)
        killer.start()
        result = load.run()
        killer.join()
        assert killed.is_set()
        assert result.statuses[500] == 0
        assert result.lost_conflicts == 0
        _assert_all_stored(load, load_database, result.acknowledged)
    container = bootstrap(server.settings, migrate=False)
    try:
        report = audit.verify_chain(container.uow)
        assert report.broken is None
        assert report.events >= len(result.acknowledged)
    finally:
        container.close()
