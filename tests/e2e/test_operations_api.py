"""The life of an operation over HTTP: submit, refuse, check, revise, withdraw, list."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.conftest import Auth

from .helpers import (
    Json,
    all_pages,
    assert_problem,
    error_body,
    operation,
    spot,
    square_volume,
    zone,
)

NewParty = Callable[..., str]

NOTHING = {"conflicts": [], "required_reviews": [], "notices": [], "refused": False}
HIDDEN = {"type": "operation", "id": None, "party_id": None}


def _created(client: TestClient, headers: dict[str, str], body: Json) -> Json:
    response = client.post("/v1/operations", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: Json = response.json()
    return created


def _zone(client: TestClient, auth: Auth, owner: str, body: Json) -> str:
    response = client.post("/v1/zones", json=body, headers=auth(owner, "admin"))
    assert response.status_code == 201, response.text
    zone_id: str = response.json()["id"]
    return zone_id


def _agree(client: TestClient, auth: Auth, kind: str, proposer: str, partner: str) -> str:
    proposed = client.post(
        "/v1/agreements",
        json={"kind": kind, "partner_party_id": partner},
        headers=auth(proposer, "admin"),
    )
    assert proposed.status_code == 201, proposed.text
    agreement_id: str = proposed.json()["id"]
    accepted = client.post(f"/v1/agreements/{agreement_id}/accept", headers=auth(partner, "admin"))
    assert accepted.json()["state"] == "active", accepted.text
    return agreement_id


def test_a_submission_clear_of_everything_is_approved_as_version_1(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    party = new_party("submitter")
    headers = auth(party)
    lat, lng = spot()
    volume = square_volume(lat, lng)
    created = _created(client, headers, operation(volume, name="Inspection", priority=7))
    assert {k: created[k] for k in created if k not in ("id", "created_at")} == {
        "party_id": party,
        "name": "Inspection",
        "priority": 7,
        "version": 1,
        "state": "approved",
        "volumes": [volume],
        "conflicts": [],
        "required_reviews": [],
        "notices": [],
        "flexibility": None,
        "conditions": [],
        "versions": None,
    }
    assert client.get(f"/v1/operations/{created['id']}", headers=headers).json() == created
    assert all_pages(client, "/v1/operations", headers) == [created]


def test_a_submission_into_a_restricted_zone_is_refused_with_the_conflict_and_not_stored(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    owner, party = new_party("authority", authority=True), new_party("submitter")
    headers = auth(party)
    lat, lng = spot()
    zone_id = _zone(client, auth, owner, zone("restricted", lat, lng))
    clear, inside = square_volume(lat + 0.2, lng), square_volume(lat, lng)
    expected = {
        "detail": f"the operation enters the restricted zone 'restricted zone' ({zone_id}) "
        "and is refused",
        "errors": [],
        "refused": True,
        "conflicts": [
            {
                "kind": "restricted_zone",
                "volume_index": 1,
                "with": {"type": "zone", "id": zone_id, "party_id": owner},
                # The always-active zone's part within the minima (60 s, 10 m) of volume 1.
                "time_start": "2030-06-01T09:59:00Z",
                "time_end": "2030-06-01T11:01:00Z",
                "altitude_lower_m": 40.0,
                "altitude_upper_m": 130.0,
                "altitude_reference": "W84",
            }
        ],
        "required_reviews": [],
        "notices": [],
    }
    refused = client.post("/v1/operations", json=operation(clear, inside), headers=headers)
    assert error_body(refused, 409) == expected
    assert all_pages(client, "/v1/operations", headers) == []

    # A new version that enters the zone is refused the same way; the operation stays.
    existing = _created(client, headers, operation(clear))
    path = f"/v1/operations/{existing['id']}"
    before = client.get(path, params={"history": True}, headers=headers).json()
    revised = client.put(path, json=operation(clear, inside, name="Moved"), headers=headers)
    assert error_body(revised, 409) == expected
    assert client.get(path, params={"history": True}, headers=headers).json() == before

    # The dry run says the same, as a 200.
    checked = client.post("/v1/checks", json={"volumes": [clear, inside]}, headers=headers)
    assert checked.status_code == 200, checked.text
    assert checked.json() == {k: v for k, v in expected.items() if k not in ("detail", "errors")}


def test_a_dry_run_check_stores_nothing(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    checker, later = auth(new_party("checker")), auth(new_party("later"))
    lat, lng = spot()
    volume = square_volume(lat, lng)
    for _ in range(2):
        checked = client.post("/v1/checks", json={"volumes": [volume]}, headers=checker)
        assert checked.status_code == 200, checked.text
        assert checked.json() == NOTHING
    assert all_pages(client, "/v1/operations", checker) == []
    # Had the check stored anything, this would conflict with it.
    assert _created(client, later, operation(volume))["conflicts"] == []


def test_a_dry_run_takes_the_exact_body_a_submission_sends(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    owner, other = auth(new_party("owner")), auth(new_party("planner"))
    lat, lng = spot()
    volume = square_volume(lat, lng)
    _created(client, owner, operation(volume))
    body = operation(volume, name="Bridge survey", priority=7)

    checked = client.post("/v1/checks", json=body, headers=other)
    assert checked.status_code == 200, checked.text
    assert [c["with"] for c in checked.json()["conflicts"]] == [HIDDEN]
    # The name and priority change nothing in what the plan meets.
    bare = client.post("/v1/checks", json={"volumes": [volume]}, headers=other)
    assert bare.json() == checked.json()
    # They are held to the submission's rules, so the dry run says what submit would say.
    for bad, loc, fragment in (
        ({**body, "name": ""}, ["body", "name"], "at least 1 character"),
        ({**body, "priority": 101}, ["body", "priority"], "less than or equal to 100"),
        ({**body, "nmae": "typo"}, ["body", "nmae"], "extra inputs are not permitted"),
    ):
        assert_problem(client.post("/v1/checks", json=bad, headers=other), loc, fragment)
        assert_problem(client.post("/v1/operations", json=bad, headers=other), loc, fragment)


def test_a_new_version_replaces_the_volumes_and_history_keeps_both(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    party = new_party("reviser")
    headers, other = auth(party), auth(new_party("other"))
    (lat1, lng1), (lat2, lng2) = spot(), spot()
    first, second = square_volume(lat1, lng1), square_volume(lat2, lng2)
    created = _created(client, headers, operation(first, name="Draft"))
    path = f"/v1/operations/{created['id']}"

    revised = client.put(path, json=operation(second, name="Final", priority=3), headers=headers)
    assert revised.status_code == 200, revised.text
    body = revised.json()
    assert (body["id"], body["version"], body["state"]) == (created["id"], 2, "approved")
    assert (body["name"], body["priority"], body["volumes"]) == ("Final", 3, [second])

    history = client.get(path, params={"history": True}, headers=headers).json()
    assert [(v["version"], v["state"], v["volumes"]) for v in history["versions"]] == [
        (1, "approved", [first]),
        (2, "approved", [second]),
    ]
    assert all(v["submitted_by"].startswith(f"{party}/") for v in history["versions"])
    assert history["versions"][0]["submitted_at"] <= history["versions"][1]["submitted_at"]
    assert client.get(path, headers=headers).json()["versions"] is None
    assert [o["version"] for o in all_pages(client, "/v1/operations", headers)] == [2]

    # Only the current version counts for others.
    old_place = client.post("/v1/checks", json={"volumes": [first]}, headers=other)
    assert old_place.json() == NOTHING
    new_place = client.post("/v1/checks", json={"volumes": [second]}, headers=other)
    assert [c["with"] for c in new_place.json()["conflicts"]] == [HIDDEN]


def test_a_withdrawn_operation_no_longer_conflicts_and_takes_no_new_version(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    owner, other = auth(new_party("withdrawer")), auth(new_party("other"))
    lat, lng = spot()
    volume = square_volume(lat, lng)
    created = _created(client, owner, operation(volume))
    path = f"/v1/operations/{created['id']}"
    before = client.post("/v1/checks", json={"volumes": [volume]}, headers=other)
    assert [c["with"] for c in before.json()["conflicts"]] == [HIDDEN]

    withdrawn = client.post(f"{path}/withdraw", headers=owner)
    assert withdrawn.status_code == 200, withdrawn.text
    assert (withdrawn.json()["state"], withdrawn.json()["version"]) == ("withdrawn", 1)
    assert client.get(path, headers=owner).json()["state"] == "withdrawn"

    assert _created(client, other, operation(volume))["conflicts"] == []
    again = client.post(f"{path}/withdraw", headers=owner)
    assert error_body(again, 409)["detail"] == f"operation {created['id']} is already withdrawn"
    revised = client.put(path, json=operation(volume), headers=owner)
    assert error_body(revised, 409)["detail"] == (
        f"operation {created['id']} is withdrawn; it cannot take a new version"
    )
    history = client.get(path, params={"history": True}, headers=owner).json()
    assert [(v["version"], v["state"]) for v in history["versions"]] == [(1, "withdrawn")]


def test_operations_are_listed_newest_first_and_filtered_by_state(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    party, reviewer = new_party("lister"), new_party("reviewer")
    headers = auth(party)
    _agree(client, auth, "coordination", party, reviewer)
    lat, lng = spot()
    _zone(client, auth, reviewer, zone("review", lat, lng))
    approved = _created(client, headers, operation(square_volume(lat + 0.2, lng), name="A"))
    withdrawn = _created(client, headers, operation(square_volume(lat + 0.3, lng), name="W"))
    client.post(f"/v1/operations/{withdrawn['id']}/withdraw", headers=headers)
    in_review = _created(client, headers, operation(square_volume(lat, lng), name="R"))
    assert in_review["state"] == "in_review"

    def names(**params: object) -> list[str]:
        response = client.get("/v1/operations", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [o["name"] for o in response.json()]

    assert names() == ["R", "W", "A"]
    assert names(state="approved") == ["A"]
    assert names(state="withdrawn") == ["W"]
    assert names(state="in_review") == ["R"]
    assert names(state="rejected") == []
    assert names(limit=1, offset=1) == ["W"]
    assert names(limit=2, offset=2) == ["A"]
    assert approved["state"] == "approved"


def test_review_and_notify_zones_of_partners_shape_the_outcome(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    party, reviewer, watcher = new_party("op"), new_party("reviewer"), new_party("watcher")
    agreement_review = _agree(client, auth, "coordination", party, reviewer)
    _agree(client, auth, "deconfliction", watcher, party)
    lat, lng = spot()
    review_zone = _zone(client, auth, reviewer, zone("review", lat, lng))
    notify_zone = _zone(client, auth, watcher, zone("notify", lat + 0.1, lng))
    volumes = [square_volume(lat, lng), square_volume(lat + 0.1, lng)]
    created = _created(client, auth(party), operation(*volumes))
    assert created["state"] == "in_review"
    assert created["required_reviews"] == [
        {"party_id": reviewer, "agreement_id": agreement_review, "zone_ids": [review_zone]}
    ]
    assert created["notices"] == [
        {
            "party_id": watcher,
            "zone_id": notify_zone,
            "volume_index": 1,
            "time_start": "2030-06-01T09:59:00Z",
            "time_end": "2030-06-01T11:01:00Z",
        }
    ]
    assert [(c["kind"], c["volume_index"], c["with"]) for c in created["conflicts"]] == [
        ("review_zone", 0, {"type": "zone", "id": review_zone, "party_id": reviewer}),
        ("notify_zone", 1, {"type": "zone", "id": notify_zone, "party_id": watcher}),
    ]
