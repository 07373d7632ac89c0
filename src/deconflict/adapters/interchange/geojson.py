"""GeoJSON (RFC 7946) FeatureCollections of zones, and of operations' volumes.

A zone Feature: `id` (or `properties.identifier`, else `properties.name`) identifies it;
`geometry` is a Polygon (holes allowed), a MultiPolygon (one zone per polygon,
`<id>#1`, `<id>#2`...) or a Point with `properties.radius_m` (a circle); properties:

- `name`; `kind` (review, notify, restricted) or else an ED-269 `restriction`;
- `altitude_lower_m`, `altitude_upper_m`, `altitude_reference` (W84, the default; WGS84
  is the same; AMSL and AGL are converted by the import, and written back as they came),
  or a reference per limit: `altitude_lower_reference`, `altitude_upper_reference`;
- `active_periods`: `[{"start", "end"}]` with UTC offsets (absent or empty: always);
- `attributes`: an object kept as it is; other properties join it, so nothing is lost.

An operations export has one Feature per volume of each operation's current version, in
the shape `deconflict check` and `POST /v1/checks` read (`properties.operation` groups
them), with the operation's name, state and version.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from deconflict.domain.errors import InvalidInput, Loc
from deconflict.domain.model import Zone, ZoneKind
from deconflict.domain.operation import Operation
from deconflict.domain.volumes import Circle, Footprint, Polygon, TimeWindow, Volume4D
from deconflict.services.interchange import ZoneDraft, ZoneFile

from . import common as c

FORMAT = "geojson"
_KNOWN = frozenset(
    {
        "identifier",
        "name",
        "kind",
        "restriction",
        "altitude_lower_m",
        "altitude_upper_m",
        "altitude_reference",
        "altitude_lower_reference",
        "altitude_upper_reference",
        "active_periods",
        "radius_m",
        "attributes",
        "zone_id",
    }
)


def looks_like(doc: Any) -> bool:
    return isinstance(doc, dict) and (
        doc.get("type") in ("FeatureCollection", "Feature")
        or (
            isinstance(doc.get("features"), list)
            and bool(doc["features"])
            and isinstance(doc["features"][0], dict)
            and doc["features"][0].get("type") == "Feature"
        )
    )


def read(doc: Any) -> ZoneFile:
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        items: list[Any] = [doc]
        where: Loc = ()
        single = True
    else:
        try:
            items = c.sequence(c.mapping(doc, ()).get("features"), ("features",))
        except c.Bad as e:
            raise InvalidInput.at(e.loc, f"a GeoJSON FeatureCollection: {e.message}") from None
        where, single = ("features",), False
    out = c.Collector()
    drafts: list[ZoneDraft] = []
    for i, raw in enumerate(items):
        if out.full:
            break
        loc: Loc = where if single else (*where, i)
        who = c.label(_guess_id(raw), i)
        try:
            drafts.extend(_feature(raw, loc, out))
        except c.Bad as e:
            out.problem(e.loc, who, e.message)
    out.raise_problems()
    return ZoneFile(FORMAT, tuple(drafts), tuple(out.refusals))


def _guess_id(raw: Any) -> str | None:
    if not isinstance(raw, dict):
        return None
    found = raw.get("properties")
    props: dict[str, Any] = found if isinstance(found, dict) else {}
    for value in (raw.get("id"), props.get("identifier"), props.get("name")):
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return None


def _feature(raw: Any, loc: Loc, out: c.Collector) -> list[ZoneDraft]:
    f = c.mapping(raw, loc)
    if f.get("type") != "Feature":
        c.bad((*loc, "type"), f"must be 'Feature', not {f.get('type')!r}")
    props = {} if f.get("properties") is None else c.mapping(f["properties"], (*loc, "properties"))
    ploc = (*loc, "properties")
    if f.get("id") is not None:
        ident = c.identifier(f["id"], (*loc, "id"))
    elif props.get("identifier") is not None:
        ident = c.identifier(props["identifier"], (*ploc, "identifier"))
    elif props.get("name") is not None:
        ident = c.identifier(props["name"], (*ploc, "name"))
    else:
        c.bad((*loc, "id"), "is missing: a zone needs an id, properties.identifier or a name")
    zone_name = c.name(props.get("name"), (*ploc, "name"), ident)
    kind, kind_key = _kind(props, ploc)
    footprints = _footprints(f.get("geometry"), props, loc)
    periods = _periods(props.get("active_periods"), (*ploc, "active_periods"))
    attributes = (
        {}
        if props.get("attributes") is None
        else dict(c.mapping(props["attributes"], (*ploc, "attributes")))
    )
    attributes.update({k: v for k, v in props.items() if k not in _KNOWN})
    return c.drafts(
        out,
        ident=ident,
        loc=loc,
        props_loc=ploc,
        kind=kind,
        kind_key=kind_key,
        properties=props,
        zone_name=zone_name,
        footprints=footprints,
        periods=periods,
        attributes=attributes,
    )


def _kind(props: dict[str, Any], ploc: Loc) -> tuple[ZoneKind | None, str]:
    if props.get("kind") is not None:
        raw = c.text(props["kind"], (*ploc, "kind"))
        if raw not in {k.value for k in ZoneKind}:
            c.bad((*ploc, "kind"), f"must be review, notify or restricted, not {raw!r}")
        return ZoneKind(raw), "kind"
    if props.get("restriction") is None:
        c.bad(
            (*ploc, "kind"),
            "is missing: a zone needs a kind (review, notify, restricted) or an ED-269 restriction",
        )
    raw = c.text(props["restriction"], (*ploc, "restriction"))
    assert raw is not None
    if raw.upper() not in c.RESTRICTION_TO_KIND:
        c.bad(
            (*ploc, "restriction"),
            f"unknown restriction {raw!r} (expected PROHIBITED, REQ_AUTHORISATION, "
            "CONDITIONAL or NO_RESTRICTION)",
        )
    return c.RESTRICTION_TO_KIND[raw.upper()], "restriction"


def _rings(value: Any, loc: Loc) -> Polygon:
    rings = c.sequence(value, loc, min_items=1)
    parsed = []
    for r, ring in enumerate(rings):
        points = c.sequence(ring, (*loc, r))
        parsed.append(
            c.ring([c.position(p, (*loc, r, k)) for k, p in enumerate(points)], (*loc, r))
        )
    return Polygon(parsed[0], tuple(parsed[1:]))


def _footprints(value: Any, props: dict[str, Any], loc: Loc) -> list[Footprint]:
    gloc = (*loc, "geometry")
    g = c.mapping(value, gloc)
    kind = g.get("type")
    coords = (*gloc, "coordinates")
    if kind == "Polygon":
        return [_rings(g.get("coordinates"), coords)]
    if kind == "MultiPolygon":
        polygons = c.sequence(g.get("coordinates"), coords, min_items=1)
        return [_rings(p, (*coords, k)) for k, p in enumerate(polygons)]
    if kind == "Point":
        center = c.position(g.get("coordinates"), coords)
        if props.get("radius_m") is None:
            c.bad((*loc, "properties", "radius_m"), "a Point zone needs radius_m (a circle)")
        radius = c.number(props["radius_m"], (*loc, "properties", "radius_m"))
        if radius <= 0:
            c.bad((*loc, "properties", "radius_m"), "must be positive")
        return [Circle(center, radius)]
    raise c.Bad(
        (*gloc, "type"),
        f"{kind!r} is not an area (expected Polygon, MultiPolygon, or Point with radius_m)",
    )


def _periods(value: Any, loc: Loc) -> tuple[TimeWindow, ...]:
    if value is None:
        return ()
    out = []
    for k, raw in enumerate(c.sequence(value, loc)):
        p = c.mapping(raw, (*loc, k))
        start = c.instant(p.get("start"), (*loc, k, "start"))
        end = c.instant(p.get("end"), (*loc, k, "end"))
        out.append(c.window(start, end, (*loc, k, "end")))
    return tuple(out)


# ---- writing -----------------------------------------------------------------------


def _ring(r: tuple[Any, ...]) -> list[list[float]]:
    return [[p.lng, p.lat] for p in (*r, r[0])]


def geometry(f: Footprint) -> dict[str, Any]:
    if isinstance(f, Circle):
        return {"type": "Point", "coordinates": [f.center.lng, f.center.lat]}
    return {"type": "Polygon", "coordinates": [_ring(f.exterior), *(_ring(h) for h in f.holes)]}


def zone_feature(zone: Zone) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": zone.name,
        "kind": zone.kind.value,
        **c.band_properties(zone.altitude),
        "active_periods": [{"start": c.iso(p.start), "end": c.iso(p.end)} for p in zone.periods],
    }
    if isinstance(zone.footprint, Circle):
        props["radius_m"] = zone.footprint.radius_m
    if zone.attributes:
        props["attributes"] = dict(zone.attributes)
    props["zone_id"] = zone.id
    return {
        "type": "Feature",
        "id": zone.source_id or zone.id,
        "geometry": geometry(zone.footprint),
        "properties": props,
    }


def write(zones: Sequence[Zone]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": [zone_feature(z) for z in zones]}


def volume_feature(operation: Operation, index: int, v: Volume4D) -> dict[str, Any]:
    props: dict[str, Any] = {
        "operation": operation.id,
        "operation_name": operation.name,
        "state": operation.state.value,
        "version": operation.current.number,
        "volume_index": index,
        **c.band_properties(v.altitude),
        "time_start": c.iso(v.time.start),
        "time_end": c.iso(v.time.end),
    }
    if isinstance(v.footprint, Circle):
        props["radius_m"] = v.footprint.radius_m
    return {
        "type": "Feature",
        "id": f"{operation.id}/{index}",
        "geometry": geometry(v.footprint),
        "properties": props,
    }


def write_operations(operations: Sequence[Operation]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            volume_feature(op, i, v) for op in operations for i, v in enumerate(op.current.volumes)
        ],
    }
