"""One store for both APIs: the native conflict check sees F3548 intents; an intent
entering a coordination partner's review zone is accepted and the partner is told."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from .f3548_helpers import SC, Json, Token, intent, new_id, party_for, place, uss, volume
from .helpers import zone

OIR = "/dss/v1/operational_intent_references"
Native = Callable[..., dict[str, str]]


def as_native(plan: Json) -> Json:
    """The same volume in the native API's shape."""
    return {
        "footprint": {"type": "polygon", "vertices": plan["volume"]["outline_polygon"]["vertices"]},
        "altitude_lower_m": plan["volume"]["altitude_lower"]["value"],
        "altitude_upper_m": plan["volume"]["altitude_upper"]["value"],
        "time_start": plan["time_start"]["value"],
        "time_end": plan["time_end"]["value"],
    }


def test_the_native_check_meets_an_f3548_intent_as_another_partys_operation(
    dss: TestClient, token: Token, native: Native
) -> None:
    lat, lng = place()
    created = dss.put(f"{OIR}/{new_id()}", json=intent(volume(lat, lng)), headers=token(uss(), SC))
    assert created.status_code == 201, created.text
    ref = created.json()["operational_intent_reference"]
    party = party_for(dss, native)
    plan = volume(lat + 0.002, lng + 0.002)
    plan["time_start"], plan["time_end"] = ref["time_start"], ref["time_end"]
    checked = dss.post("/v1/checks", json={"volumes": [plan]}, headers=native(party, "submitter"))
    assert checked.status_code == 200, checked.text
    assert [c["with"]["type"] for c in checked.json()["conflicts"]] == ["operation"]
    assert checked.json()["conflicts"][0]["with"]["id"] is None  # need-to-know


def test_an_intent_in_a_partners_review_zone_is_accepted_and_the_partner_gets_a_notice(
    dss: TestClient, token: Token, native: Native
) -> None:
    me = uss()
    mine = party_for(dss, native, me)
    partner = party_for(dss, native)
    proposed = dss.post(
        "/v1/agreements",
        json={"kind": "coordination", "partner_party_id": partner},
        headers=native(mine, "admin"),
    )
    assert proposed.status_code == 201, proposed.text
    accepted = dss.post(
        f"/v1/agreements/{proposed.json()['id']}/accept", headers=native(partner, "admin")
    )
    assert accepted.status_code == 200, accepted.text
    lat, lng = place()
    made = dss.post("/v1/zones", json=zone("review", lat, lng), headers=native(partner, "admin"))
    assert made.status_code == 201, made.text

    created = dss.put(f"{OIR}/{new_id()}", json=intent(volume(lat, lng)), headers=token(me, SC))
    assert created.status_code == 201, created.text
    assert created.json()["operational_intent_reference"]["state"] == "Accepted"
    notices = dss.get("/v1/notices", headers=native(partner, "reviewer")).json()
    assert [(n["kind"], n["zone_id"]) for n in notices] == [("entry", made.json()["id"])]
    assert dss.get("/v1/reviews", headers=native(partner, "reviewer")).json() == []


def test_another_partys_native_operation_refuses_an_intent_no_key_can_clear(
    dss: TestClient, token: Token, native: Native
) -> None:
    lat, lng = place()
    native_volume = as_native(volume(lat, lng))
    owner = party_for(dss, native)
    submitted = dss.post(
        "/v1/operations",
        json={"name": "Survey", "priority": 0, "volumes": [native_volume]},
        headers=native(owner, "submitter"),
    )
    assert submitted.status_code == 201, submitted.text

    refused = dss.put(f"{OIR}/{new_id()}", json=intent(volume(lat, lng)), headers=token(uss(), SC))
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["missing_operational_intents"] == []
    assert "native API" in body["message"]
    assert submitted.json()["id"] not in refused.text  # need-to-know: not named

    me = uss()
    party_for(dss, native, me)
    own_party = dss.put(f"{OIR}/{new_id()}", json=intent(volume(lat, lng)), headers=token(me, SC))
    assert own_party.status_code == 409  # another party's operation still

    withdrawn = dss.post(
        f"/v1/operations/{submitted.json()['id']}/withdraw", headers=native(owner, "submitter")
    )
    assert withdrawn.status_code == 200, withdrawn.text
    created = dss.put(f"{OIR}/{new_id()}", json=intent(volume(lat, lng)), headers=token(me, SC))
    assert created.status_code == 201, created.text


def test_a_partys_own_native_operation_does_not_refuse_its_uss(
    dss: TestClient, token: Token, native: Native
) -> None:
    me = uss()
    party = party_for(dss, native, me)
    lat, lng = place()
    native_volume = as_native(volume(lat, lng))
    submitted = dss.post(
        "/v1/operations",
        json={"name": "Survey", "priority": 0, "volumes": [native_volume]},
        headers=native(party, "submitter"),
    )
    assert submitted.status_code == 201, submitted.text
    created = dss.put(f"{OIR}/{new_id()}", json=intent(volume(lat, lng)), headers=token(me, SC))
    assert created.status_code == 201, created.text


def test_the_native_api_cannot_change_or_withdraw_an_f3548_intents_operation(
    dss: TestClient, token: Token, native: Native
) -> None:
    me = uss()
    party = party_for(dss, native, me)
    lat, lng = place()
    created = dss.put(f"{OIR}/{new_id()}", json=intent(volume(lat, lng)), headers=token(me, SC))
    assert created.status_code == 201, created.text
    [operation] = dss.get("/v1/operations", headers=native(party, "submitter")).json()
    changed = dss.put(
        f"/v1/operations/{operation['id']}",
        json={"name": "renamed", "priority": 0, "volumes": [as_native(volume(lat, lng))]},
        headers=native(party, "submitter"),
    )
    assert changed.status_code == 409, changed.text
    assert "/dss/v1" in changed.json()["detail"]
    withdrawn = dss.post(
        f"/v1/operations/{operation['id']}/withdraw", headers=native(party, "submitter")
    )
    assert withdrawn.status_code == 409, withdrawn.text
    ref = created.json()["operational_intent_reference"]
    assert (
        dss.get(f"{OIR}/{ref['id']}", headers=token(me, SC)).json()["operational_intent_reference"][
            "ovn"
        ]
        == ref["ovn"]
    )
