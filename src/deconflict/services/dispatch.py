"""Webhook dispatch from the outbox: lease, send, record; at least once, in order per
subscription, with exponential backoff and a dead-letter state."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

from deconflict.domain.subscription import OutboxEvent

from .context import ServiceContext
from .ports import Transaction, UnitOfWork


class WebhookSender(Protocol):
    def send(self, url: str, secret: str, event: OutboxEvent) -> str | None:
        """Delivers one event; None when the receiver accepted it (2xx), else why not."""
        ...


@dataclass(frozen=True, slots=True)
class DispatchPolicy:
    max_attempts: int = 8
    backoff_s: float = 2.0
    max_backoff_s: float = 3600.0
    lease_s: float = 60.0
    batch: int = 50

    def delay_s(self, attempts: int) -> float:
        """The wait before attempt `attempts + 1`: doubling, capped, with +-10% jitter."""
        base = min(self.max_backoff_s, self.backoff_s * 2.0 ** max(0, attempts - 1))
        jitter: float = random.uniform(0.9, 1.1)  # noqa: S311 - jitter, not secrecy
        return base * jitter


def dispatch_once(
    uow: UnitOfWork, ctx: ServiceContext, sender: WebhookSender, owner: str, policy: DispatchPolicy
) -> int:
    """Sends what is due now; returns how many deliveries were attempted.

    A lease keeps other dispatchers off a delivery while it is in flight; a dispatcher
    killed mid-flight leaves a lease that expires, and the delivery is sent again."""
    now = ctx.clock()
    if not uow.run(lambda tx: tx.outbox.any_due(now), write=False):
        return 0  # idle: no write transaction, so an idle dispatcher takes no locks
    lease_until = now + timedelta(seconds=policy.lease_s)
    claimed = uow.run(lambda tx: tx.outbox.claim(owner, now, lease_until, policy.batch))
    for delivery in claimed:
        error = sender.send(delivery.url, delivery.secret, delivery.event)
        uow.run(
            partial(
                _record,
                event_id=delivery.event.id,
                owner=owner,
                error=error,
                attempts=delivery.attempts + 1,
                at=ctx.clock(),
                policy=policy,
            )
        )
    return len(claimed)


def _record(
    tx: Transaction,
    *,
    event_id: int,
    owner: str,
    error: str | None,
    attempts: int,
    at: datetime,
    policy: DispatchPolicy,
) -> None:
    if error is None:
        tx.outbox.delivered(event_id, owner, at)
    elif attempts >= policy.max_attempts:
        tx.outbox.failed(event_id, owner, error, None)
    else:
        tx.outbox.failed(event_id, owner, error, at + timedelta(seconds=policy.delay_s(attempts)))
