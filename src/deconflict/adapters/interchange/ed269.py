"""EUROCAE ED-269 geographical zones (JSON) to and from zones.

Read: an object with `features` (or a bare list of them), each a UASZoneVersion:
`identifier`, `name`, `restriction` (or an ED-318-style restriction in `type`),
`applicability`, `geometry` (a list of airspace volumes: `uomDimensions` M or FT,
`lowerLimit`/`upperLimit` with `lowerVerticalReference`/`upperVerticalReference`, and a
`horizontalProjection` that is a GeoJSON-like `Polygon` (rings of [longitude, latitude],
holes allowed) or a `Circle` (`center` [longitude, latitude], `radius` in
`uomDimensions`)). Everything else a feature holds (`country`, `type`, `reason`,
`message`, `zoneAuthority`, `extendedProperties`...) is kept as the zone's attributes and
written back on export.

- Restrictions: see `common.RESTRICTION_TO_KIND`; NO_RESTRICTION is skipped.
- Altitudes: WGS84 is held exactly (feet converted at 0.3048 m, exact); AMSL (also MSL)
  and AGL (also SFC) are converted conservatively by the import (`domain.heights`), the
  limits as stated kept; a flight level (STD) is refused, as is an absent limit (the
  surface, or no upper bound).
- Applicability: `permanent: YES` without a schedule is always active; a period with
  `startDateTime`/`endDateTime` becomes one active period; a `schedule` of daily periods
  (days MON..SUN or ANY, `startTime`/`endTime` with their offsets, an end at or before
  the start running past midnight) is expanded within the period's bounds, in the
  offset's own calendar. A schedule without both bounds, and daylight events
  (`startEvent`/`endEvent`: sunrise, sunset, twilight), are refused.
- Several airspace volumes in `geometry` make one zone each (`<identifier>#1`, ...).

Write: one feature per zone, identifier = the zone's `source_id` (or its id), limits as
they were imported (unit and references), else metres above WGS84, one applicability period per active period (`permanent: YES` when
none), and the attributes kept from the import.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from deconflict.domain.errors import InvalidInput, Loc
from deconflict.domain.model import Zone, ZoneKind
from deconflict.domain.volumes import (
    ALWAYS,
    FOOT_M,
    AltitudeReference,
    Circle,
    Footprint,
    LengthUnit,
    Polygon,
    StatedBand,
    TimeWindow,
)
from deconflict.services.interchange import ZoneDraft, ZoneFile

from . import common as c

FORMAT = "ed269"
_HANDLED = frozenset({"identifier", "name", "restriction", "applicability", "geometry"})
_DAYS = {"MON": 0, "TUE": 1, "WED": 2, "THU": 3, "FRI": 4, "SAT": 5, "SUN": 6}
#: A daily schedule is expanded over at most this many days.
_MAX_SCHEDULE_DAYS = 20 * 366
#: Expanding a schedule reaches a day before its bounds and a day after, in offsets of up
#: to 14 h: bounds closer than this to year 1 or to the end of year 9999 do not fit.
_SCHEDULE_MARGIN = timedelta(days=3)


def looks_like(doc: Any) -> bool:
    """An object with `features` whose items are not GeoJSON Features, or a bare list of
    objects with an `identifier`."""
    if isinstance(doc, dict) and isinstance(doc.get("features"), list):
        if doc.get("type") in ("FeatureCollection", "Feature"):
            return False
        first = doc["features"][0] if doc["features"] else {}
        return not (isinstance(first, dict) and first.get("type") == "Feature")
    return (
        isinstance(doc, list)
        and bool(doc)
        and all(isinstance(f, dict) and "identifier" in f for f in doc)
    )


def read(doc: Any) -> ZoneFile:
    features = doc if isinstance(doc, list) else c.mapping(doc, ()).get("features")
    where: Loc = () if isinstance(doc, list) else ("features",)
    try:
        items = c.sequence(features, where)
    except c.Bad as e:
        raise InvalidInput.at(e.loc, f"an ED-269 file: {e.message}") from None
    out = c.Collector()
    drafts: list[ZoneDraft] = []
    for i, raw in enumerate(items):
        if out.full:
            break
        loc: Loc = (*where, i)
        ident = raw.get("identifier") if isinstance(raw, dict) else None
        who = c.label(ident if isinstance(ident, str) else None, i)
        try:
            drafts.extend(_feature(raw, loc, out))
        except c.Bad as e:
            out.problem(e.loc, who, e.message)
    out.raise_problems()
    return ZoneFile(FORMAT, tuple(drafts), tuple(out.refusals))


def _feature(raw: Any, loc: Loc, out: c.Collector) -> list[ZoneDraft]:
    f = c.mapping(raw, loc)
    ident = c.identifier(f.get("identifier"), (*loc, "identifier"))
    who = c.label(ident, 0)
    zone_name = c.name(f.get("name"), (*loc, "name"), ident)
    kind, restriction_key = _restriction(f, loc)
    refusals: list[c.Unrepresentable] = []
    periods = _applicability(f.get("applicability"), (*loc, "applicability"), refusals)
    geometry = c.sequence(f.get("geometry"), (*loc, "geometry"), min_items=1)
    parts: list[tuple[Footprint, StatedBand | None]] = [
        _volume(g, (*loc, "geometry", j), refusals) for j, g in enumerate(geometry)
    ]
    if kind is None:
        out.refusal(ident, (*loc, restriction_key), who, c.NO_RESTRICTION_REASON, skipped=True)
        return []
    if refusals:
        for r in refusals:
            out.refusal(ident, r.loc, who, r.message, skipped=False)
        return []
    attributes = {
        k: v
        for k, v in f.items()
        if k not in _HANDLED and not (k == "type" and restriction_key == "type")
    }
    drafts = []
    for j, (footprint, altitude) in enumerate(parts, start=1):
        assert altitude is not None
        assert periods is not None
        drafts.append(
            ZoneDraft(
                source_id=ident if len(parts) == 1 else f"{ident}#{j}",
                feature=ident,
                loc=loc,
                kind=kind,
                name=zone_name,
                footprint=footprint,
                altitude=altitude,
                periods=periods,
                attributes=attributes,
                reference_locs=(
                    (*loc, "geometry", j - 1, "lowerVerticalReference"),
                    (*loc, "geometry", j - 1, "upperVerticalReference"),
                ),
            )
        )
    return drafts


def _restriction(f: dict[str, Any], loc: Loc) -> tuple[ZoneKind | None, str]:
    key = "restriction"
    value = f.get("restriction")
    if value is None and f.get("type") in c.RESTRICTION_TO_KIND:
        key, value = "type", f["type"]  # ED-318 puts the restriction in `type`
    raw = c.text(value, (*loc, key))
    assert raw is not None
    if raw.upper() not in c.RESTRICTION_TO_KIND:
        c.bad(
            (*loc, key),
            f"unknown restriction {raw!r} (expected PROHIBITED, REQ_AUTHORISATION, "
            "CONDITIONAL or NO_RESTRICTION)",
        )
    return c.RESTRICTION_TO_KIND[raw.upper()], key


# ---- applicability ----------------------------------------------------------------


def _applicability(
    value: Any, loc: Loc, refusals: list[c.Unrepresentable]
) -> tuple[TimeWindow, ...] | None:
    """The active periods (() for always), or None when a period was refused."""
    if value is None:
        return ()  # ED-269 requires it; without one, the zone is taken as always active
    periods = c.sequence(value, loc)
    windows: list[TimeWindow] = []
    refused = False
    for k, raw in enumerate(periods):
        try:
            windows.extend(_period(raw, (*loc, k)))
        except c.Unrepresentable as e:
            refusals.append(e)
            refused = True
    if refused:
        return None
    if not periods or any(c.always(w) for w in windows):
        return ()
    return c.merged(windows)


def _period(raw: Any, loc: Loc) -> list[TimeWindow]:
    p = c.mapping(raw, loc)
    permanent = p.get("permanent")
    if permanent is not None:
        permanent = c.text(permanent, (*loc, "permanent"))
        if permanent not in ("YES", "NO"):
            c.bad((*loc, "permanent"), f"must be YES or NO, not {permanent!r}")
    start = (
        None
        if p.get("startDateTime") is None
        else c.instant(p["startDateTime"], (*loc, "startDateTime"))
    )
    end = (
        None if p.get("endDateTime") is None else c.instant(p["endDateTime"], (*loc, "endDateTime"))
    )
    schedule = p.get("schedule")
    if schedule is None:
        if permanent != "YES" and start is None and end is None:
            c.bad(loc, "a period that is not permanent needs startDateTime or endDateTime")
        return [c.window(start or ALWAYS.start, end or ALWAYS.end, (*loc, "endDateTime"))]
    days = c.sequence(schedule, (*loc, "schedule"), min_items=1)
    if start is None or end is None:
        raise c.Unrepresentable(
            (*loc, "schedule"),
            "a daily schedule without both startDateTime and endDateTime repeats without "
            "end: it cannot be expanded into active periods",
        )
    if start - ALWAYS.start < _SCHEDULE_MARGIN:
        c.bad((*loc, "startDateTime"), "a daily schedule must start after 0001-01-03")
    if datetime.max.replace(tzinfo=UTC) - end < _SCHEDULE_MARGIN:
        c.bad((*loc, "endDateTime"), "a daily schedule must end before 9999-12-29")
    bounds = c.window(start, end, (*loc, "endDateTime"))
    out: list[TimeWindow] = []
    for k, daily in enumerate(days):
        out.extend(_daily(daily, (*loc, "schedule", k), bounds))
    return out


def _daily(raw: Any, loc: Loc, bounds: TimeWindow) -> list[TimeWindow]:
    d = c.mapping(raw, loc)
    for event in ("startEvent", "endEvent"):
        if d.get(event) is not None:
            raise c.Unrepresentable(
                (*loc, event),
                f"daylight event {d[event]!r} (sunrise, sunset, twilight) depends on the "
                "place and the day: it cannot be mapped to fixed active periods",
            )
    day_names = d.get("day")
    if isinstance(day_names, str):
        day_names = [day_names]
    names = c.sequence(day_names, (*loc, "day"), min_items=1)
    weekdays: set[int] = set()
    for k, n in enumerate(names):
        if not isinstance(n, str) or (n.upper() not in _DAYS and n.upper() != "ANY"):
            c.bad((*loc, "day", k), f"must be MON, TUE, WED, THU, FRI, SAT, SUN or ANY, not {n!r}")
        weekdays |= set(_DAYS.values()) if n.upper() == "ANY" else {_DAYS[n.upper()]}
    begin, begin_tz = c.time_of_day(d.get("startTime"), (*loc, "startTime"))
    finish, finish_tz = c.time_of_day(d.get("endTime"), (*loc, "endTime"))
    return _expand(weekdays, begin, begin_tz, finish, finish_tz, bounds, loc)


def _expand(
    weekdays: set[int],
    begin: timedelta,
    begin_tz: timezone,
    finish: timedelta,
    finish_tz: timezone,
    bounds: TimeWindow,
    loc: Loc,
) -> list[TimeWindow]:
    """The daily windows on the chosen weekdays (in the start time's own calendar), cut
    to the bounds. An end at or before the start is on the next day."""
    first = bounds.start.astimezone(begin_tz).date() - timedelta(days=1)
    last = bounds.end.astimezone(begin_tz).date()
    if (last - first).days > _MAX_SCHEDULE_DAYS:
        raise c.Unrepresentable(
            loc, f"a daily schedule over more than {_MAX_SCHEDULE_DAYS} days is too long"
        )
    out: list[TimeWindow] = []
    day = first
    while day <= last:
        if day.weekday() in weekdays:
            midnight = datetime(day.year, day.month, day.day, tzinfo=begin_tz)
            start = midnight + begin
            end = datetime(day.year, day.month, day.day, tzinfo=finish_tz) + finish
            if end <= start:
                end += timedelta(days=1)
            start, end = max(start, bounds.start), min(end, bounds.end)
            if start < end:
                out.append(TimeWindow(start, end))
        day += timedelta(days=1)
    return out


# ---- geometry ------------------------------------------------------------------------


def _volume(
    raw: Any, loc: Loc, refusals: list[c.Unrepresentable]
) -> tuple[Footprint, StatedBand | None]:
    g = c.mapping(raw, loc)
    uom = c.text(g.get("uomDimensions"), (*loc, "uomDimensions"))
    assert uom is not None
    if uom.upper() not in ("M", "FT"):
        c.bad((*loc, "uomDimensions"), f"must be M or FT, not {uom!r}")
    unit = LengthUnit(uom.upper())
    scale = 1.0 if unit is LengthUnit.M else FOOT_M
    footprint = _projection(g.get("horizontalProjection"), (*loc, "horizontalProjection"), scale)
    limits: list[float] = []
    references: list[AltitudeReference] = []
    try:
        for side in ("lower", "upper"):
            value = g.get(f"{side}Limit")
            ref_loc = (*loc, f"{side}VerticalReference")
            references.append(c.reference(g.get(f"{side}VerticalReference"), ref_loc))
            if value is None:
                raise c.Unrepresentable(
                    (*loc, f"{side}Limit"),
                    "an absent lower limit (the surface) cannot be represented"
                    if side == "lower"
                    else "an absent upper limit (unlimited) cannot be represented",
                )
            limits.append(c.number(value, (*loc, f"{side}Limit")))
    except c.Unrepresentable as e:
        refusals.append(e)
        return footprint, None
    lower, upper = limits
    return footprint, c.band(lower, references[0], upper, references[1], (*loc, "upperLimit"), unit)


def _projection(raw: Any, loc: Loc, scale: float) -> Footprint:
    h = c.mapping(raw, loc)
    kind = c.text(h.get("type"), (*loc, "type"))
    if kind == "Circle":
        center = c.position(h.get("center"), (*loc, "center"))
        radius = c.number(h.get("radius"), (*loc, "radius")) * scale
        if radius <= 0:
            c.bad((*loc, "radius"), "must be positive")
        return Circle(center, radius)
    if kind == "Polygon":
        rings = c.sequence(h.get("coordinates"), (*loc, "coordinates"), min_items=1)
        parsed = []
        for r, ring in enumerate(rings):
            rloc = (*loc, "coordinates", r)
            points = c.sequence(ring, rloc)
            parsed.append(c.ring([c.position(p, (*rloc, k)) for k, p in enumerate(points)], rloc))
        return Polygon(parsed[0], tuple(parsed[1:]))
    raise c.Bad((*loc, "type"), f"must be Polygon or Circle, not {kind!r}")


# ---- writing -----------------------------------------------------------------------


def _projection_to(f: Footprint, unit: LengthUnit) -> dict[str, Any]:
    if isinstance(f, Circle):
        # feet to metres and back gives the same metres: x * 0.3048 / 0.3048 * 0.3048
        radius = f.radius_m / FOOT_M if unit is LengthUnit.FT else f.radius_m
        return {"type": "Circle", "center": [f.center.lng, f.center.lat], "radius": radius}
    rings = [f.exterior, *f.holes]
    return {
        "type": "Polygon",
        "coordinates": [[[p.lng, p.lat] for p in (*r, r[0])] for r in rings],
    }


def _applicability_to(periods: Sequence[TimeWindow]) -> list[dict[str, Any]]:
    if not periods:
        return [{"permanent": "YES"}]
    return [
        {"permanent": "NO", "startDateTime": c.iso(p.start), "endDateTime": c.iso(p.end)}
        for p in periods
    ]


def _volume_to(zone: Zone) -> dict[str, Any]:
    """The limits as the zone's source stated them (AMSL, AGL, feet: a circle's radius in
    that unit too), else metres above WGS84."""
    band = zone.altitude
    s = band.stated or StatedBand(
        band.lower_m, AltitudeReference.W84, band.upper_m, AltitudeReference.W84
    )
    return {
        "uomDimensions": s.unit.value,
        "lowerLimit": c.plain_number(s.lower),
        "lowerVerticalReference": c.ED269_REFERENCES[s.lower_reference],
        "upperLimit": c.plain_number(s.upper),
        "upperVerticalReference": c.ED269_REFERENCES[s.upper_reference],
        "horizontalProjection": _projection_to(zone.footprint, s.unit),
    }


def feature(zone: Zone) -> dict[str, Any]:
    extra = {k: v for k, v in zone.attributes.items() if k not in _HANDLED}
    return {
        "identifier": zone.source_id or zone.id,
        "name": zone.name,
        "restriction": c.KIND_TO_RESTRICTION[zone.kind],
        **extra,
        "applicability": _applicability_to(zone.periods),
        "geometry": [_volume_to(zone)],
    }


def write(zones: Sequence[Zone], title: str) -> dict[str, Any]:
    return {
        "title": title,
        "description": "Geographical zones exported by deconflict (EUROCAE ED-269 JSON); "
        "limits as they were imported, else metres above the WGS 84 ellipsoid",
        "features": [feature(z) for z in zones],
    }
