"""Zone and operation interchange files: EUROCAE ED-269 JSON, GeoJSON and KML.

`read_zones` detects the format from the content and returns a `ZoneFile` for
`services.interchange.import_zones`; `write_zones` and `write_operations` render an
export. Each format's module documents its mapping; `common` holds the shared table of
ED-269 restrictions and zone kinds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from deconflict.domain.errors import InvalidInput
from deconflict.domain.model import Zone
from deconflict.domain.operation import Operation
from deconflict.domain.text import NUL_MESSAGE, nul_location
from deconflict.services.interchange import ZoneFile

from . import ed269, geojson, kml
from .detect import FORMATS, detect

ZONE_FORMATS = FORMATS
OPERATION_FORMATS = ("geojson", "kml")
MEDIA_TYPES = {
    "ed269": "application/json",
    "geojson": "application/geo+json",
    "kml": "application/vnd.google-earth.kml+xml",
}
EXTENSIONS = {"ed269": "json", "geojson": "geojson", "kml": "kml"}


def read_zones(data: bytes, fmt: str | None = None) -> ZoneFile:
    """The zones of a file (format detected unless `fmt` names it); InvalidInput, naming
    the feature and the field, if the file is not well formed."""
    found, doc = detect(data)
    if fmt is not None and fmt != found:
        raise InvalidInput.at((), f"the file is {found}, not {fmt}")
    if found == "kml":
        return kml.read(data)  # XML cannot hold a NUL: the parser refuses it
    nul_at = nul_location(doc)
    if nul_at is not None:
        raise InvalidInput.at(nul_at, NUL_MESSAGE)
    if found == "geojson":
        return geojson.read(doc)
    return ed269.read(doc)


def _json(doc: Any) -> str:
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def write_zones(fmt: str, zones: Sequence[Zone], title: str) -> str:
    if fmt == "ed269":
        return _json(ed269.write(zones, title))
    if fmt == "geojson":
        return _json(geojson.write(zones))
    if fmt == "kml":
        return kml.write(zones, title)
    raise InvalidInput.at(("format",), f"unknown format {fmt!r} (ed269, geojson or kml)")


def write_operations(fmt: str, operations: Sequence[Operation], title: str) -> str:
    if fmt == "geojson":
        return _json(geojson.write_operations(operations))
    if fmt == "kml":
        return kml.write_operations(operations, title)
    raise InvalidInput.at(("format",), f"operations export as geojson or kml, not {fmt!r}")
