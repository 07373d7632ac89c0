"""/dss/v1 authentication and authorization: the authority's tokens (RS256, no `kid`,
one PEM key), scopes per the standard's security table, subjects mapped to parties."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from deconflict.bootstrap import bootstrap
from deconflict.entrypoints.api.app import create_app

from .f3548_helpers import (
    AA,
    AUDIENCE,
    CM,
    CMSA,
    CP,
    ISSUER,
    SC,
    Token,
    dss_settings,
    intent,
    message,
    new_id,
    place,
    sign,
    uss,
    volume,
)

OIR = "/dss/v1/operational_intent_references"


def test_healthy_answers_without_a_token(dss: TestClient) -> None:
    response = dss.get("/dss/v1/healthy")
    assert response.status_code == 200
    assert response.text == "ok"


def test_every_dss_endpoint_but_healthy_needs_a_bearer_token(dss: TestClient) -> None:
    paths = {
        (method.upper(), re.sub(r"\{\w+\}", new_id(), path))
        for path, item in dss.get("/openapi.json").json()["paths"].items()
        if path.startswith("/dss/v1/") and path != "/dss/v1/healthy"
        for method in item
    }
    assert len(paths) == 18
    for method, path in sorted(paths):
        for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Bearer x.y.z"}):
            response = dss.request(method, path, headers=headers, json={})
            message(response, 401)
            assert response.headers["www-authenticate"] == "Bearer"


def test_a_token_signed_by_another_key_expired_or_for_another_audience_is_401(
    dss: TestClient,
) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    lat, lng = place()
    body = {"area_of_interest": volume(lat, lng)}
    forged = sign(stranger, uss(), SC)
    assert "signature" in message(
        dss.post(f"{OIR}/query", json=body, headers={"Authorization": f"Bearer {forged}"}), 401
    )


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": int(time.time()) - 3600},
        {"aud": "elsewhere.example.test"},
        {"iss": "https://other-authority.example.test"},
        {"scope": ""},
        {"scope": None},
    ],
    ids=["expired", "audience", "issuer", "empty-scope", "no-scope"],
)
def test_a_token_that_does_not_hold_here_is_401(
    dss: TestClient, rsa_key: rsa.RSAPrivateKey, claims: dict[str, object]
) -> None:
    lat, lng = place()
    extra = dict(claims)
    scope = extra.pop("scope", SC)
    token = sign(rsa_key, uss(), None if scope is None else str(scope), **extra)
    response = dss.post(
        f"{OIR}/query",
        json={"area_of_interest": volume(lat, lng)},
        headers={"Authorization": f"Bearer {token}"},
    )
    message(response, 401)


def test_every_audience_of_the_comma_separated_setting_is_accepted(
    dss: TestClient, rsa_key: rsa.RSAPrivateKey
) -> None:
    lat, lng = place()
    for audience in ("localhost", AUDIENCE):
        token = sign(rsa_key, uss(), SC, aud=audience)
        response = dss.post(
            f"{OIR}/query",
            json={"area_of_interest": volume(lat, lng)},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("method", "path", "body", "scope"),
    [
        ("post", f"{OIR}/query", "query", CM),
        ("put", f"{OIR}/{{id}}", "intent", CP),
        ("put", f"{OIR}/{{id}}", "intent", AA),
        ("post", "/dss/v1/constraint_references/query", "query", SC),
        ("put", "/dss/v1/constraint_references/{id}", "constraint", CP),
        ("put", "/dss/v1/constraint_references/{id}", "constraint", SC),
        ("post", "/dss/v1/subscriptions/query", "query", CM),
        ("get", "/dss/v1/uss_availability/{id}", None, CM),
        ("put", "/dss/v1/uss_availability/{id}", "availability", SC),
    ],
)
def test_a_scope_the_security_table_does_not_list_is_403(
    dss: TestClient, token: Token, method: str, path: str, body: str | None, scope: str
) -> None:
    lat, lng = place()
    bodies = {
        "query": {"area_of_interest": volume(lat, lng)},
        "intent": intent(volume(lat, lng)),
        "constraint": {"extents": [volume(lat, lng)], "uss_base_url": "https://uss.example.test"},
        "availability": {"old_version": "", "availability": "Down"},
    }
    response = dss.request(
        method.upper(),
        path.format(id=new_id()),
        json=None if body is None else bodies[body],
        headers=token(uss(), scope),
    )
    assert "scope" in message(response, 403)


def test_off_nominal_and_constraint_notifications_need_their_scopes(
    dss: TestClient, token: Token
) -> None:
    lat, lng = place()
    body = intent(
        volume(lat, lng),
        new_subscription={
            "uss_base_url": "https://uss.example.test",
            "notify_for_constraints": True,
        },
    )
    refused = dss.put(f"{OIR}/{new_id()}", json=body, headers=token(uss(), SC))
    assert "constraint_processing" in message(refused, 403)
    allowed = dss.put(f"{OIR}/{new_id()}", json=body, headers=token(uss(), SC, CP))
    assert allowed.status_code == 201, allowed.text
    conformance = dss.put(
        f"{OIR}/{new_id()}", json=intent(volume(lat + 0.5, lng)), headers=token(uss(), CMSA)
    )
    assert conformance.status_code == 201, conformance.text


@pytest.fixture
def strict_dss(
    database_url: str, tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> Iterator[TestClient]:
    """A deconflict that serves only the subjects its parties name."""
    container = bootstrap(dss_settings(database_url, tmp_path, rsa_key))
    with TestClient(create_app(container=container)) as client:
        yield client
    container.close()


def test_an_unknown_subject_is_403_and_a_subject_a_party_names_acts_for_it(
    strict_dss: TestClient, rsa_key: rsa.RSAPrivateKey, token: Token
) -> None:
    me = uss()
    lat, lng = place()
    body = intent(volume(lat, lng))
    assert "not a USS known" in message(
        strict_dss.put(f"{OIR}/{new_id()}", json=body, headers=token(me, SC)), 403
    )
    admin = sign(rsa_key, "operator", "", party="bootstrap-admin", roles=["operator"])
    party = strict_dss.post(
        "/v1/parties",
        json={"name": f"USS {me}", "f3548_subjects": [me]},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert party.status_code == 201, party.text
    taken = strict_dss.post(
        "/v1/parties",
        json={"name": f"Another {me}", "f3548_subjects": [me]},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert taken.status_code == 409
    created = strict_dss.put(f"{OIR}/{new_id()}", json=body, headers=token(me, SC))
    assert created.status_code == 201, created.text
    native = sign(rsa_key, me, SC, party=party.json()["id"], roles=["observer"])
    mine = strict_dss.get("/v1/operations", headers={"Authorization": f"Bearer {native}"})
    assert mine.status_code == 200
    [operation] = mine.json()
    assert operation["state"] == "approved"
    assert ISSUER.startswith("https://")
