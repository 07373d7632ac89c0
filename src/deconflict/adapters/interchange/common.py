"""What the three formats share: the restriction mapping, units, times, and reporting a
problem at a feature and field.

A parser reads one feature at a time. A problem with the file (a wrong type, a missing
field, a broken ring) raises `Bad`; a well-formed feature that deconflict cannot hold
(a flight level, a sunrise schedule) raises `Unrepresentable`. Both carry the location of
the field and a message that names the feature; `Collector` gathers them so that one
failed import reports every problem (up to a limit), not just the first.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, NoReturn

from deconflict.domain.errors import InvalidInput, Loc
from deconflict.domain.model import ZoneKind
from deconflict.domain.volumes import (
    ALWAYS,
    HIGHEST_ALTITUDE_M,
    LOWEST_ALTITUDE_M,
    AltitudeBand,
    AltitudeReference,
    Footprint,
    LatLng,
    LengthUnit,
    StatedBand,
    TimeWindow,
)
from deconflict.services.interchange import MAX_PROBLEMS, Refusal, ZoneDraft

#: ED-269 restriction -> zone kind. NO_RESTRICTION (None) restricts nothing: skipped.
#: ED-318 spells REQ_AUTHORIZATION with a z; both are read.
RESTRICTION_TO_KIND: Mapping[str, ZoneKind | None] = {
    "PROHIBITED": ZoneKind.RESTRICTED,
    "REQ_AUTHORISATION": ZoneKind.REVIEW,
    "REQ_AUTHORIZATION": ZoneKind.REVIEW,
    "CONDITIONAL": ZoneKind.NOTIFY,
    "NO_RESTRICTION": None,
}
#: Zone kind -> the ED-269 restriction written on export.
KIND_TO_RESTRICTION: Mapping[ZoneKind, str] = {
    ZoneKind.RESTRICTED: "PROHIBITED",
    ZoneKind.REVIEW: "REQ_AUTHORISATION",
    ZoneKind.NOTIFY: "CONDITIONAL",
}
NO_RESTRICTION_REASON = (
    "NO_RESTRICTION zones restrict nothing and deconflict has no information-only kind: skipped"
)

MAX_NAME = 200


def label(identifier: str | None, index: int) -> str:
    return f"feature {identifier!r}" if identifier else f"feature #{index}"


class Bad(Exception):
    """The file is wrong at `loc`."""

    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


class Unrepresentable(Exception):
    """The file is right at `loc`, but deconflict cannot hold what it says."""

    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


def bad(loc: Loc, message: str) -> NoReturn:
    raise Bad(loc, message)


class Collector:
    """Problems and refusals of a whole file, each message prefixed with its feature."""

    def __init__(self) -> None:
        self.problems: list[tuple[Loc, str]] = []
        self.refusals: list[Refusal] = []

    def problem(self, loc: Loc, who: str, message: str) -> None:
        self.problems.append((loc, f"{who}: {message}"))

    def refusal(self, source_id: str, loc: Loc, who: str, message: str, skipped: bool) -> None:
        self.refusals.append(Refusal(source_id, loc, f"{who}: {message}", skipped))

    @property
    def full(self) -> bool:
        return len(self.problems) >= MAX_PROBLEMS

    def raise_problems(self) -> None:
        if self.problems:
            raise InvalidInput(self.problems[:MAX_PROBLEMS])


def text(value: Any, loc: Loc, *, required: bool = True) -> str | None:
    """A non-empty string (or None when absent and not required)."""
    if value is None:
        if required:
            bad(loc, "is missing")
        return None
    if not isinstance(value, str):
        bad(loc, f"must be a string, not {type_name(value)}")
    if not value.strip():
        if required:
            bad(loc, "must not be empty")
        return None
    return value.strip()


def identifier(value: Any, loc: Loc) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    found = text(value, loc)
    assert found is not None
    if len(found) > MAX_NAME:
        bad(loc, f"is longer than {MAX_NAME} characters")
    return found


def name(value: Any, loc: Loc, default: str) -> str:
    found = text(value, loc, required=False) or default
    if len(found) > MAX_NAME:
        bad(loc, f"is longer than {MAX_NAME} characters")
    return found


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def number(value: Any, loc: Loc) -> float:
    """A finite JSON number, or a string holding one (KML)."""
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            bad(loc, f"must be a number, not {value!r}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        bad(loc, f"must be a number, not {type_name(value)}")
    if not math.isfinite(value):
        bad(loc, "must be a finite number")
    return float(value)


def mapping(value: Any, loc: Loc) -> dict[str, Any]:
    if value is None:
        bad(loc, "is missing")
    if not isinstance(value, dict):
        bad(loc, f"must be an object, not {type_name(value)}")
    return value


def sequence(value: Any, loc: Loc, *, min_items: int = 0) -> list[Any]:
    if value is None:
        bad(loc, "is missing")
    if not isinstance(value, list):
        bad(loc, f"must be a list, not {type_name(value)}")
    if len(value) < min_items:
        bad(loc, f"needs at least {min_items} item(s)")
    return value


def position(value: Any, loc: Loc) -> LatLng:
    """A [longitude, latitude] (optionally with an altitude, ignored) as GeoJSON orders it."""
    if not isinstance(value, list) or len(value) not in (2, 3):
        bad(loc, "a position is [longitude, latitude]")
    lng, lat = number(value[0], (*loc, 0)), number(value[1], (*loc, 1))
    if isinstance(value[0], str) or isinstance(value[1], str):
        bad(loc, "coordinates must be numbers, not strings")
    if not -180 <= lng <= 180:
        bad((*loc, 0), f"longitude {lng} is outside [-180, 180]")
    if not -90 <= lat <= 90:
        bad((*loc, 1), f"latitude {lat} is outside [-90, 90]")
    return LatLng(lat, lng)


def ring(points: list[LatLng], loc: Loc) -> tuple[LatLng, ...]:
    """A closed ring (first = last, at least 4 positions, 3 distinct), unclosed."""
    if len(points) < 4 or points[0] != points[-1]:
        bad(loc, "a ring is closed: at least 4 positions, the last equal to the first")
    if len(set(points)) < 3:
        bad(loc, "a ring needs at least 3 distinct positions")
    return tuple(points[:-1])


def instant(value: Any, loc: Loc) -> datetime:
    """An ISO 8601 date and time with a UTC offset ('Z' or +hh:mm), as UTC."""
    raw = text(value, loc)
    assert raw is not None
    try:
        parsed = datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError:
        bad(loc, f"{raw!r} is not an ISO 8601 date and time")
    if parsed.tzinfo is None:
        bad(loc, f"{raw!r} has no UTC offset (add Z or +hh:mm)")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        bad(loc, f"{raw!r} is outside the representable times")


def window(start: datetime, end: datetime, loc: Loc) -> TimeWindow:
    if end <= start:
        bad(loc, f"ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    return TimeWindow(start, end)


def merged(windows: Iterable[TimeWindow]) -> tuple[TimeWindow, ...]:
    """Sorted, with overlapping and touching windows joined."""
    out: list[TimeWindow] = []
    for w in sorted(windows, key=lambda w: (w.start, w.end)):
        if out and w.start <= out[-1].end:
            if w.end > out[-1].end:
                out[-1] = TimeWindow(out[-1].start, w.end)
            continue
        out.append(w)
    return tuple(out)


def always(w: TimeWindow) -> bool:
    return w.start <= ALWAYS.start and w.end >= ALWAYS.end


_TIME = re.compile(
    r"(?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?(?P<tz>Z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)


def time_of_day(value: Any, loc: Loc) -> tuple[timedelta, timezone]:
    """An ED-269 time of day (`hh:mm[:ss[.f]]` with `Z` or an offset), as the time since
    midnight (24:00 is the end of the day) and its offset."""
    raw = text(value, loc)
    assert raw is not None
    match = _TIME.match(raw)
    if match is None:
        bad(loc, f"{raw!r} is not a time of day (hh:mm or hh:mm:ss, with Z or an offset)")
    h, m, s = int(match["h"]), int(match["m"]), int(match["s"] or 0)
    if m > 59 or s > 59 or h > 24 or (h == 24 and (m or s)):
        bad(loc, f"{raw!r} is not a time of day")
    tz = match["tz"]
    if tz is None:
        bad(loc, f"{raw!r} has no UTC offset (add Z or +hh:mm)")
    if tz.upper() == "Z":
        offset = UTC
    else:
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 14 or minutes > 59:
            bad(loc, f"{raw!r} has an impossible UTC offset")
        offset = timezone(sign * timedelta(hours=hours, minutes=minutes))
    return timedelta(hours=h, minutes=m, seconds=s), offset


def band(
    lower: float,
    lower_reference: AltitudeReference,
    upper: float,
    upper_reference: AltitudeReference,
    loc: Loc,
    unit: LengthUnit = LengthUnit.M,
) -> StatedBand:
    """The band as the file states it (`loc`: its upper limit). Limits in two references
    are ordered once converted, by the import (`services.interchange`)."""
    stated = StatedBand(lower, lower_reference, upper, upper_reference, unit)
    if lower_reference is upper_reference and lower >= upper:
        bad(loc, f"the upper limit ({upper:g}) must be above the lower limit ({lower:g})")
    if stated.lower_m < LOWEST_ALTITUDE_M or stated.upper_m > HIGHEST_ALTITUDE_M:
        bad(
            loc,
            f"altitudes must lie between {LOWEST_ALTITUDE_M:.0f} m and {HIGHEST_ALTITUDE_M:.0f} m",
        )
    return stated


#: Names of the references deconflict converts (`domain.heights`): ellipsoid, mean sea
#: level (EGM96 geoid), ground (a terrain model).
REFERENCE_NAMES: Mapping[str, AltitudeReference] = {
    "W84": AltitudeReference.W84,
    "WGS84": AltitudeReference.W84,
    "WGS-84": AltitudeReference.W84,
    "WGS 84": AltitudeReference.W84,
    "AMSL": AltitudeReference.AMSL,
    "MSL": AltitudeReference.AMSL,
    "AGL": AltitudeReference.AGL,
    "SFC": AltitudeReference.AGL,
}
#: ED-269's names for them, written on export.
ED269_REFERENCES: Mapping[AltitudeReference, str] = {
    AltitudeReference.W84: "WGS84",
    AltitudeReference.AMSL: "AMSL",
    AltitudeReference.AGL: "AGL",
}
#: References that are well defined but no model converts: refused.
OTHER_REFERENCES = {
    "STD": "a flight level (standard pressure): its height depends on the day's air "
    "pressure, which no model gives in advance",
}


def reference(value: Any, loc: Loc) -> AltitudeReference:
    """A reference deconflict converts; Unrepresentable for flight levels."""
    raw = text(value, loc)
    assert raw is not None
    upper = raw.upper()
    if upper in REFERENCE_NAMES:
        return REFERENCE_NAMES[upper]
    if upper in OTHER_REFERENCES:
        raise Unrepresentable(
            loc,
            f"{raw} ({OTHER_REFERENCES[upper]}) cannot be represented: deconflict compares "
            "heights above the WGS 84 ellipsoid",
        )
    bad(loc, f"unknown altitude reference {raw!r} (expected WGS84, AMSL or AGL)")


def band_properties(band: AltitudeBand) -> dict[str, float | str]:
    """The GeoJSON and KML altitude properties of a band: as its source stated it (in
    metres), else metres above W84. One `altitude_reference`, or one per limit."""
    s = band.stated
    if s is None:
        return {
            "altitude_lower_m": band.lower_m,
            "altitude_upper_m": band.upper_m,
            "altitude_reference": band.reference.value,
        }
    out: dict[str, float | str] = {"altitude_lower_m": s.lower_m, "altitude_upper_m": s.upper_m}
    if s.lower_reference is s.upper_reference:
        out["altitude_reference"] = s.lower_reference.value
    else:
        out["altitude_lower_reference"] = s.lower_reference.value
        out["altitude_upper_reference"] = s.upper_reference.value
    return out


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def plain_number(value: float) -> int | float:
    """120.0 as 120 in files, anything else as it is (exact either way)."""
    value = float(value)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def drafts(
    out: Collector,
    *,
    ident: str,
    loc: Loc,
    props_loc: Loc,
    kind: ZoneKind | None,
    kind_key: str,
    properties: Mapping[str, Any],
    zone_name: str,
    footprints: list[Footprint],
    periods: tuple[TimeWindow, ...],
    attributes: dict[str, Any],
) -> list[ZoneDraft]:
    """The zones of one feature (one per part, ids `<id>#1`, `#2`... when several), or
    none with a refusal: a kind that restricts nothing, an altitude reference that
    cannot be represented. Shared by the GeoJSON and KML readers: the band is
    `altitude_lower_m`, `altitude_upper_m` in `altitude_reference` (W84 by default), or
    each limit in its own (`altitude_lower_reference`, `altitude_upper_reference`)."""
    who = label(ident, 0)
    lower = number(properties.get("altitude_lower_m"), (*props_loc, "altitude_lower_m"))
    upper = number(properties.get("altitude_upper_m"), (*props_loc, "altitude_upper_m"))
    if kind is None:
        out.refusal(ident, (*props_loc, kind_key), who, NO_RESTRICTION_REASON, skipped=True)
        return []
    locs: list[Loc] = []
    references: list[AltitudeReference] = []
    try:
        for side in ("lower", "upper"):
            key = f"altitude_{side}_reference"
            if properties.get(key) is None:
                key = "altitude_reference"
            locs.append((*props_loc, key))
            references.append(reference(properties.get(key) or "W84", locs[-1]))
    except Unrepresentable as e:
        out.refusal(ident, e.loc, who, e.message, skipped=False)
        return []
    stated = band(lower, references[0], upper, references[1], (*props_loc, "altitude_upper_m"))
    return [
        ZoneDraft(
            source_id=ident if len(footprints) == 1 else f"{ident}#{j}",
            feature=ident,
            loc=loc,
            kind=kind,
            name=zone_name,
            footprint=footprint,
            altitude=stated,
            periods=periods,
            attributes=attributes,
            reference_locs=(locs[0], locs[1]),
        )
        for j, footprint in enumerate(footprints, start=1)
    ]
