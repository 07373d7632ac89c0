"""ASTM F3548-21 DSS entities: operational intent references, constraint references,
DSS subscriptions and USS availability, as deconflict stores them.

An operational intent reference is backed by an operation of the manager's party (the
volumes live in its versions, so the native conflict check sees it); a constraint
reference by restricted zones of that party. What the standard adds (OVN, version,
F3548 state, base URL, subscription) lives beside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from .errors import DomainError
from .geometry import FrameFactory, footprint_center, planar
from .volumes import Volume4D

#: Limits the standard sets (uas_standards.astm.f3548.v21.constants names them).
OI_MAX_PLAN_HORIZON = timedelta(days=30)  # OiMaxPlanHorizonDays
OI_MAX_VERTICES = 10_000  # OiMaxVertices
CSTR_MAX_PLAN_HORIZON = timedelta(days=56)  # CstrMaxPlanningHorizonDays
CSTR_MAX_VERTICES = 1_000  # CstrMaxVertices
MAX_AREA_M2 = 10_000 * 1e6  # CstrMaxAreaKm2, also applied to intents and queries
MAX_SUBSCRIPTION_DURATION = timedelta(hours=24)  # DSSMaxSubscriptionDurationHours
#: How far in the past a subscription may be asked to start (clocks differ).
MAX_CLOCK_SKEW = timedelta(minutes=5)
#: How much later than an intent a subscription it depends on may start, once it is
#: changed (the time a USS takes to act; the InterUSS DSS allows the same).
START_LATENCY = timedelta(minutes=5)
#: Coverage is judged with this much room: subscriptions and intents drawn as the same
#: circle or polygon must cover each other (the InterUSS DSS compares cell coverings,
#: looser still).
COVER_MARGIN_M = 25.0


class Scope(StrEnum):
    """The standard's OAuth scopes."""

    STRATEGIC_COORDINATION = "utm.strategic_coordination"
    CONSTRAINT_MANAGEMENT = "utm.constraint_management"
    CONSTRAINT_PROCESSING = "utm.constraint_processing"
    CONFORMANCE_MONITORING_SA = "utm.conformance_monitoring_sa"
    AVAILABILITY_ARBITRATION = "utm.availability_arbitration"


class IntentState(StrEnum):
    ACCEPTED = "Accepted"
    ACTIVATED = "Activated"
    NONCONFORMING = "Nonconforming"
    CONTINGENT = "Contingent"

    @property
    def requires_key(self) -> bool:
        """Accepted and Activated intents are deconflicted: writing one needs a key, and
        they must be in the keys of others. Off-nominal ones are adjusted as flown."""
        return self in (IntentState.ACCEPTED, IntentState.ACTIVATED)

    @property
    def requires_subscription(self) -> bool:
        return self is not IntentState.ACCEPTED

    @property
    def off_nominal(self) -> bool:
        return self in (IntentState.NONCONFORMING, IntentState.CONTINGENT)


class Availability(StrEnum):
    UNKNOWN = "Unknown"
    NORMAL = "Normal"
    DOWN = "Down"


@dataclass(frozen=True, slots=True)
class Manager:
    """A USS calling the DSS API: its token subject (the `manager` of what it writes),
    the deconflict party that subject maps to, and its granted scopes."""

    subject: str
    party_id: str
    scopes: frozenset[str]

    def has(self, scope: Scope) -> bool:
        return scope.value in self.scopes


@dataclass(frozen=True, slots=True)
class IntentRef:
    """An operational intent reference; `operation_id` is the deconflict operation
    holding its extents (the current version's volumes)."""

    id: str
    manager: str
    party_id: str
    operation_id: str
    version: int
    ovn: str
    state: IntentState
    extents: tuple[Volume4D, ...]
    uss_base_url: str
    subscription_id: str | None
    updated_at: datetime

    @property
    def time_start(self) -> datetime:
        return min(v.time.start for v in self.extents)

    @property
    def time_end(self) -> datetime:
        return max(v.time.end for v in self.extents)


@dataclass(frozen=True, slots=True)
class ConstraintRef:
    """A constraint reference; `zone_ids` are the restricted zones (one per extent)
    that make it count in the native conflict check."""

    id: str
    manager: str
    party_id: str
    zone_ids: tuple[str, ...]
    version: int
    ovn: str
    extents: tuple[Volume4D, ...]
    uss_base_url: str
    updated_at: datetime

    @property
    def time_start(self) -> datetime:
        return min(v.time.start for v in self.extents)

    @property
    def time_end(self) -> datetime:
        return max(v.time.end for v in self.extents)


@dataclass(frozen=True, slots=True)
class DssSubscription:
    """A DSS subscription: notified (by the writer, to `uss_base_url`) of changes to
    intents and/or constraints within `volume`; `notification_index` counts them."""

    id: str
    manager: str
    party_id: str
    version: str
    notification_index: int
    #: One volume for a subscription a USS made; an implicit one holds the extents of
    #: the intents it serves.
    volumes: tuple[Volume4D, ...]
    uss_base_url: str
    notify_for_operational_intents: bool
    notify_for_constraints: bool
    implicit: bool
    dependent_operational_intents: tuple[str, ...] = ()

    @property
    def time_start(self) -> datetime:
        return min(v.time.start for v in self.volumes)

    @property
    def time_end(self) -> datetime:
        return max(v.time.end for v in self.volumes)


@dataclass(frozen=True, slots=True)
class Notified:
    """A subscription whose notification index a change incremented."""

    subscription_id: str
    notification_index: int
    uss_base_url: str


@dataclass(frozen=True, slots=True)
class UssAvailability:
    uss: str
    availability: Availability
    version: str


@dataclass(frozen=True, slots=True)
class Report:
    """A report a USS sent to the DSS (`POST /dss/v1/reports`), archived as sent."""

    id: str
    reporter: str
    party_id: str
    body: dict[str, object]
    created_at: datetime


class UssDown(DomainError):
    """The manager is marked Down by availability arbitration (HTTP 412)."""


class MissingOvns(DomainError):
    """The key lacks the OVNs of these intersecting references (HTTP 409); `native`
    counts the operations of other parties, planned through the native API, that the
    extents meet: they have no OVN a key could hold, and are not named (need-to-know)."""

    def __init__(
        self,
        intents: tuple[IntentRef, ...],
        constraints: tuple[ConstraintRef, ...],
        native: int = 0,
    ) -> None:
        self.intents = intents
        self.constraints = constraints
        self.native = native
        message = "Current OVNs not provided for one or more OperationalIntents or Constraints"
        if native:
            message = (
                f"{message if intents or constraints else 'Airspace conflict'}; the extents "
                f"also meet {native} operation(s) planned through deconflict's native API, "
                "which no key can cover: plan around them"
            )
        super().__init__(message)


def covers(
    outer: Volume4D,
    inner: Volume4D,
    frames: FrameFactory,
    late_start: timedelta = timedelta(0),
) -> bool:
    """Whether `outer` holds `inner`: its footprint within `COVER_MARGIN_M`, its band,
    its end, and its start (`outer` may start up to `late_start` after `inner`)."""
    if outer.time.start - inner.time.start > late_start or outer.time.end < inner.time.end:
        return False
    if outer.altitude.lower_m > inner.altitude.lower_m:
        return False
    if outer.altitude.upper_m < inner.altitude.upper_m:
        return False
    frame = frames(footprint_center(inner.footprint))
    a, b = planar(inner.footprint, frame), planar(outer.footprint, frame)
    inner_area = a.core.buffer(a.radius_m) if a.radius_m else a.core
    return bool(b.core.buffer(b.radius_m + COVER_MARGIN_M).covers(inner_area))
