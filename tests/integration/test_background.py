"""Background work runs once per deployment: of several processes on one database only
the lease holder acts, and another takes over when the holder stops renewing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from deconflict.bootstrap import Container, bootstrap
from deconflict.config import Settings
from deconflict.domain.model import Caller, Role
from deconflict.entrypoints.background import Background
from deconflict.services import audit, leases, registry

LEASE_S = 0.6


@pytest.fixture
def deployment(own_database_url: str, tmp_path: Path) -> Iterator[tuple[Container, Container]]:
    """Two processes' containers on one database of its own (a lease name is global)."""
    settings = Settings(
        data_dir=tmp_path,
        database_url=own_database_url,
        dispatch_in_process=False,
        deadline_interval_s=0,
        audit_anchor_interval_s=0.01,
        lease_s=LEASE_S,
    )
    first, second = bootstrap(settings), bootstrap(settings)
    yield first, second
    first.close()
    second.close()


def test_only_the_lease_holder_does_the_background_work(
    deployment: tuple[Container, Container],
) -> None:
    first, second = deployment
    one, two = Background(first, "process-1"), Background(second, "process-2")
    assert one.tick() is True
    assert two.tick() is False, "the lease is held by the first process"
    registry.create_party(
        first.uow, first.ctx, Caller("root", "root", frozenset({Role.OPERATOR})), "x"
    )
    assert two.tick() is False
    assert audit.verify_chain(first.uow).unanchored > 0, "the second did not anchor"
    time.sleep(0.02)
    assert one.tick() is True
    assert audit.verify_chain(first.uow).unanchored == 0, "the holder anchored"


def test_another_process_takes_over_when_the_holder_stops_renewing(
    deployment: tuple[Container, Container],
) -> None:
    first, second = deployment
    assert leases.hold(first.uow, first.ctx, "chore", "process-1", LEASE_S)
    assert not leases.hold(second.uow, second.ctx, "chore", "process-2", LEASE_S)
    assert leases.hold(first.uow, first.ctx, "chore", "process-1", LEASE_S), "renewed"
    time.sleep(LEASE_S + 0.1)
    assert leases.hold(second.uow, second.ctx, "chore", "process-2", LEASE_S), "taken over"
    assert not leases.hold(first.uow, first.ctx, "chore", "process-1", LEASE_S)
