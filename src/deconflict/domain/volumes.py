"""Volume4D and its parts: footprint (polygon or circle), altitude band, time window.

Constructors validate what can be validated without a projection (ranges, NaN, ordering,
distinct vertices); `geometry.check_footprint` validates the rest (self-intersection,
area, vertex count) in a local metric frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from .errors import IncomparableAltitudes, InvalidInput, Loc


@dataclass(frozen=True, slots=True)
class LatLng:
    """A point on the WGS 84 ellipsoid, in degrees."""

    lat: float
    lng: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lat) and math.isfinite(self.lng)):
            raise InvalidInput.at((), "coordinates must be finite numbers (no NaN or infinity)")
        if not -90.0 <= self.lat <= 90.0:
            raise InvalidInput.at(("lat",), f"latitude {self.lat} is outside [-90, 90]")
        if not -180.0 <= self.lng <= 180.0:
            raise InvalidInput.at(("lng",), f"longitude {self.lng} is outside [-180, 180]")


def _ring(points: tuple[LatLng, ...], loc: Loc) -> tuple[LatLng, ...]:
    """Drops a repeated closing vertex and requires three distinct vertices."""
    if len(points) > 1 and points[0] == points[-1]:
        points = points[:-1]
    if len(set(points)) < 3:
        raise InvalidInput.at(loc, "a polygon ring needs at least 3 distinct vertices")
    return points


@dataclass(frozen=True, slots=True)
class Polygon:
    """A polygon footprint: an outer ring and optional holes, vertices unclosed.

    Edges are the short way between vertices, so a ring may cross the antimeridian
    (179.9 then -179.9 is a 0.2 degree edge) or surround a pole.
    """

    exterior: tuple[LatLng, ...]
    holes: tuple[tuple[LatLng, ...], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "exterior", _ring(tuple(self.exterior), ("vertices",)))
        object.__setattr__(
            self, "holes", tuple(_ring(tuple(h), ("holes", i)) for i, h in enumerate(self.holes))
        )

    @property
    def vertex_count(self) -> int:
        return len(self.exterior) + sum(len(h) for h in self.holes)

    def points(self) -> tuple[LatLng, ...]:
        return self.exterior + tuple(p for h in self.holes for p in h)


#: Half the Earth's circumference: no circle on the ellipsoid is larger.
MAX_RADIUS_M = 20_000_000.0


@dataclass(frozen=True, slots=True)
class Circle:
    """A circular footprint: a centre and a radius in metres along the ground."""

    center: LatLng
    radius_m: float

    def __post_init__(self) -> None:
        if not (0 < self.radius_m <= MAX_RADIUS_M):
            raise InvalidInput.at(
                ("radius_m",),
                f"radius must be a positive number of metres, at most {MAX_RADIUS_M:.0f}",
            )

    @property
    def vertex_count(self) -> int:
        return 1

    def points(self) -> tuple[LatLng, ...]:
        return (self.center,)


Footprint = Polygon | Circle


class AltitudeReference(StrEnum):
    """Vertical datum of an altitude. `W84` is height above the WGS 84 ellipsoid, the only
    one bands are compared in; `AMSL` is above mean sea level (the EGM96 geoid) and `AGL`
    above the ground (a terrain model): `heights.to_w84` converts them."""

    W84 = "W84"
    AMSL = "AMSL"
    AGL = "AGL"


class LengthUnit(StrEnum):
    M = "M"
    FT = "FT"


#: Metres per international foot (exact by definition).
FOOT_M = 0.3048
#: The altitudes every edge accepts, metres (a converted band must stay within them too).
LOWEST_ALTITUDE_M = -8000.0
HIGHEST_ALTITUDE_M = 100_000.0


@dataclass(frozen=True, slots=True)
class StatedBand:
    """An altitude band as its source stated it: each limit in its own reference, both in
    `unit`. Kept beside the band it was converted to, so that exports give it back."""

    lower: float
    lower_reference: AltitudeReference
    upper: float
    upper_reference: AltitudeReference
    unit: LengthUnit = LengthUnit.M

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lower) and math.isfinite(self.upper)):
            raise InvalidInput.at(("altitude",), "altitudes must be finite numbers")

    @property
    def lower_m(self) -> float:
        return self.lower * (FOOT_M if self.unit is LengthUnit.FT else 1.0)

    @property
    def upper_m(self) -> float:
        return self.upper * (FOOT_M if self.unit is LengthUnit.FT else 1.0)

    @property
    def plain(self) -> bool:
        """Above the WGS 84 ellipsoid: converted exactly (feet at 0.3048 m), nothing to
        keep."""
        return self.lower_reference is self.upper_reference is AltitudeReference.W84


@dataclass(frozen=True, slots=True)
class AltitudeBand:
    """[lower_m, upper_m] metres above the reference datum, lower < upper. `stated` is
    what the source said when a limit was not above WGS 84 (converted conservatively,
    see `heights.to_w84`)."""

    lower_m: float
    upper_m: float
    reference: AltitudeReference = AltitudeReference.W84
    stated: StatedBand | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lower_m) and math.isfinite(self.upper_m)):
            raise InvalidInput.at(("altitude",), "altitudes must be finite numbers")
        if self.lower_m >= self.upper_m:
            raise InvalidInput.at(
                ("altitude_upper_m",),
                f"upper altitude {self.upper_m} m must be above lower altitude {self.lower_m} m",
            )

    def comparable_with(self, other: AltitudeBand) -> None:
        """Raises IncomparableAltitudes unless both bands share one datum.

        Bands are compared above W84 only: AMSL and AGL ones are converted first
        (`heights.to_w84`); comparing one that was not as if equal would be silently
        wrong by tens of metres: refuse instead.
        """
        if self.reference != other.reference:
            raise IncomparableAltitudes(
                f"altitude reference {self.reference} cannot be compared with {other.reference}"
            )


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """[start, end) in UTC, start < end. Naive datetimes are refused."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value: datetime = getattr(self, name)
            if value.tzinfo is None:
                raise InvalidInput.at((f"time_{name}",), "times must carry a UTC offset")
            try:
                object.__setattr__(self, name, value.astimezone(UTC))
            except OverflowError:
                raise InvalidInput.at(
                    (f"time_{name}",), "time is outside the range of representable UTC times"
                ) from None
        if self.end <= self.start:
            raise InvalidInput.at(("time_end",), "end time must be after start time")

    @property
    def duration_s(self) -> float:
        return (self.end - self.start).total_seconds()

    def shifted(self, delta: timedelta) -> TimeWindow:
        return TimeWindow(self.start + delta, self.end + delta)


#: A zone without active periods is active at every instant of this window.
ALWAYS = TimeWindow(datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC))


@dataclass(frozen=True, slots=True)
class Volume4D:
    """Footprint x altitude band x time window: the shape of ASTM F3548-21 Volume4D."""

    footprint: Footprint
    altitude: AltitudeBand
    time: TimeWindow = field(default=ALWAYS)
