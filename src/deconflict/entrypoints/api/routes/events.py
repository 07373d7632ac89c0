"""Notices, subscriptions and the live event stream (server-sent events)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, status
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from deconflict.domain.errors import InvalidInput
from deconflict.domain.notice import AckState
from deconflict.services import notices, subscriptions

from .. import converters as c
from .. import schemas as s
from ..deps import CallerDep, CtxDep, PageDep, UowDep, located

router = APIRouter(prefix="/v1")

POLL_S = 0.5
KEEPALIVE_S = 15.0


@router.get("/notices", tags=["notices"])
def list_notices(
    uow: UowDep, ctx: CtxDep, caller: CallerDep, page: PageDep
) -> list[s.NoticeRecord]:
    """Notices addressed to the caller's party, newest first."""
    return [c.notice_to_api(*view) for view in notices.list_notices(uow, ctx, caller, page)]


@router.post("/notices/{notice_id}/ack", tags=["notices"])
def acknowledge(
    notice_id: str, body: s.NoticeAck, uow: UowDep, ctx: CtxDep, caller: CallerDep
) -> s.NoticeRecord:
    """The recipient acknowledges a notice, or flags a concern with a comment (once)."""
    with located("body"):
        view = notices.acknowledge(uow, ctx, caller, notice_id, AckState(body.status), body.comment)
    return c.notice_to_api(*view)


@router.get("/operations/{operation_id}/notices", tags=["notices"])
def sent_notices(
    operation_id: str, uow: UowDep, ctx: CtxDep, caller: CallerDep
) -> list[s.NoticeRecord]:
    """The notices sent about one of the caller's operations, with their acknowledgement."""
    views = notices.sent_notices(uow, ctx, caller, operation_id)
    return [c.notice_to_api(*view) for view in views]


@router.post("/subscriptions", status_code=status.HTTP_201_CREATED, tags=["subscriptions"])
def subscribe(
    body: s.SubscriptionCreate, uow: UowDep, ctx: CtxDep, caller: CallerDep
) -> s.SubscriptionPublic:
    """Subscribes to events in an area and time window, optionally with a webhook. The
    response holds the webhook signing secret; it is not shown again."""
    command = c.subscription_from_api(body)
    with located("body"):
        created = subscriptions.create_subscription(uow, ctx, caller, command)
    return c.subscription_to_api(created, with_secret=True)


@router.get("/subscriptions", tags=["subscriptions"])
def list_subscriptions(uow: UowDep, caller: CallerDep) -> list[s.SubscriptionPublic]:
    return [c.subscription_to_api(x) for x in subscriptions.list_subscriptions(uow, caller)]


@router.get("/subscriptions/{subscription_id}", tags=["subscriptions"])
def get_subscription(subscription_id: str, uow: UowDep, caller: CallerDep) -> s.SubscriptionPublic:
    return c.subscription_to_api(subscriptions.get_subscription(uow, caller, subscription_id))


@router.delete(
    "/subscriptions/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["subscriptions"],
)
def unsubscribe(subscription_id: str, uow: UowDep, ctx: CtxDep, caller: CallerDep) -> None:
    subscriptions.delete_subscription(uow, ctx, caller, subscription_id)


@router.get("/subscriptions/{subscription_id}/deliveries", tags=["subscriptions"])
def deliveries(
    subscription_id: str, uow: UowDep, caller: CallerDep, page: PageDep
) -> list[s.DeliveryPublic]:
    """Webhook deliveries, newest first: state, attempts, last error."""
    return [
        c.delivery_to_api(d) for d in subscriptions.deliveries(uow, caller, subscription_id, page)
    ]


def encode_cursor(positions: dict[str, int]) -> str:
    raw = json.dumps(positions, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, int]:
    """Per-subscription positions from a Last-Event-ID (or ?cursor=); empty: from the start."""
    if not cursor:
        return {}
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        doc = json.loads(raw)
    except (binascii.Error, ValueError):
        doc = None
    if not isinstance(doc, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and v >= 0 for k, v in doc.items()
    ):
        raise InvalidInput.at(("header", "last-event-id"), "not a cursor this server issued")
    return doc


@router.get(
    "/events",
    tags=["events"],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-sent events"}},
)
async def events(
    request: Request,
    uow: UowDep,
    caller: CallerDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    cursor: Annotated[
        str | None, Query(max_length=20_000, description="Same as Last-Event-ID")
    ] = None,
) -> StreamingResponse:
    """The caller's events as server-sent events. Each event's `id` is a cursor: send it
    back as `Last-Event-ID` (browsers do) to resume after it; each payload has its
    subscription's `sequence`, so a gap shows a missed event."""
    positions = decode_cursor(last_event_id or cursor)

    async def stream() -> AsyncIterator[str]:
        yield "retry: 2000\n\n"
        idle_s = 0.0
        while not await request.is_disconnected():
            batch = await run_in_threadpool(subscriptions.events_since, uow, caller, positions, 100)
            for event in batch:
                positions[event.subscription_id] = event.sequence
                data = c.event_to_api(event).model_dump_json()
                yield f"id: {encode_cursor(positions)}\nevent: {event.type.value}\ndata: {data}\n\n"
            if batch:
                idle_s = 0.0
                continue
            await asyncio.sleep(POLL_S)
            idle_s += POLL_S
            if idle_s >= KEEPALIVE_S:
                idle_s = 0.0
                yield ": keep-alive\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
