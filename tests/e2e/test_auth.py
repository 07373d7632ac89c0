"""Authentication (401 with WWW-Authenticate) and role checks (403)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from httpx import Response

from deconflict.adapters.tokens import load_or_create_key
from deconflict.bootstrap import Container
from tests.conftest import Auth

from .helpers import all_pages, error_body, operation, spot, square_volume, zone

NewParty = Callable[..., str]
Forge = Callable[[Container, str], str]


def _claims(container: Container, party_id: str, **changes: Any) -> dict[str, Any]:
    """Claims a deconflict token carries, with `changes` (None removes a claim)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": container.settings.token_issuer,
        "aud": container.settings.token_audience,
        "sub": f"{party_id}/forged",
        "party": party_id,
        "roles": ["submitter"],
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        **changes,
    }
    return {k: v for k, v in claims.items() if v is not None}


def _key(container: Container) -> ec.EllipticCurvePrivateKey:
    return load_or_create_key(container.settings.effective_signing_key_file, create=False)


def _signed(container: Container, party_id: str, **changes: Any) -> str:
    """A token signed with the deployment's own key, with `changes` to its claims."""
    return jwt.encode(_claims(container, party_id, **changes), _key(container), algorithm="ES256")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hs256_with_public_key(container: Container, party: str) -> str:
    """The algorithm-confusion attack: HMAC keyed with the (public) verification key."""
    public = (
        _key(container)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(_claims(container, party)).encode())
    signature = hmac.new(public, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(signature)}"


def _unsigned(container: Container, party: str) -> str:
    """`alg: none`: genuine claims and no signature at all."""
    head = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{head}.{_b64(json.dumps(_claims(container, party)).encode())}."


def _tampered(container: Container, party: str) -> str:
    """A genuine token for another party whose payload was swapped for this party's."""
    genuine = container.issuer.mint("someone-else", [], 600).split(".")
    body = _b64(json.dumps(_claims(container, party, roles=["admin", "submitter"])).encode())
    return f"{genuine[0]}.{body}.{genuine[2]}"


BAD_TOKENS = [
    pytest.param(
        lambda c, p: _signed(c, p, iat=int(time.time()) - 3600, exp=int(time.time()) - 120),
        "expired",
        id="expired",
    ),
    pytest.param(
        lambda c, p: jwt.encode(
            _claims(c, p), ec.generate_private_key(ec.SECP256R1()), algorithm="ES256"
        ),
        "signature verification failed",
        id="signed-by-another-key",
    ),
    pytest.param(
        lambda c, p: _signed(c, p, aud="someone-elses-service"), "audience", id="wrong-audience"
    ),
    pytest.param(lambda c, p: _signed(c, p, aud=None), "aud", id="no-audience"),
    pytest.param(lambda c, p: _signed(c, p, iss="someone-else"), "issuer", id="wrong-issuer"),
    pytest.param(
        lambda c, p: _signed(c, p, nbf=int(time.time()) + 3600), "not yet valid", id="not-yet"
    ),
    pytest.param(lambda c, p: _signed(c, p, exp=None), "exp", id="no-expiry"),
    pytest.param(_unsigned, "alg value is not allowed", id="alg-none"),
    pytest.param(
        _hs256_with_public_key, "alg value is not allowed", id="hs256-with-the-public-key"
    ),
    pytest.param(_tampered, "signature verification failed", id="tampered-payload"),
    pytest.param(lambda c, p: _signed(c, p, party=None), "'party'", id="no-party"),
    pytest.param(
        lambda c, p: _signed(c, p, roles=["Not A Role"]), "'Not A Role'", id="bad-role-name"
    ),
    pytest.param(lambda c, p: _signed(c, p, roles="admin"), "'roles'", id="roles-not-a-list"),
    pytest.param(lambda c, p: "not-a-token", "not a JWT", id="garbage"),
]


def _unauthorized(response: Response) -> str:
    body = error_body(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    assert body["errors"] == []
    detail: str = body["detail"]
    return detail


ENDPOINTS = [
    ("GET", "/v1/operations"),
    ("POST", "/v1/operations"),
    ("GET", "/v1/operations/some-id"),
    ("PUT", "/v1/operations/some-id"),
    ("POST", "/v1/operations/some-id/withdraw"),
    ("POST", "/v1/checks"),
    ("GET", "/v1/zones"),
    ("POST", "/v1/zones"),
    ("GET", "/v1/zones/some-id"),
    ("DELETE", "/v1/zones/some-id"),
    ("GET", "/v1/agreements"),
    ("POST", "/v1/agreements"),
    ("GET", "/v1/agreements/some-id"),
    ("POST", "/v1/agreements/some-id/accept"),
    ("GET", "/v1/parties"),
    ("POST", "/v1/parties"),
]


def test_every_endpoint_but_healthz_needs_a_bearer_token(client: TestClient) -> None:
    documented = {
        (method.upper(), re.sub(r"\{\w+\}", "some-id", path))
        for path, item in client.get("/openapi.json").json()["paths"].items()
        for method in item
    }
    assert set(ENDPOINTS) <= documented
    assert ("GET", "/healthz") in documented
    # /dss/v1 answers in the standard's error shape: tests/e2e/test_f3548_auth.py
    native = {(m, p) for m, p in documented if not p.startswith("/dss/v1/")}
    for method, path in sorted(native - {("GET", "/healthz")}):
        for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}):
            response = client.request(method, path, headers=headers)
            detail = _unauthorized(response)
            assert detail == "a bearer token is required (Authorization: Bearer <token>)", path


@pytest.mark.parametrize(("forge", "reason"), BAD_TOKENS)
def test_a_token_that_is_not_valid_here_is_refused_with_401_and_nothing_is_stored(
    client: TestClient,
    container: Container,
    auth: Auth,
    new_party: NewParty,
    forge: Forge,
    reason: str,
) -> None:
    party = new_party("victim")
    bad = {"Authorization": f"Bearer {forge(container, party)}"}
    lat, lng = spot()
    submitted = client.post("/v1/operations", json=operation(square_volume(lat, lng)), headers=bad)
    detail = _unauthorized(submitted)
    assert detail.startswith("invalid bearer token"), detail
    assert reason.lower() in detail.lower(), detail
    _unauthorized(client.get("/v1/operations", headers=bad))
    _unauthorized(client.post("/v1/zones", json=zone("restricted", lat, lng), headers=bad))
    assert all_pages(client, "/v1/operations", auth(party)) == []
    zones = all_pages(client, "/v1/zones", auth(party))
    assert [z for z in zones if z["party_id"] == party] == []


def test_a_genuine_token_is_accepted(
    client: TestClient, container: Container, new_party: NewParty
) -> None:
    """The control for the forgeries above: the same claims, properly signed, pass."""
    party = new_party("genuine")
    headers = {"Authorization": f"Bearer {_signed(container, party)}"}
    lat, lng = spot()
    submitted = client.post(
        "/v1/operations", json=operation(square_volume(lat, lng)), headers=headers
    )
    assert submitted.status_code == 201, submitted.text
    assert submitted.json()["party_id"] == party


def test_a_token_for_an_unregistered_party_cannot_submit(client: TestClient, auth: Auth) -> None:
    lat, lng = spot()
    response = client.post(
        "/v1/operations", json=operation(square_volume(lat, lng)), headers=auth("ghost-party")
    )
    assert error_body(response, 409)["detail"] == "the caller's party ghost-party is not registered"


def test_healthz_needs_no_token(client: TestClient, database_url: str) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == database_url.split(":")[0].split("+")[0]
    assert isinstance(body["schema_revision"], str)
    assert body["schema_revision"]


# ---- roles --------------------------------------------------------------------------


def _forbidden(response: Response, role: str) -> None:
    body = error_body(response, 403)
    assert body["detail"].endswith(f" needs the role {role}")
    assert "www-authenticate" not in response.headers


def test_an_observer_may_check_and_read_but_not_submit_change_or_withdraw(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    party = new_party("observed")
    lat, lng = spot()
    own = client.post(
        "/v1/operations", json=operation(square_volume(lat, lng)), headers=auth(party)
    )
    assert own.status_code == 201, own.text
    path = f"/v1/operations/{own.json()['id']}"
    observer = auth(party, "observer")
    moved = operation(square_volume(lat + 0.1, lng))

    _forbidden(client.post("/v1/operations", json=moved, headers=observer), "submitter")
    _forbidden(client.put(path, json=moved, headers=observer), "submitter")
    _forbidden(client.post(f"{path}/withdraw", headers=observer), "submitter")
    checked = client.post("/v1/checks", json={"volumes": moved["volumes"]}, headers=observer)
    assert checked.status_code == 200, checked.text
    assert [o["id"] for o in all_pages(client, "/v1/operations", observer)] == [own.json()["id"]]
    after = client.get(path, params={"history": True}, headers=observer).json()
    assert (after["state"], after["version"], len(after["versions"])) == ("approved", 1, 1)


def test_a_reviewer_may_not_withdraw_its_partys_operation(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    party = new_party("reviewed")
    lat, lng = spot()
    own = client.post(
        "/v1/operations", json=operation(square_volume(lat, lng)), headers=auth(party)
    )
    path = f"/v1/operations/{own.json()['id']}"
    _forbidden(client.post(f"{path}/withdraw", headers=auth(party, "reviewer")), "submitter")
    assert client.get(path, headers=auth(party)).json()["state"] == "approved"


def test_only_the_operator_registers_parties_and_only_admins_add_zones_and_agreements(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    party, partner = new_party("plain"), new_party("partner")
    lat, lng = spot()
    admin = auth(party, "admin")
    _forbidden(client.post("/v1/parties", json={"name": f"p-{lat}"}, headers=admin), "operator")
    for role in ("submitter", "reviewer", "observer"):
        headers = auth(party, role)
        _forbidden(
            client.post("/v1/parties", json={"name": f"p-{lat}"}, headers=headers), "operator"
        )
        _forbidden(
            client.post("/v1/zones", json=zone("review", lat, lng), headers=headers), "admin"
        )
        agreement = {"kind": "coordination", "partner_party_id": partner}
        _forbidden(client.post("/v1/agreements", json=agreement, headers=headers), "admin")
    assert [z for z in all_pages(client, "/v1/zones", auth(party)) if z["party_id"] == party] == []
    assert all_pages(client, "/v1/agreements", auth(party)) == []
    names = [p["name"] for p in all_pages(client, "/v1/parties", auth(party))]
    assert f"p-{lat}" not in names
