"""Bad input to the need-to-know fields: a clear 422 at the field, nothing stored."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.conftest import Auth

from .helpers import all_pages, assert_problem, operation, spot, square_volume, zone

NewParty = Callable[..., str]


def test_a_private_restricted_zone_is_refused_at_its_disclosure(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    owner = new_party("owner")
    lat, lng = spot()
    admin = auth(owner, "admin")
    refused = client.post(
        "/v1/zones", json=zone("restricted", lat, lng, disclosure="private"), headers=admin
    )
    assert_problem(refused, ["body", "disclosure"], "would bind nobody")
    unknown = client.post(
        "/v1/zones", json=zone("review", lat, lng, disclosure="secret"), headers=admin
    )
    assert_problem(unknown, ["body", "disclosure"], "")
    assert [z for z in all_pages(client, "/v1/zones", admin) if z["party_id"] == owner] == []


def test_a_plan_outside_its_own_flexibility_is_refused_at_the_bound(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    headers = auth(new_party("flexible"))
    lat, lng = spot()
    body = operation(square_volume(lat, lng))  # 10:00-11:00, 50-120 m
    for flexibility, field, fragment in [
        ({"earliest_start": "2030-06-01T10:30:00Z"}, "earliest_start", "before its earliest"),
        ({"highest_m": 100}, "highest_m", "above its highest"),
        (
            {"earliest_start": "2030-06-01T09:00:00Z", "latest_start": "2030-06-01T08:00:00Z"},
            "latest_start",
            "before the earliest",
        ),
        ({"lowest_m": 200, "highest_m": 100}, "highest_m", "not above the lowest"),
    ]:
        response = client.post(
            "/v1/operations", json={**body, "flexibility": flexibility}, headers=headers
        )
        assert_problem(response, ["body", "flexibility", field], fragment)
    assert all_pages(client, "/v1/operations", headers) == []
    kept = client.post(
        "/v1/operations",
        json={**body, "flexibility": {"latest_start": "2030-06-01T14:00:00Z", "highest_m": 300}},
        headers=headers,
    )
    assert kept.status_code == 201, kept.text
    assert kept.json()["flexibility"] == {
        "earliest_start": None,
        "latest_start": "2030-06-01T14:00:00Z",
        "lowest_m": None,
        "highest_m": 300.0,
    }


def test_an_internal_note_is_bounded_like_a_comment(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    response = client.post(
        "/v1/reviews/any/decisions",
        json={"decision": "approve", "internal_note": "x" * 4001},
        headers=auth(new_party("reviewer"), "reviewer"),
    )
    assert_problem(response, ["body", "internal_note"], "4000")
