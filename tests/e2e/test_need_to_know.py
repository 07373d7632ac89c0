"""Need-to-know: a party sees its own things, restricted zones, its partners' zones and
the agreements it is part of; another party's operation is never named to it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.conftest import Auth

from .helpers import (
    Json,
    all_pages,
    error_body,
    operation,
    spot,
    square_volume,
    zone,
)

NewParty = Callable[..., str]


def _submit(client: TestClient, headers: dict[str, str], volume: Json) -> Json:
    response = client.post("/v1/operations", json=operation(volume), headers=headers)
    assert response.status_code == 201, response.text
    body: Json = response.json()
    return body


def _not_found(response: Response, what: str) -> None:
    assert error_body(response, 404)["detail"] == what


def test_another_partys_operation_is_not_found_to_get_put_or_withdraw(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    owner, other = auth(new_party("owner")), auth(new_party("other"))
    lat, lng = spot()
    op = _submit(client, owner, square_volume(lat, lng))
    path = f"/v1/operations/{op['id']}"
    before = client.get(path, params={"history": True}, headers=owner).json()

    _not_found(client.get(path, headers=other), f"no operation {op['id']}")
    _not_found(
        client.get(path, params={"history": True}, headers=other), f"no operation {op['id']}"
    )
    moved = operation(square_volume(lat + 0.2, lng + 0.2), name="Hijack")
    _not_found(client.put(path, json=moved, headers=other), f"no operation {op['id']}")
    _not_found(client.post(f"{path}/withdraw", headers=other), f"no operation {op['id']}")
    # Exactly as if it did not exist at all: 404, never 403.
    _not_found(client.get("/v1/operations/no-such-id", headers=other), "no operation no-such-id")
    _not_found(
        client.post("/v1/operations/no-such-id/withdraw", headers=other),
        "no operation no-such-id",
    )

    assert all_pages(client, "/v1/operations", other) == []
    after = client.get(path, params={"history": True}, headers=owner).json()
    assert after == before
    assert after["state"] == "approved"
    assert after["name"] == "Survey"


def test_a_conflict_with_another_partys_operation_names_neither_it_nor_its_party(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    first_party, second_party = new_party("first"), new_party("second")
    first, second = auth(first_party), auth(second_party)
    lat, lng = spot()
    earlier = _submit(client, first, square_volume(lat, lng))
    later_volume = square_volume(
        lat, lng, lower=100, upper=200, start="2030-06-01T10:30:00Z", end="2030-06-01T11:30:00Z"
    )
    hidden = {
        "kind": "operation",
        "volume_index": 0,
        "with": {"type": "operation", "id": None, "party_id": None},
        # The part of the earlier volume within the minima (60 s, 10 m) of the later one.
        "time_start": "2030-06-01T10:29:00Z",
        "time_end": "2030-06-01T11:00:00Z",
        "altitude_lower_m": 90.0,
        "altitude_upper_m": 120.0,
        "altitude_reference": "W84",
    }

    checked = client.post("/v1/checks", json={"volumes": [later_volume]}, headers=second)
    assert checked.status_code == 200, checked.text
    assert checked.json()["conflicts"] == [hidden]
    submitted = client.post("/v1/operations", json=operation(later_volume), headers=second)
    assert submitted.status_code == 201, submitted.text
    assert submitted.json()["conflicts"] == [hidden]
    assert submitted.json()["state"] == "approved"
    read = client.get(f"/v1/operations/{submitted.json()['id']}", headers=second)
    assert read.json()["conflicts"] == [hidden]
    listed = client.get("/v1/operations", headers=second)
    assert [o["conflicts"] for o in listed.json()] == [[hidden]]
    for response in (checked, submitted, read, listed):
        assert earlier["id"] not in response.text
        assert first_party not in response.text
    # The earlier operation was assessed when it came: nothing there.
    assert client.get(f"/v1/operations/{earlier['id']}", headers=first).json()["conflicts"] == []


def _zones(client: TestClient, auth: Auth, owner: str, lat: float, lng: float) -> dict[str, str]:
    """One zone of each kind for `owner`, side by side near (lat, lng): their ids."""
    ids = {}
    for i, kind in enumerate(["review", "notify", "restricted"]):
        created = client.post(
            "/v1/zones", json=zone(kind, lat, lng + 0.1 * i), headers=auth(owner, "admin")
        )
        assert created.status_code == 201, created.text
        ids[kind] = created.json()["id"]
    return ids


def test_an_unrelated_party_sees_and_meets_none_of_another_partys_zones(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    owner, stranger = new_party("zone-owner"), new_party("stranger")
    lat, lng = spot()
    ids = _zones(client, auth, owner, lat, lng)
    headers = auth(stranger, "observer")

    for kind in ("review", "notify", "restricted"):
        _not_found(client.get(f"/v1/zones/{ids[kind]}", headers=headers), f"no zone {ids[kind]}")
    listed = {z["id"] for z in all_pages(client, "/v1/zones", headers)}
    assert not listed & set(ids.values())
    # Nor do they touch its submissions: a restricted zone of a party that is no authority
    # binds only its agreement partners. No review, no notice, not even a conflict.
    for i in range(3):
        checked = client.post(
            "/v1/checks", json={"volumes": [square_volume(lat, lng + 0.1 * i)]}, headers=headers
        )
        assert checked.json() == {
            "conflicts": [],
            "required_reviews": [],
            "notices": [],
            "refused": False,
        }
    # A zone that is not the stranger's to delete is not found.
    for kind in ("review", "restricted"):
        deleted = client.delete(f"/v1/zones/{ids[kind]}", headers=auth(stranger, "admin"))
        _not_found(deleted, f"no zone {ids[kind]}")
    assert (
        client.get(f"/v1/zones/{ids['restricted']}", headers=auth(owner, "observer")).json()["name"]
        == "restricted zone"
    )


def test_an_authoritys_restricted_zone_is_public_and_binds_everyone(
    client: TestClient, auth: Auth, new_party: Callable[..., str]
) -> None:
    authority, stranger = new_party("caa", authority=True), new_party("stranger")
    lat, lng = spot()
    created = client.post(
        "/v1/zones", json=zone("restricted", lat, lng), headers=auth(authority, "admin")
    )
    assert created.status_code == 201, created.text
    assert created.json()["disclosure"] == "public"
    headers = auth(stranger, "observer")
    shown = client.get(f"/v1/zones/{created.json()['id']}", headers=headers)
    assert shown.status_code == 200, shown.text
    assert (shown.json()["party_id"], shown.json()["name"]) == (authority, "restricted zone")
    checked = client.post(
        "/v1/checks", json={"volumes": [square_volume(lat, lng)]}, headers=headers
    ).json()
    assert checked["refused"] is True
    assert [c["with"] for c in checked["conflicts"]] == [
        {"type": "zone", "id": created.json()["id"], "party_id": authority}
    ]
    # Only the owner deletes it.
    refused = client.delete(f"/v1/zones/{created.json()['id']}", headers=auth(stranger, "admin"))
    assert error_body(refused, 409)["detail"] == "only the owning party can delete a zone"


@pytest.mark.parametrize("accepted", [True, False])
def test_a_partners_zones_are_shown_once_the_agreement_is_accepted(
    client: TestClient, auth: Auth, new_party: NewParty, accepted: bool
) -> None:
    owner, partner = new_party("zone-owner"), new_party("partner")
    lat, lng = spot()
    ids = _zones(client, auth, owner, lat, lng)
    proposed = client.post(
        "/v1/agreements",
        json={"kind": "coordination", "partner_party_id": owner},
        headers=auth(partner, "admin"),
    )
    assert proposed.status_code == 201, proposed.text
    if accepted:
        done = client.post(
            f"/v1/agreements/{proposed.json()['id']}/accept", headers=auth(owner, "admin")
        )
        assert done.json()["state"] == "active"
    headers = auth(partner, "observer")
    listed = {z["id"] for z in all_pages(client, "/v1/zones", headers)}
    for kind in ("review", "notify"):
        response = client.get(f"/v1/zones/{ids[kind]}", headers=headers)
        assert response.status_code == (200 if accepted else 404), response.text
        assert (ids[kind] in listed) is accepted


def test_an_agreement_is_listed_to_its_two_parties_only(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    proposer, partner, outsider = new_party("proposer"), new_party("partner"), new_party("out")
    proposed = client.post(
        "/v1/agreements",
        json={
            "kind": "deconfliction",
            "partner_party_id": partner,
            "separation": {"horizontal_m": 100, "vertical_m": 20, "time_s": 120},
        },
        headers=auth(proposer, "admin"),
    )
    assert proposed.status_code == 201, proposed.text
    agreement = proposed.json()
    assert agreement["state"] == "proposed"
    path = f"/v1/agreements/{agreement['id']}"

    for party in (proposer, partner):
        headers = auth(party, "observer")
        assert [a["id"] for a in all_pages(client, "/v1/agreements", headers)] == [agreement["id"]]
        assert client.get(path, headers=headers).json() == agreement
    outsider_headers = auth(outsider, "admin")
    assert all_pages(client, "/v1/agreements", outsider_headers) == []
    _not_found(client.get(path, headers=outsider_headers), f"no agreement {agreement['id']}")
    _not_found(
        client.post(f"{path}/accept", headers=outsider_headers), f"no agreement {agreement['id']}"
    )
    # The proposer cannot accept its own proposal; the partner can.
    own = client.post(f"{path}/accept", headers=auth(proposer, "admin"))
    assert error_body(own, 409)["detail"] == "only the partner that was proposed to can accept"
    done = client.post(f"{path}/accept", headers=auth(partner, "admin"))
    assert done.status_code == 200, done.text
    assert done.json() == {**agreement, "state": "active"}
    assert all_pages(client, "/v1/agreements", outsider_headers) == []


def test_an_existing_party_marked_as_an_authority_binds_everyone_with_its_restricted_zones(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    owner, stranger = new_party("later-authority"), new_party("stranger")
    lat, lng = spot()
    created = client.post(
        "/v1/zones", json=zone("restricted", lat, lng), headers=auth(owner, "admin")
    ).json()
    assert created["disclosure"] == "partners"
    checks = auth(stranger, "observer")
    body = {"volumes": [square_volume(lat, lng)]}
    assert client.post("/v1/checks", json=body, headers=checks).json()["refused"] is False
    path = f"/v1/parties/{owner}/authority"
    refused = client.put(path, json={"authority": True}, headers=auth(owner, "admin"))
    assert error_body(refused, 403)["detail"] == "party.authority needs the role operator"
    operator = auth("deployment", "operator")
    marked = client.put(path, json={"authority": True}, headers=operator)
    assert marked.status_code == 200, marked.text
    assert marked.json()["authority"] is True
    shown = client.get(f"/v1/zones/{created['id']}", headers=checks).json()
    assert (shown["disclosure"], shown["name"]) == ("public", "restricted zone")
    assert client.post("/v1/checks", json=body, headers=checks).json()["refused"] is True
    # No longer an authority: the zone goes back to its partners only.
    client.put(path, json={"authority": False}, headers=operator)
    _not_found(client.get(f"/v1/zones/{created['id']}", headers=checks), f"no zone {created['id']}")
    assert client.post("/v1/checks", json=body, headers=checks).json()["refused"] is False
    missing = client.put("/v1/parties/nobody/authority", json={"authority": True}, headers=operator)
    _not_found(missing, "no party nobody")
