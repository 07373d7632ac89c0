"""Payload builders and response checks shared by the end-to-end tests.

The PostgreSQL database is shared by every test of a session, and restricted zones bind
everyone: each test therefore works at a random place of its own (`spot()`), far from
what other tests put in the database.
"""

from __future__ import annotations

import random
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

Json = dict[str, Any]

T0 = "2030-06-01T10:00:00Z"
T1 = "2030-06-01T11:00:00Z"
SIDE = 0.01  # degrees: a square of about 1 km


# Not the global generator: plugins such as pytest-randomly reseed it to the same value
# for every test, which would put every test at the same place.
_places = random.SystemRandom()


def spot() -> tuple[float, float]:
    """A random place (lat, lng) away from the poles and the antimeridian."""
    return round(_places.uniform(-60, 60), 6), round(_places.uniform(-170, 170), 6)


def square(lat: float, lng: float, side: float = SIDE) -> list[tuple[float, float]]:
    """The corners (lat, lng) of a square with its south-west corner at (lat, lng)."""
    return [(lat, lng), (lat, lng + side), (lat + side, lng + side), (lat + side, lng)]


def latlngs(corners: list[tuple[float, float]]) -> list[Json]:
    return [{"lat": lat, "lng": lng} for lat, lng in corners]


def polygon_volume(
    corners: list[tuple[float, float]],
    *,
    lower: float = 50.0,
    upper: float = 120.0,
    start: str = T0,
    end: str = T1,
) -> Json:
    """A native volume with a polygon footprint."""
    return {
        "footprint": {"type": "polygon", "vertices": latlngs(corners), "holes": []},
        "altitude_lower_m": lower,
        "altitude_upper_m": upper,
        "altitude_reference": "W84",
        "time_start": start,
        "time_end": end,
    }


def square_volume(lat: float, lng: float, **kwargs: Any) -> Json:
    return polygon_volume(square(lat, lng), **kwargs)


def circle_volume(lat: float, lng: float, radius_m: float = 300.0, **kwargs: Any) -> Json:
    volume = square_volume(lat, lng, **kwargs)
    volume["footprint"] = {
        "type": "circle",
        "center": {"lat": lat, "lng": lng},
        "radius_m": radius_m,
    }
    return volume


def f3548_volume(
    *,
    corners: list[tuple[float, float]] | None = None,
    circle: tuple[float, float, float] | None = None,
    lower: float = 50.0,
    upper: float = 120.0,
    start: str = T0,
    end: str = T1,
) -> Json:
    """An ASTM F3548-21 Volume4D with a polygon outline (`corners`) or a circle
    (`circle` = lat, lng, radius in metres), as F3548 writes it."""
    volume: Json = {}
    if circle is not None:
        lat, lng, radius = circle
        volume["outline_circle"] = {
            "center": {"lat": lat, "lng": lng},
            "radius": {"value": radius, "units": "M"},
        }
    if corners is not None:
        volume["outline_polygon"] = {"vertices": latlngs(corners)}
    volume["altitude_lower"] = {"value": lower, "reference": "W84", "units": "M"}
    volume["altitude_upper"] = {"value": upper, "reference": "W84", "units": "M"}
    return {
        "volume": volume,
        "time_start": {"value": start, "format": "RFC3339"},
        "time_end": {"value": end, "format": "RFC3339"},
    }


def geojson_volume(
    *,
    corners: list[tuple[float, float]] | None = None,
    circle: tuple[float, float, float] | None = None,
    lower: float = 50.0,
    upper: float = 120.0,
    start: str = T0,
    end: str = T1,
) -> Json:
    """A GeoJSON Feature: a Polygon (closed ring of [lng, lat]) or a Point with radius_m."""
    geometry: Json
    if circle is not None:
        lat, lng, _ = circle
        geometry = {"type": "Point", "coordinates": [lng, lat]}
    else:
        assert corners is not None
        ring = [[lng, lat] for lat, lng in [*corners, corners[0]]]
        geometry = {"type": "Polygon", "coordinates": [ring]}
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "altitude_lower_m": lower,
            "altitude_upper_m": upper,
            "altitude_reference": "W84",
            "time_start": start,
            "time_end": end,
            "radius_m": circle[2] if circle is not None else None,
        },
    }


def operation(*volumes: Json, name: str = "Survey", priority: int = 0) -> Json:
    return {"name": name, "priority": priority, "volumes": list(volumes)}


def zone(kind: str, lat: float, lng: float, *, radius_m: float = 2000.0, **extra: Any) -> Json:
    """A zone body: a circle around (lat, lng) from the ground to 1000 m, always active."""
    return {
        "kind": kind,
        "name": f"{kind} zone",
        "footprint": {"type": "circle", "center": {"lat": lat, "lng": lng}, "radius_m": radius_m},
        "altitude_lower_m": 0,
        "altitude_upper_m": 1000,
        **extra,
    }


def error_body(response: Response, status: int) -> Json:
    """The JSON error body of `response`, checked to be `{"detail": str, "errors": [...]}`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: Json = response.json()
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert isinstance(body["errors"], list)
    for item in body["errors"]:
        assert set(item) == {"loc", "msg"}, item
        assert isinstance(item["loc"], list)
        assert isinstance(item["msg"], str)
        assert item["msg"]
    return body


def problems(response: Response, status: int = 422) -> list[tuple[list[Any], str]]:
    """The (loc, msg) pairs of an error response of status `status`."""
    return [(e["loc"], e["msg"]) for e in error_body(response, status)["errors"]]


def assert_problem(response: Response, loc: list[Any], fragment: str, status: int = 422) -> None:
    """The response is an error naming exactly one problem, at `loc`, whose message
    contains `fragment` (case-insensitive)."""
    found = problems(response, status)
    assert [p[0] for p in found] == [loc], found
    assert fragment.lower() in found[0][1].lower(), found


def all_pages(client: TestClient, path: str, headers: dict[str, str]) -> list[Json]:
    """Every item of a paged listing (the shared PostgreSQL database may hold many)."""
    items: list[Json] = []
    while True:
        response = client.get(path, params={"limit": 500, "offset": len(items)}, headers=headers)
        assert response.status_code == 200, response.text
        page: list[Json] = response.json()
        items.extend(page)
        if len(page) < 500:
            return items
