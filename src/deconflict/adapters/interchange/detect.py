"""Which format a file is in, from its content: KML is XML with a `kml` root; JSON is
GeoJSON when it is a FeatureCollection (or Feature), ED-269 when it holds `features`
that are not GeoJSON Features (or is a bare list of zones with identifiers)."""

from __future__ import annotations

import json
from typing import Any

from deconflict.domain.errors import InvalidInput

from . import ed269, geojson

FORMATS = ("ed269", "geojson", "kml")


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InvalidInput.at((), f"not UTF-8 text: {e}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def load_json(data: bytes) -> Any:
    try:
        return json.loads(_text(data), parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise InvalidInput.at((), f"not valid JSON: {e}") from None
    except ValueError as e:
        raise InvalidInput.at((), f"not valid JSON: {e}") from None


def detect(data: bytes) -> tuple[str, Any]:
    """The format and, for JSON, the parsed document (KML is parsed by its reader)."""
    head = _text(data[:4096]).lstrip() if len(data) > 4096 else _text(data).lstrip()
    if not head:
        raise InvalidInput.at((), "the file is empty")
    if head.startswith("<"):
        return "kml", None
    if not head.startswith(("{", "[")):
        raise InvalidInput.at(
            (), "cannot tell the format: expected ED-269 JSON, GeoJSON or KML (XML)"
        )
    doc = load_json(data)
    if geojson.looks_like(doc):
        return "geojson", doc
    if ed269.looks_like(doc):
        return "ed269", doc
    raise InvalidInput.at(
        (),
        "cannot tell the format: JSON that is neither a GeoJSON FeatureCollection nor "
        "ED-269 (an object with a list of `features`)",
    )
