"""The need-to-know matrix (tests/disclosure.py), end to end.

One coordinated operation with everything a party may want to keep to itself: the
submitter's operation enters a coordination partner's `partners` review zone and its
`private` review zone, meets the partner's own operation and a deconfliction partner's
`private` notify zone. The partner reviews through two stages (one with a public label), with
internal notes, and proposes one of its computed suggestions. Every marker string is
then looked for in everything each viewer can get: every read endpoint, the answers to
its own writes, its events (the SSE stream's source), the webhooks actually delivered
to a receiver, and its exports.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from deconflict.adapters.egress import WebhookTargets
from deconflict.adapters.webhooks import HttpWebhookSender
from deconflict.bootstrap import Container
from deconflict.config import Settings
from deconflict.services import subscriptions
from deconflict.services.dispatch import DispatchPolicy, dispatch_once
from tests.disclosure import DISCLOSURE, VIEWERS
from tests.receiver import Receiver, receiving

from .helpers import Json, circle_volume, spot

#: Marker strings: none of them occurs by chance in anything else the API says.
M = f"MRK{uuid.uuid4().hex[:6]}"
OP_NAME = f"{M}-op-submitter"
OWN_OP_NAME = f"{M}-op-reviewer"
SUBMITTER_SUBJECT = f"{M}-subject-submitter"
OFFICIALS = (f"{M}-subject-official-one", f"{M}-subject-official-two")
NOTES = (f"{M}-note-one", f"{M}-note-two")
STAGES = (f"{M}-stage-one", f"{M}-stage-two")
ROLES = ("mrk_role_one", "mrk_role_two")
LABEL = f"{M}-label first look"
COMMENT = f"{M}-comment please fly later"
REVIEW_ZONE = f"{M}-zone-review"
PRIVATE_ZONE = f"{M}-zone-private"
NOTIFY_ZONE = f"{M}-zone-notify"
ACK = f"{M}-ack-concern"
AUTHORITY_ZONE = f"{M}-zone-authority"


@dataclass
class World:
    """The scenario's parties (ids), tokens and the ids of what it made."""

    client: TestClient
    container: Container
    parties: dict[str, str] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    subscription_of: dict[str, str] = field(default_factory=dict)
    answers: dict[str, list[str]] = field(default_factory=dict)  # write answers per viewer

    def token(self, viewer: str, party: str, roles: list[str], subject: str) -> None:
        minted = self.container.issuer.mint(party, roles, 600, subject)
        self.headers[viewer] = {"Authorization": f"Bearer {minted}"}

    def post(self, viewer: str, path: str, body: Json | None = None, status: int = 201) -> Json:
        response = self.client.post(path, json=body, headers=self.headers[viewer])
        assert response.status_code == status, (path, response.text)
        self.answers.setdefault(viewer, []).append(response.text)
        answer: Json = response.json()
        return answer


#: Viewer keys; the coordination partner's column holds both of its stage officials.
SUBMITTER, OFFICIAL_ONE, OFFICIAL_TWO, NEIGHBOUR, STRANGER, AUTHORITY = (
    "submitter",
    "official one",
    "official two",
    "deconfliction partner",
    "unrelated party",
    "authority",
)
COLUMN = {
    SUBMITTER: 0,
    OFFICIAL_ONE: 1,
    OFFICIAL_TWO: 1,
    NEIGHBOUR: 2,
    STRANGER: 3,
    AUTHORITY: 4,
}


def _zone(lat: float, lng: float, kind: str, name: str, **extra: Any) -> Json:
    return {
        "kind": kind,
        "name": name,
        "footprint": {"type": "circle", "center": {"lat": lat, "lng": lng}, "radius_m": 3000},
        "altitude_lower_m": 0,
        "altitude_upper_m": 1000,
        **extra,
    }


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings, with webhooks allowed to reach the local receiver."""
    return settings.model_copy(update={"webhook_allow_hosts": ["127.0.0.1"]})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as receiver:
        yield receiver


@pytest.fixture
def world(client: TestClient, container: Container, receiver: Receiver) -> World:
    w = World(client, container)
    operator = {"Authorization": f"Bearer {container.issuer.mint('op', ['operator'], 600)}"}
    for key, authority in (
        ("submitter", False),
        ("partner", False),
        ("neighbour", False),
        ("stranger", False),
        ("authority", True),
    ):
        created = client.post(
            "/v1/parties?limit=500",
            json={"name": f"{key}-{uuid.uuid4().hex[:8]}", "authority": authority},
            headers=operator,
        )
        assert created.status_code == 201, created.text
        w.parties[key] = created.json()["id"]
    p = w.parties
    base = ["admin", "submitter", "reviewer", "observer"]
    w.token(SUBMITTER, p["submitter"], base, SUBMITTER_SUBJECT)
    w.token(OFFICIAL_ONE, p["partner"], [*base, ROLES[0]], OFFICIALS[0])
    w.token(OFFICIAL_TWO, p["partner"], [*base, ROLES[1]], OFFICIALS[1])
    w.token(NEIGHBOUR, p["neighbour"], base, f"{M}-subject-neighbour")
    w.token(STRANGER, p["stranger"], base, f"{M}-subject-stranger")
    w.token(AUTHORITY, p["authority"], base, f"{M}-subject-authority")

    lat, lng = spot()
    # Everyone subscribes, with a webhook, before anything happens.
    for viewer in COLUMN:
        subscribed = w.post(
            viewer,
            "/v1/subscriptions",
            {
                "area": {"type": "circle", "center": {"lat": lat, "lng": lng}, "radius_m": 50_000},
                "time_start": "2030-01-01T00:00:00Z",
                "time_end": "2031-01-01T00:00:00Z",
                "webhook_url": f"{receiver.url}?viewer={viewer.replace(' ', '-')}",
            },
        )
        w.subscription_of[subscribed["id"]] = viewer
    # The partner proposes the coordination agreement: the chain is its own process.
    chain = {
        "stages": [
            {"name": STAGES[0], "roles": [ROLES[0]], "public_label": LABEL},
            {"name": STAGES[1], "roles": [ROLES[1]]},
        ]
    }
    agreement = w.post(
        OFFICIAL_ONE,
        "/v1/agreements?limit=500",
        {"kind": "coordination", "partner_party_id": p["submitter"], "review_chain": chain},
    )
    w.ids["coordination"] = agreement["id"]
    w.post(SUBMITTER, f"/v1/agreements/{agreement['id']}/accept", status=200)
    deconfliction = w.post(
        SUBMITTER, "/v1/agreements", {"kind": "deconfliction", "partner_party_id": p["neighbour"]}
    )
    w.ids["deconfliction"] = deconfliction["id"]
    w.post(NEIGHBOUR, f"/v1/agreements/{deconfliction['id']}/accept", status=200)

    w.ids["review zone"] = w.post(
        OFFICIAL_ONE, "/v1/zones", _zone(lat, lng, "review", REVIEW_ZONE)
    )["id"]
    w.ids["private zone"] = w.post(
        OFFICIAL_ONE, "/v1/zones", _zone(lat, lng, "review", PRIVATE_ZONE, disclosure="private")
    )["id"]
    w.ids["notify zone"] = w.post(
        NEIGHBOUR, "/v1/zones", _zone(lat, lng, "notify", NOTIFY_ZONE, disclosure="private")
    )["id"]
    w.ids["authority zone"] = w.post(
        AUTHORITY, "/v1/zones", _zone(lat + 0.5, lng, "restricted", AUTHORITY_ZONE)
    )["id"]

    own = circle_volume(lat, lng, 300, lower=0, upper=200)
    w.ids["own operation"] = w.post(
        OFFICIAL_ONE, "/v1/operations", {"name": OWN_OP_NAME, "volumes": [own]}
    )["id"]
    plan = circle_volume(lat, lng, 300)
    submitted = w.post(SUBMITTER, "/v1/operations", {"name": OP_NAME, "volumes": [plan]})
    assert submitted["state"] == "in_review"
    op_id = w.ids["operation"] = submitted["id"]
    w.post(SUBMITTER, "/v1/checks", {"volumes": [plan]}, status=200)

    [case] = list(client.get("/v1/reviews", headers=w.headers[OFFICIAL_ONE]).json())
    w.ids["case"] = case["id"]
    w.post(
        OFFICIAL_ONE,
        f"/v1/reviews/{case['id']}/decisions",
        {"decision": "approve", "comment": "fine by us", "internal_note": NOTES[0]},
    )
    computed = client.get(
        f"/v1/operations/{op_id}/suggestions", headers=w.headers[OFFICIAL_TWO]
    ).json()
    assert len(computed) >= 2, computed
    w.ids["proposal"], w.ids["unproposed"] = computed[0]["id"], computed[1]["id"]
    w.post(
        OFFICIAL_TWO,
        f"/v1/reviews/{case['id']}/decisions",
        {
            "decision": "request_modification",
            "comment": COMMENT,
            "internal_note": NOTES[1],
            "proposal": {"suggestion_id": w.ids["proposal"]},
        },
    )
    [notice] = client.get("/v1/notices", headers=w.headers[NEIGHBOUR]).json()
    w.ids["notice"] = notice["id"]
    w.post(NEIGHBOUR, f"/v1/notices/{notice['id']}/ack", {"status": "concern", "comment": ACK}, 200)

    sender = HttpWebhookSender(5, WebhookTargets(["127.0.0.1"]))
    while dispatch_once(container.uow, container.ctx, sender, "matrix", DispatchPolicy()):
        pass
    return w


#: Every read endpoint, as the matrix reads it ({...} filled from the world's ids).
READS = [
    "/v1/parties",
    "/v1/agreements",
    "/v1/agreements/{coordination}",
    "/v1/agreements/{deconfliction}",
    "/v1/zones?limit=500",
    "/v1/zones/{review zone}",
    "/v1/zones/{private zone}",
    "/v1/zones/{notify zone}",
    "/v1/zones/{authority zone}",
    "/v1/zones:export?format=geojson",
    "/v1/zones:export?format=kml",
    "/v1/zones:export?format=ed269",
    "/v1/operations?limit=500",
    "/v1/operations/{operation}",
    "/v1/operations/{operation}?history=true",
    "/v1/operations/{operation}/history",
    "/v1/operations/{operation}/suggestions",
    "/v1/operations/{operation}/notices",
    "/v1/operations/{own operation}/history",
    "/v1/operations:export?format=geojson",
    "/v1/operations:export?format=kml",
    "/v1/reviews?limit=500",
    "/v1/reviews?scope=all&limit=500",
    "/v1/reviews/{case}",
    "/v1/notices?limit=500",
    "/v1/subscriptions",
]

#: The statuses each viewer gets from the id-addressed reads (others: 200 for all).
STATUS = {
    "/v1/agreements/{coordination}": (200, 200, 404, 404, 404),
    "/v1/agreements/{deconfliction}": (200, 404, 200, 404, 404),
    "/v1/zones/{review zone}": (200, 200, 404, 404, 404),
    "/v1/zones/{private zone}": (404, 200, 404, 404, 404),
    "/v1/zones/{notify zone}": (404, 404, 200, 404, 404),
    "/v1/operations/{operation}": (200, 404, 404, 404, 404),
    "/v1/operations/{operation}?history=true": (200, 404, 404, 404, 404),
    "/v1/operations/{operation}/history": (200, 200, 404, 404, 404),
    "/v1/operations/{operation}/suggestions": (200, 200, 404, 404, 404),
    "/v1/operations/{operation}/notices": (200, 404, 404, 404, 404),
    "/v1/operations/{own operation}/history": (404, 200, 404, 404, 404),
    "/v1/reviews/{case}": (200, 200, 404, 404, 404),
}

#: Routes the matrix leaves to others: the audit log (its own per-party view and tests),
#: and the event stream (read here from its source, the outbox).
NOT_READ_HERE = {"/v1/audit", "/v1/events"}  # /v1/audit: its own test below


def _everything(w: World, viewer: str) -> str:
    """All a viewer gets: reads, answers to its writes, events, webhooks delivered."""
    seen: list[str] = list(w.answers.get(viewer, []))
    column = COLUMN[viewer]
    for template in READS:
        path = template.format(**w.ids)
        response = w.client.get(path, headers=w.headers[viewer])
        expected = STATUS.get(template, (200,) * 5)[column]
        assert response.status_code == expected, (viewer, path, response.text)
        if response.status_code == 200:
            seen.append(response.text)
    headers = w.headers[viewer]
    for subscription in w.client.get("/v1/subscriptions", headers=headers).json():
        for suffix in ("", "/deliveries"):
            read = w.client.get(f"/v1/subscriptions/{subscription['id']}{suffix}", headers=headers)
            assert read.status_code == 200, read.text
            seen.append(read.text)
    caller = w.container.verifier.verify(headers["Authorization"].split()[1])
    events = subscriptions.events_since(w.container.uow, caller, {}, 1000)
    seen.extend(json.dumps(e.payload) for e in events)
    return "\n".join(seen)


def _markers(w: World) -> dict[str, list[str]]:
    """Each row of the matrix: the strings that show it."""
    return {
        "the operation's name": [OP_NAME],
        "the submitter's people (token subjects)": [SUBMITTER_SUBJECT],
        "the reviewing party's people (token subjects)": list(OFFICIALS),
        "internal notes on decisions": list(NOTES),
        "stage names and stage roles": [*STAGES, *ROLES],
        "public stage labels": [LABEL],
        "decision comments (to the submitter)": [COMMENT],
        "computed suggestions": [w.ids["unproposed"]],
        "a reviewer's proposal": [w.ids["proposal"]],
        "the reviewing party's own operations": [OWN_OP_NAME, w.ids["own operation"]],
        "a partner's `partners` zone: its shape and windows": [w.ids["review zone"]],
        "a partner's `partners` zone: its name": [REVIEW_ZONE],
        "a `private` zone (its id, shape or name)": [w.ids["private zone"], PRIVATE_ZONE],
        "a deconfliction partner's `private` notify zone (its id or name)": [
            w.ids["notify zone"],
            NOTIFY_ZONE,
        ],
        "a notice's acknowledgement comment": [ACK],
        "an authority's public restricted zone": [AUTHORITY_ZONE],
    }


def test_each_viewer_gets_exactly_what_the_disclosure_matrix_says(
    world: World, receiver: Receiver
) -> None:
    markers = _markers(world)
    assert set(markers) == set(DISCLOSURE)
    webhooks: dict[str, list[str]] = {}
    for received in receiver.accepted:
        viewer = world.subscription_of.get(received.json["subscription_id"])
        assert viewer is not None
        webhooks.setdefault(viewer, []).append(received.body.decode())
    assert set(webhooks) >= {SUBMITTER, OFFICIAL_ONE, NEIGHBOUR}, "webhooks were delivered"
    for viewer, column in COLUMN.items():
        seen = _everything(world, viewer) + "\n".join(webhooks.get(viewer, []))
        for row, strings in markers.items():
            for marker in strings:
                expected = DISCLOSURE[row][column]
                assert (marker in seen) is expected, (VIEWERS[column], viewer, row, marker)


def test_the_submitter_sees_the_case_as_outcomes_comments_and_public_labels(
    world: World,
) -> None:
    submitter, official = world.headers[SUBMITTER], world.headers[OFFICIAL_TWO]
    path = f"/v1/reviews/{world.ids['case']}"
    mine = world.client.get(path, headers=submitter).json()
    assert (mine["current_stage"], mine["waiting_roles"]) == (None, [])
    # Of the chain, only the stage with a public label, as that label, rule and deadline.
    assert mine["stages"] == [
        {
            "index": None,
            "name": None,
            "public_label": LABEL,
            "roles": None,
            "rule": "any",
            "deadline_s": None,
            "on_deadline": "escalate",
        }
    ]
    assert mine["current_stage_label"] is None, "closed"
    decisions = [
        {
            k: d[k]
            for k in ("stage", "stage_name", "stage_label", "role", "subject", "internal_note")
        }
        for d in mine["decisions"]
    ]
    hidden = {"stage": None, "stage_name": None, "role": None, "subject": None}
    assert decisions == [
        {**hidden, "stage_label": LABEL, "internal_note": None},
        {**hidden, "stage_label": None, "internal_note": None},
    ]
    assert [(d["decision"], d["comment"]) for d in mine["decisions"]] == [
        ("approve", "fine by us"),
        ("request_modification", COMMENT),
    ]
    assert mine["zone_ids"] == [world.ids["review zone"]], "the private zone is not named"
    whole = world.client.get(path, headers=official).json()
    assert [d["subject"] for d in whole["decisions"]] == list(OFFICIALS)
    assert [d["internal_note"] for d in whole["decisions"]] == list(NOTES)
    assert [s["name"] for s in whole["stages"]] == list(STAGES)
    assert sorted(whole["zone_ids"]) == sorted(
        [world.ids["review zone"], world.ids["private zone"]]
    )
    # The agreement: the chain whole for its proposer, as labels, rules and deadlines for
    # the submitting partner.
    agreement = f"/v1/agreements/{world.ids['coordination']}"
    stages = world.client.get(agreement, headers=submitter).json()["review_chain"]["stages"]
    assert stages == [
        {
            "name": None,
            "roles": None,
            "public_label": LABEL,
            "rule": "any",
            "deadline_s": None,
            "on_deadline": "escalate",
        },
        {
            "name": None,
            "roles": None,
            "public_label": None,
            "rule": "any",
            "deadline_s": None,
            "on_deadline": "escalate",
        },
    ]
    own = world.client.get(agreement, headers=official).json()["review_chain"]["stages"]
    assert [(s["name"], s["roles"]) for s in own] == [
        (STAGES[0], [ROLES[0]]),
        (STAGES[1], [ROLES[1]]),
    ]


def test_zones_are_shown_as_far_as_their_disclosure_allows(world: World) -> None:
    submitter = world.headers[SUBMITTER]
    partner_zone = world.client.get(
        f"/v1/zones/{world.ids['review zone']}", headers=submitter
    ).json()
    assert (partner_zone["name"], partner_zone["disclosure"], partner_zone["kind"]) == (
        None,
        "partners",
        "review",
    )
    assert partner_zone["footprint"]["type"] == "circle"
    listed = {z["id"]: z for z in world.client.get("/v1/zones", headers=submitter).json()}
    assert world.ids["private zone"] not in listed
    assert listed[world.ids["authority zone"]]["name"] == AUTHORITY_ZONE
    # The plan's own view: review by the partner, the private zone as "a zone of theirs".
    operation = world.client.get(
        f"/v1/operations/{world.ids['operation']}", headers=submitter
    ).json()
    zones = sorted(
        (c["with"]["id"] is None, c["with"]["party_id"] == world.parties["partner"])
        for c in operation["conflicts"]
        if c["kind"] == "review_zone"
    )
    assert zones == [(False, True), (True, True)]
    [review] = operation["required_reviews"]
    assert (review["party_id"], review["zone_ids"]) == (
        world.parties["partner"],
        [world.ids["review zone"]],
    )


def test_others_cannot_act_on_the_case_or_its_suggestions(world: World) -> None:
    case, op = world.ids["case"], world.ids["operation"]
    accept = f"/v1/operations/{op}/suggestions/{world.ids['unproposed']}/accept"
    for viewer, status in ((NEIGHBOUR, 404), (STRANGER, 404), (AUTHORITY, 404)):
        decided = world.client.post(
            f"/v1/reviews/{case}/decisions",
            json={"decision": "approve"},
            headers=world.headers[viewer],
        )
        assert decided.status_code == status, (viewer, decided.text)
        assert world.client.post(accept, headers=world.headers[viewer]).status_code == 404
    # Not proposed: not the submitter's to accept.
    assert world.client.post(accept, headers=world.headers[SUBMITTER]).status_code == 404


def test_the_matrix_reads_every_read_endpoint_of_the_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    gets = {path for path, methods in paths.items() if "get" in methods}
    read = {t.split("?")[0] for t in READS}
    placeholders = {
        "{coordination}": "{agreement_id}",
        "{deconfliction}": "{agreement_id}",
        "{review zone}": "{zone_id}",
        "{private zone}": "{zone_id}",
        "{notify zone}": "{zone_id}",
        "{authority zone}": "{zone_id}",
        "{operation}": "{operation_id}",
        "{own operation}": "{operation_id}",
        "{case}": "{case_id}",
    }
    for name, param in placeholders.items():
        read = {path.replace(name, param) for path in read}
    # Deliveries are read per subscription in `_everything`.
    read.add("/v1/subscriptions/{subscription_id}/deliveries")
    read.add("/v1/subscriptions/{subscription_id}")
    assert {g for g in gets if g.startswith("/v1")} - NOT_READ_HERE == read


def test_the_audit_view_shows_other_parties_people_only_as_their_party(world: World) -> None:
    """`GET /v1/audit`: each party reads the events about it; its own people by subject,
    everyone else's only as their party, and positions per object only."""
    own_subjects = {
        SUBMITTER: {SUBMITTER_SUBJECT},
        OFFICIAL_ONE: set(OFFICIALS),
        OFFICIAL_TWO: set(OFFICIALS),
    }
    everyone = {SUBMITTER_SUBJECT, *OFFICIALS}
    for viewer in COLUMN:
        response = world.client.get("/v1/audit?limit=500", headers=world.headers[viewer])
        assert response.status_code == 200, response.text
        events = response.json()
        mine = own_subjects.get(viewer, set())
        for hidden in everyone - mine:
            assert hidden not in response.text, (viewer, hidden)
        for event in events:
            own = event["party_id"] == world.parties[_party_key(viewer)]
            assert (event["subject"] is None) is not own, (viewer, event)
            assert event["chain"] == f"{event['object_type']}:{event['object_id']}"
        if viewer in (SUBMITTER, OFFICIAL_ONE):
            assert any(e["subject"] in mine for e in events), viewer
    submitter_view = world.client.get("/v1/audit?limit=500", headers=world.headers[SUBMITTER])
    decisions = [e for e in submitter_view.json() if e["action"] == "review.decided"]
    assert decisions, "the submitter reads the decisions on its operation"
    assert {e["party_id"] for e in decisions} == {world.parties["partner"]}
    assert all(e["subject"] is None and e["roles"] is None for e in decisions)


def _party_key(viewer: str) -> str:
    return {
        SUBMITTER: "submitter",
        OFFICIAL_ONE: "partner",
        OFFICIAL_TWO: "partner",
        NEIGHBOUR: "neighbour",
        STRANGER: "stranger",
        AUTHORITY: "authority",
    }[viewer]
