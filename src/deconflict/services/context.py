"""What every service needs besides storage: clock, ids, projections, limits, minima,
height models."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

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


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True, slots=True)
class ServiceContext:
    frames: FrameFactory
    limits: Limits
    default_separation: Separation
    clock: Callable[[], datetime] = field(default=_now)
    new_id: Callable[[], str] = field(default=_new_id)
    #: The geoid and terrain models that AMSL and AGL heights are converted with.
    heights: HeightModels = field(default_factory=HeightModels)
