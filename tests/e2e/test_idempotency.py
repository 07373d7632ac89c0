"""Idempotency-Key over HTTP: a write sent again with its key is done once and gets its
first answer; the key with another body is a 422; keys belong to one party."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Auth

from .helpers import all_pages, assert_problem, operation, spot, square_volume, zone


def _key() -> str:
    return f"retry-{uuid.uuid4()}"


def _count_operations(client: TestClient, headers: dict[str, str]) -> int:
    return len(all_pages(client, "/v1/operations", headers))


def test_a_submission_sent_twice_with_one_key_is_stored_once_and_answered_alike(
    client: TestClient, auth: Auth, new_party: Callable[[str], str]
) -> None:
    party = new_party("idem")
    headers = auth(party, "submitter")
    body = operation(square_volume(*spot()))
    key = {"Idempotency-Key": _key()}
    first = client.post("/v1/operations", json=body, headers={**headers, **key})
    again = client.post("/v1/operations", json=body, headers={**headers, **key})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _count_operations(client, headers) == 1
    unkeyed = client.post("/v1/operations", json=body, headers=headers)
    assert unkeyed.status_code == 201
    assert unkeyed.json()["id"] != first.json()["id"]


def test_one_key_with_another_body_is_refused_at_the_header_and_changes_nothing(
    client: TestClient, auth: Auth, new_party: Callable[[str], str]
) -> None:
    party = new_party("idem")
    headers = {**auth(party, "submitter"), "Idempotency-Key": _key()}
    first = client.post("/v1/operations", json=operation(square_volume(*spot())), headers=headers)
    assert first.status_code == 201
    other = client.post("/v1/operations", json=operation(square_volume(*spot())), headers=headers)
    assert_problem(other, ["header", "Idempotency-Key"], "different request")
    assert _count_operations(client, auth(party, "submitter")) == 1


def test_keys_belong_to_their_party(
    client: TestClient, auth: Auth, new_party: Callable[[str], str]
) -> None:
    key = {"Idempotency-Key": _key()}
    a, b = new_party("idem-a"), new_party("idem-b")
    made_a = client.post(
        "/v1/operations",
        json=operation(square_volume(*spot())),
        headers={**auth(a, "submitter"), **key},
    )
    made_b = client.post(
        "/v1/operations",
        json=operation(square_volume(*spot())),
        headers={**auth(b, "submitter"), **key},
    )
    assert made_a.status_code == made_b.status_code == 201
    assert made_a.json()["id"] != made_b.json()["id"]


def test_concurrent_retries_with_one_key_create_one_operation(
    client: TestClient, auth: Auth, new_party: Callable[[str], str]
) -> None:
    party = new_party("idem")
    headers = {**auth(party, "submitter"), "Idempotency-Key": _key()}
    body = operation(square_volume(*spot()))
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda _: client.post("/v1/operations", json=body, headers=headers), range(8))
        )
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["id"] for a in answers}) == 1
    assert _count_operations(client, auth(party, "submitter")) == 1


def test_updates_withdrawals_decisions_and_zones_take_keys_too(
    client: TestClient, auth: Auth, new_party: Callable[[str], str]
) -> None:
    submitter, reviewer = new_party("sub"), new_party("rev")
    admin_s, admin_r = auth(submitter, "admin"), auth(reviewer, "admin", "reviewer")
    proposed = client.post(
        "/v1/agreements",
        json={"kind": "coordination", "partner_party_id": reviewer},
        headers=admin_s,
    )
    assert proposed.status_code == 201, proposed.text
    accepted = client.post(f"/v1/agreements/{proposed.json()['id']}/accept", headers=admin_r)
    assert accepted.status_code == 200, accepted.text
    lat, lng = spot()

    def twice(method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
        keyed = {**headers, "Idempotency-Key": _key()}
        content = None if body is None else json.dumps(body)
        sent = [
            client.request(
                method, path, content=content, headers={**keyed, "content-type": "application/json"}
            )
            for _ in range(2)
        ]
        assert sent[0].status_code < 300, sent[0].text
        assert (sent[1].status_code, sent[1].json()) == (sent[0].status_code, sent[0].json())
        return sent[0].json()

    made = twice("POST", "/v1/zones", admin_r, zone("review", lat + 0.005, lng + 0.005))
    zones = [z for z in all_pages(client, "/v1/zones", admin_r) if z["id"] == made["id"]]
    assert len(zones) == 1
    submit = auth(submitter, "submitter")
    op = client.post("/v1/operations", json=operation(square_volume(lat, lng)), headers=submit)
    assert op.json()["state"] == "in_review", op.text
    updated = twice(
        "PUT", f"/v1/operations/{op.json()['id']}", submit, operation(square_volume(lat, lng))
    )
    assert updated["version"] == 2
    case = client.get("/v1/reviews", headers=admin_r).json()[0]
    decided = twice("POST", f"/v1/reviews/{case['id']}/decisions", admin_r, {"decision": "approve"})
    assert decided["state"] == "approved"
    withdrawn = twice("POST", f"/v1/operations/{op.json()['id']}/withdraw", submit)
    assert withdrawn["state"] == "withdrawn"
    history = client.get(f"/v1/operations/{op.json()['id']}/history", headers=submit).json()
    assert len(history["versions"]) == 2, "the second PUT made no third version"
