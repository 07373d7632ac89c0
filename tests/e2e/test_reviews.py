"""Review chains over HTTP: auto-approval, stages, modification with a suggestion,
rejection, deadlines with an injectable clock, and need-to-know."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from deconflict.bootstrap import Container
from deconflict.domain.model import Caller
from deconflict.entrypoints.api.app import create_app
from deconflict.services import subscriptions
from tests.conftest import Auth

START = datetime(2031, 6, 1, 9, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2031, 5, 1, tzinfo=UTC))


@pytest.fixture
def api(container: Container, clock: Clock) -> Iterator[TestClient]:
    timed = dataclasses.replace(container, ctx=dataclasses.replace(container.ctx, clock=clock))
    with TestClient(create_app(container=timed)) as client:
        yield client


def _circle(
    lat: float, lng: float, radius_m: float, hour: float, hours: float, top_m: float = 120
) -> dict[str, Any]:
    begin = START + timedelta(hours=hour)
    return {
        "footprint": {"type": "circle", "center": {"lat": lat, "lng": lng}, "radius_m": radius_m},
        "altitude_lower_m": 20,
        "altitude_upper_m": top_m,
        "time_start": begin.isoformat(),
        "time_end": (begin + timedelta(hours=hours)).isoformat(),
    }


class Scenario:
    """An operator and a reviewer under a coordination agreement, with one review zone."""

    def __init__(
        self,
        api: TestClient,
        auth: Auth,
        chain: dict[str, Any] | None,
        lat: float,
        acceptance: str = "approve",
    ) -> None:
        self.api, self.auth, self.lat = api, auth, lat
        admin = auth("root", "operator")
        self.operator, self.reviewer = (
            api.post(
                "/v1/parties", json={"name": f"{n}-{uuid.uuid4().hex[:8]}"}, headers=admin
            ).json()["id"]
            for n in ("operator", "reviewer")
        )
        body: dict[str, Any] = {
            "kind": "coordination",
            "partner_party_id": self.reviewer,
            "proposal_acceptance": acceptance,
        }
        if chain is not None:
            body["review_chain"] = chain
        agreement = api.post("/v1/agreements", json=body, headers=auth(self.operator, "admin"))
        assert agreement.status_code == 201, agreement.text
        api.post(
            f"/v1/agreements/{agreement.json()['id']}/accept", headers=auth(self.reviewer, "admin")
        )
        zone = api.post(
            "/v1/zones",
            json={
                "kind": "review",
                "name": "Range",
                "footprint": {
                    "type": "circle",
                    "center": {"lat": lat, "lng": 150.0},
                    "radius_m": 8000,
                },
                "altitude_lower_m": 0,
                "altitude_upper_m": 2000,
            },
            headers=auth(self.reviewer, "admin"),
        )
        assert zone.status_code == 201, zone.text
        self.submitter = auth(self.operator, "submitter")

    def submit(self, volume: dict[str, Any], as_: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.api.post(
            "/v1/operations",
            json={"name": "Survey", "volumes": [volume]},
            headers=as_ or self.submitter,
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def case_of(self, operation_id: str, headers: dict[str, str]) -> dict[str, Any]:
        history = self.api.get(f"/v1/operations/{operation_id}/history", headers=headers)
        assert history.status_code == 200, history.text
        case: dict[str, Any] = history.json()["versions"][-1]["reviews"][0]
        return case

    def decide(self, case_id: str, headers: dict[str, str], **body: Any) -> Any:
        return self.api.post(f"/v1/reviews/{case_id}/decisions", json=body, headers=headers)


ScenarioFactory = Callable[..., Scenario]


@pytest.fixture
def scenario(api: TestClient, auth: Auth) -> ScenarioFactory:
    def make(chain: dict[str, Any] | None = None, acceptance: str = "approve") -> Scenario:
        # A latitude of its own per scenario, so scenarios sharing PostgreSQL never meet.
        lat = -60 + (uuid.uuid4().int % 10_000) / 100
        return Scenario(api, auth, chain, lat, acceptance)

    return make


TWO_STAGES = {
    "stages": [
        {"name": "command review", "roles": ["command_review"]},
        {"name": "senior assessment", "roles": ["assessor_ops", "assessor_safety"], "rule": "all"},
    ]
}


def test_a_plan_below_the_ceiling_is_approved_automatically_and_says_so(
    scenario: ScenarioFactory,
) -> None:
    s = scenario({**TWO_STAGES, "auto_approval": [{"name": "below 60 m", "max_altitude_m": 60}]})
    low = s.submit(_circle(s.lat, 150.0, 300, 1, 1, top_m=50))
    assert low["state"] == "approved"
    case = s.case_of(low["id"], s.submitter)
    assert case["state"] == "approved"
    assert case["decisions"][0]["automatic"] is True
    assert "below 60 m" in case["decisions"][0]["comment"]
    high = s.submit(_circle(s.lat, 150.0, 300, 1, 1, top_m=100))
    assert high["state"] == "in_review"


def test_a_two_stage_chain_approves_after_command_review_and_both_assessors(
    scenario: ScenarioFactory, auth: Auth
) -> None:
    s = scenario(TWO_STAGES)
    op = s.submit(_circle(s.lat, 150.0, 300, 1, 1))
    assert op["state"] == "in_review"
    commander = auth(s.reviewer, "command_review")
    assessor_ops, assessor_safety = (
        auth(s.reviewer, "assessor_ops"),
        auth(s.reviewer, "assessor_safety"),
    )

    queue = s.api.get("/v1/reviews", headers=commander).json()
    [case] = [c for c in queue if c["operation_id"] == op["id"]]
    assert case["current_stage"] == 0
    assert s.api.get("/v1/reviews", headers=assessor_ops).json() == [], "not their stage yet"
    wrong = s.decide(case["id"], assessor_ops, decision="approve")
    assert wrong.status_code == 403

    assert s.decide(case["id"], commander, decision="approve").json()["current_stage"] == 1
    assert [c["id"] for c in s.api.get("/v1/reviews", headers=assessor_ops).json()] == [case["id"]]
    after_one = s.decide(
        case["id"],
        assessor_ops,
        decision="approve_with_conditions",
        conditions={"text": "Keep below 100 m", "altitude_lower_m": 20, "altitude_upper_m": 100},
    )
    assert after_one.status_code == 201, after_one.text
    assert after_one.json()["state"] == "open"
    assert after_one.json()["waiting_roles"] == ["assessor_safety"]
    again = s.decide(case["id"], assessor_ops, decision="approve")
    assert again.status_code == 409, "an assessor cannot decide twice"
    done = s.decide(case["id"], assessor_safety, decision="approve")
    assert done.json()["state"] == "approved"
    assert [d["role"] for d in done.json()["decisions"]] == [
        "command_review",
        "assessor_ops",
        "assessor_safety",
    ]
    # Its own state, with the conditions beside it wherever the state is shown.
    operation = s.api.get(f"/v1/operations/{op['id']}", headers=s.submitter).json()
    assert operation["state"] == "approved_with_conditions"
    assert operation["conditions"] == [
        {
            "party_id": s.reviewer,
            "text": "Keep below 100 m",
            "time_window": None,
            "altitude_lower_m": 20.0,
            "altitude_upper_m": 100.0,
        }
    ]
    listed = s.api.get("/v1/operations", headers=s.submitter).json()
    assert [(o["state"], o["conditions"]) for o in listed if o["id"] == op["id"]] == [
        (operation["state"], operation["conditions"])
    ]
    closed = s.decide(case["id"], commander, decision="reject", comment="late")
    assert closed.status_code == 409, "a closed case takes no decision"


@pytest.mark.parametrize("acceptance", ["approve", "review"])
def test_a_proposed_suggestion_is_accepted_and_approved_by_proposal_or_reviewed_again(
    scenario: ScenarioFactory, auth: Auth, acceptance: str
) -> None:
    s = scenario({"stages": [{"name": "desk", "roles": ["reviewer"]}]}, acceptance=acceptance)
    reviewer = auth(s.reviewer, "submitter", "reviewer")
    own = s.submit(_circle(s.lat, 150.01, 500, 1, 1), as_=auth(s.reviewer, "submitter"))
    op = s.submit(_circle(s.lat, 150.0, 600, 1.5, 1))
    assert op["state"] == "in_review"
    [partner_conflict] = [c for c in op["conflicts"] if c["kind"] == "operation"]
    assert partner_conflict["with"] == {"type": "operation", "id": None, "party_id": None}

    [case] = s.api.get("/v1/reviews", headers=reviewer).json()
    assert [c["with"]["id"] for c in case["conflicts"] if c["kind"] == "operation"] == [own["id"]]
    assert case["operation_names"] == {own["id"]: "Survey"}
    path = f"/v1/operations/{op['id']}/suggestions"
    # The computed alternatives are the reviewer's to give: the submitter sees none yet.
    assert s.api.get(path, headers=s.submitter).json() == []
    suggestions = s.api.get(path, headers=reviewer).json()
    kinds = {x["kind"]: x for x in suggestions}
    assert {"time_shift_later", "time_shift_earlier"} <= set(kinds)
    for x in suggestions:
        [moved] = x["volumes"]
        start = datetime.fromisoformat(moved["time_start"])
        assert (start - (START + timedelta(hours=1.5))).total_seconds() % 300 == 0, x
        assert moved["altitude_lower_m"] % 10 == 0, x
        assert moved["altitude_upper_m"] <= 240, "at most twice the planned ceiling"
    later = kinds["time_shift_later"]

    asked = s.decide(
        case["id"],
        reviewer,
        decision="request_modification",
        comment="Our firing window: start after it",
        internal_note="their survey again; the later slot is free",
        proposal={"suggestion_id": later["id"]},
    )
    assert asked.status_code == 201, asked.text
    assert asked.json()["state"] == "modification_requested"
    assert (
        s.api.get(f"/v1/operations/{op['id']}", headers=s.submitter).json()["state"]
        == "modification_requested"
    )
    assert [x["id"] for x in s.api.get(path, headers=s.submitter).json()] == [later["id"]]
    unproposed = next(x for x in suggestions if x["id"] != later["id"])
    not_proposed = s.api.post(f"{path}/{unproposed['id']}/accept", headers=s.submitter)
    assert not_proposed.status_code == 404, "only a proposal is the submitter's to accept"

    accepted = s.api.post(f"{path}/{later['id']}/accept", headers=s.submitter)
    assert accepted.status_code == 200, accepted.text
    v2 = accepted.json()
    assert not [c for c in v2["conflicts"] if c["kind"] == "operation"], "the suggestion cleared it"
    assert v2["volumes"][0]["time_start"] > op["volumes"][0]["time_start"]
    if acceptance == "approve":
        # The reviewer's own proposal: approved by proposal, its chain not run again.
        assert (v2["version"], v2["state"]) == (2, "approved")
        assert s.api.get("/v1/reviews", headers=reviewer).json() == []
    else:
        assert (v2["version"], v2["state"]) == (2, "in_review")
        [case2] = s.api.get("/v1/reviews", headers=reviewer).json()
        assert case2["version"] == 2
        approved = s.decide(case2["id"], reviewer, decision="approve")
        assert approved.json()["state"] == "approved"
    history = s.api.get(f"/v1/operations/{op['id']}/history", headers=s.submitter).json()
    assert [
        (v["version"], v["state"], [r["state"] for r in v["reviews"]]) for v in history["versions"]
    ] == [
        (1, "modification_requested", ["modification_requested"]),
        (2, "approved", ["approved"]),
    ]
    [by_proposal] = history["versions"][1]["reviews"][0]["decisions"]
    assert by_proposal["automatic"] is (acceptance == "approve")
    [request] = history["versions"][0]["reviews"][0]["decisions"]
    assert (request["comment"], request["internal_note"]) == (
        "Our firing window: start after it",
        None,
    )
    assert "the later slot is free" not in str(history)
    seen_by_reviewer = s.api.get(f"/v1/operations/{op['id']}/history", headers=reviewer)
    assert seen_by_reviewer.status_code == 200
    assert len(seen_by_reviewer.json()["versions"]) == 2
    assert "the later slot is free" in seen_by_reviewer.text


def test_a_rejection_ends_the_case_and_the_operation(scenario: ScenarioFactory, auth: Auth) -> None:
    s = scenario()
    reviewer = auth(s.reviewer, "reviewer")
    op = s.submit(_circle(s.lat, 150.0, 300, 1, 1))
    case = s.case_of(op["id"], s.submitter)
    no_reason = s.decide(case["id"], reviewer, decision="reject")
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["loc"] == ["body", "comment"]
    rejected = s.decide(case["id"], reviewer, decision="reject", comment="Live exercise all day")
    assert rejected.json()["state"] == "rejected"
    assert (
        s.api.get(f"/v1/operations/{op['id']}", headers=s.submitter).json()["state"] == "rejected"
    )
    resubmit = s.api.put(
        f"/v1/operations/{op['id']}",
        json={"name": "Survey", "volumes": [_circle(s.lat, 150.0, 300, 5, 1)]},
        headers=s.submitter,
    )
    assert resubmit.status_code == 409, "a rejected operation takes no new version"


def test_a_stage_deadline_escalates_and_the_last_one_decides(
    scenario: ScenarioFactory, auth: Auth, clock: Clock, container: Container
) -> None:
    s = scenario(
        {
            "stages": [
                {
                    "name": "command review",
                    "roles": ["command_review"],
                    "deadline_s": 3600,
                    "on_deadline": "escalate",
                },
                {
                    "name": "duty officer",
                    "roles": ["duty_officer"],
                    "deadline_s": 7200,
                    "on_deadline": "approve",
                },
            ]
        }
    )
    subscribed = s.api.post(
        "/v1/subscriptions",
        json={
            "area": {"type": "circle", "center": {"lat": s.lat, "lng": 150.0}, "radius_m": 9000},
            "time_start": START.isoformat(),
            "time_end": (START + timedelta(days=3)).isoformat(),
        },
        headers=s.submitter,
    )
    assert subscribed.status_code == 201, subscribed.text
    op = s.submit(_circle(s.lat, 150.0, 300, 30, 1))
    watcher = auth(s.reviewer, "observer")
    case = s.case_of(op["id"], watcher)
    assert case["current_stage"] == 0
    clock.advance(3599)
    assert s.api.get(f"/v1/reviews/{case['id']}", headers=watcher).json()["current_stage"] == 0
    clock.advance(2)
    escalated = s.api.get(f"/v1/reviews/{case['id']}", headers=watcher).json()
    assert escalated["current_stage"] == 1
    assert escalated["decisions"][-1]["decision"] is None
    assert escalated["decisions"][-1]["automatic"] is True
    assert "command review" in escalated["decisions"][-1]["internal_note"]
    # The submitter learns nothing of the escalation: it is the reviewing party's process.
    seen = s.api.get(f"/v1/reviews/{case['id']}", headers=s.submitter).json()
    assert (seen["current_stage"], seen["stages"], seen["decisions"]) == (None, [], [])
    late = s.decide(case["id"], auth(s.reviewer, "command_review"), decision="approve")
    assert late.status_code == 403, "the escalated stage's role no longer acts"
    clock.advance(7200)
    decided = s.api.get(f"/v1/reviews/{case['id']}", headers=s.submitter).json()
    assert decided["state"] == "approved"
    assert [(d["decision"], d["comment"]) for d in decided["decisions"]] == [
        ("approve", "approved: no decision was taken by the review deadline")
    ]
    # The submitter hears of the outcome, not of the escalation before it.
    submitter = Caller("pilot", s.operator, frozenset({"submitter"}))
    events = subscriptions.events_since(container.uow, submitter, {}, 100)
    assert [(e.type.value, e.payload.get("decision")) for e in events] == [
        ("operation.created", None),
        ("review.decided", "approve"),
    ]
    assert (
        s.api.get(f"/v1/operations/{op['id']}", headers=s.submitter).json()["state"] == "approved"
    )


def test_review_cases_are_need_to_know(
    scenario: ScenarioFactory, auth: Auth, new_party: Callable[[str], str]
) -> None:
    s = scenario()
    op = s.submit(_circle(s.lat, 150.0, 300, 1, 1))
    case = s.case_of(op["id"], s.submitter)
    stranger = auth(new_party("stranger"), "reviewer", "submitter", "admin")
    assert s.api.get(f"/v1/reviews/{case['id']}", headers=stranger).status_code == 404
    assert s.decide(case["id"], stranger, decision="approve").status_code == 404
    assert s.api.get(f"/v1/operations/{op['id']}/history", headers=stranger).status_code == 404
    assert s.api.get(f"/v1/operations/{op['id']}/suggestions", headers=stranger).status_code == 404
    own = s.decide(case["id"], auth(s.operator, "reviewer"), decision="approve")
    assert own.status_code == 403, "a party cannot review its own operation"
    assert (
        s.api.get(f"/v1/operations/{op['id']}", headers=auth(s.reviewer, "reviewer")).status_code
        == 404
    )


def test_bad_decisions_are_refused_and_change_nothing(
    scenario: ScenarioFactory, auth: Auth
) -> None:
    s = scenario()
    reviewer = auth(s.reviewer, "reviewer")
    op = s.submit(_circle(s.lat, 150.0, 300, 1, 1))
    case = s.case_of(op["id"], s.submitter)
    for body, where in [
        ({"decision": "maybe"}, ["body", "decision"]),
        ({"decision": "approve_with_conditions"}, ["body", "conditions"]),
        (
            {
                "decision": "request_modification",
                "comment": "x",
                "proposal": {"suggestion_id": "nope"},
            },
            ["body", "proposal", "suggestion_id"],
        ),
        (
            {"decision": "request_modification", "comment": "x", "proposal": {}},
            ["body", "proposal"],
        ),
        ({"decision": "approve", "conditions": {"text": "t"}}, ["body", "conditions"]),
    ]:
        response = s.decide(case["id"], reviewer, **body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["loc"] == where, body
    after = s.api.get(f"/v1/reviews/{case['id']}", headers=reviewer).json()
    assert (after["state"], after["decisions"]) == ("open", [])
    s.api.put(
        f"/v1/operations/{op['id']}",
        json={"name": "Survey", "volumes": [_circle(s.lat, 150.0, 300, 2, 1)]},
        headers=s.submitter,
    )
    superseded = s.decide(case["id"], reviewer, decision="approve")
    assert superseded.status_code == 409
    assert s.api.get(f"/v1/reviews/{case['id']}", headers=reviewer).json()["state"] == "superseded"


def test_the_server_acts_on_passed_deadlines_without_being_asked(
    container: Container, auth: Auth, clock: Clock
) -> None:
    fast = dataclasses.replace(
        container,
        settings=container.settings.model_copy(update={"deadline_interval_s": 0.05}),
        ctx=dataclasses.replace(container.ctx, clock=clock),
    )
    with TestClient(create_app(container=fast)) as api:
        s = Scenario(
            api,
            auth,
            {
                "stages": [
                    {"name": "duty", "roles": ["duty"], "deadline_s": 60, "on_deadline": "reject"}
                ]
            },
            lat=-75 + uuid.uuid4().int % 1000 / 100,
        )
        op = s.submit(_circle(s.lat, 150.0, 300, 2, 1))
        clock.advance(61)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            stored = container.uow.run(lambda tx: tx.operations.get(op["id"]), write=False)
            if stored is not None and stored.state.value == "rejected":
                break
            time.sleep(0.05)
        assert stored is not None
        assert stored.state.value == "rejected"


def test_a_new_version_within_a_drawn_proposal_is_approved_by_proposal(
    scenario: ScenarioFactory, auth: Auth
) -> None:
    s = scenario()
    reviewer = auth(s.reviewer, "reviewer")
    op = s.submit(_circle(s.lat, 150.0, 300, 1, 1))
    case = s.case_of(op["id"], reviewer)
    drawn = _circle(s.lat, 150.0, 500, 3, 2)
    asked = s.decide(
        case["id"],
        reviewer,
        decision="request_modification",
        comment="Later, please: anywhere in this circle between 12:00 and 14:00",
        proposal={"volumes": [drawn]},
    )
    assert asked.status_code == 201, asked.text
    [proposed] = s.api.get(f"/v1/operations/{op['id']}/suggestions", headers=s.submitter).json()
    assert (proposed["kind"], proposed["volumes"][0]["footprint"]) == (
        "proposal",
        drawn["footprint"],
    )
    # A smaller, shorter plan inside the proposal: approved by the reviewer at once.
    inside = s.api.put(
        f"/v1/operations/{op['id']}",
        json={"name": "Survey", "volumes": [_circle(s.lat, 150.0, 200, 3.5, 1)]},
        headers=s.submitter,
    )
    assert inside.status_code == 200, inside.text
    assert (inside.json()["version"], inside.json()["state"]) == (2, "approved")
    history = s.api.get(f"/v1/operations/{op['id']}/history", headers=s.submitter).json()
    [by_proposal] = history["versions"][1]["reviews"][0]["decisions"]
    assert (by_proposal["decision"], by_proposal["automatic"]) == ("approve", True)
    assert "proposal" in by_proposal["comment"]
    # Outside it (later than 14:00): reviewed as usual.
    outside = s.api.put(
        f"/v1/operations/{op['id']}",
        json={"name": "Survey", "volumes": [_circle(s.lat, 150.0, 200, 4.5, 1)]},
        headers=s.submitter,
    )
    assert outside.json()["state"] == "in_review"
