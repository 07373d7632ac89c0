"""Area claims on PostgreSQL: a writer holding the claim of a place makes a submission
there wait until it commits (and then see its rows), and does not hold back one far away."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection

from deconflict.adapters import spatial
from deconflict.bootstrap import Container, bootstrap
from deconflict.config import Settings
from deconflict.domain.conflicts import Separation
from deconflict.domain.model import Caller, Role
from deconflict.domain.volumes import AltitudeBand, Circle, LatLng, TimeWindow, Volume4D
from deconflict.services import operations as ops
from deconflict.services import registry

pytestmark = pytest.mark.postgresql

START = datetime(2033, 3, 1, 9, tzinfo=UTC)
WINDOW = TimeWindow(START, START + timedelta(hours=1))
HERE = LatLng(-33.3, 151.1)
FAR = LatLng(-33.3, 152.1)  # 93 km east: other claim cells


@pytest.fixture
def container(postgres_url: str, tmp_path: Path) -> Iterator[Container]:
    c = bootstrap(Settings(data_dir=tmp_path, database_url=postgres_url))
    yield c
    c.close()


def _submitter(container: Container) -> Caller:
    root = Caller("root", "root", frozenset({Role.OPERATOR}))
    party = registry.create_party(container.uow, container.ctx, root, f"c-{uuid.uuid4().hex[:8]}")
    return Caller("pilot", party.id, frozenset({Role.SUBMITTER}))


def _volume(where: LatLng) -> Volume4D:
    return Volume4D(Circle(where, 500.0), AltitudeBand(30.0, 90.0), WINDOW)


def _submit_in_thread(
    container: Container, caller: Caller, where: LatLng
) -> tuple[threading.Thread, list[ops.Submission]]:
    done: list[ops.Submission] = []
    command = ops.OperationCommand("claims", 0, (_volume(where),))
    thread = threading.Thread(
        target=lambda: done.append(
            ops.submit_operation(container.uow, container.ctx, caller, command)
        )
    )
    thread.start()
    return thread, done


def _hold_claim(conn: Connection, where: LatLng) -> None:
    """A writer's transaction that claimed `where` and has not committed yet."""
    reach = Separation(50.0, 10.0, 60.0)
    spatial.Claims(conn).claim([spatial.extent(_volume(where), reach)])


def test_a_submission_where_a_writer_holds_the_claim_waits_for_it_and_one_far_away_does_not(
    container: Container,
) -> None:
    caller = _submitter(container)
    with container.uow.engine.connect() as conn:
        transaction = conn.begin()
        _hold_claim(conn, HERE)
        far, far_done = _submit_in_thread(container, caller, FAR)
        far.join(timeout=30)
        assert far_done, "a submission 93 km away waited for the claim here"
        near, near_done = _submit_in_thread(container, caller, HERE)
        near.join(timeout=1.0)
        assert near.is_alive(), "a submission here went on while the claim was held"
        assert not near_done
        transaction.commit()
    near.join(timeout=30)
    assert near_done, "the submission here went on once the claim was released"
