"""Pairwise 4D conflict between volumes: time, then altitude, then footprint.

Each test is cheaper than the next, so most pairs are settled before any projection.
All three use the same rule: after adding the separation minimum, the overlap must be
strictly positive (a duration, a height, an area); touching is not a conflict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .geometry import PlanarFootprint, footprint_within, footprints_conflict
from .volumes import AltitudeBand, AltitudeReference, Footprint, TimeWindow, Volume4D

Projector = Callable[[Footprint], PlanarFootprint]


@dataclass(frozen=True, slots=True)
class Separation:
    """Minimum distances to keep between two volumes; zero means 'may touch'."""

    horizontal_m: float = 0.0
    vertical_m: float = 0.0
    time_s: float = 0.0

    def __post_init__(self) -> None:
        for name in ("horizontal_m", "vertical_m", "time_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"separation {name} must not be negative")


def time_overlap(a: TimeWindow, b: TimeWindow, separation_s: float) -> TimeWindow | None:
    """The part of `b` within `separation_s` of `a`, or None when they are far enough apart."""
    pad = timedelta(seconds=separation_s)
    # max(a.start - pad, b.start) and min(a.end + pad, b.end), compared as differences:
    # a window near year 1 or 9999 padded by the separation would not be a datetime.
    start = b.start if a.start - b.start <= pad else a.start - pad
    end = b.end if b.end - a.end <= pad else a.end + pad
    return TimeWindow(start, end) if start < end else None


def altitude_overlap(a: AltitudeBand, b: AltitudeBand, separation_m: float) -> AltitudeBand | None:
    """The part of `b` within `separation_m` of `a`, or None. Refuses mixed datums."""
    a.comparable_with(b)
    lower, upper = (
        max(a.lower_m - separation_m, b.lower_m),
        min(a.upper_m + separation_m, b.upper_m),
    )
    return AltitudeBand(lower, upper, b.reference) if lower < upper else None


def trusted_window(start: datetime, end: datetime) -> TimeWindow:
    """TimeWindow(start, end) without its checks, for bounds taken from valid windows (in
    UTC, start < end), where the checks would change nothing: they cost more than the
    rest of a conflict test."""
    window = object.__new__(TimeWindow)
    object.__setattr__(window, "start", start)
    object.__setattr__(window, "end", end)
    return window


def trusted_band(lower_m: float, upper_m: float, reference: AltitudeReference) -> AltitudeBand:
    """AltitudeBand(lower_m, upper_m, reference) without its checks, for limits taken from
    valid bands (finite, lower_m < upper_m): see `trusted_window`."""
    band = object.__new__(AltitudeBand)
    object.__setattr__(band, "lower_m", lower_m)
    object.__setattr__(band, "upper_m", upper_m)
    object.__setattr__(band, "reference", reference)
    object.__setattr__(band, "stated", None)
    return band


@dataclass(frozen=True, slots=True)
class Overlap:
    """Where and when two volumes come too close: within the *other* volume's extents."""

    time: TimeWindow
    altitude: AltitudeBand


def volumes_conflict(
    a: Volume4D,
    b: Volume4D,
    separation: Separation,
    project: Projector,
) -> Overlap | None:
    """The overlap of `a` (grown by `separation`) with `b`, or None when they are clear.

    `project` puts a footprint into the one local frame shared by the whole check (it
    may memoise); it is only called when time and altitude already overlap.
    """
    window = time_overlap(a.time, b.time, separation.time_s)
    if window is None:
        return None
    band = altitude_overlap(a.altitude, b.altitude, separation.vertical_m)
    if band is None:
        return None
    if not footprints_conflict(project(a.footprint), project(b.footprint), separation.horizontal_m):
        return None
    return Overlap(window, band)


def volume_within(inner: Volume4D, outer: Volume4D, project: Projector) -> bool:
    """True when `inner` lies wholly inside `outer` in time, altitude and footprint."""
    if inner.time.start < outer.time.start or inner.time.end > outer.time.end:
        return False
    inner.altitude.comparable_with(outer.altitude)
    if (
        inner.altitude.lower_m < outer.altitude.lower_m
        or inner.altitude.upper_m > outer.altitude.upper_m
    ):
        return False
    return footprint_within(project(inner.footprint), project(outer.footprint))
