"""Notices under deconfliction agreements: issued with each version, follow-ups on
updates and withdrawals, acknowledged or questioned by their recipient."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import replace
from typing import Any

from deconflict.domain.conflicts import Separation
from deconflict.domain.errors import NotFound
from deconflict.domain.model import Caller, ZoneDisclosure
from deconflict.domain.notice import AckState, Notice, NoticeKind
from deconflict.domain.operation import Operation
from deconflict.domain.subscription import EventType
from deconflict.domain.volumes import Volume4D

from .access import Action, authorize
from .audit import record
from .context import ServiceContext
from .events import emit
from .ports import Page, Transaction, UnitOfWork


def notice_payload(notice: Notice) -> dict[str, Any]:
    """What a notice event carries: the notice's own fields, nothing of the plan beyond."""
    return {
        "notice_id": notice.id,
        "kind": notice.kind.value,
        "reference": notice.operation_id,
        "version": notice.version,
        "submitter_party_id": notice.submitter_party_id,
        "zone_id": notice.zone_id,
    }


def _volume(notice: Notice) -> list[Volume4D]:
    if notice.outline is None or notice.altitude is None or notice.time is None:
        return []
    return [Volume4D(notice.outline, notice.altitude, notice.time)]


def _send(tx: Transaction, ctx: ServiceContext, caller: Caller, notice: Notice) -> None:
    tx.notices.add(notice)
    record(tx, ctx, caller, "notice.issued", notice, notice.id, parties=[notice.recipient_party_id])
    volumes = _volume(notice)
    emit(
        tx,
        ctx,
        EventType.NOTICE_ISSUED,
        notice.recipient_party_id,
        notice_payload(notice),
        volumes or None,
    )


def issue_notices(
    tx: Transaction, ctx: ServiceContext, caller: Caller, operation: Operation
) -> None:
    """Notices for the operation's new current version: `entry` for a recipient never
    notified about it, `update` for one notified before, and `cleared` for a recipient
    whose zone the new version no longer enters."""
    version = operation.current
    # A first version has no notices before it: no read of the notices' index.
    earlier = tx.notices.of_operation(operation.id) if version.number > 1 else []
    latest = {(n.recipient_party_id, n.zone_id): n.kind for n in earlier}
    # A recipient whose last notice cleared it hears of a re-entry as a new `entry`.
    told = {key for key, kind in latest.items() if kind in (NoticeKind.ENTRY, NoticeKind.UPDATE)}
    now = ctx.clock()
    reached = set()
    for target in version.assessment.notices:
        key = (target.party_id, target.zone_id)
        reached.add(key)
        kind = NoticeKind.UPDATE if key in told else NoticeKind.ENTRY
        # The band and window as planned, not grown by the separation that made the plan
        # count as entering: the notice shows the separation beside them.
        planned = version.volumes[target.volume_index]
        _send(
            tx,
            ctx,
            caller,
            Notice(
                id=ctx.new_id(),
                kind=kind,
                operation_id=operation.id,
                version=version.number,
                submitter_party_id=operation.party_id,
                recipient_party_id=target.party_id,
                agreement_id=target.agreement_id,
                zone_id=target.zone_id,
                outline=target.outline,
                altitude=planned.altitude,
                time=planned.time,
                created_at=now,
            ),
        )
    _follow_up(tx, ctx, caller, operation, earlier, reached, NoticeKind.CLEARED)


def _follow_up(
    tx: Transaction,
    ctx: ServiceContext,
    caller: Caller,
    operation: Operation,
    earlier: list[Notice],
    keep: set[tuple[str, str]],
    kind: NoticeKind,
) -> None:
    latest: dict[tuple[str, str], Notice] = {}
    for notice in earlier:
        latest[(notice.recipient_party_id, notice.zone_id)] = notice
    for key, last in sorted(latest.items()):
        if key in keep or last.kind in (NoticeKind.CLEARED, NoticeKind.WITHDRAWAL):
            continue
        _send(
            tx,
            ctx,
            caller,
            Notice(
                id=ctx.new_id(),
                kind=kind,
                operation_id=operation.id,
                version=operation.current.number,
                submitter_party_id=operation.party_id,
                recipient_party_id=last.recipient_party_id,
                agreement_id=last.agreement_id,
                zone_id=last.zone_id,
                outline=None,
                altitude=None,
                time=None,
                created_at=ctx.clock(),
            ),
        )


def withdrawal_notices(
    tx: Transaction, ctx: ServiceContext, caller: Caller, operation: Operation
) -> None:
    """A `withdrawal` notice to every recipient still holding a notice about it."""
    earlier = tx.notices.of_operation(operation.id)
    _follow_up(tx, ctx, caller, operation, earlier, set(), NoticeKind.WITHDRAWAL)


#: A notice with the submitting party's name and the separation minima in force under its
#: agreement (the agreement's own, else the default): how near its planned band, window
#: and footprint came to the zone to count as entering it.
NoticeView = tuple[Notice, str, Separation]


def _with_names(tx: Transaction, ctx: ServiceContext, notices: list[Notice]) -> list[NoticeView]:
    names: dict[str, str] = {}
    minima: dict[str, Separation] = {}
    for n in notices:
        if n.submitter_party_id not in names:
            party = tx.parties.get(n.submitter_party_id)
            names[n.submitter_party_id] = "" if party is None else party.name
        if n.agreement_id not in minima:
            agreement = tx.agreements.get(n.agreement_id)
            own = None if agreement is None else agreement.separation
            minima[n.agreement_id] = own or ctx.default_separation
    return [(n, names[n.submitter_party_id], minima[n.agreement_id]) for n in notices]


def list_notices(
    uow: UnitOfWork, ctx: ServiceContext, caller: Caller, page: Page
) -> list[NoticeView]:
    """Notices addressed to the caller's party, newest first, with the submitting party's
    name and the separation applied (`GET /v1/notices`)."""
    authorize(caller, Action.READ)
    return uow.run(
        lambda tx: _with_names(tx, ctx, tx.notices.for_recipient(caller.party_id, page)),
        write=False,
    )


def sent_notices(
    uow: UnitOfWork, ctx: ServiceContext, caller: Caller, operation_id: str
) -> list[NoticeView]:
    """The notices about one of the caller's operations, with their acknowledgement state
    (`GET /v1/operations/{id}/notices`); a recipient's private zone is not named ("")."""
    authorize(caller, Action.READ)

    def work(tx: Transaction) -> list[NoticeView]:
        operation = tx.operations.get(operation_id)
        if operation is None or operation.party_id != caller.party_id:
            raise NotFound(f"no operation {operation_id}")
        notices = tx.notices.of_operation(operation_id)
        zones = (tx.zones.get(i) for i in {n.zone_id for n in notices})
        private = {z.id for z in zones if z is not None and z.disclosure is ZoneDisclosure.PRIVATE}
        sent = [replace(n, zone_id="") if n.zone_id in private else n for n in notices]
        return _with_names(tx, ctx, sent)

    return uow.run(work, write=False)


def acknowledge(
    uow: UnitOfWork,
    ctx: ServiceContext,
    caller: Caller,
    notice_id: str,
    state: AckState,
    comment: str,
) -> NoticeView:
    """The recipient acknowledges a notice or flags a concern (`POST /v1/notices/{id}/ack`);
    the submitting party is told by an event."""
    authorize(caller, Action.NOTICE_ACK)

    def work(tx: Transaction) -> NoticeView:
        notice = tx.notices.get(notice_id)
        if notice is None:
            raise NotFound(f"no notice {notice_id}")
        before = deepcopy(notice)
        notice.acknowledge(caller.party_id, caller.subject, state, comment, ctx.clock())
        tx.notices.save(notice)
        record(
            tx,
            ctx,
            caller,
            "notice.answered",
            notice,
            notice.id,
            before=before,
            parties=[notice.submitter_party_id],
        )
        emit(
            tx,
            ctx,
            EventType.NOTICE_ANSWERED,
            notice.submitter_party_id,
            {
                "notice_id": notice.id,
                "operation_id": notice.operation_id,
                "recipient_party_id": notice.recipient_party_id,
                "ack": notice.ack.value,
                "comment": notice.ack_comment,
            },
        )
        return _with_names(tx, ctx, [notice])[0]

    return uow.run(work)
