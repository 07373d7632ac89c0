"""Recording and reading the audit log; `verify_chain` behind `deconflict audit verify`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial

from deconflict.domain.audit import AuditDraft, AuditEvent, Break, digest, first_break
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


def list_audit(
    uow: UnitOfWork, caller: Caller, page: Page, object_id: str | None = None
) -> list[AuditEvent]:
    """Audit events about the caller's party, newest first (`GET /v1/audit`); admins only."""
    authorize(caller, Action.AUDIT_READ)
    return uow.run(lambda tx: tx.audit.concerning(caller.party_id, page, object_id), write=False)


def _chain(uow: UnitOfWork, batch: int) -> Iterator[AuditEvent]:
    after = 0
    while True:
        events = uow.run(partial(_page_after, after=after, batch=batch), write=False)
        yield from events
        if len(events) < batch:
            return
        after = events[-1].seq


def _page_after(tx: Transaction, *, after: int, batch: int) -> list[AuditEvent]:
    return tx.audit.in_order(after, batch)


def verify_chain(uow: UnitOfWork, batch: int = 1000) -> tuple[int, Break | None]:
    """Recomputes the whole chain (`deconflict audit verify`): how many events were read,
    and the first broken link, if any."""
    count = 0

    def counted() -> Iterator[AuditEvent]:
        nonlocal count
        for event in _chain(uow, batch):
            count += 1
            yield event

    broken = first_break(counted())
    return count, broken
