"""/dss/v1 constraint references over HTTP: their lifecycle, their subscribers, the
key check for constraint processors; held as restricted zones the native API obeys."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from implicitdict import ImplicitDict
from uas_standards.astm.f3548.v21 import api

from .f3548_helpers import (
    CM,
    CP,
    SC,
    Json,
    Token,
    intent,
    message,
    new_id,
    party_for,
    place,
    uss,
    volume,
)
from .helpers import all_pages, operation, square_volume

CR = "/dss/v1/constraint_references"
OIR = "/dss/v1/operational_intent_references"
AUTHORITY_URL = "https://authority.example.test/utm"


def constraint(*extents: Json) -> Json:
    return {"extents": list(extents), "uss_base_url": AUTHORITY_URL}


def test_a_constraint_is_created_read_queried_updated_and_deleted(
    dss: TestClient, token: Token
) -> None:
    me = token(uss(), CM)
    reader = token(uss(), CP)
    lat, lng = place()
    created = dss.put(f"{CR}/{new_id()}", json=constraint(volume(lat, lng)), headers=me)
    assert created.status_code == 201, created.text
    ImplicitDict.parse(created.json(), api.ChangeConstraintReferenceResponse)
    ref = created.json()["constraint_reference"]
    assert ref["version"] == 1
    assert len(ref["ovn"]) >= 16

    seen = dss.get(f"{CR}/{ref['id']}", headers=reader).json()["constraint_reference"]
    assert "ovn" not in seen
    assert seen["uss_base_url"] == AUTHORITY_URL
    found = dss.post(f"{CR}/query", json={"area_of_interest": volume(lat, lng)}, headers=reader)
    ImplicitDict.parse(found.json(), api.QueryConstraintReferencesResponse)
    assert [c["id"] for c in found.json()["constraint_references"]] == [ref["id"]]

    again = dss.put(f"{CR}/{ref['id']}", json=constraint(volume(lat, lng)), headers=me)
    message(again, 409)
    moved = constraint(volume(lat + 0.002, lng))
    other = dss.put(f"{CR}/{ref['id']}/{ref['ovn']}", json=moved, headers=token(uss(), CM))
    message(other, 403)
    updated = dss.put(f"{CR}/{ref['id']}/{ref['ovn']}", json=moved, headers=me)
    assert updated.status_code == 200, updated.text
    new = updated.json()["constraint_reference"]
    assert new["version"] == 2
    assert new["ovn"] != ref["ovn"]
    message(dss.put(f"{CR}/{ref['id']}/{ref['ovn']}", json=moved, headers=me), 409)
    message(dss.put(f"{CR}/{new_id()}/{ref['ovn']}", json=moved, headers=me), 404)

    message(dss.delete(f"{CR}/{ref['id']}/{ref['ovn']}", headers=me), 409)
    deleted = dss.delete(f"{CR}/{ref['id']}/{new['ovn']}", headers=me)
    assert deleted.status_code == 200, deleted.text
    message(dss.get(f"{CR}/{ref['id']}", headers=reader), 404)
    message(dss.delete(f"{CR}/{ref['id']}/{new['ovn']}", headers=me), 404)


def test_constraint_subscribers_are_bumped_and_intent_subscribers_are_not(
    dss: TestClient, token: Token
) -> None:
    lat, lng = place()
    area = volume(lat, lng, side=0.05)
    watchers = {}
    for name, flags, scopes in (
        ("constraints", {"notify_for_constraints": True}, (CP,)),
        ("intents", {"notify_for_operational_intents": True}, (SC,)),
    ):
        body = {"extents": area, "uss_base_url": f"https://{name}.example.test", **flags}
        response = dss.put(
            f"/dss/v1/subscriptions/{new_id()}", json=body, headers=token(uss(), *scopes)
        )
        assert response.status_code == 200, response.text
        watchers[name] = response.json()["subscription"]["id"]
    created = dss.put(
        f"{CR}/{new_id()}", json=constraint(volume(lat, lng)), headers=token(uss(), CM)
    )
    notified = {
        s["subscription_id"]: s["notification_index"]
        for subscriber in created.json()["subscribers"]
        for s in subscriber["subscriptions"]
    }
    assert notified == {watchers["constraints"]: 1}


def test_an_intent_notified_of_constraints_must_know_the_constraints_it_meets(
    dss: TestClient, token: Token
) -> None:
    lat, lng = place()
    made = dss.put(f"{CR}/{new_id()}", json=constraint(volume(lat, lng)), headers=token(uss(), CM))
    cref = made.json()["constraint_reference"]
    processor = token(uss(), SC, CP)
    implicit = {"uss_base_url": "https://uss.example.test", "notify_for_constraints": True}
    body = intent(volume(lat, lng), new_subscription=implicit)
    refused = dss.put(f"{OIR}/{new_id()}", json=body, headers=processor)
    assert refused.status_code == 409, refused.text
    conflict = ImplicitDict.parse(refused.json(), api.AirspaceConflictResponse)
    assert [c.id for c in conflict.missing_constraints] == [cref["id"]]
    body["key"] = [cref["ovn"]]
    assert dss.put(f"{OIR}/{new_id()}", json=body, headers=processor).status_code == 201
    unaware = dss.put(
        f"{OIR}/{new_id()}", json=intent(volume(lat, lng + 0.005)), headers=token(uss(), SC)
    )
    assert unaware.status_code == 409  # the intent just created is in its way
    assert unaware.json()["missing_constraints"] == []


def test_a_constraint_refuses_native_operations_as_a_restricted_zone(
    dss: TestClient, token: Token, native: Callable[..., dict[str, str]]
) -> None:
    lat, lng = place()
    manager = uss()
    party_for(dss, native, manager, authority=True)  # an authority's constraints bind all
    made = dss.put(
        f"{CR}/{new_id()}",
        json=constraint(volume(lat, lng, side=0.05)),
        headers=token(manager, CM),
    )
    assert made.status_code == 201, made.text
    party = party_for(dss, native)
    start, end = (
        made.json()["constraint_reference"][k]["value"] for k in ("time_start", "time_end")
    )
    submitted = dss.post(
        "/v1/operations",
        json=operation(square_volume(lat + 0.01, lng + 0.01, start=start, end=end)),
        headers=native(party, "submitter"),
    )
    assert submitted.status_code == 409, submitted.text
    assert submitted.json()["refused"] is True


def test_the_native_api_cannot_delete_a_constraints_zone(
    dss: TestClient, token: Token, native: Callable[..., dict[str, str]]
) -> None:
    me = uss()
    party = party_for(dss, native, me)
    lat, lng = place()
    made = dss.put(f"{CR}/{new_id()}", json=constraint(volume(lat, lng)), headers=token(me, CM))
    assert made.status_code == 201, made.text
    zones = all_pages(dss, "/v1/zones", native(party, "admin"))
    [zone] = [z for z in zones if z["party_id"] == party]
    assert zone["kind"] == "restricted"
    refused = dss.delete(f"/v1/zones/{zone['id']}", headers=native(party, "admin"))
    assert refused.status_code == 409, refused.text
    assert "/dss/v1" in refused.json()["detail"]
