"""The audit log on real databases: every state change appends a chained event in its
own transaction, a direct edit of a stored row is caught by `verify`, and each party
reads only what concerns it."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update
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
        e.event.draft.action
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
        e.event.draft.action
        for e in audit.list_audit(container.uow, Caller("s", b, frozenset({Role.ADMIN})), page)
    }
    assert {"zone.created", "review.decided", "notice.answered", "operation.submitted"} <= seen_by_b
    seen_by_x = [
        e.event.draft.action
        for e in audit.list_audit(container.uow, Caller("s", x, frozenset({Role.ADMIN})), page)
    ]
    assert seen_by_x == ["party.created"], "a third party reads nothing of the other two"
    with pytest.raises(Forbidden):
        audit.list_audit(container.uow, Caller("s", a, frozenset({Role.SUBMITTER})), page)
    decided_as_a = next(
        e
        for e in audit.list_audit(container.uow, Caller("s", a, frozenset({Role.ADMIN})), page)
        if e.event.draft.action == "review.decided"
    )
    assert not decided_as_a.own, "the submitter sees the reviewer's people only as their party"
    decided = next(
        e
        for e in audit.list_audit(container.uow, Caller("s", b, frozenset({Role.ADMIN})), page)
        if e.event.draft.action == "review.decided"
    )
    assert decided.own
    assert decided == dataclasses.replace(decided_as_a, own=True)
    assert (decided.event.draft.subject, decided.event.draft.party_id) == ("bob", b)
    assert decided.event.draft.roles == ("admin", "reviewer", "submitter")
    assert decided.event.draft.before is not None
    assert decided.event.draft.after is not None
    assert decided.event.draft.before != decided.event.draft.after


def test_each_object_has_a_chain_of_its_own_numbered_from_one(container: Container) -> None:
    a, _, _ = _story(container)
    entries = audit.list_audit(
        container.uow, Caller("s", a, frozenset({Role.ADMIN})), Page(limit=100)
    )
    by_chain: dict[str, list[int]] = {}
    for entry in entries:
        by_chain.setdefault(entry.event.chain, []).append(entry.event.seq)
    operation_chain = next(c for c in by_chain if c.startswith("operation:"))
    assert sorted(by_chain[operation_chain]) == [1, 2], "submitted, then withdrawn"
    assert all(sorted(seqs)[0] == 1 for seqs in by_chain.values())


@pytest.fixture
def own_container(own_database_url: str, tmp_path: Path) -> Iterator[Container]:
    """A database of this test's own: it damages what it stores."""
    settings = Settings(data_dir=tmp_path, database_url=own_database_url, dispatch_in_process=False)
    container = bootstrap(settings)
    yield container
    container.close()


def _chains(container: Container) -> dict[str, int]:
    """Every chain and its length."""
    with container.uow.engine.connect() as conn:
        rows = conn.execute(
            select(t.audit_events.c.chain_id, func.max(t.audit_events.c.seq)).group_by(
                t.audit_events.c.chain_id
            )
        ).all()
    return {chain: int(length) for chain, length in rows}


def test_verify_names_the_first_edited_or_missing_event(
    own_container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    container = own_container
    _story(container)
    report = audit.verify_chain(container.uow, batch=7)
    assert report.broken is None
    assert report.events >= 15
    assert report.unanchored == report.events, "nothing is anchored yet"
    anchored = audit.anchor(container.uow, container.ctx)
    assert anchored is not None
    assert audit.anchor(container.uow, container.ctx) is None, "nothing new to anchor"
    report = audit.verify_chain(container.uow, batch=7)
    assert (report.broken, report.anchors, report.unanchored) == (None, 1, 0)

    chains = _chains(container)
    operation = next(c for c in chains if c.startswith("operation:"))
    e = t.audit_events.c
    with container.uow.engine.begin() as conn:
        conn.execute(
            update(t.audit_events)
            .where(e.chain_id == operation, e.seq == 1)
            .values(action="zone.created")
        )
    broken = audit.verify_chain(container.uow, batch=7).broken
    assert broken is not None
    assert (broken.where, broken.reason) == (
        f"{operation}#1",
        "its contents do not match its hash (edited)",
    )

    monkeypatch.setenv("DECONFLICT_DATA_DIR", str(container.settings.data_dir))
    monkeypatch.setenv("DECONFLICT_DATABASE_URL", container.settings.effective_database_url)
    result = CliRunner(env={"COLUMNS": "200"}).invoke(cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"broken at {operation}#1" in result.output


def _without(container: Container, chain: str, from_seq: int) -> None:
    e, p, u = t.audit_events.c, t.audit_parties.c, t.audit_unanchored.c
    with container.uow.engine.begin() as conn:
        conn.execute(delete(t.audit_parties).where(p.chain_id == chain, p.seq >= from_seq))
        conn.execute(delete(t.audit_unanchored).where(u.chain_id == chain, u.seq >= from_seq))
        conn.execute(delete(t.audit_events).where(e.chain_id == chain, e.seq >= from_seq))


@pytest.mark.parametrize(
    ("cut_from", "reason"),
    [(2, "an anchored event is gone or no longer matches"), (1, "an anchored event is gone")],
    ids=["the tail of a chain", "a whole chain"],
)
def test_verify_finds_an_anchored_chain_cut_short_or_deleted_whole(
    own_container: Container, cut_from: int, reason: str
) -> None:
    container = own_container
    _story(container)
    audit.anchor(container.uow, container.ctx)
    operation = next(c for c in _chains(container) if c.startswith("operation:"))
    _without(container, operation, cut_from)
    broken = audit.verify_chain(container.uow).broken
    assert broken is not None
    assert broken.where == f"{operation}#2"
    assert broken.reason.startswith(reason)


def test_verify_finds_a_gap_in_the_middle_of_a_chain(own_container: Container) -> None:
    container = own_container
    _story(container)
    operation = next(c for c in _chains(container) if c.startswith("operation:"))
    e, p, u = t.audit_events.c, t.audit_parties.c, t.audit_unanchored.c
    with container.uow.engine.begin() as conn:
        conn.execute(delete(t.audit_parties).where(p.chain_id == operation, p.seq == 1))
        conn.execute(delete(t.audit_unanchored).where(u.chain_id == operation, u.seq == 1))
        conn.execute(delete(t.audit_events).where(e.chain_id == operation, e.seq == 1))
    broken = audit.verify_chain(container.uow).broken
    assert broken is not None
    assert (broken.where, broken.reason) == (f"{operation}#1", "missing (next found: #2)")


def test_an_edited_anchor_breaks_the_anchor_chain(own_container: Container) -> None:
    container = own_container
    _story(container)
    audit.anchor(container.uow, container.ctx)
    registry.create_party(container.uow, container.ctx, ROOT, f"late-{uuid.uuid4().hex[:8]}")
    assert audit.anchor(container.uow, container.ctx) is not None
    with container.uow.engine.begin() as conn:
        conn.execute(
            update(t.audit_anchor_heads)
            .where(t.audit_anchor_heads.c.anchor_seq == 1)
            .values(hash="0" * 64)
        )
    broken = audit.verify_chain(container.uow).broken
    assert broken is not None
    assert (broken.where, broken.reason) == (
        "anchor 1",
        "its contents do not match its hash (edited)",
    )
