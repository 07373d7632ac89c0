"""The audit log on real databases: every state change appends a chained event in its
own transaction, a direct edit of a stored row is caught by `verify`, and each party
reads only what concerns it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, update
from typer.testing import CliRunner

from deconflict.adapters import tables as t
from deconflict.bootstrap import Container, bootstrap
from deconflict.config import Settings
from deconflict.domain.errors import Forbidden
from deconflict.domain.model import AgreementKind, Caller, Role, ZoneKind
from deconflict.domain.notice import AckState
from deconflict.domain.review import Decision
from deconflict.domain.volumes import AltitudeBand, Circle, LatLng, TimeWindow, Volume4D
from deconflict.entrypoints.cli import app as cli
from deconflict.services import audit, notices, registry, reviews
from deconflict.services import operations as ops
from deconflict.services.ports import Page

ROOT = Caller("root", "root", frozenset({Role.OPERATOR}))


def _story(c: Container) -> tuple[str, str, str]:
    """Two partners and a third party go through one of everything; returns their ids."""
    uow, ctx = c.uow, c.ctx
    a, b, x = (
        registry.create_party(uow, ctx, ROOT, f"{n}-{uuid.uuid4().hex[:8]}").id for n in "abx"
    )
    alpha = Caller("alice", a, frozenset({Role.ADMIN, Role.SUBMITTER}))
    bravo = Caller("bob", b, frozenset({Role.ADMIN, Role.SUBMITTER, Role.REVIEWER}))
    agreement = registry.propose_agreement(
        uow, ctx, alpha, registry.AgreementCreate(AgreementKind.COORDINATION, b, None)
    )
    registry.accept_agreement(uow, ctx, bravo, agreement.id)
    center = LatLng(-55.0, -100.0 + uuid.uuid4().int % 1000 / 100)
    registry.create_zone(
        uow,
        ctx,
        bravo,
        registry.ZoneCreate(
            ZoneKind.REVIEW, "Range", Circle(center, 5000), AltitudeBand(0, 900), ()
        ),
    )
    registry.create_zone(
        uow,
        ctx,
        bravo,
        registry.ZoneCreate(
            ZoneKind.NOTIFY, "Port", Circle(center, 5000), AltitudeBand(0, 900), ()
        ),
    )
    start = datetime(2037, 1, 1, 9, tzinfo=UTC)
    volume = Volume4D(
        Circle(center, 300), AltitudeBand(10, 90), TimeWindow(start, start + timedelta(hours=1))
    )
    operation = ops.submit_operation(
        uow, ctx, alpha, ops.OperationCommand("Survey", 0, (volume,))
    ).operation
    [case] = uow.run(lambda tx: tx.reviews.of_operation(operation.id))
    reviews.decide(uow, ctx, bravo, case.id, reviews.DecisionCommand(Decision.APPROVE))
    [notice] = uow.run(lambda tx: tx.notices.of_operation(operation.id))
    notices.acknowledge(uow, ctx, bravo, notice.id, AckState.ACKNOWLEDGED, "")
    ops.withdraw_operation(uow, ctx, alpha, operation.id)
    return a, b, x


def test_every_state_change_leaves_an_audit_event_about_its_parties(container: Container) -> None:
    a, b, x = _story(container)
    page = Page(limit=100)
    seen_by_a = [
        e.draft.action
        for e in reversed(
            audit.list_audit(container.uow, Caller("s", a, frozenset({Role.ADMIN})), page)
        )
    ]
    assert seen_by_a == [
        "party.created",
        "agreement.proposed",
        "agreement.accepted",
        "operation.submitted",
        "review.opened",
        "notice.issued",
        "review.decided",
        "notice.answered",
        "notice.issued",  # the withdrawal notice
        "operation.withdrawn",
    ]
    seen_by_b = {
        e.draft.action
        for e in audit.list_audit(container.uow, Caller("s", b, frozenset({Role.ADMIN})), page)
    }
    assert {"zone.created", "review.decided", "notice.answered", "operation.submitted"} <= seen_by_b
    seen_by_x = [
        e.draft.action
        for e in audit.list_audit(container.uow, Caller("s", x, frozenset({Role.ADMIN})), page)
    ]
    assert seen_by_x == ["party.created"], "a third party reads nothing of the other two"
    with pytest.raises(Forbidden):
        audit.list_audit(container.uow, Caller("s", a, frozenset({Role.SUBMITTER})), page)
    decided = next(
        e
        for e in audit.list_audit(container.uow, Caller("s", a, frozenset({Role.ADMIN})), page)
        if e.draft.action == "review.decided"
    )
    assert (decided.draft.subject, decided.draft.party_id, decided.draft.roles) == (
        "bob",
        b,
        ("admin", "reviewer", "submitter"),
    )
    assert decided.draft.before is not None
    assert decided.draft.after is not None
    assert decided.draft.before != decided.draft.after


@pytest.fixture
def own_container(own_database_url: str, tmp_path: Path) -> Iterator[Container]:
    """A database of this test's own: it damages what it stores."""
    settings = Settings(data_dir=tmp_path, database_url=own_database_url, dispatch_in_process=False)
    container = bootstrap(settings)
    yield container
    container.close()


def test_verify_names_the_first_edited_or_missing_event(
    own_container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    container = own_container
    _story(container)
    count, broken = audit.verify_chain(container.uow, batch=7)
    assert broken is None
    assert count >= 15
    with container.uow.engine.begin() as conn:
        conn.execute(
            update(t.audit_events).where(t.audit_events.c.seq == 5).values(action="zone.created")
        )
    _, broken = audit.verify_chain(container.uow, batch=7)
    assert broken is not None
    assert (broken.seq, broken.reason) == (5, "its contents do not match its hash (edited)")

    monkeypatch.setenv("DECONFLICT_DATA_DIR", str(container.settings.data_dir))
    monkeypatch.setenv("DECONFLICT_DATABASE_URL", container.settings.effective_database_url)
    result = CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert "broken at event 5" in result.output

    with container.uow.engine.begin() as conn:
        conn.execute(delete(t.audit_parties).where(t.audit_parties.c.seq <= 5))
        conn.execute(delete(t.audit_events).where(t.audit_events.c.seq <= 5))
    _, broken = audit.verify_chain(container.uow)
    assert broken is not None
    assert broken.seq == 1, "the chain must start at 1"
