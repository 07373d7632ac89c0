"""Subscriptions and the events they receive."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from .volumes import Volume4D


class EventType(StrEnum):
    OPERATION_CREATED = "operation.created"
    OPERATION_CHANGED = "operation.changed"
    OPERATION_WITHDRAWN = "operation.withdrawn"
    REVIEW_REQUESTED = "review.requested"
    REVIEW_DECIDED = "review.decided"
    NOTICE_ISSUED = "notice.issued"
    NOTICE_ANSWERED = "notice.answered"


@dataclass(slots=True)
class Subscription:
    """A party's interest in an area and time window, with an optional webhook.

    `next_sequence` numbers its events 1, 2, 3...: a consumer that sees a gap missed one."""

    id: str
    party_id: str
    volume: Volume4D
    webhook_url: str | None
    secret: str
    created_at: datetime
    next_sequence: int = 1


@dataclass(frozen=True, slots=True)
class Event:
    """Something a party may learn about, with the payload that party may see.

    `volumes` place it in space and time for matching subscriptions (None: it matches
    every subscription of the party)."""

    type: EventType
    party_id: str
    payload: dict[str, Any]
    volumes: tuple[Volume4D, ...] | None = field(default=None)


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """An event as stored for one subscription, in its sequence."""

    id: int
    subscription_id: str
    party_id: str
    sequence: int
    type: EventType
    payload: dict[str, Any]
    created_at: datetime


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


@dataclass(slots=True)
class Delivery:
    """One webhook delivery of one event, with its attempts."""

    event: OutboxEvent
    url: str
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime
    last_error: str | None = None
    delivered_at: datetime | None = None
