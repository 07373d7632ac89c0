"""What every service needs besides storage: clock, ids, projections, limits, minima,
height models."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from deconflict.domain.conflicts import Separation
from deconflict.domain.geometry import FootprintLimits, FrameFactory
from deconflict.domain.heights import HeightModels


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one request may ask for (configurable, see config.Settings)."""

    footprint: FootprintLimits
    max_volumes: int
    max_window_s: float
    max_page_size: int
    max_lead_s: float = 20 * 365 * 86400.0


class WebhookTargets(Protocol):
    """Which URLs may receive webhooks (the deployment's egress policy)."""

    def refusal(self, url: str) -> str | None:
        """Why `url` may not receive webhooks (e.g. a private address), or None."""
        ...


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True, slots=True)
class ServiceContext:
    frames: FrameFactory
    limits: Limits
    default_separation: Separation
    webhook_targets: WebhookTargets
    clock: Callable[[], datetime] = field(default=_now)
    new_id: Callable[[], str] = field(default=_new_id)
    #: How long an Idempotency-Key and its first answer are kept.
    idempotency_ttl_s: float = 24 * 3600.0
    #: The geoid and terrain models that AMSL and AGL heights are converted with.
    heights: HeightModels = field(default_factory=HeightModels)
