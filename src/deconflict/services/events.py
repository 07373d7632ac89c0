"""Publishing events to the outbox: in the transaction of the change that caused them.

Each recipient party gets its own payload (built by the caller with only what that
party may see); `publish` fans it out to the party's subscriptions whose area and time
window the event's volumes touch.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from deconflict.domain.assessment import VolumeFrame
from deconflict.domain.conflicts import Separation, volumes_conflict
from deconflict.domain.errors import IncomparableAltitudes
from deconflict.domain.subscription import Event, EventType, Subscription
from deconflict.domain.volumes import Volume4D

from .context import ServiceContext
from .ports import Transaction

_TOUCHING = Separation()


def _matches(
    ctx: ServiceContext, subscription: Subscription, volumes: Iterable[Volume4D] | None
) -> bool:
    if volumes is None:
        return True
    area = subscription.volume
    for volume in volumes:
        try:
            if volumes_conflict(area, volume, _TOUCHING, VolumeFrame(ctx.frames, area)) is not None:
                return True
        except IncomparableAltitudes:
            continue
    return False


def publish(tx: Transaction, ctx: ServiceContext, event: Event) -> int:
    """Appends the event to the outbox of every matching subscription of its party;
    returns how many received it."""
    now = ctx.clock()
    count = 0
    for subscription in tx.subscriptions.of_party(event.party_id):
        if _matches(ctx, subscription, event.volumes):
            tx.outbox.append(subscription, event, now)
            count += 1
    return count


def emit(
    tx: Transaction,
    ctx: ServiceContext,
    kind: EventType,
    party_id: str,
    payload: dict[str, Any],
    volumes: Iterable[Volume4D] | None = None,
) -> None:
    """Shorthand for `publish(Event(...))`."""
    publish(tx, ctx, Event(kind, party_id, payload, None if volumes is None else tuple(volumes)))
