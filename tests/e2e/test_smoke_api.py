"""A first walk through the API: register, agree, zone, submit."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.conftest import Auth


def test_a_submission_in_a_partners_review_zone_goes_to_review(
    client: TestClient, auth: Auth, new_party: Callable[[str], str]
) -> None:
    operator, reviewer = new_party("operator"), new_party("reviewer")
    proposed = client.post(
        "/v1/agreements",
        json={"kind": "coordination", "partner_party_id": reviewer},
        headers=auth(operator, "admin"),
    )
    assert proposed.status_code == 201, proposed.text
    accepted = client.post(
        f"/v1/agreements/{proposed.json()['id']}/accept", headers=auth(reviewer, "admin")
    )
    assert accepted.json()["state"] == "active"
    zone = client.post(
        "/v1/zones",
        json={
            "kind": "review",
            "name": "Range",
            "footprint": {"type": "circle", "center": {"lat": -30, "lng": -140}, "radius_m": 5000},
            "altitude_lower_m": 0,
            "altitude_upper_m": 500,
        },
        headers=auth(reviewer, "admin"),
    )
    assert zone.status_code == 201, zone.text
    volume = {
        "footprint": {"type": "circle", "center": {"lat": -30.01, "lng": -140.0}, "radius_m": 300},
        "altitude_lower_m": 50,
        "altitude_upper_m": 120,
        "time_start": "2030-01-01T10:00:00Z",
        "time_end": "2030-01-01T11:00:00Z",
    }
    submitted = client.post(
        "/v1/operations", json={"name": "Survey", "volumes": [volume]}, headers=auth(operator)
    )
    assert submitted.status_code == 201, submitted.text
    body = submitted.json()
    assert body["state"] == "in_review"
    assert body["required_reviews"][0]["party_id"] == reviewer
    assert [c["with"]["id"] for c in body["conflicts"]] == [zone.json()["id"]]
