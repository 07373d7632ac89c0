"""What schemathesis (scripts/api-fuzz) found: the OpenAPI document must describe the
errors the API sends, and no number a client may send should reach arithmetic that
overflows (a 500)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .helpers import assert_problem, circle_volume, f3548_volume, geojson_volume, spot, zone

Auth = Callable[..., dict[str, str]]
HUGE_M = 1.998e293  # its square overflows a float
START = datetime.now(UTC) + timedelta(days=1)
WINDOW = {"start": START.isoformat(), "end": (START + timedelta(hours=1)).isoformat()}


def test_every_v1_operation_documents_the_error_shape_it_sends(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    error = {"$ref": "#/components/schemas/ErrorPublic"}
    for path, operations in document["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in operations.items():
            for status in ("401", "422"):
                documented = operation["responses"][status]["content"]["application/json"]
                assert documented["schema"] == error, (method, path, status)


@pytest.fixture
def admin(auth: Auth, new_party: Callable[[str], str]) -> dict[str, str]:
    return auth(new_party("huge"), "admin", "submitter")


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        (
            "/v1/zones",
            lambda lat, lng: zone("notify", lat, lng, radius_m=HUGE_M),
            ["body", "footprint", "radius_m"],
        ),
        (
            "/v1/subscriptions",
            lambda lat, lng: {
                "area": {"type": "circle", "center": {"lat": lat, "lng": lng}, "radius_m": HUGE_M},
                "time_start": WINDOW["start"],
                "time_end": WINDOW["end"],
            },
            ["body", "area", "radius_m"],
        ),
        (
            "/v1/checks",
            lambda lat, lng: {"volumes": [circle_volume(lat, lng, HUGE_M, **WINDOW)]},
            ["body", "volumes", 0, "footprint", "radius_m"],
        ),
        (
            "/v1/checks",
            lambda lat, lng: {"volumes": [f3548_volume(circle=(lat, lng, HUGE_M), **WINDOW)]},
            ["body", "volumes", 0, "volume", "outline_circle", "radius", "value"],
        ),
        (
            "/v1/checks",
            lambda lat, lng: {"volumes": [geojson_volume(circle=(lat, lng, HUGE_M), **WINDOW)]},
            ["body", "volumes", 0, "properties", "radius_m"],
        ),
    ],
    ids=["zone", "subscription", "native", "f3548", "geojson"],
)
def test_a_circle_wider_than_the_earth_is_invalid_not_a_server_error(
    client: TestClient,
    admin: dict[str, str],
    path: str,
    body: Callable[[float, float], dict[str, Any]],
    loc: list[Any],
) -> None:
    response = client.post(path, json=body(*spot()), headers=admin)
    assert_problem(response, loc, "less than or equal to 20000000")
