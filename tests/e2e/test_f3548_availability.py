"""/dss/v1 USS availability and reports over HTTP."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from implicitdict import ImplicitDict
from uas_standards.astm.f3548.v21 import api

from .f3548_helpers import AA, CMSA, SC, Token, at, intent, message, new_id, place, uss, volume

AV = "/dss/v1/uss_availability"
OIR = "/dss/v1/operational_intent_references"


def test_availability_is_unknown_until_an_arbiter_sets_it_by_version(
    dss: TestClient, token: Token
) -> None:
    target = uss()
    arbiter = token(uss(), AA)
    unknown = dss.get(f"{AV}/{target}", headers=token(uss(), SC))
    assert unknown.status_code == 200
    ImplicitDict.parse(unknown.json(), api.UssAvailabilityStatusResponse)
    assert unknown.json() == {"status": {"uss": target, "availability": "Unknown"}, "version": ""}

    # any case is accepted, as the InterUSS DSS does; the answer spells it as the standard
    normal = dss.put(
        f"{AV}/{target}", json={"old_version": "", "availability": "normal"}, headers=arbiter
    )
    assert normal.status_code == 200, normal.text
    assert normal.json()["status"]["availability"] == "Normal"
    version = normal.json()["version"]
    assert version
    stale = dss.put(
        f"{AV}/{target}", json={"old_version": "", "availability": "Down"}, headers=arbiter
    )
    message(stale, 409)
    down = dss.put(
        f"{AV}/{target}", json={"old_version": version, "availability": "Down"}, headers=arbiter
    )
    assert down.status_code == 200, down.text
    assert down.json()["version"] != version
    read = dss.get(f"{AV}/{target}", headers=arbiter).json()
    assert read["status"]["availability"] == "Down"
    bad = dss.put(
        f"{AV}/{target}", json={"old_version": "", "availability": "Sleepy"}, headers=arbiter
    )
    message(bad, 400)


def test_a_down_uss_cannot_plan_or_delete_but_may_report_off_nominal_flight(
    dss: TestClient, token: Token
) -> None:
    subject = uss()
    me = token(subject, SC, CMSA)
    lat, lng = place()
    created = dss.put(f"{OIR}/{new_id()}", json=intent(volume(lat, lng)), headers=me)
    ref = created.json()["operational_intent_reference"]
    set_down = dss.put(
        f"{AV}/{subject}",
        json={"old_version": "", "availability": "Down"},
        headers=token(uss(), AA),
    )
    assert set_down.status_code == 200
    seen = dss.get(f"{OIR}/{ref['id']}", headers=token(uss(), SC)).json()
    assert seen["operational_intent_reference"]["uss_availability"] == "Down"
    message(dss.put(f"{OIR}/{new_id()}", json=intent(volume(lat + 0.5, lng)), headers=me), 412)
    message(dss.delete(f"{OIR}/{ref['id']}/{ref['ovn']}", headers=me), 412)
    contingent = dss.put(
        f"{OIR}/{ref['id']}/{ref['ovn']}",
        json=intent(volume(lat, lng), state="Contingent"),
        headers=me,
    )
    assert contingent.status_code == 200, contingent.text


def test_a_report_is_archived_with_an_id(dss: TestClient, token: Token) -> None:
    report = {
        "exchange": {
            "url": "https://uss.example.test/uss/v1/operational_intents/x",
            "method": "GET",
            "recorder_role": "Client",
            "request_time": {"value": at(timedelta(0)), "format": "RFC3339"},
            "request_source": "uss.example.test",
            "problem": "no answer",
        }
    }
    made = dss.post("/dss/v1/reports", json=report, headers=token(uss(), SC))
    assert made.status_code == 201, made.text
    body = ImplicitDict.parse(made.json(), api.ErrorReport)
    assert body.report_id
    assert made.json()["exchange"]["problem"] == "no answer"
    message(dss.post("/dss/v1/reports", json={}, headers=token(uss(), AA)), 400)
