"""Overload is a 503 with Retry-After, never a 500: contention that outlasts the retry
budget, a server out of a resource, and a pool with no free connection."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from deconflict.adapters.sql import SqlTransaction
from deconflict.bootstrap import Container, bootstrap
from deconflict.config import Settings
from deconflict.domain.errors import Unavailable
from deconflict.entrypoints.api.app import create_app
from deconflict.services.ports import Transaction

pytestmark = pytest.mark.postgresql


def _raising(sqlstate: str, attempts: list[float]) -> object:
    """Work that makes the server itself raise `sqlstate` (a real error, not a mock)."""

    def work(tx: Transaction) -> None:
        attempts.append(time.monotonic())
        assert isinstance(tx, SqlTransaction)
        conn = tx.parties._c  # type: ignore[attr-defined]
        conn.execute(
            text(f"DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '{sqlstate}'; END $$")
        )

    return work


@pytest.fixture
def pg(postgres_url: str, tmp_path: Path) -> Iterator[Container]:
    settings = Settings(
        data_dir=tmp_path,
        database_url=postgres_url,
        dispatch_in_process=False,
        deadline_interval_s=0,
        audit_anchor_interval_s=0,
        retry_budget_s=0.3,
        db_pool_size=1,
        db_max_overflow=0,
        db_pool_timeout_s=0.2,
    )
    container = bootstrap(settings)
    yield container
    container.close()


def test_serialization_failures_that_outlast_the_budget_give_up_in_bounded_time(
    pg: Container,
) -> None:
    attempts: list[float] = []
    started = time.monotonic()
    with pytest.raises(Unavailable):
        pg.uow.run(_raising("40001", attempts))  # type: ignore[arg-type]
    assert len(attempts) > 2, "retried with backoff before giving up"
    assert time.monotonic() - started < 0.3 + 0.5


def test_a_server_out_of_resources_is_unavailable_at_once(pg: Container) -> None:
    for sqlstate in ("53200", "53400"):  # out of memory, configuration limit exceeded
        attempts: list[float] = []
        with pytest.raises(Unavailable):
            pg.uow.run(_raising(sqlstate, attempts))  # type: ignore[arg-type]
        assert len(attempts) == 1


def test_a_request_that_finds_no_free_connection_gets_503_with_retry_after(
    pg: Container,
) -> None:
    client = TestClient(create_app(container=pg))
    token = pg.issuer.mint("bootstrap-admin", ["operator"], 600)
    with pg.uow.engine.connect():  # the pool's only connection, held
        answer = client.post(
            "/v1/parties",
            json={"name": f"busy-{uuid.uuid4().hex[:8]}"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 503
    assert int(answer.headers["Retry-After"]) >= 1
    assert "retry" in answer.json()["detail"]
    again = client.get("/v1/parties", headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 200
