"""KML 2.2 placemarks of zones, and of operations' volumes. Parsed with defusedxml:
entity declarations and external references are refused.

A zone Placemark (anywhere under the document, in folders or not): its `id` attribute
(else `ExtendedData` `identifier`, else its `name`) identifies it; `name`; geometry a
Polygon (inner boundaries are holes), a MultiGeometry of Polygons (one zone each,
`<id>#1`...), or a Point with `radius_m` (a circle; a MultiGeometry of the Point and an
outline Polygon, as written here, reads the same). `ExtendedData` (`Data` or
`SchemaData`/`SimpleData`) holds what KML has no element for:

- `kind` (review, notify, restricted) or an ED-269 `restriction`;
- `altitude_lower_m`, `altitude_upper_m`, `altitude_reference` (W84 by default; AMSL and
  AGL converted by the import and written back as they came; or per limit,
  `altitude_lower_reference`, `altitude_upper_reference`). KML's own altitudes are
  ignored;
- `active_periods`: ISO 8601 intervals `start/end` separated by spaces; without it, a
  `TimeSpan` (`begin`, `end`) is the one period; without either, always active;
- `attributes`: a JSON object kept as it is; `description` and other `Data` join it.

Operations: a Folder per operation, a Placemark per volume with its `TimeSpan`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any
from xml.etree.ElementTree import Element, SubElement, indent, tostring

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException
from pyproj import Geod

from deconflict.domain.errors import InvalidInput, Loc
from deconflict.domain.model import Zone, ZoneKind
from deconflict.domain.operation import Operation
from deconflict.domain.volumes import (
    ALWAYS,
    AltitudeBand,
    Circle,
    Footprint,
    LatLng,
    Polygon,
    TimeWindow,
    Volume4D,
)
from deconflict.services.interchange import ZoneDraft, ZoneFile

from . import common as c

FORMAT = "kml"
NS = "http://www.opengis.net/kml/2.2"
_KNOWN = frozenset(
    {
        "identifier",
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
_COLOURS = {  # aabbggrr
    ZoneKind.RESTRICTED: "7f0000ff",
    ZoneKind.REVIEW: "7f00a5ff",
    ZoneKind.NOTIFY: "7fff7f00",
}
_OUTLINE_POINTS = 72
_GEOD = Geod(ellps="WGS84")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _children(node: Element, name: str) -> list[Element]:
    return [e for e in node if _local(e.tag) == name]


def _child(node: Element, name: str) -> Element | None:
    found = _children(node, name)
    return found[0] if found else None


def _text(node: Element | None) -> str | None:
    if node is None or node.text is None or not node.text.strip():
        return None
    return node.text.strip()


def parse(data: bytes) -> Element:
    try:
        root = safe_xml.fromstring(data)
    except DefusedXmlException as e:
        raise InvalidInput.at(("kml",), f"refused XML: {e}") from None
    except safe_xml.ParseError as e:
        raise InvalidInput.at(("kml",), f"not well-formed XML: {e}") from None
    if _local(root.tag) != "kml":
        raise InvalidInput.at(("kml",), f"the root element is {_local(root.tag)!r}, not 'kml'")
    assert isinstance(root, Element)
    return root


def _placemarks(node: Element) -> Iterator[Element]:
    for e in node.iter():
        if _local(e.tag) == "Placemark":
            yield e


def read(data: bytes) -> ZoneFile:
    root = parse(data)
    out = c.Collector()
    drafts: list[ZoneDraft] = []
    for i, placemark in enumerate(_placemarks(root)):
        if out.full:
            break
        loc: Loc = ("Placemark", i)
        guess = placemark.get("id") or _text(_child(placemark, "name"))
        who = c.label(guess, i)
        try:
            drafts.extend(_placemark(placemark, loc, out))
        except c.Bad as e:
            out.problem(e.loc, who, e.message)
    out.raise_problems()
    return ZoneFile(FORMAT, tuple(drafts), tuple(out.refusals))


def _data(placemark: Element) -> dict[str, str]:
    found: dict[str, str] = {}
    extended = _child(placemark, "ExtendedData")
    if extended is None:
        return found
    for e in extended.iter():
        tag = _local(e.tag)
        if tag == "Data" and e.get("name"):
            found[str(e.get("name"))] = _text(_child(e, "value")) or ""
        elif tag == "SimpleData" and e.get("name"):
            found[str(e.get("name"))] = (e.text or "").strip()
    return found


def _placemark(placemark: Element, loc: Loc, out: c.Collector) -> list[ZoneDraft]:
    data = _data(placemark)
    dloc = (*loc, "ExtendedData")
    name_text = _text(_child(placemark, "name"))
    if placemark.get("id"):
        ident = c.identifier(placemark.get("id"), (*loc, "id"))
    elif data.get("identifier"):
        ident = c.identifier(data["identifier"], (*dloc, "identifier"))
    elif name_text:
        ident = c.identifier(name_text, (*loc, "name"))
    else:
        c.bad((*loc, "id"), "is missing: a zone needs an id, an identifier or a name")
    zone_name = c.name(name_text, (*loc, "name"), ident)
    kind, kind_key = _kind(data, dloc)
    footprints = _footprints(placemark, data, loc)
    for key in ("altitude_lower_m", "altitude_upper_m"):
        _required(data, key, dloc)
    periods = _periods(placemark, data, loc)
    attributes: dict[str, Any] = {}
    if data.get("attributes"):
        try:
            parsed = json.loads(data["attributes"])
        except json.JSONDecodeError:
            c.bad((*dloc, "attributes"), "must be a JSON object")
        attributes.update(c.mapping(parsed, (*dloc, "attributes")))
    description = _text(_child(placemark, "description"))
    if description is not None:
        attributes["description"] = description
    attributes.update({k: v for k, v in data.items() if k not in _KNOWN})
    return c.drafts(
        out,
        ident=ident,
        loc=loc,
        props_loc=dloc,
        kind=kind,
        kind_key=kind_key,
        properties=data,
        zone_name=zone_name,
        footprints=footprints,
        periods=periods,
        attributes=attributes,
    )


def _required(data: dict[str, str], key: str, dloc: Loc) -> str:
    if not data.get(key):
        c.bad((*dloc, key), "is missing")
    return data[key]


def _kind(data: dict[str, str], dloc: Loc) -> tuple[ZoneKind | None, str]:
    if data.get("kind"):
        if data["kind"] not in {k.value for k in ZoneKind}:
            c.bad((*dloc, "kind"), f"must be review, notify or restricted, not {data['kind']!r}")
        return ZoneKind(data["kind"]), "kind"
    if not data.get("restriction"):
        c.bad(
            (*dloc, "kind"),
            "is missing: a zone needs a kind (review, notify, restricted) or an ED-269 restriction",
        )
    raw = data["restriction"].upper()
    if raw not in c.RESTRICTION_TO_KIND:
        c.bad(
            (*dloc, "restriction"),
            f"unknown restriction {data['restriction']!r} (expected PROHIBITED, "
            "REQ_AUTHORISATION, CONDITIONAL or NO_RESTRICTION)",
        )
    return c.RESTRICTION_TO_KIND[raw], "restriction"


def _coordinates(node: Element | None, loc: Loc) -> list[LatLng]:
    raw = _text(node)
    if raw is None:
        c.bad(loc, "is missing")
    points = []
    for k, item in enumerate(raw.split()):
        parts = item.split(",")
        if len(parts) not in (2, 3):
            c.bad((*loc, k), f"{item!r} is not longitude,latitude[,altitude]")
        points.append(c.position([c.number(p, (*loc, k)) for p in parts[:2]], (*loc, k)))
    return points


def _polygon(node: Element, loc: Loc) -> Polygon:
    outer = _child(node, "outerBoundaryIs")
    ring_node = None if outer is None else _child(outer, "LinearRing")
    if ring_node is None:
        c.bad((*loc, "outerBoundaryIs"), "is missing (a LinearRing)")
    oloc = (*loc, "outerBoundaryIs", "coordinates")
    exterior = c.ring(_coordinates(_child(ring_node, "coordinates"), oloc), oloc)
    holes = []
    for k, inner in enumerate(
        r for b in _children(node, "innerBoundaryIs") for r in _children(b, "LinearRing")
    ):
        hloc = (*loc, "innerBoundaryIs", k, "coordinates")
        holes.append(c.ring(_coordinates(_child(inner, "coordinates"), hloc), hloc))
    return Polygon(exterior, tuple(holes))


_GEOMETRIES = ("Polygon", "Point", "MultiGeometry", "LineString", "LinearRing", "Model")


def _footprints(placemark: Element, data: dict[str, str], loc: Loc) -> list[Footprint]:
    found = [
        e for e in placemark if _local(e.tag) in _GEOMETRIES or _local(e.tag).endswith("Track")
    ]
    if not found:
        c.bad((*loc, "Polygon"), "is missing: a zone needs a Polygon, MultiGeometry or Point")
    geometry = found[0]
    tag = _local(geometry.tag)
    gloc = (*loc, tag)
    members = list(geometry) if tag == "MultiGeometry" else [geometry]
    points = [m for m in members if _local(m.tag) == "Point"]
    polygons = [m for m in members if _local(m.tag) == "Polygon"]
    others = [m for m in members if _local(m.tag) not in ("Point", "Polygon")]
    if others:
        c.bad(
            (*gloc, _local(others[0].tag)),
            "is not an area (expected Polygon, MultiGeometry of Polygons, or Point with radius_m)",
        )
    if data.get("radius_m") is not None and points:
        if len(points) > 1:
            c.bad(gloc, "a circle has one centre Point")
        ploc = (*gloc, "Point", "coordinates")
        centers = _coordinates(_child(points[0], "coordinates"), ploc)
        if len(centers) != 1:
            c.bad(ploc, "a Point has one position")
        radius = c.number(data["radius_m"], (*loc, "ExtendedData", "radius_m"))
        if radius <= 0:
            c.bad((*loc, "ExtendedData", "radius_m"), "must be positive")
        return [Circle(centers[0], radius)]  # an outline Polygon beside it is only a picture
    if points:
        c.bad((*loc, "ExtendedData", "radius_m"), "a Point zone needs radius_m (a circle)")
    if not polygons:
        c.bad(gloc, "holds no Polygon")
    prefix = gloc if tag == "MultiGeometry" else loc
    return [
        _polygon(p, (*prefix, "Polygon", k) if len(polygons) > 1 else (*prefix, "Polygon"))
        for k, p in enumerate(polygons)
    ]


def _periods(placemark: Element, data: dict[str, str], loc: Loc) -> tuple[TimeWindow, ...]:
    dloc = (*loc, "ExtendedData", "active_periods")
    if data.get("active_periods"):
        out = []
        for k, interval in enumerate(data["active_periods"].split()):
            first, sep, last = interval.partition("/")
            if not sep:
                c.bad((*dloc, k), f"{interval!r} is not an interval start/end")
            out.append(
                c.window(c.instant(first, (*dloc, k)), c.instant(last, (*dloc, k)), (*dloc, k))
            )
        return tuple(out)
    span = _child(placemark, "TimeSpan")
    if span is None:
        return ()
    sloc = (*loc, "TimeSpan")
    begin, end = _text(_child(span, "begin")), _text(_child(span, "end"))
    start = ALWAYS.start if begin is None else c.instant(begin, (*sloc, "begin"))
    finish = ALWAYS.end if end is None else c.instant(end, (*sloc, "end"))
    if begin is None and end is None:
        return ()
    return (c.window(start, finish, (*sloc, "end")),)


# ---- writing -----------------------------------------------------------------------


def _num(value: float) -> str:
    return repr(float(value))


def _band_values(band: AltitudeBand) -> dict[str, str]:
    return {k: v if isinstance(v, str) else _num(v) for k, v in c.band_properties(band).items()}


def _coords(points: Sequence[LatLng]) -> str:
    return " ".join(f"{_num(p.lng)},{_num(p.lat)}" for p in (*points, points[0]))


def _polygon_element(
    parent: Element, exterior: Sequence[LatLng], holes: Sequence[Sequence[LatLng]]
) -> None:
    polygon = SubElement(parent, "Polygon")
    ring = SubElement(SubElement(polygon, "outerBoundaryIs"), "LinearRing")
    SubElement(ring, "coordinates").text = _coords(exterior)
    for hole in holes:
        inner = SubElement(SubElement(polygon, "innerBoundaryIs"), "LinearRing")
        SubElement(inner, "coordinates").text = _coords(hole)


def _outline(circle: Circle) -> list[LatLng]:
    """A polygon through the circle's edge, for viewers (never read back)."""
    n = _OUTLINE_POINTS
    lngs, lats, _ = _GEOD.fwd(
        [circle.center.lng] * n,
        [circle.center.lat] * n,
        [360.0 * k / n for k in range(n)],
        [circle.radius_m] * n,
    )
    return [LatLng(max(-90.0, min(90.0, lat)), lng) for lng, lat in zip(lngs, lats, strict=True)]


def _geometry(parent: Element, f: Footprint) -> None:
    if isinstance(f, Circle):
        multi = SubElement(parent, "MultiGeometry")
        SubElement(
            SubElement(multi, "Point"), "coordinates"
        ).text = f"{_num(f.center.lng)},{_num(f.center.lat)}"
        _polygon_element(multi, _outline(f), ())
        return
    _polygon_element(parent, f.exterior, f.holes)


def _extended(parent: Element, values: dict[str, str]) -> None:
    extended = SubElement(parent, "ExtendedData")
    for key, value in values.items():
        data = SubElement(extended, "Data", name=key)
        SubElement(data, "value").text = value


def _time_span(parent: Element, window: TimeWindow) -> None:
    span = SubElement(parent, "TimeSpan")
    SubElement(span, "begin").text = c.iso(window.start)
    SubElement(span, "end").text = c.iso(window.end)


def _document(title: str) -> tuple[Element, Element]:
    root = Element("kml", xmlns=NS)
    document = SubElement(root, "Document")
    SubElement(document, "name").text = title
    return root, document


def _serialise(root: Element) -> str:
    indent(root, space=" ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="unicode") + "\n"


def write(zones: Sequence[Zone], title: str) -> str:
    root, document = _document(title)
    for kind, colour in _COLOURS.items():
        style = SubElement(document, "Style", id=kind.value)
        SubElement(SubElement(style, "LineStyle"), "color").text = "ff" + colour[2:]
        SubElement(SubElement(style, "PolyStyle"), "color").text = colour
    for zone in zones:
        placemark = SubElement(document, "Placemark", id=zone.source_id or zone.id)
        SubElement(placemark, "name").text = zone.name
        attributes = dict(zone.attributes)
        description = attributes.pop("description", None)
        if isinstance(description, str):
            SubElement(placemark, "description").text = description
        elif description is not None:
            attributes["description"] = description
        if len(zone.periods) == 1:
            _time_span(placemark, zone.periods[0])
        SubElement(placemark, "styleUrl").text = f"#{zone.kind.value}"
        values = {"kind": zone.kind.value, **_band_values(zone.altitude)}
        if zone.periods:
            values["active_periods"] = " ".join(
                f"{c.iso(p.start)}/{c.iso(p.end)}" for p in zone.periods
            )
        if isinstance(zone.footprint, Circle):
            values["radius_m"] = _num(zone.footprint.radius_m)
        if attributes:
            values["attributes"] = json.dumps(attributes, sort_keys=True, ensure_ascii=False)
        values["zone_id"] = zone.id
        _extended(placemark, values)
        _geometry(placemark, zone.footprint)
    return _serialise(root)


def _volume_placemark(parent: Element, operation: Operation, index: int, v: Volume4D) -> None:
    placemark = SubElement(parent, "Placemark", id=f"{operation.id}/{index}")
    SubElement(placemark, "name").text = f"{operation.name} #{index}"
    _time_span(placemark, v.time)
    values = {
        "operation": operation.id,
        "volume_index": str(index),
        **_band_values(v.altitude),
    }
    if isinstance(v.footprint, Circle):
        values["radius_m"] = _num(v.footprint.radius_m)
    _extended(placemark, values)
    _geometry(placemark, v.footprint)


def write_operations(operations: Sequence[Operation], title: str) -> str:
    root, document = _document(title)
    for operation in operations:
        folder = SubElement(document, "Folder", id=operation.id)
        SubElement(folder, "name").text = operation.name
        _extended(
            folder,
            {
                "operation": operation.id,
                "state": operation.state.value,
                "version": str(operation.current.number),
                "priority": str(operation.priority),
            },
        )
        for i, v in enumerate(operation.current.volumes):
            _volume_placemark(folder, operation, i, v)
    return _serialise(root)
