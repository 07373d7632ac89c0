"""Invalid requests under /dss/v1 answer 400 with the standard's ErrorResponse and
store nothing; /v1 keeps its own shape and codes."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .f3548_helpers import CM, CP, SC, Json, Token, intent, message, new_id, place, uss, volume
from .helpers import error_body

OIR = "/dss/v1/operational_intent_references"


def _set(path: str, value: Any) -> Callable[[Json], None]:
    def change(body: Json) -> None:
        node: Any = body
        *parents, last = path.split(".")
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is _DROP:
            del node[last]
        else:
            node[int(last) if last.isdigit() else last] = value

    return change


_DROP = object()
V = "extents.0.volume"
CASES: list[tuple[str, Callable[[Json], None]]] = [
    ("unknown state", _set("state", "Flying")),
    ("altitude reference", _set(f"{V}.altitude_lower.reference", "AGL")),
    ("altitude units", _set(f"{V}.altitude_upper.units", "FT")),
    ("latitude", _set(f"{V}.outline_polygon.vertices.0.lat", 91)),
    ("longitude", _set(f"{V}.outline_polygon.vertices.1.lng", -181)),
    ("end before start", _set("extents.0.time_end.value", "2000-01-01T00:00:00Z")),
    ("no time zone", _set("extents.0.time_start.value", "2030-01-01T00:00:00")),
    ("time format", _set("extents.0.time_start.format", "ISO8601")),
    ("time as a number", _set("extents.0.time_start.value", int(time.time()) + 600)),
    ("no end", _set("extents.0.time_end", _DROP)),
    ("no altitude", _set(f"{V}.altitude_lower", _DROP)),
    ("no outline", _set(f"{V}.outline_polygon", _DROP)),
    (
        "two outlines",
        _set(
            f"{V}.outline_circle",
            {"center": {"lat": 0, "lng": 0}, "radius": {"value": 10, "units": "M"}},
        ),
    ),
    ("http base url", _set("uss_base_url", "http://uss.example.test")),
    ("no extents", _set("extents", [])),
    ("key not a list", _set("key", "abc")),
]


@pytest.mark.parametrize(("name", "change"), CASES, ids=[c[0] for c in CASES])
def test_an_invalid_intent_is_400_and_stores_nothing(
    dss: TestClient, token: Token, name: str, change: Callable[[Json], None]
) -> None:
    me = token(uss(), SC)
    lat, lng = place()
    body = copy.deepcopy(intent(volume(lat, lng)))
    change(body)
    entity = new_id()
    message(dss.put(f"{OIR}/{entity}", json=body, headers=me), 400)
    message(dss.get(f"{OIR}/{entity}", headers=me), 404)
    query = {"area_of_interest": volume(lat, lng)}
    assert dss.post(f"{OIR}/query", json=query, headers=me).json() == {
        "operational_intent_references": []
    }


@pytest.mark.parametrize(
    ("name", "extent", "fragment"),
    [
        ("past", {"start": -timedelta(hours=2), "end": -timedelta(hours=1)}, "past"),
        ("horizon", {"start": timedelta(days=31), "end": timedelta(days=31, hours=1)}, "horizon"),
        ("area", {"side": 2.0}, "area"),
    ],
)
def test_an_intent_out_of_the_standards_limits_is_400(
    dss: TestClient, token: Token, name: str, extent: dict[str, Any], fragment: str
) -> None:
    lat, lng = place()
    response = dss.put(
        f"{OIR}/{new_id()}", json=intent(volume(lat, lng, **extent)), headers=token(uss(), SC)
    )
    assert fragment in message(response, 400), name


def test_malformed_json_ids_and_queries_are_400_in_the_standards_shape(
    dss: TestClient, token: Token
) -> None:
    me = token(uss(), SC)
    lat, lng = place()
    raw = dss.put(
        f"{OIR}/{new_id()}",
        content=b'{"extents": [',
        headers={**me, "content-type": "application/json"},
    )
    message(raw, 400)
    message(dss.put(f"{OIR}/not-a-uuid", json=intent(volume(lat, lng)), headers=me), 400)
    message(dss.get(f"{OIR}/not-a-uuid", headers=me), 400)
    message(dss.post(f"{OIR}/query", json={}, headers=me), 400)
    huge = {"area_of_interest": volume(lat, lng, side=2.0)}
    assert "area" in message(dss.post(f"{OIR}/query", json=huge, headers=me), 400)
    message(dss.get("/dss/v1/no_such_thing", headers=me), 404)


def test_a_report_whose_time_is_a_number_is_400(dss: TestClient, token: Token) -> None:
    """Pydantic alone would read 0 as 1970-01-01 (Unix seconds); the schema says string."""
    exchange = {"url": "", "method": "", "recorder_role": "Client", "request_source": ""}
    report = {"exchange": {**exchange, "request_time": {"value": 0, "format": "RFC3339"}}}
    assert "string" in message(dss.post("/dss/v1/reports", json=report, headers=token(uss())), 400)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize(
    "path",
    [
        f"{OIR}/query",
        "/dss/v1/constraint_references/query",
        "/dss/v1/subscriptions/query",
    ],
)
def test_a_query_path_with_another_method_than_post_is_405(
    dss: TestClient, token: Token, path: str, method: str
) -> None:
    """`.../query` also fits the `{id}` routes, whose id check would answer 400."""
    response = dss.request(method, path, json={}, headers=token(uss(), SC, CM, CP))
    message(response, 405)
    assert response.headers["allow"] == "POST"


def test_unknown_fields_are_ignored_as_the_standard_says(dss: TestClient, token: Token) -> None:
    lat, lng = place()
    body = intent(volume(lat, lng), flight_type="VLOS")
    body["extents"][0]["volume"]["colour"] = "blue"
    response = dss.put(f"{OIR}/{new_id()}", json=body, headers=token(uss(), SC))
    assert response.status_code == 201, response.text


def test_the_native_api_keeps_its_own_error_shape(
    dss: TestClient, native: Callable[..., dict[str, str]]
) -> None:
    response = dss.post("/v1/checks", json={"volumes": []}, headers=native("p", "submitter"))
    error_body(response, 422)
    assert error_body(dss.get("/v1/operations"), 401)["detail"]


def test_an_oversized_body_is_413_in_the_standards_shape(dss: TestClient, token: Token) -> None:
    body = b'{"extents": [' + b" " * 1_100_000 + b"]}"
    response = dss.put(
        f"{OIR}/{new_id()}",
        content=body,
        headers={**token(uss(), SC), "content-type": "application/json"},
    )
    assert "exceeds" in message(response, 413)
