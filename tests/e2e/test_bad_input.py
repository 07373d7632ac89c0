"""Bad input is refused with 422 (or 413) naming the field, and changes nothing stored.

Every bad volume is sent in three requests: a new operation, a dry-run check, and a new
version of an existing operation. Each must name the same field, in the shape the
volume was sent in, and neither the party's operations nor the existing one may change.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Auth

from .helpers import (
    SIDE,
    Json,
    all_pages,
    assert_problem,
    circle_volume,
    error_body,
    f3548_volume,
    geojson_volume,
    operation,
    polygon_volume,
    problems,
    spot,
    square,
    square_volume,
    zone,
)

NewParty = Callable[..., str]
Make = Callable[[float, float], Json]
S = SIDE


def _edit(volume: Json, path: tuple[str | int, ...], value: Any) -> Json:
    """A copy of `volume` with the value at `path` replaced."""
    edited = copy.deepcopy(volume)
    node: Any = edited
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return edited


def _without(volume: Json, *path: str) -> Json:
    edited = copy.deepcopy(volume)
    node: Any = edited
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return edited


def _bow_tie(lat: float, lng: float) -> list[tuple[float, float]]:
    return [(lat, lng), (lat + S, lng + S), (lat, lng + S), (lat + S, lng)]


def _two_distinct(lat: float, lng: float) -> list[tuple[float, float]]:
    return [(lat, lng), (lat, lng + S), (lat, lng)]


def _many_vertices(lat: float, lng: float, n: int = 1001) -> list[tuple[float, float]]:
    step = 2 * math.pi / n
    return [(lat + 0.01 * math.sin(i * step), lng + 0.01 * math.cos(i * step)) for i in range(n)]


def _f3548(lat: float, lng: float, **kwargs: Any) -> Json:
    return f3548_volume(corners=square(lat, lng), **kwargs)


def _f3548_circle(lat: float, lng: float, radius: float = 300.0, **kwargs: Any) -> Json:
    return f3548_volume(circle=(lat, lng, radius), **kwargs)


def _geojson(lat: float, lng: float, **kwargs: Any) -> Json:
    return geojson_volume(corners=square(lat, lng), **kwargs)


def _ring(volume: Json, ring: list[list[float]], index: int = 0) -> Json:
    edited = copy.deepcopy(volume)
    rings = edited["geometry"]["coordinates"]
    if index < len(rings):
        rings[index] = ring
    else:
        rings.append(ring)
    return edited


NAN, INF = float("nan"), float("inf")
LATE = {"start": "2030-06-01T10:00:00Z", "end": "2030-06-01T09:59:59Z"}
DAY_AND_AN_HOUR = {"start": "2030-06-01T10:00:00Z", "end": "2030-06-02T11:00:00Z"}
NAIVE = "2030-06-01T10:00:00"

# (make(lat, lng) -> bad volume, location under body.volumes.<i>, message fragment)
BAD_VOLUMES: list[Any] = [
    # ---- native --------------------------------------------------------------------
    pytest.param(
        lambda la, ln: polygon_volume(_bow_tie(la, ln)),
        ["footprint", "vertices"],
        "not simple",
        id="native-bow-tie",
    ),
    pytest.param(
        lambda la, ln: polygon_volume(_two_distinct(la, ln)),
        ["footprint", "vertices"],
        "at least 3 distinct vertices",
        id="native-two-distinct-vertices",
    ),
    pytest.param(
        lambda la, ln: polygon_volume([(la, ln), (la, ln + S)]),
        ["footprint", "vertices"],
        "at least 3 distinct vertices",
        id="native-two-vertices",
    ),
    pytest.param(
        lambda la, ln: _edit(square_volume(la, ln), ("footprint", "vertices", 0, "lat"), NAN),
        ["footprint", "vertices", 0, "lat"],
        "finite number",
        id="native-nan-latitude",
    ),
    pytest.param(
        lambda la, ln: _edit(square_volume(la, ln), ("altitude_upper_m",), INF),
        ["altitude_upper_m"],
        "finite number",
        id="native-infinite-altitude",
    ),
    pytest.param(
        lambda la, ln: _edit(square_volume(la, ln), ("footprint", "vertices", 0, "lat"), 91),
        ["footprint", "vertices", 0, "lat"],
        "less than or equal to 90",
        id="native-latitude-91",
    ),
    pytest.param(
        lambda la, ln: _edit(square_volume(la, ln), ("footprint", "vertices", 2, "lng"), 181),
        ["footprint", "vertices", 2, "lng"],
        "less than or equal to 180",
        id="native-longitude-181",
    ),
    pytest.param(
        lambda la, ln: _edit(circle_volume(la, ln), ("footprint", "center", "lat"), 91),
        ["footprint", "center", "lat"],
        "less than or equal to 90",
        id="native-circle-latitude-91",
    ),
    pytest.param(
        lambda la, ln: square_volume(la, ln, lower=120, upper=120),
        ["altitude_upper_m"],
        "must be above lower altitude",
        id="native-lower-equals-upper",
    ),
    pytest.param(
        lambda la, ln: square_volume(la, ln, lower=150, upper=120),
        ["altitude_upper_m"],
        "must be above lower altitude",
        id="native-lower-above-upper",
    ),
    pytest.param(
        lambda la, ln: square_volume(la, ln, start=LATE["start"], end=LATE["start"]),
        ["time_end"],
        "after start",
        id="native-end-equals-start",
    ),
    pytest.param(
        lambda la, ln: square_volume(la, ln, **LATE),
        ["time_end"],
        "after start",
        id="native-end-before-start",
    ),
    pytest.param(
        lambda la, ln: square_volume(la, ln, start=NAIVE),
        ["time_start"],
        "timezone",
        id="native-naive-datetime",
    ),
    pytest.param(
        lambda la, ln: _edit(square_volume(la, ln), ("altitude_reference",), "AGL"),
        ["altitude_reference"],
        "needs a terrain model",
        id="native-agl-without-terrain",
    ),
    pytest.param(
        lambda la, ln: _edit(square_volume(la, ln), ("altitude_reference",), "STD"),
        ["altitude_reference"],
        "'W84', 'AMSL' or 'AGL'",
        id="native-flight-level",
    ),
    pytest.param(
        lambda la, ln: {**square_volume(la, ln), "colour": "red"},
        ["colour"],
        "extra inputs are not permitted",
        id="native-unknown-field",
    ),
    pytest.param(
        lambda la, ln: _edit(square_volume(la, ln), ("footprint", "colour"), "red"),
        ["footprint", "colour"],
        "extra inputs are not permitted",
        id="native-unknown-footprint-field",
    ),
    pytest.param(
        lambda la, ln: _edit(square_volume(la, ln), ("footprint", "vertices", 1, "alt"), 3),
        ["footprint", "vertices", 1, "alt"],
        "extra inputs are not permitted",
        id="native-unknown-vertex-field",
    ),
    pytest.param(
        lambda la, ln: _edit(square_volume(la, ln), ("footprint", "type"), "hexagon"),
        ["footprint"],
        "tag",
        id="native-unknown-footprint-type",
    ),
    pytest.param(
        lambda la, ln: circle_volume(la, ln, radius_m=60_000),
        ["footprint"],
        "exceeds the maximum of 10000.0 km2",
        id="native-circle-over-max-area",
    ),
    pytest.param(
        lambda la, ln: polygon_volume(square(la, ln, side=1.5)),
        ["footprint"],
        "exceeds the maximum of 10000.0 km2",
        id="native-polygon-over-max-area",
    ),
    pytest.param(
        lambda la, ln: polygon_volume(_many_vertices(la, ln)),
        ["footprint", "vertices"],
        "1001 vertices exceed the maximum of 1000",
        id="native-too-many-vertices",
    ),
    pytest.param(
        lambda la, ln: square_volume(la, ln, **DAY_AND_AN_HOUR),
        ["time_end"],
        "time window of 90000 s exceeds the maximum of 86400 s",
        id="native-window-over-max",
    ),
    pytest.param(
        lambda la, ln: circle_volume(la, ln, radius_m=0),
        ["footprint", "radius_m"],
        "greater than 0",
        id="native-zero-radius",
    ),
    # ---- ASTM F3548-21 ---------------------------------------------------------------
    pytest.param(
        lambda la, ln: f3548_volume(corners=square(la, ln), circle=(la, ln, 300)),
        ["volume"],
        "exactly one of outline_circle and outline_polygon",
        id="f3548-both-outlines",
    ),
    pytest.param(
        lambda la, ln: f3548_volume(),
        ["volume"],
        "exactly one of outline_circle and outline_polygon",
        id="f3548-no-outline",
    ),
    pytest.param(
        lambda la, ln: f3548_volume(corners=_bow_tie(la, ln)),
        ["volume", "outline_polygon", "vertices"],
        "not simple",
        id="f3548-bow-tie",
    ),
    pytest.param(
        lambda la, ln: f3548_volume(corners=[(la, ln), (la, ln + S)]),
        ["volume", "outline_polygon", "vertices"],
        "at least 3 items",
        id="f3548-two-vertices",
    ),
    pytest.param(
        lambda la, ln: f3548_volume(corners=_two_distinct(la, ln)),
        ["volume", "outline_polygon", "vertices"],
        "at least 3 distinct vertices",
        id="f3548-two-distinct-vertices",
    ),
    pytest.param(
        lambda la, ln: _edit(
            _f3548_circle(la, ln), ("volume", "outline_circle", "center", "lat"), 91
        ),
        ["volume", "outline_circle", "center", "lat"],
        "less than or equal to 90",
        id="f3548-latitude-91",
    ),
    pytest.param(
        lambda la, ln: _edit(
            _f3548(la, ln), ("volume", "outline_polygon", "vertices", 3, "lng"), 181
        ),
        ["volume", "outline_polygon", "vertices", 3, "lng"],
        "less than or equal to 180",
        id="f3548-longitude-181",
    ),
    pytest.param(
        lambda la, ln: _edit(_f3548(la, ln), ("volume", "altitude_lower", "value"), NAN),
        ["volume", "altitude_lower", "value"],
        "finite number",
        id="f3548-nan-altitude",
    ),
    pytest.param(
        lambda la, ln: _f3548(la, ln, lower=120, upper=120),
        ["volume", "altitude_upper", "value"],
        "must be above lower altitude",
        id="f3548-lower-equals-upper",
    ),
    pytest.param(
        lambda la, ln: _f3548(la, ln, **LATE),
        ["time_end", "value"],
        "after start",
        id="f3548-end-before-start",
    ),
    pytest.param(
        lambda la, ln: _f3548(la, ln, start=NAIVE),
        ["time_start", "value"],
        "timezone",
        id="f3548-naive-datetime",
    ),
    pytest.param(
        lambda la, ln: _edit(_f3548(la, ln), ("volume", "altitude_lower", "reference"), "AGL"),
        ["volume", "altitude_lower", "reference"],
        "needs a terrain model",
        id="f3548-agl-without-terrain",
    ),
    pytest.param(
        lambda la, ln: _edit(_f3548(la, ln), ("volume", "altitude_upper", "units"), "FT"),
        ["volume", "altitude_upper", "units"],
        "'M'",
        id="f3548-feet",
    ),
    pytest.param(
        lambda la, ln: _edit(_f3548(la, ln), ("volume", "colour"), "red"),
        ["volume", "colour"],
        "extra inputs are not permitted",
        id="f3548-unknown-field",
    ),
    pytest.param(
        lambda la, ln: _f3548_circle(la, ln, radius=60_000),
        ["volume", "outline_circle"],
        "exceeds the maximum of 10000.0 km2",
        id="f3548-over-max-area",
    ),
    pytest.param(
        lambda la, ln: f3548_volume(corners=_many_vertices(la, ln)),
        ["volume", "outline_polygon", "vertices"],
        "1001 vertices exceed the maximum of 1000",
        id="f3548-too-many-vertices",
    ),
    pytest.param(
        lambda la, ln: _f3548(la, ln, **DAY_AND_AN_HOUR),
        ["time_end", "value"],
        "exceeds the maximum of 86400 s",
        id="f3548-window-over-max",
    ),
    # ---- GeoJSON ---------------------------------------------------------------------
    pytest.param(
        lambda la, ln: _ring(
            _geojson(la, ln), [[ln, la], [ln + S, la], [ln + S, la + S], [ln, la + S]]
        ),
        ["geometry", "coordinates", 0],
        "a GeoJSON ring is closed",
        id="geojson-unclosed-ring",
    ),
    pytest.param(
        lambda la, ln: geojson_volume(corners=_bow_tie(la, ln)),
        ["geometry", "coordinates"],
        "not simple",
        id="geojson-bow-tie",
    ),
    pytest.param(
        lambda la, ln: _ring(_geojson(la, ln), [[ln, la], [ln + S, la], [ln, la], [ln, la]]),
        ["geometry", "coordinates", 0],
        "at least 3 distinct vertices",
        id="geojson-two-distinct-vertices",
    ),
    pytest.param(
        lambda la, ln: _ring(
            _geojson(la, ln),
            [
                [ln + 0.004, la + 0.004],
                [ln + 0.006, la + 0.004],
                [ln + 0.004, la + 0.004],
                [ln + 0.004, la + 0.004],
            ],
            index=1,
        ),
        ["geometry", "coordinates", 1],
        "at least 3 distinct vertices",
        id="geojson-hole-two-distinct-vertices",
    ),
    pytest.param(
        lambda la, ln: _edit(_geojson(la, ln), ("geometry", "coordinates", 0, 2), [ln]),
        ["geometry", "coordinates", 0, 2],
        "a position is [longitude, latitude]",
        id="geojson-short-position",
    ),
    pytest.param(
        lambda la, ln: _edit(_geojson(la, ln), ("geometry", "coordinates", 0, 1, 1), 91),
        ["geometry", "coordinates", 0, 1, 1],
        "latitude 91",
        id="geojson-latitude-91",
    ),
    pytest.param(
        lambda la, ln: _edit(_geojson(la, ln), ("geometry", "coordinates", 0, 2, 0), 181),
        ["geometry", "coordinates", 0, 2, 0],
        "longitude 181",
        id="geojson-longitude-181",
    ),
    pytest.param(
        lambda la, ln: _edit(_geojson(la, ln), ("geometry", "coordinates", 0, 1, 1), NAN),
        ["geometry", "coordinates", 0, 1, 1],
        "finite number",
        id="geojson-nan-coordinate",
    ),
    pytest.param(
        lambda la, ln: _geojson(la, ln, lower=120, upper=120),
        ["properties", "altitude_upper_m"],
        "must be above lower altitude",
        id="geojson-lower-equals-upper",
    ),
    pytest.param(
        lambda la, ln: _geojson(la, ln, **LATE),
        ["properties", "time_end"],
        "after start",
        id="geojson-end-before-start",
    ),
    pytest.param(
        lambda la, ln: _geojson(la, ln, end=NAIVE),
        ["properties", "time_end"],
        "timezone",
        id="geojson-naive-datetime",
    ),
    pytest.param(
        lambda la, ln: _edit(_geojson(la, ln), ("properties", "altitude_reference"), "AGL"),
        ["properties", "altitude_reference"],
        "needs a terrain model",
        id="geojson-agl-without-terrain",
    ),
    pytest.param(
        lambda la, ln: _edit(
            geojson_volume(circle=(la, ln, 300)), ("properties", "radius_m"), None
        ),
        ["properties", "radius_m"],
        "a Point footprint needs radius_m",
        id="geojson-point-without-radius",
    ),
    pytest.param(
        lambda la, ln: geojson_volume(circle=(la, ln, 60_000)),
        ["properties", "radius_m"],
        "exceeds the maximum of 10000.0 km2",
        id="geojson-point-over-max-area",
    ),
    pytest.param(
        lambda la, ln: geojson_volume(corners=square(la, ln, side=1.5)),
        ["geometry", "coordinates"],
        "exceeds the maximum of 10000.0 km2",
        id="geojson-polygon-over-max-area",
    ),
    pytest.param(
        lambda la, ln: geojson_volume(corners=_many_vertices(la, ln)),
        ["geometry", "coordinates"],
        "1001 vertices exceed the maximum of 1000",
        id="geojson-too-many-vertices",
    ),
    pytest.param(
        lambda la, ln: _geojson(la, ln, **DAY_AND_AN_HOUR),
        ["properties", "time_end"],
        "exceeds the maximum of 86400 s",
        id="geojson-window-over-max",
    ),
]


def _send(client: TestClient, method: str, path: str, body: Json, headers: dict[str, str]) -> Any:
    """Sends `body` as JSON text written by `json.dumps`, which spells NaN and Infinity
    out (as JavaScript does) where httpx's `json=` would refuse them."""
    return client.request(
        method,
        path,
        content=json.dumps(body),
        headers={**headers, "content-type": "application/json"},
    )


@dataclass
class Fresh:
    """A new party (its submitter's headers) with one approved operation of its own."""

    client: TestClient
    headers: dict[str, str]
    existing: Json

    @property
    def path(self) -> str:
        return f"/v1/operations/{self.existing['id']}"

    def assert_unchanged(self) -> None:
        """The party still has that one operation, exactly as it was (one version)."""
        now = self.client.get(self.path, params={"history": True}, headers=self.headers)
        assert now.json() == self.existing
        listed = all_pages(self.client, "/v1/operations", self.headers)
        assert [o["id"] for o in listed] == [self.existing["id"]]


@pytest.fixture
def fresh(client: TestClient, auth: Auth, new_party: NewParty) -> Fresh:
    headers = auth(new_party("bad-input"))
    lat, lng = spot()
    created = client.post(
        "/v1/operations", json=operation(square_volume(lat, lng)), headers=headers
    )
    assert created.status_code == 201, created.text
    path = f"/v1/operations/{created.json()['id']}"
    existing = client.get(path, params={"history": True}, headers=headers).json()
    assert [v["version"] for v in existing["versions"]] == [1]
    return Fresh(client, headers, existing)


@pytest.mark.parametrize(("make", "loc", "fragment"), BAD_VOLUMES)
def test_a_bad_volume_is_refused_naming_its_field_and_nothing_changes(
    client: TestClient,
    fresh: Fresh,
    make: Make,
    loc: list[Any],
    fragment: str,
) -> None:
    headers = fresh.headers
    lat, lng = spot()
    good, bad = square_volume(lat + 0.1, lng + 0.1), make(lat, lng)
    where = ["body", "volumes", 1, *loc]
    submitted = _send(client, "POST", "/v1/operations", operation(good, bad), headers)
    assert_problem(submitted, where, fragment)
    checked = _send(client, "POST", "/v1/checks", {"volumes": [good, bad]}, headers)
    assert_problem(checked, where, fragment)
    updated = _send(client, "PUT", fresh.path, operation(good, bad), headers)
    assert_problem(updated, where, fragment)
    fresh.assert_unchanged()


@pytest.mark.parametrize(
    ("body", "loc", "fragment"),
    [
        pytest.param(
            operation(*[square_volume(10, 10 + i * 0.02) for i in range(51)]),
            ["body", "volumes"],
            "51 volumes exceed the maximum of 50",
            id="too-many-volumes",
        ),
        pytest.param(operation(), ["body", "volumes"], "at least 1 item", id="no-volumes"),
        pytest.param(
            {**operation(square_volume(10, 10)), "colour": "red"},
            ["body", "colour"],
            "extra inputs are not permitted",
            id="unknown-field",
        ),
        pytest.param(
            {"volumes": [square_volume(10, 10)]}, ["body", "name"], "required", id="no-name"
        ),
        pytest.param(
            operation(square_volume(10, 10), name=""),
            ["body", "name"],
            "at least 1",
            id="empty-name",
        ),
        pytest.param(
            operation(square_volume(10, 10), priority=101),
            ["body", "priority"],
            "less than or equal to 100",
            id="priority-over-100",
        ),
        pytest.param(
            {"name": "x", "volumes": square_volume(10, 10)},
            ["body", "volumes"],
            "valid list",
            id="volumes-not-a-list",
        ),
    ],
)
def test_a_bad_operation_body_is_refused_naming_its_field_and_nothing_changes(
    client: TestClient, fresh: Fresh, body: Json, loc: list[Any], fragment: str
) -> None:
    headers = fresh.headers
    assert_problem(client.post("/v1/operations", json=body, headers=headers), loc, fragment)
    put = client.put(fresh.path, json=body, headers=headers)
    assert_problem(put, loc, fragment)
    fresh.assert_unchanged()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(b'{"name": "Survey", "volumes": [', id="truncated"),
        pytest.param(b"{'name': 'Survey'}", id="single-quotes"),
        pytest.param(b"", id="empty"),
    ],
)
def test_malformed_json_is_refused_as_a_body_problem_and_nothing_changes(
    client: TestClient, fresh: Fresh, text: bytes
) -> None:
    headers = fresh.headers
    headers = {**headers, "content-type": "application/json"}
    for method, path in [
        ("POST", "/v1/operations"),
        ("POST", "/v1/checks"),
        ("PUT", fresh.path),
    ]:
        found = problems(client.request(method, path, content=text, headers=headers))
        assert len(found) == 1, found
        assert found[0][0][0] == "body", found
        assert "json" in found[0][1].lower() or "required" in found[0][1].lower(), found
    fresh.assert_unchanged()


def test_a_body_over_the_size_limit_is_refused_with_413_and_nothing_changes(
    client: TestClient, fresh: Fresh
) -> None:
    headers = fresh.headers
    lat, lng = spot()
    # Valid JSON, padded past the 1 000 000 byte limit with many small volumes' worth of name.
    body = json.dumps(operation(square_volume(lat, lng), name="x" * 1_000_001)).encode()
    headers = {**headers, "content-type": "application/json"}
    for method, path in [("POST", "/v1/operations"), ("PUT", fresh.path)]:
        response = client.request(method, path, content=body, headers=headers)
        assert error_body(response, 413)["detail"] == "request body exceeds 1000000 bytes"
    fresh.assert_unchanged()


def test_a_streamed_body_without_content_length_is_cut_off_at_the_size_limit(
    client: TestClient, fresh: Fresh
) -> None:
    headers = fresh.headers
    chunk = b" " * 65_536  # JSON whitespace: the body would parse, were it not too large

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "Survey", "volumes": []'
        for _ in range(20):  # 1.3 MB in all
            yield chunk
        yield b"}"

    for method, path in [("POST", "/v1/operations"), ("PUT", fresh.path)]:
        request = client.build_request(
            method, path, content=chunks(), headers={**headers, "content-type": "application/json"}
        )
        assert "content-length" not in request.headers
        assert request.headers["transfer-encoding"] == "chunked"
        response = client.send(request)
        assert error_body(response, 413)["detail"] == "request body exceeds 1000000 bytes"
    fresh.assert_unchanged()


def test_a_body_just_under_the_size_limit_is_read(client: TestClient, fresh: Fresh) -> None:
    headers = fresh.headers
    lat, lng = spot()
    text = json.dumps({"volumes": [square_volume(lat, lng)]})
    padded = text[:-1] + " " * (1_000_000 - len(text)) + "}"
    assert len(padded.encode()) == 1_000_000
    response = client.post(
        "/v1/checks", content=padded, headers={**headers, "content-type": "application/json"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "conflicts": [],
        "required_reviews": [],
        "notices": [],
        "refused": False,
    }


@pytest.mark.parametrize(
    ("limit", "fragment"),
    [(501, "limit must be at most 500"), (0, "greater than or equal to 1")],
)
def test_a_page_size_outside_the_bounds_is_refused(
    client: TestClient, auth: Auth, new_party: NewParty, limit: int, fragment: str
) -> None:
    headers = auth(new_party("pager"), "admin", "submitter")
    for path in ["/v1/operations", "/v1/zones", "/v1/agreements", "/v1/parties"]:
        response = client.get(path, params={"limit": limit}, headers=headers)
        assert_problem(response, ["query", "limit"], fragment)
        assert client.get(path, params={"limit": 500}, headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("edit", "loc", "fragment"),
    [
        pytest.param(
            lambda z, la, ln: {**z, "footprint": polygon_volume(_bow_tie(la, ln))["footprint"]},
            ["body", "footprint", "vertices"],
            "not simple",
            id="bow-tie",
        ),
        pytest.param(
            lambda z, la, ln: {**z, "active_periods": [LATE]},
            ["body", "active_periods", 0, "end"],
            "after start",
            id="period-ends-before-it-starts",
        ),
        pytest.param(
            lambda z, la, ln: {**z, "active_periods": [{**LATE, "start": NAIVE}]},
            ["body", "active_periods", 0, "start"],
            "timezone",
            id="naive-period",
        ),
        pytest.param(
            lambda z, la, ln: {**z, "altitude_lower_m": 1000},
            ["body", "altitude_upper_m"],
            "must be above lower altitude",
            id="lower-equals-upper",
        ),
        pytest.param(
            lambda z, la, ln: {**z, "altitude_reference": "AGL"},
            ["body", "altitude_reference"],
            "needs a terrain model",
            id="agl-without-terrain",
        ),
        pytest.param(
            lambda z, la, ln: {**z, "kind": "forbidden"},
            ["body", "kind"],
            "'review', 'notify' or 'restricted'",
            id="unknown-kind",
        ),
        pytest.param(
            lambda z, la, ln: {**z, "colour": "red"},
            ["body", "colour"],
            "extra inputs are not permitted",
            id="unknown-field",
        ),
        pytest.param(
            lambda z, la, ln: _edit(z, ("footprint", "radius_m"), 60_000),
            ["body", "footprint"],
            "exceeds the maximum of 10000.0 km2",
            id="over-max-area",
        ),
        pytest.param(
            lambda z, la, ln: _without(z, "footprint", "center"),
            ["body", "footprint", "center"],
            "required",
            id="circle-without-center",
        ),
    ],
)
def test_a_bad_zone_is_refused_naming_its_field_and_not_stored(
    client: TestClient,
    auth: Auth,
    new_party: NewParty,
    edit: Callable[[Json, float, float], Json],
    loc: list[Any],
    fragment: str,
) -> None:
    party = new_party("zoner")
    headers = auth(party, "admin")
    lat, lng = spot()
    response = client.post(
        "/v1/zones", json=edit(zone("restricted", lat, lng), lat, lng), headers=headers
    )
    assert_problem(response, loc, fragment)
    assert [z for z in all_pages(client, "/v1/zones", headers) if z["party_id"] == party] == []
