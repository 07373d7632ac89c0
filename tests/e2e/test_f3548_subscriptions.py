"""/dss/v1 subscriptions over HTTP: lifecycle by version, ownership, notification
indices bumped once per change, implicit subscriptions of intents."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from implicitdict import ImplicitDict
from uas_standards.astm.f3548.v21 import api

from .f3548_helpers import (
    BASE_URL,
    CP,
    SC,
    Json,
    Token,
    intent,
    message,
    new_id,
    place,
    uss,
    volume,
)

SUB = "/dss/v1/subscriptions"
OIR = "/dss/v1/operational_intent_references"


def subscription(lat: float, lng: float, **extra: object) -> Json:
    return {
        "extents": volume(lat, lng, side=0.05, start=timedelta(0), end=timedelta(hours=3)),
        "uss_base_url": "https://watcher.example.test/utm",
        "notify_for_operational_intents": True,
        **extra,
    }


def subscribe(client: TestClient, headers: dict[str, str], body: Json) -> Json:
    response = client.put(f"{SUB}/{new_id()}", json=body, headers=headers)
    assert response.status_code == 200, response.text
    ImplicitDict.parse(response.json(), api.PutSubscriptionResponse)
    created: Json = response.json()["subscription"]
    return created


def indices(change: Json) -> dict[str, int]:
    return {
        s["subscription_id"]: s["notification_index"]
        for subscriber in change["subscribers"]
        for s in subscriber["subscriptions"]
    }


def test_a_subscription_is_created_read_queried_updated_by_version_and_deleted(
    dss: TestClient, token: Token
) -> None:
    subject = uss()
    me = token(subject, SC)
    lat, lng = place()
    elsewhere = subscription(lat + 1, lng)
    created = dss.put(f"{SUB}/{new_id()}", json=elsewhere, headers=me).json()
    assert created["operational_intent_references"] == []
    assert "constraint_references" not in created  # not asked for
    sub = subscribe(dss, me, subscription(lat, lng))
    assert sub["notification_index"] == 0
    assert sub["implicit_subscription"] is False
    assert sub["dependent_operational_intents"] == []
    got = dss.get(f"{SUB}/{sub['id']}", headers=me)
    assert got.status_code == 200
    ImplicitDict.parse(got.json(), api.GetSubscriptionResponse)
    query = {"area_of_interest": volume(lat, lng)}
    found = dss.post(f"{SUB}/query", json=query, headers=me).json()["subscriptions"]
    assert [s["id"] for s in found] == [sub["id"]]
    assert dss.post(f"{SUB}/query", json=query, headers=token(uss(), SC)).json() == {
        "subscriptions": []
    }

    body = subscription(lat, lng, notify_for_constraints=True)
    message(dss.put(f"{SUB}/{sub['id']}", json=body, headers=token(uss(), SC, CP)), 403)
    message(dss.put(f"{SUB}/{sub['id']}", json=subscription(lat, lng), headers=me), 409)
    updated = dss.put(
        f"{SUB}/{sub['id']}/{sub['version']}", json=body, headers=token(uss(), SC, CP)
    )
    assert "another client" in message(updated, 403)
    mine = token(subject, SC, CP)
    updated = dss.put(f"{SUB}/{sub['id']}/{sub['version']}", json=body, headers=mine)
    assert updated.status_code == 200, updated.text
    new = updated.json()["subscription"]
    assert updated.json()["constraint_references"] == []
    assert new["version"] != sub["version"]
    assert new["notify_for_constraints"] is True
    stale = dss.delete(f"{SUB}/{sub['id']}/{sub['version']}", headers=me)
    message(stale, 409)
    assert (
        dss.delete(f"{SUB}/{sub['id']}/{new['version']}", headers=token(uss(), SC)).status_code
        == 403
    )
    deleted = dss.delete(f"{SUB}/{sub['id']}/{new['version']}", headers=me)
    assert deleted.status_code == 200, deleted.text
    assert message(dss.get(f"{SUB}/{sub['id']}", headers=me), 404)


def test_another_manager_cannot_read_a_subscription(dss: TestClient, token: Token) -> None:
    lat, lng = place()
    sub = subscribe(dss, token(uss(), SC), subscription(lat, lng))
    assert "another client" in message(dss.get(f"{SUB}/{sub['id']}", headers=token(uss(), SC)), 403)


def test_each_change_in_its_area_bumps_a_subscription_index_once_and_names_it_to_the_writer(
    dss: TestClient, token: Token
) -> None:
    lat, lng = place()
    watcher = subscribe(dss, token(uss(), SC), subscription(lat, lng))
    writer = token(uss(), SC)
    created = dss.put(f"{OIR}/{new_id()}", json=intent(volume(lat, lng)), headers=writer)
    assert created.status_code == 201, created.text
    change = created.json()
    ref = change["operational_intent_reference"]
    seen = indices(change)
    assert seen[watcher["id"]] == 1
    # the writer's own implicit subscription is listed too
    assert seen[ref["subscription_id"]] == 1
    urls = {s["uss_base_url"] for s in change["subscribers"]}
    assert urls == {"https://watcher.example.test/utm", BASE_URL}

    updated = dss.put(
        f"{OIR}/{ref['id']}/{ref['ovn']}",
        json=intent(volume(lat, lng), state="Activated"),
        headers=writer,
    )
    assert indices(updated.json())[watcher["id"]] == 2
    elsewhere = dss.put(f"{OIR}/{new_id()}", json=intent(volume(lat + 1, lng)), headers=writer)
    assert watcher["id"] not in indices(elsewhere.json())
    later = dss.put(
        f"{OIR}/{new_id()}",
        json=intent(
            volume(lat, lng, start=timedelta(hours=4), end=timedelta(hours=5)),
            key=[updated.json()["operational_intent_reference"]["ovn"]],
        ),
        headers=writer,
    )
    assert later.status_code == 201, later.text
    assert watcher["id"] not in indices(later.json())
    new = updated.json()["operational_intent_reference"]
    deleted = dss.delete(f"{OIR}/{ref['id']}/{new['ovn']}", headers=writer)
    assert indices(deleted.json())[watcher["id"]] == 3
    got = dss.get(f"{SUB}/{watcher['id']}", headers=token(uss(), SC))
    assert got.status_code == 403


def test_an_implicit_subscription_lives_and_dies_with_its_intent(
    dss: TestClient, token: Token
) -> None:
    me = token(uss(), SC)
    lat, lng = place()
    created = dss.put(f"{OIR}/{new_id()}", json=intent(volume(lat, lng)), headers=me)
    ref = created.json()["operational_intent_reference"]
    sub = dss.get(f"{SUB}/{ref['subscription_id']}", headers=me).json()["subscription"]
    assert sub["implicit_subscription"] is True
    assert sub["dependent_operational_intents"] == [ref["id"]]
    assert sub["notify_for_operational_intents"] is True
    refused = dss.delete(f"{SUB}/{sub['id']}/{sub['version']}", headers=me)
    assert "depend" in message(refused, 400)
    assert dss.delete(f"{OIR}/{ref['id']}/{ref['ovn']}", headers=me).status_code == 200
    message(dss.get(f"{SUB}/{sub['id']}", headers=me), 404)


def test_an_intent_may_use_an_own_subscription_that_covers_it(
    dss: TestClient, token: Token
) -> None:
    me, other = token(uss(), SC), token(uss(), SC)
    lat, lng = place()
    sub = subscribe(dss, me, subscription(lat, lng))
    body = intent(volume(lat + 0.01, lng + 0.01), subscription_id=sub["id"])
    message(dss.put(f"{OIR}/{new_id()}", json=body, headers=other), 403)
    outside = intent(volume(lat + 0.2, lng), subscription_id=sub["id"])
    assert "cover" in message(dss.put(f"{OIR}/{new_id()}", json=outside, headers=me), 400)
    unknown = intent(volume(lat, lng), subscription_id=new_id())
    message(dss.put(f"{OIR}/{new_id()}", json=unknown, headers=me), 400)
    created = dss.put(f"{OIR}/{new_id()}", json=body, headers=me)
    assert created.status_code == 201, created.text
    ref = created.json()["operational_intent_reference"]
    assert ref["subscription_id"] == sub["id"]
    current = dss.get(f"{SUB}/{sub['id']}", headers=me).json()["subscription"]
    assert current["dependent_operational_intents"] == [ref["id"]]
    shrunk = subscription(lat + 0.3, lng)
    refused = dss.put(f"{SUB}/{sub['id']}/{current['version']}", json=shrunk, headers=me)
    assert "no longer be covered" in message(refused, 400)


def test_a_new_subscription_answers_with_the_references_in_its_area(
    dss: TestClient, token: Token
) -> None:
    lat, lng = place()
    writer = token(uss(), SC)
    created = dss.put(f"{OIR}/{new_id()}", json=intent(volume(lat, lng)), headers=writer)
    ref = created.json()["operational_intent_reference"]
    response = dss.put(f"{SUB}/{new_id()}", json=subscription(lat, lng), headers=token(uss(), SC))
    listed = response.json()["operational_intent_references"]
    assert [r["id"] for r in listed] == [ref["id"]]
    assert "ovn" not in listed[0]


def test_a_subscription_asks_for_something_within_a_day_ahead_with_its_scopes(
    dss: TestClient, token: Token
) -> None:
    me = token(uss(), SC)
    lat, lng = place()
    cases = [
        (subscription(lat, lng, notify_for_operational_intents=False), 400, "at least one"),
        (subscription(lat, lng, notify_for_constraints=True), 403, "constraint_processing"),
        (
            {**subscription(lat, lng), "extents": volume(lat, lng, end=timedelta(hours=30))},
            400,
            "at most 24",
        ),
        (
            {
                **subscription(lat, lng),
                "extents": volume(lat, lng, start=-timedelta(hours=3), end=-timedelta(hours=2)),
            },
            400,
            "past",
        ),
        ({**subscription(lat, lng), "uss_base_url": "http://watcher.example.test"}, 400, "https"),
    ]
    for body, status, fragment in cases:
        response = dss.put(f"{SUB}/{new_id()}", json=body, headers=me)
        assert fragment in message(response, status), body


def circle_volume(lat: float, lng: float, radius: float, **window: timedelta) -> Json:
    body = volume(lat, lng, lower=0, upper=1000, **window)
    body["volume"].pop("outline_polygon")
    body["volume"]["outline_circle"] = {
        "center": {"lat": lat, "lng": lng},
        "radius": {"value": radius, "units": "M"},
    }
    return body


def test_a_subscription_an_intent_depends_on_may_change_only_while_it_covers_it(
    dss: TestClient, token: Token
) -> None:
    me = token(uss(), SC)
    lat, lng = place()
    start, end = timedelta(minutes=20), timedelta(minutes=80)
    made = dss.put(
        f"/dss/v1/operational_intent_references/{new_id()}",
        json=intent(circle_volume(lat, lng, 500, start=start, end=end)),
        headers=me,
    )
    assert made.status_code == 201, made.text
    sub_id = made.json()["operational_intent_reference"]["subscription_id"]

    def change(radius: float, start: timedelta, end: timedelta) -> int:
        current = dss.get(f"{SUB}/{sub_id}", headers=me).json()["subscription"]
        body = {
            "extents": circle_volume(lat, lng, radius, start=start, end=end),
            "uss_base_url": BASE_URL,
            "notify_for_operational_intents": True,
        }
        return dss.put(f"{SUB}/{sub_id}/{current['version']}", json=body, headers=me).status_code

    assert change(radius=50, start=start, end=end) == 400
    assert change(radius=500, start=start, end=end - timedelta(minutes=20)) == 400
    # the same circle, asked for a minute later: still the intent's (as the InterUSS DSS)
    assert change(radius=500, start=start + timedelta(minutes=1), end=end) == 200
    assert change(radius=500, start=start + timedelta(minutes=10), end=end) == 400


def test_an_update_keeps_the_window_it_does_not_name_and_a_start_long_past_is_refused(
    dss: TestClient, token: Token
) -> None:
    me = token(uss(), SC)
    lat, lng = place()
    sub = subscribe(dss, me, subscription(lat, lng))
    body = subscription(lat, lng)
    del body["extents"]["time_start"]
    del body["extents"]["time_end"]
    updated = dss.put(f"{SUB}/{sub['id']}/{sub['version']}", json=body, headers=me)
    assert updated.status_code == 200, updated.text
    assert updated.json()["subscription"]["time_start"] == sub["time_start"]
    assert updated.json()["subscription"]["time_end"] == sub["time_end"]
    fresh = dss.put(f"{SUB}/{new_id()}", json=body, headers=me)
    assert fresh.status_code == 200, fresh.text
    window = fresh.json()["subscription"]
    assert window["time_start"]["value"] < window["time_end"]["value"]
    old = subscription(lat, lng)
    old["extents"] = volume(lat, lng, start=-timedelta(minutes=30), end=timedelta(hours=1))
    assert "past" in message(dss.put(f"{SUB}/{new_id()}", json=old, headers=me), 400)
