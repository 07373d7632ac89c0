"""Recording and reading the audit log, anchoring its chains, and `verify_chain` behind
`deconflict audit verify`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from deconflict.domain.audit import (
    Anchor,
    AuditDraft,
    AuditEvent,
    Break,
    digest,
    first_anchor_break,
    first_break,
    next_anchor,
)
from deconflict.domain.model import Caller

from .access import Action, authorize
from .context import ServiceContext
from .ports import Page, Transaction, UnitOfWork

#: The caller of what the system does by itself (deadlines, start-up).
SYSTEM = Caller("system", "system", frozenset())


def record(
    tx: Transaction,
    ctx: ServiceContext,
    caller: Caller,
    action: str,
    obj: object,
    object_id: str,
    *,
    before: object | None = None,
    parties: Iterable[str] = (),
    object_type: str | None = None,
) -> AuditEvent:
    """Appends one audit event in the caller's transaction: who (subject, party, roles),
    what (action, object), before/after digests, and every party it concerns."""
    return tx.audit.append(
        draft(
            ctx,
            caller,
            action,
            obj,
            object_id,
            before=before,
            parties=parties,
            object_type=object_type,
        )
    )


def draft(
    ctx: ServiceContext,
    caller: Caller,
    action: str,
    obj: object,
    object_id: str,
    *,
    before: object | None = None,
    parties: Iterable[str] = (),
    object_type: str | None = None,
) -> AuditDraft:
    """The event `record` appends, for `tx.audit.append_many` (bulk imports)."""
    concerned = {caller.party_id, *parties} - {SYSTEM.party_id}
    return AuditDraft(
        at=ctx.clock(),
        subject=caller.subject,
        party_id=caller.party_id,
        roles=tuple(sorted(caller.roles)),
        action=action,
        object_type=object_type or type(obj).__name__.lower(),
        object_id=object_id,
        before=None if before is None else digest(before),
        after=digest(obj),
        parties=tuple(sorted(concerned)),
    )


def record_system(
    uow: UnitOfWork,
    ctx: ServiceContext,
    action: str,
    obj: object,
    object_id: str,
    *,
    object_type: str,
    parties: Iterable[str] = (),
) -> None:
    """An event of the deployment itself (a key generated, a token minted), in a
    transaction of its own."""
    uow.run(
        lambda tx: record(
            tx, ctx, SYSTEM, action, obj, object_id, parties=parties, object_type=object_type
        )
    )


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One event as a party reads it: its own people by subject and roles, other
    parties' people only as their party (`own` False)."""

    event: AuditEvent
    own: bool


def list_audit(
    uow: UnitOfWork, caller: Caller, page: Page, object_id: str | None = None
) -> list[AuditEntry]:
    """Events about the caller's party, newest first (`GET /v1/audit`); admins only.
    Each event keeps its place in its object's chain: positions count only the events
    about that object, never the activity of anyone else."""
    authorize(caller, Action.AUDIT_READ)
    events = uow.run(lambda tx: tx.audit.concerning(caller.party_id, page, object_id), write=False)
    return [AuditEntry(e, e.draft.party_id == caller.party_id) for e in events]


def anchor(uow: UnitOfWork, ctx: ServiceContext, limit: int = 5000) -> Anchor | None:
    """Anchors the chains that advanced since the last anchor (the background loop of one
    process per deployment, and `deconflict audit anchor`); None when none did.

    Runs at READ COMMITTED: it reads only committed events and writes only anchor rows,
    so it never takes part in (or aborts) the writers' serializable transactions."""

    def work(tx: Transaction) -> Anchor | None:
        heads = tx.audit.unanchored_heads(limit)
        if not heads:
            return None
        made = next_anchor(tx.audit.last_anchor(), ctx.clock(), heads)
        tx.audit.add_anchor(made)
        return made

    return uow.run(work, serializable=False)


@dataclass(frozen=True, slots=True)
class AuditReport:
    """What `verify_chain` read and the first problem it found, if any."""

    events: int
    anchors: int
    unanchored: int
    broken: Break | None


def _pages(
    fetch: Callable[[Any], list[Any]], key: Callable[[Any], Any], start: Any
) -> Iterator[Any]:
    after = start
    while True:
        items = fetch(after)
        yield from items
        if not items:
            return
        after = key(items[-1])


def verify_chain(uow: UnitOfWork, batch: int = 1000) -> AuditReport:
    """Recomputes every chain and the anchors (`deconflict audit verify`): the first
    edited, mislinked or missing event or anchor, if any. Completeness rests on the
    anchors: an anchored event that is gone (a chain cut short, or deleted whole) is
    found; events after their chain's last anchor rely on the links alone."""
    counts = {"events": 0, "anchors": 0}

    def events(after: tuple[str, int] | None) -> list[AuditEvent]:
        found = uow.run(lambda tx: tx.audit.in_order(after, batch), write=False)
        counts["events"] += len(found)
        return found

    def anchors(after: int) -> list[Anchor]:
        found = uow.run(lambda tx: tx.audit.anchors_in_order(after, batch), write=False)
        counts["anchors"] += len(found)
        return found

    broken = first_anchor_break(_pages(anchors, lambda a: a.seq, 0))
    broken = broken or first_break(_pages(events, lambda e: (e.chain, e.seq), None))
    if broken is None:
        gone = uow.run(lambda tx: tx.audit.broken_heads(1), write=False)
        if gone:
            head = gone[0]
            broken = Break(
                f"{head.chain}#{head.seq}", "an anchored event is gone or no longer matches"
            )
    unanchored = uow.run(lambda tx: tx.audit.unanchored_count(), write=False)
    return AuditReport(counts["events"], counts["anchors"], unanchored, broken)
