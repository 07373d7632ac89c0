"""One volume, three shapes: native, ASTM F3548-21 Volume4D and GeoJSON Feature.

Whatever shape a volume is sent in, it reads back equal in every shape, and the F3548
shape is what the InterUSS `uas_standards` package (the reference Python model of
ASTM F3548-21) parses as a `Volume4D`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

import pytest
from fastapi.testclient import TestClient
from implicitdict import ImplicitDict, StringBasedDateTime  # type: ignore[import-untyped]
from uas_standards.astm.f3548.v21 import api as f3548  # type: ignore[import-untyped]

from tests.conftest import Auth

from .helpers import (
    T0,
    T1,
    Json,
    assert_problem,
    circle_volume,
    f3548_volume,
    geojson_volume,
    operation,
    polygon_volume,
    spot,
    square,
)

NewParty = Callable[..., str]
FORMATS = ["native", "f3548", "geojson"]
RADIUS = 300.0


def shapes_of(shape: str, lat: float, lng: float) -> dict[str, Json]:
    """The same volume (a square or a circle at lat, lng) in each of the three shapes."""
    if shape == "circle":
        circle = (lat, lng, RADIUS)
        return {
            "native": circle_volume(lat, lng, radius_m=RADIUS),
            "f3548": f3548_volume(circle=circle),
            "geojson": geojson_volume(circle=circle),
        }
    corners = square(lat, lng)
    return {
        "native": polygon_volume(corners),
        "f3548": f3548_volume(corners=corners),
        "geojson": geojson_volume(corners=corners),
    }


def _get(client: TestClient, path: str, headers: dict[str, str], **params: Any) -> Any:
    response = client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("shape", ["polygon", "circle"])
@pytest.mark.parametrize("sent", FORMATS)
def test_a_volume_sent_in_any_shape_reads_back_equal_in_every_shape(
    client: TestClient, auth: Auth, new_party: NewParty, shape: str, sent: str
) -> None:
    headers = auth(new_party("formats"))
    lat, lng = spot()
    expected = shapes_of(shape, lat, lng)
    created = client.post(
        "/v1/operations",
        params={"volume_format": sent},
        json=operation(expected[sent]),
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["volumes"] == [expected[sent]]
    path = f"/v1/operations/{created.json()['id']}"
    for fmt in FORMATS:
        one = _get(client, path, headers, volume_format=fmt, history=True)
        assert one["volumes"] == [expected[fmt]], fmt
        assert [v["volumes"] for v in one["versions"]] == [[expected[fmt]]], fmt
        listed = _get(client, "/v1/operations", headers, volume_format=fmt)
        assert [o["volumes"] for o in listed] == [[expected[fmt]]], fmt
    assert _get(client, path, headers)["volumes"] == [expected["native"]]


def test_one_submission_may_mix_the_three_shapes(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    headers = auth(new_party("formats"))
    places = [spot() for _ in FORMATS]
    volumes = [shapes_of("polygon", lat, lng) for lat, lng in places]
    sent = [v[fmt] for v, fmt in zip(volumes, FORMATS, strict=True)]
    created = client.post("/v1/operations", json=operation(*sent), headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["volumes"] == [v["native"] for v in volumes]
    for fmt in FORMATS:
        one = _get(client, f"/v1/operations/{created.json()['id']}", headers, volume_format=fmt)
        assert one["volumes"] == [v[fmt] for v in volumes]


@pytest.mark.parametrize("shape", ["polygon", "circle"])
def test_a_volume_meets_the_same_conflicts_whatever_shape_it_is_sent_in(
    client: TestClient, auth: Auth, new_party: NewParty, shape: str
) -> None:
    owner = new_party("restrictor", authority=True)
    lat, lng = spot()
    # A restricted zone covering the volume's south-west corner only, up to 80 m.
    restricted = client.post(
        "/v1/zones",
        json={
            "kind": "restricted",
            "name": "Corner",
            "footprint": {
                "type": "circle",
                "center": {"lat": lat, "lng": lng},
                "radius_m": 200,
            },
            "altitude_lower_m": 0,
            "altitude_upper_m": 80,
        },
        headers=auth(owner, "admin"),
    )
    assert restricted.status_code == 201, restricted.text
    headers = auth(new_party("formats"))
    results = []
    for fmt, volume in shapes_of(shape, lat, lng).items():
        checked = client.post("/v1/checks", json={"volumes": [volume]}, headers=headers)
        assert checked.status_code == 200, (fmt, checked.text)
        results.append(checked.json())
    assert results[0]["refused"] is True
    assert [c["with"] for c in results[0]["conflicts"]] == [
        {"type": "zone", "id": restricted.json()["id"], "party_id": owner}
    ]
    assert results[0]["conflicts"][0]["altitude_upper_m"] == 80
    assert results[1] == results[0]
    assert results[2] == results[0]


def test_a_polygon_with_a_hole_reads_back_in_native_and_geojson_but_not_f3548(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    headers = auth(new_party("formats"))
    lat, lng = spot()
    hole = [(lat + 0.004, lng + 0.004), (lat + 0.004, lng + 0.006), (lat + 0.006, lng + 0.006)]
    native = polygon_volume(square(lat, lng))
    native["footprint"]["holes"] = [[{"lat": a, "lng": b} for a, b in hole]]
    geojson = geojson_volume(corners=square(lat, lng))
    geojson["geometry"]["coordinates"].append([[b, a] for a, b in [*hole, hole[0]]])
    created = client.post("/v1/operations", json=operation(geojson), headers=headers)
    assert created.status_code == 201, created.text
    path = f"/v1/operations/{created.json()['id']}"
    assert _get(client, path, headers)["volumes"] == [native]
    assert _get(client, path, headers, volume_format="geojson")["volumes"] == [geojson]
    refused = client.get(path, params={"volume_format": "f3548"}, headers=headers)
    assert_problem(refused, ["query", "volume_format"], "F3548 polygons cannot hold holes")
    listed = client.get("/v1/operations", params={"volume_format": "f3548"}, headers=headers)
    assert_problem(listed, ["query", "volume_format"], "F3548 polygons cannot hold holes")


def test_an_unknown_volume_format_is_refused(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    headers = auth(new_party("formats"))
    response = client.get("/v1/operations", params={"volume_format": "kml"}, headers=headers)
    assert_problem(response, ["query", "volume_format"], "'native', 'f3548' or 'geojson'")


def test_geojson_foreign_members_are_accepted_and_not_echoed(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    headers = auth(new_party("formats"))
    lat, lng = spot()
    plain = geojson_volume(corners=square(lat, lng))
    decorated = {**plain, "id": "survey-1", "bbox": [lng, lat, lng + 0.01, lat + 0.01]}
    decorated["properties"] = {**plain["properties"], "pilot": "Ada"}
    created = client.post(
        "/v1/operations",
        params={"volume_format": "geojson"},
        json=operation(decorated),
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["volumes"] == [plain]


# ---- ASTM F3548-21, as the InterUSS uas_standards package models it ----------------


def _implicit_dict_type(annotation: Any) -> type[ImplicitDict] | None:
    """The ImplicitDict class a field holds (directly, as Optional, or in a list)."""
    origin = get_origin(annotation)
    if origin in (Union, UnionType, list):
        for arg in get_args(annotation):
            found = _implicit_dict_type(arg)
            if found is not None:
                return found
        return None
    if isinstance(annotation, type) and issubclass(annotation, ImplicitDict):
        return annotation
    return None


def unknown_fields(value: Any, model: type[ImplicitDict], at: str = "") -> list[str]:
    """Fields of `value` (JSON) that `model` does not declare, at any depth: the
    lenient ImplicitDict.parse would keep them silently."""
    hints = get_type_hints(model)
    found = []
    for key, item in value.items():
        if key not in hints:
            found.append(f"{at}{key}")
            continue
        inner = _implicit_dict_type(hints[key])
        if inner is None:
            continue
        for element in item if isinstance(item, list) else [item]:
            found.extend(unknown_fields(element, inner, f"{at}{key}."))
    return found


@pytest.mark.parametrize("shape", ["polygon", "circle"])
def test_the_f3548_shape_parses_as_a_uas_standards_volume4d(
    client: TestClient, auth: Auth, new_party: NewParty, shape: str
) -> None:
    headers = auth(new_party("formats"))
    lat, lng = spot()
    created = client.post(
        "/v1/operations",
        params={"volume_format": "f3548"},
        json=operation(shapes_of(shape, lat, lng)["native"]),
        headers=headers,
    )
    assert created.status_code == 201, created.text
    raw = created.json()["volumes"][0]
    assert unknown_fields(raw, f3548.Volume4D) == []
    parsed: f3548.Volume4D = ImplicitDict.parse(raw, f3548.Volume4D)
    volume = parsed.volume
    assert parsed.time_start.value.datetime == datetime(2030, 6, 1, 10, tzinfo=UTC)
    assert parsed.time_end.value.datetime == datetime(2030, 6, 1, 11, tzinfo=UTC)
    # F3548: "RFC3339-formatted time/date string. The time zone must be 'Z'."
    assert (parsed.time_start.value, parsed.time_end.value) == (T0, T1)
    assert parsed.time_start.format == f3548.TimeFormat.RFC3339
    for altitude, value in [(volume.altitude_lower, 50.0), (volume.altitude_upper, 120.0)]:
        assert altitude.value == value
        assert altitude.reference == f3548.AltitudeReference.W84
        assert altitude.units == f3548.AltitudeUnits.M
    if shape == "polygon":
        assert "outline_circle" not in volume  # exactly one outline, the other left out
        vertices = [(p.lat, p.lng) for p in volume.outline_polygon.vertices]
        # F3548: "the final polygon vertex must not be identical to the first vertex".
        assert vertices == square(lat, lng)
    else:
        assert "outline_polygon" not in volume
        circle = volume.outline_circle
        assert (circle.center.lat, circle.center.lng) == (lat, lng)
        assert circle.radius.value == RADIUS
        assert circle.radius.units == f3548.RadiusUnits.M


def test_a_volume4d_built_with_uas_standards_is_accepted(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    headers = auth(new_party("formats"))
    lat, lng = spot()
    corners = square(lat, lng)

    def altitude(value: float) -> f3548.Altitude:
        return f3548.Altitude(
            value=value, reference=f3548.AltitudeReference.W84, units=f3548.AltitudeUnits.M
        )

    def time(hour: int) -> f3548.Time:
        at = StringBasedDateTime(datetime(2030, 6, 1, hour, tzinfo=UTC))
        return f3548.Time(value=at, format=f3548.TimeFormat.RFC3339)

    volume = f3548.Volume4D(
        volume=f3548.Volume3D(
            outline_polygon=f3548.Polygon(
                vertices=[f3548.LatLngPoint(lat=a, lng=b) for a, b in corners]
            ),
            altitude_lower=altitude(50.0),
            altitude_upper=altitude(120.0),
        ),
        time_start=time(10),
        time_end=time(11),
    )
    created = client.post(
        "/v1/operations",
        content=json.dumps(operation(volume)),
        headers={**headers, "content-type": "application/json"},
    )
    assert created.status_code == 201, created.text
    assert created.json()["volumes"] == [polygon_volume(corners)]
