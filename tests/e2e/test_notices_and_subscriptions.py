"""Notices to deconfliction partners and subscriptions to events, over HTTP.

A notice tells a partner where, how high and when a plan enters its notify zone, who
sent it and an opaque reference: never the plan's name. Its recipient answers it once;
the submitter sees the answer. Subscriptions receive the events of their area and time
window, numbered 1, 2, 3... per subscription; the events are read from the outbox with
the service the event stream uses.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from deconflict.bootstrap import Container
from deconflict.domain.model import Caller
from deconflict.domain.subscription import OutboxEvent
from deconflict.services.subscriptions import events_since
from tests.conftest import Auth

from .helpers import (
    SIDE,
    T0,
    T1,
    Json,
    assert_problem,
    latlngs,
    operation,
    problems,
    spot,
    square,
    square_volume,
    zone,
)

NOTICE_KEYS = {
    "id",
    "kind",
    "reference",
    "version",
    "submitter_party_id",
    "submitter_name",
    "recipient_party_id",
    "zone_id",
    "outline",
    "altitude_lower_m",
    "altitude_upper_m",
    "altitude_reference",
    "time_start",
    "time_end",
    "separation",
    "created_at",
    "ack",
    "ack_comment",
    "acked_at",
}
EXTENTS = (
    "outline",
    "altitude_lower_m",
    "altitude_upper_m",
    "altitude_reference",
    "time_start",
    "time_end",
    "separation",
)
OPERATION_EVENT_KEYS = {"operation_id", "name", "version", "state", "conditions"}
NOTICE_EVENT_KEYS = {"notice_id", "kind", "reference", "version", "submitter_party_id", "zone_id"}
AWAY = 0.1  # degrees of latitude: about 11 km, well outside a 2 km zone

# ---- helpers ---------------------------------------------------------------------------


def _party(client: TestClient, auth: Auth, prefix: str) -> tuple[str, str]:
    """Registers a party with a unique name; returns (id, name)."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    response = client.post("/v1/parties", json={"name": name}, headers=auth("root", "operator"))
    assert response.status_code == 201, response.text
    return response.json()["id"], name


def _agree(
    client: TestClient, auth: Auth, kind: str, proposer: str, partner: str, **extra: Any
) -> str:
    proposed = client.post(
        "/v1/agreements",
        json={"kind": kind, "partner_party_id": partner, **extra},
        headers=auth(proposer, "admin"),
    )
    assert proposed.status_code == 201, proposed.text
    agreement_id: str = proposed.json()["id"]
    accepted = client.post(f"/v1/agreements/{agreement_id}/accept", headers=auth(partner, "admin"))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["state"] == "active", accepted.text
    return agreement_id


def _ok(response: Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@dataclass
class Partners:
    """Party A submits; party B, its deconfliction partner, has a notify zone at (lat, lng)
    from the ground to 100 m, a circle of 2 km."""

    client: TestClient
    auth: Auth
    a: str
    a_name: str
    b: str
    b_name: str
    lat: float
    lng: float
    zone_id: str

    @property
    def a_headers(self) -> dict[str, str]:
        return self.auth(self.a, "submitter")

    @property
    def b_headers(self) -> dict[str, str]:
        return self.auth(self.b, "submitter")

    def inside(self, **kwargs: Any) -> Json:
        """A 1 km square with its south-west corner at the zone's centre: inside the zone."""
        return square_volume(self.lat, self.lng, **kwargs)

    def outside(self, **kwargs: Any) -> Json:
        return square_volume(self.lat + AWAY, self.lng, **kwargs)

    def submit(self, volume: Json, name: str = "Survey") -> Json:
        body = operation(volume, name=name)
        created: Json = _ok(
            self.client.post("/v1/operations", json=body, headers=self.a_headers), 201
        )
        return created

    def update(self, operation_id: str, volume: Json, name: str = "Survey") -> Json:
        body = operation(volume, name=name)
        updated: Json = _ok(
            self.client.put(f"/v1/operations/{operation_id}", json=body, headers=self.a_headers)
        )
        return updated

    def withdraw(self, operation_id: str) -> Json:
        path = f"/v1/operations/{operation_id}/withdraw"
        withdrawn: Json = _ok(self.client.post(path, headers=self.a_headers))
        return withdrawn

    def received(self) -> list[Json]:
        """B's notices, newest first."""
        notices: list[Json] = _ok(self.client.get("/v1/notices", headers=self.b_headers))
        return notices

    def sent(self, operation_id: str) -> list[Json]:
        notices: list[Json] = _ok(
            self.client.get(f"/v1/operations/{operation_id}/notices", headers=self.a_headers)
        )
        return notices

    def ack(self, notice_id: str, headers: dict[str, str], **body: Any) -> Any:
        return self.client.post(f"/v1/notices/{notice_id}/ack", json=body, headers=headers)


@pytest.fixture
def partners(client: TestClient, auth: Auth) -> Partners:
    a, a_name = _party(client, auth, "submitter")
    b, b_name = _party(client, auth, "watcher")
    _agree(client, auth, "deconfliction", a, b)
    lat, lng = spot()
    created = client.post(
        "/v1/zones",
        json=zone("notify", lat, lng, altitude_upper_m=100),
        headers=auth(b, "admin"),
    )
    zone_id: str = _ok(created, 201)["id"]
    return Partners(client, auth, a, a_name, b, b_name, lat, lng, zone_id)


def _subscribe(
    client: TestClient,
    headers: dict[str, str],
    corners: list[tuple[float, float]],
    start: str = "2030-06-01T00:00:00Z",
    end: str = "2030-06-02T00:00:00Z",
    **extra: Any,
) -> Json:
    body = {
        "area": {"type": "polygon", "vertices": latlngs(corners)},
        "time_start": start,
        "time_end": end,
        **extra,
    }
    created: Json = _ok(client.post("/v1/subscriptions", json=body, headers=headers), 201)
    return created


def _around(lat: float, lng: float, half: float = 0.05) -> list[tuple[float, float]]:
    """A square of side 2 * `half` degrees centred on (lat, lng)."""
    return square(lat - half, lng - half, 2 * half)


def _events(container: Container, party_id: str) -> list[OutboxEvent]:
    """Every event in the outbox of the party's subscriptions, by subscription and sequence."""
    caller = Caller(f"test-{party_id}", party_id, frozenset({"submitter"}))
    events = events_since(container.uow, caller, {}, 100)
    assert len(events) < 100, "more events than one read returns: the test lost count"
    return sorted(events, key=lambda e: (e.subscription_id, e.sequence))


def _of(events: list[OutboxEvent], subscription_id: str) -> list[tuple[int, str]]:
    return [(e.sequence, e.type.value) for e in events if e.subscription_id == subscription_id]


# ---- notices ---------------------------------------------------------------------------


def test_a_partner_is_told_where_how_high_and_when_a_plan_enters_its_zone_and_nothing_more(
    partners: Partners,
) -> None:
    p = partners
    secret_name = f"Covert pipeline inspection {uuid.uuid4().hex}"
    created = p.submit(p.inside(lower=50, upper=120), name=secret_name)
    assert created["state"] == "approved"

    [notice] = p.received()
    assert set(notice) == NOTICE_KEYS
    assert secret_name not in json.dumps(notice)
    assert "Covert" not in json.dumps(p.received())
    assert {k: notice[k] for k in NOTICE_KEYS - {"id", "created_at", "outline"}} == {
        "kind": "entry",
        "reference": created["id"],
        "version": 1,
        "submitter_party_id": p.a,
        "submitter_name": p.a_name,
        "recipient_party_id": p.b,
        "zone_id": p.zone_id,
        # the plan's band and hour as planned, and apart from them the default minima
        # it was grown by to count as entering the zone
        "altitude_lower_m": 50.0,
        "altitude_upper_m": 120.0,
        "altitude_reference": "W84",
        "time_start": "2030-06-01T10:00:00Z",
        "time_end": "2030-06-01T11:00:00Z",
        "separation": {"horizontal_m": 50.0, "vertical_m": 10.0, "time_s": 60.0},
        "ack": "pending",
        "ack_comment": "",
        "acked_at": None,
    }

    # The outline is the part of the zone the plan comes near: around the plan's 1 km
    # square (grown by the 50 m minimum), not the whole 2 km zone.
    outline = notice["outline"]
    assert outline["type"] == "polygon"
    assert outline["holes"] == []
    assert len(outline["vertices"]) >= 4
    lats = [v["lat"] for v in outline["vertices"]]
    lngs = [v["lng"] for v in outline["vertices"]]
    margin = 0.002  # > 50 m in degrees at the latitudes spot() uses
    assert p.lat - margin < min(lats) < p.lat
    assert p.lat + SIDE < max(lats) < p.lat + SIDE + margin
    assert p.lng - margin < min(lngs) < p.lng
    assert p.lng + SIDE < max(lngs) < p.lng + SIDE + margin

    # The submitter sees the notice it caused, waiting for an answer.
    [sent] = p.sent(created["id"])
    assert sent["id"] == notice["id"]
    assert sent["ack"] == "pending"
    assert sent["recipient_party_id"] == p.b

    # The recipient cannot read the operation or list the notices sent about it.
    assert p.client.get(f"/v1/operations/{created['id']}", headers=p.b_headers).status_code == 404
    response = p.client.get(f"/v1/operations/{created['id']}/notices", headers=p.b_headers)
    assert response.status_code == 404


def test_a_notice_shows_the_plan_as_planned_and_its_agreements_own_separation_apart(
    client: TestClient, auth: Auth
) -> None:
    a, _ = _party(client, auth, "submitter")
    b, _ = _party(client, auth, "watcher")
    minima = {"horizontal_m": 200.0, "vertical_m": 30.0, "time_s": 600.0}
    _agree(client, auth, "deconfliction", a, b, separation=minima)
    lat, lng = spot()
    _ok(client.post("/v1/zones", json=zone("notify", lat, lng), headers=auth(b, "admin")), 201)
    # 20-100 m, 13:00-14:00Z: within 10-110 m and 12:59-14:01Z under the default minima,
    # within -10-130 m and 12:50-14:10Z under these.
    plan = square_volume(
        lat, lng, lower=20, upper=100, start="2030-06-01T13:00:00Z", end="2030-06-01T14:00:00Z"
    )
    _ok(client.post("/v1/operations", json=operation(plan), headers=auth(a, "submitter")), 201)

    [notice] = _ok(client.get("/v1/notices", headers=auth(b, "submitter")))

    assert {k: notice[k] for k in EXTENTS if k != "outline"} == {
        "altitude_lower_m": 20.0,
        "altitude_upper_m": 100.0,
        "altitude_reference": "W84",
        "time_start": "2030-06-01T13:00:00Z",
        "time_end": "2030-06-01T14:00:00Z",
        "separation": minima,
    }


def test_a_plan_clear_of_the_zone_or_without_an_agreement_causes_no_notice(
    partners: Partners, auth: Auth
) -> None:
    p = partners
    clear = p.submit(p.outside())
    assert p.received() == []
    assert p.sent(clear["id"]) == []

    # A third party without an agreement with B flies through B's zone: B hears nothing.
    stranger, _ = _party(p.client, auth, "stranger")
    response = p.client.post(
        "/v1/operations", json=operation(p.inside()), headers=auth(stranger, "submitter")
    )
    assert response.status_code == 201, response.text
    assert p.received() == []


def test_the_recipient_answers_a_notice_once_and_only_the_recipient_may(
    partners: Partners, auth: Auth
) -> None:
    p = partners
    created = p.submit(p.inside())
    [notice] = p.received()

    concern = p.ack(notice["id"], p.b_headers, status="concern")
    assert_problem(concern, ["body", "comment"], "comment")
    blank = p.ack(notice["id"], p.b_headers, status="concern", comment="   ")
    assert_problem(blank, ["body", "comment"], "comment")
    pending = p.ack(notice["id"], p.b_headers, status="pending")
    assert [loc[:2] for loc, _ in problems(pending)] == [["body", "status"]]

    stranger, _ = _party(p.client, auth, "stranger")
    theirs = p.ack(notice["id"], auth(stranger, "submitter"), status="acknowledged")
    assert theirs.status_code == 404, "a stranger cannot tell the notice exists"
    own = p.ack(notice["id"], p.a_headers, status="acknowledged")
    assert own.status_code == 404, "the submitter cannot answer its own notice"
    missing = p.ack("no-such-notice", p.b_headers, status="acknowledged")
    assert missing.status_code == 404
    assert p.sent(created["id"])[0]["ack"] == "pending", "the refused answers changed nothing"

    answered = _ok(p.ack(notice["id"], p.b_headers, status="acknowledged"))
    assert answered["id"] == notice["id"]
    assert answered["ack"] == "acknowledged"
    assert answered["acked_at"] is not None
    [sent] = p.sent(created["id"])
    assert (sent["ack"], sent["ack_comment"]) == ("acknowledged", "")
    assert sent["acked_at"] == answered["acked_at"]

    again = p.ack(notice["id"], p.b_headers, status="acknowledged")
    assert again.status_code == 409, again.text
    late_concern = p.ack(notice["id"], p.b_headers, status="concern", comment="On second thought")
    assert late_concern.status_code == 409, late_concern.text
    assert p.sent(created["id"])[0]["ack"] == "acknowledged"


def test_a_concern_with_a_comment_reaches_the_submitter(partners: Partners) -> None:
    p = partners
    created = p.submit(p.inside())
    [notice] = p.received()
    answered = _ok(
        p.ack(notice["id"], p.b_headers, status="concern", comment="Our crane works there")
    )
    assert (answered["ack"], answered["ack_comment"]) == ("concern", "Our crane works there")
    [sent] = p.sent(created["id"])
    assert (sent["ack"], sent["ack_comment"]) == ("concern", "Our crane works there")


def test_new_versions_and_withdrawals_follow_up_on_a_notice(partners: Partners) -> None:
    p = partners
    first = p.submit(p.inside())
    p.update(first["id"], p.inside(lower=60, upper=90))
    [update, entry] = p.received()
    assert (entry["kind"], entry["version"]) == ("entry", 1)
    assert (update["kind"], update["version"], update["reference"]) == ("update", 2, first["id"])
    assert (update["altitude_lower_m"], update["altitude_upper_m"]) == (60.0, 90.0)
    assert update["outline"] is not None
    assert update["ack"] == "pending"

    p.update(first["id"], p.outside())
    cleared = p.received()[0]
    assert (cleared["kind"], cleared["version"], cleared["reference"]) == (
        "cleared",
        3,
        first["id"],
    )
    assert set(cleared) == NOTICE_KEYS
    assert {k: cleared[k] for k in EXTENTS} == dict.fromkeys(EXTENTS)
    assert [n["kind"] for n in p.sent(first["id"])] == ["entry", "update", "cleared"]

    # Out of the zone, a new version or a withdrawal tells B nothing more.
    p.update(first["id"], p.outside(upper=110))
    p.withdraw(first["id"])
    assert len(p.received()) == 3

    second = p.submit(p.inside())
    p.withdraw(second["id"])
    [withdrawal, entry2, *_] = p.received()
    assert (entry2["kind"], entry2["reference"]) == ("entry", second["id"])
    assert (withdrawal["kind"], withdrawal["version"], withdrawal["reference"]) == (
        "withdrawal",
        1,
        second["id"],
    )
    assert {k: withdrawal[k] for k in EXTENTS} == dict.fromkeys(EXTENTS)
    assert [n["kind"] for n in p.sent(second["id"])] == ["entry", "withdrawal"]
    assert len(p.received()) == 5


def test_a_plan_that_leaves_and_re_enters_a_zone_is_a_new_entry(partners: Partners) -> None:
    p = partners
    first = p.submit(p.inside())
    p.update(first["id"], p.outside())
    p.update(first["id"], p.inside())
    assert [n["kind"] for n in p.sent(first["id"])] == ["entry", "cleared", "entry"]


# ---- subscriptions ---------------------------------------------------------------------


def test_a_subscription_shows_its_secret_once(client: TestClient, auth: Auth) -> None:
    party, _ = _party(client, auth, "subscriber")
    headers = auth(party, "submitter")
    lat, lng = spot()
    created = _subscribe(client, headers, _around(lat, lng))
    assert isinstance(created["secret"], str)
    assert len(created["secret"]) >= 32
    assert created["party_id"] == party
    assert created["webhook_url"] is None
    assert created["next_sequence"] == 1
    assert created["area"]["type"] == "polygon"
    assert created["time_start"] == "2030-06-01T00:00:00Z"

    again = _ok(client.get(f"/v1/subscriptions/{created['id']}", headers=headers))
    assert again["secret"] is None
    assert {k: v for k, v in again.items() if k != "secret"} == {
        k: v for k, v in created.items() if k != "secret"
    }
    listed = _ok(client.get("/v1/subscriptions", headers=headers))
    assert [(s["id"], s["secret"]) for s in listed] == [(created["id"], None)]
    assert created["secret"] not in json.dumps(listed)


def test_own_operations_in_the_area_and_window_are_events_numbered_without_gaps(
    client: TestClient, auth: Auth, container: Container
) -> None:
    party, _ = _party(client, auth, "subscriber")
    headers = auth(party, "submitter")
    lat, lng = spot()
    near = _subscribe(client, headers, _around(lat, lng))
    wide = _subscribe(client, headers, _around(lat, lng, half=0.3))

    def submit(volume: Json, name: str = "Survey") -> str:
        created = client.post("/v1/operations", json=operation(volume, name=name), headers=headers)
        operation_id: str = _ok(created, 201)["id"]
        return operation_id

    inside = submit(square_volume(lat, lng), name="Inside")
    submit(square_volume(lat + 0.2, lng))  # outside `near`, inside `wide`
    submit(square_volume(lat, lng, start="2030-06-03T10:00:00Z", end="2030-06-03T11:00:00Z"))
    submit(square_volume(lat + 2, lng))  # outside both
    moved = client.put(
        f"/v1/operations/{inside}",
        json=operation(square_volume(lat, lng, upper=100), name="Inside"),
        headers=headers,
    )
    _ok(moved)
    _ok(client.post(f"/v1/operations/{inside}/withdraw", headers=headers))

    events = _events(container, party)
    assert _of(events, near["id"]) == [
        (1, "operation.created"),
        (2, "operation.changed"),
        (3, "operation.withdrawn"),
    ]
    assert _of(events, wide["id"]) == [
        (1, "operation.created"),
        (2, "operation.created"),
        (3, "operation.changed"),
        (4, "operation.withdrawn"),
    ]
    near_events = [e for e in events if e.subscription_id == near["id"]]
    for event in near_events:
        assert set(event.payload) == OPERATION_EVENT_KEYS
        assert event.payload["operation_id"] == inside
        assert event.payload["name"] == "Inside"
    assert [(e.payload["version"], e.payload["state"]) for e in near_events] == [
        (1, "approved"),
        (2, "approved"),
        (2, "withdrawn"),
    ]

    def next_sequence(subscription: Json) -> int:
        path = f"/v1/subscriptions/{subscription['id']}"
        number: int = _ok(client.get(path, headers=headers))["next_sequence"]
        return number

    assert (next_sequence(near), next_sequence(wide)) == (4, 5)


def test_another_partys_operations_are_no_events_of_mine(
    client: TestClient, auth: Auth, container: Container
) -> None:
    mine, _ = _party(client, auth, "subscriber")
    other, _ = _party(client, auth, "other")
    lat, lng = spot()
    subscription = _subscribe(client, auth(mine, "submitter"), _around(lat, lng))
    response = client.post(
        "/v1/operations", json=operation(square_volume(lat, lng)), headers=auth(other, "submitter")
    )
    assert response.status_code == 201, response.text
    assert _events(container, mine) == []
    again = _ok(client.get(f"/v1/subscriptions/{subscription['id']}", headers=auth(mine)))
    assert again["next_sequence"] == 1


def test_notices_and_their_answers_are_events_of_recipient_and_submitter(
    partners: Partners, container: Container
) -> None:
    p = partners
    b_zone = _subscribe(p.client, p.b_headers, _around(p.lat, p.lng))
    b_elsewhere = _subscribe(p.client, p.b_headers, _around(p.lat - 1, p.lng))
    a_sub = _subscribe(p.client, p.a_headers, _around(p.lat, p.lng))
    secret_name = f"Covert {uuid.uuid4().hex}"
    created = p.submit(p.inside(), name=secret_name)

    [notice] = p.received()
    b_events = _events(container, p.b)
    assert [(e.subscription_id, e.sequence, e.type.value) for e in b_events] == [
        (b_zone["id"], 1, "notice.issued")
    ]
    issued = b_events[0]
    assert set(issued.payload) == NOTICE_EVENT_KEYS
    assert issued.payload == {
        "notice_id": notice["id"],
        "kind": "entry",
        "reference": created["id"],
        "version": 1,
        "submitter_party_id": p.a,
        "zone_id": p.zone_id,
    }
    assert secret_name not in json.dumps(issued.payload)
    assert not _of(b_events, b_elsewhere["id"])

    _ok(p.ack(notice["id"], p.b_headers, status="concern", comment="Crane at work"))
    a_events = _events(container, p.a)
    assert _of(a_events, a_sub["id"]) == [(1, "operation.created"), (2, "notice.answered")]
    answered = a_events[1]
    assert answered.payload == {
        "notice_id": notice["id"],
        "operation_id": created["id"],
        "recipient_party_id": p.b,
        "ack": "concern",
        "comment": "Crane at work",
    }
    assert _events(container, p.b) == b_events, "answering tells the recipient nothing new"


def test_reviews_requested_and_decided_are_events_of_reviewer_and_submitter(
    client: TestClient, auth: Auth, container: Container
) -> None:
    operator, _ = _party(client, auth, "operator")
    reviewer, _ = _party(client, auth, "reviewer")
    _agree(client, auth, "coordination", operator, reviewer)
    lat, lng = spot()
    _ok(
        client.post("/v1/zones", json=zone("review", lat, lng), headers=auth(reviewer, "admin")),
        201,
    )
    reviewer_sub = _subscribe(client, auth(reviewer), _around(lat, lng))
    operator_sub = _subscribe(client, auth(operator), _around(lat, lng))

    secret_name = f"Covert {uuid.uuid4().hex}"
    created = _ok(
        client.post(
            "/v1/operations",
            json=operation(square_volume(lat, lng), name=secret_name),
            headers=auth(operator, "submitter"),
        ),
        201,
    )
    assert created["state"] == "in_review"
    [requested] = _events(container, reviewer)
    assert (requested.subscription_id, requested.sequence, requested.type.value) == (
        reviewer_sub["id"],
        1,
        "review.requested",
    )
    assert set(requested.payload) == {
        "case_id",
        "operation_id",
        "version",
        "submitter_party_id",
        "case_state",
        "stage",
    }
    assert requested.payload["operation_id"] == created["id"]
    assert requested.payload["submitter_party_id"] == operator
    assert requested.payload["case_state"] == "open"
    assert secret_name not in json.dumps(requested.payload)

    reviewer_headers = auth(reviewer, "reviewer")
    [case] = _ok(client.get("/v1/reviews", headers=reviewer_headers))
    assert case["id"] == requested.payload["case_id"]
    decided = client.post(
        f"/v1/reviews/{case['id']}/decisions",
        json={"decision": "approve"},
        headers=reviewer_headers,
    )
    assert decided.status_code == 201, decided.text

    operator_events = _events(container, operator)
    assert _of(operator_events, operator_sub["id"]) == [
        (1, "operation.created"),
        (2, "review.decided"),
    ]
    decision = operator_events[1].payload
    assert decision["case_id"] == case["id"]
    assert decision["operation_id"] == created["id"]
    assert decision["reviewer_party_id"] == reviewer
    assert (decision["case_state"], decision["operation_state"], decision["decision"]) == (
        "approved",
        "approved",
        "approve",
    )
    assert decision["automatic"] is False
    assert len(_events(container, reviewer)) == 1, "the reviewer is not told its own decision"


# ---- bad input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("ftp://x", "http(s)"),
        ("javascript:alert(1)", "http(s)"),
        ("https://user:pass@hooks.example.com/in", "credentials"),
        ("hooks.example.com/in", "http(s)"),
        ("http://", "http(s)"),
    ],
)
def test_a_webhook_url_that_is_not_a_plain_http_url_is_refused(
    client: TestClient, auth: Auth, url: str, fragment: str
) -> None:
    party, _ = _party(client, auth, "subscriber")
    headers = auth(party)
    lat, lng = spot()
    body = {
        "area": {"type": "polygon", "vertices": latlngs(_around(lat, lng))},
        "time_start": T0,
        "time_end": T1,
    }
    response = client.post("/v1/subscriptions", json={**body, "webhook_url": url}, headers=headers)
    assert_problem(response, ["body", "webhook_url"], fragment)
    assert _ok(client.get("/v1/subscriptions", headers=headers)) == []

    fine = client.post(
        "/v1/subscriptions",
        json={**body, "webhook_url": "https://hooks.example.com/in"},
        headers=headers,
    )
    assert fine.status_code == 201, fine.text
    assert fine.json()["webhook_url"] == "https://hooks.example.com/in"


def test_a_subscription_ending_before_it_starts_is_refused(client: TestClient, auth: Auth) -> None:
    party, _ = _party(client, auth, "subscriber")
    lat, lng = spot()
    response = client.post(
        "/v1/subscriptions",
        json={
            "area": {"type": "polygon", "vertices": latlngs(_around(lat, lng))},
            "time_start": T1,
            "time_end": T0,
        },
        headers=auth(party),
    )
    assert_problem(response, ["body", "time_end"], "after")
    assert _ok(client.get("/v1/subscriptions", headers=auth(party))) == []


@pytest.mark.parametrize(
    ("shape", "loc", "fragment"),
    [
        ("bowtie", ["body", "area", "vertices"], "not simple"),
        ("huge", ["body", "area"], "exceeds"),
    ],
)
def test_a_self_intersecting_or_oversized_area_is_refused_at_the_area(
    client: TestClient, auth: Auth, shape: str, loc: list[str], fragment: str
) -> None:
    party, _ = _party(client, auth, "subscriber")
    lat, lng = spot()
    corners = {
        "bowtie": [(lat, lng), (lat + 0.01, lng + 0.01), (lat, lng + 0.01), (lat + 0.01, lng)],
        "huge": _around(lat, lng, half=1.5),
    }[shape]
    response = client.post(
        "/v1/subscriptions",
        json={
            "area": {"type": "polygon", "vertices": latlngs(corners)},
            "time_start": T0,
            "time_end": T1,
        },
        headers=auth(party),
    )
    assert_problem(response, loc, fragment)
    assert _ok(client.get("/v1/subscriptions", headers=auth(party))) == []


def test_a_subscription_is_only_its_partys_to_read_and_delete(
    client: TestClient, auth: Auth
) -> None:
    owner, _ = _party(client, auth, "owner")
    other, _ = _party(client, auth, "other")
    lat, lng = spot()
    created = _subscribe(client, auth(owner), _around(lat, lng))
    path = f"/v1/subscriptions/{created['id']}"

    assert client.get(path, headers=auth(other)).status_code == 404
    assert client.delete(path, headers=auth(other)).status_code == 404
    assert client.get(f"{path}/deliveries", headers=auth(other)).status_code == 404
    assert _ok(client.get("/v1/subscriptions", headers=auth(other))) == []
    assert _ok(client.get(path, headers=auth(owner)))["id"] == created["id"], "still there"

    deleted = client.delete(path, headers=auth(owner))
    assert deleted.status_code == 204, deleted.text
    assert client.get(path, headers=auth(owner)).status_code == 404
    assert client.delete(path, headers=auth(owner)).status_code == 404
    assert _ok(client.get("/v1/subscriptions", headers=auth(owner))) == []
