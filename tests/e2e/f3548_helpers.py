"""Tokens and bodies for the /dss/v1 tests: an RSA key generated per test session, a
deconflict configured to verify it (oauth2 mode, one PEM file, tokens without `kid`),
and F3548 shapes at a random place of each test's own."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from httpx import Response

from deconflict.bootstrap import Container, bootstrap
from deconflict.config import Settings
from deconflict.entrypoints.api.app import create_app

from .helpers import latlngs, spot, square

ISSUER = "https://auth.example.test"
AUDIENCE = "dss.example.test"
SC = "utm.strategic_coordination"
CM = "utm.constraint_management"
CP = "utm.constraint_processing"
CMSA = "utm.conformance_monitoring_sa"
AA = "utm.availability_arbitration"
BASE_URL = "https://uss.example.test/utm"

Json = dict[str, Any]
Token = Callable[..., dict[str, str]]


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def dss_settings(
    database_url: str, tmp_path: Path, key: rsa.RSAPrivateKey, **extra: Any
) -> Settings:
    pem = tmp_path / "authority.pem"
    pem.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        dispatch_in_process=False,
        deadline_interval_s=0,
        token_mode="oauth2",
        token_public_key_files=[pem],
        token_issuer=ISSUER,
        token_audience=f"localhost,{AUDIENCE}",
        **extra,
    )


@pytest.fixture
def dss(database_url: str, tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> Iterator[TestClient]:
    """A deconflict serving /dss/v1 that registers unknown subjects on first use."""
    container: Container = bootstrap(
        dss_settings(database_url, tmp_path, rsa_key, f3548_register_unknown=True)
    )
    with TestClient(create_app(container=container)) as client:
        yield client
    container.close()


def sign(key: rsa.RSAPrivateKey, sub: str, scope: str | None, **claims: Any) -> str:
    """An RS256 token of the authority, without `kid`; claims given as None are left out."""
    now = int(time.time())
    body = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": sub,
        "scope": scope,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        **claims,
    }
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm="RS256")


@pytest.fixture
def token(rsa_key: rsa.RSAPrivateKey) -> Token:
    """`token(sub, scope...)`: headers with a bearer token of the authority."""

    def headers(sub: str, *scopes: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {sign(rsa_key, sub, ' '.join(scopes or (SC,)))}"}

    return headers


def uss() -> str:
    """A manager's client id of its own for one test."""
    return f"uss-{uuid.uuid4().hex[:8]}"


def new_id() -> str:
    return str(uuid.uuid4())


def at(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat().replace("+00:00", "Z")


def volume(
    lat: float,
    lng: float,
    *,
    side: float = 0.01,
    lower: float = 50.0,
    upper: float = 120.0,
    start: timedelta = timedelta(minutes=10),
    end: timedelta = timedelta(hours=1),
) -> Json:
    """An F3548 Volume4D: a square of about 1 km at (lat, lng), `start` and `end` from now."""
    return {
        "volume": {
            "outline_polygon": {"vertices": latlngs(square(lat, lng, side))},
            "altitude_lower": {"value": lower, "reference": "W84", "units": "M"},
            "altitude_upper": {"value": upper, "reference": "W84", "units": "M"},
        },
        "time_start": {"value": at(start), "format": "RFC3339"},
        "time_end": {"value": at(end), "format": "RFC3339"},
    }


def intent(
    *extents: Json, state: str = "Accepted", key: list[str] | None = None, **extra: Any
) -> Json:
    body: Json = {
        "extents": list(extents),
        "state": state,
        "uss_base_url": BASE_URL,
        "key": key or [],
        **extra,
    }
    if "subscription_id" not in extra and "new_subscription" not in extra:
        body["new_subscription"] = {"uss_base_url": BASE_URL}
    return body


def place() -> tuple[float, float]:
    return spot()


def message(response: Response, status: int) -> str:
    """The standard's ErrorResponse of `response`, checked to have `status`."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"message"}, body
    assert isinstance(body["message"], str)
    assert body["message"]
    return str(body["message"])


@pytest.fixture
def native(rsa_key: rsa.RSAPrivateKey) -> Callable[..., dict[str, str]]:
    """`native(party_id, role...)`: headers with a token of the authority for /v1."""

    def headers(party_id: str, *roles: str) -> dict[str, str]:
        bearer = sign(rsa_key, f"person-{party_id}", None, party=party_id, roles=list(roles))
        return {"Authorization": f"Bearer {bearer}"}

    return headers


def party_for(
    client: TestClient,
    native: Callable[..., dict[str, str]],
    *subjects: str,
    authority: bool = False,
) -> str:
    """Registers a party (an authority, say) that the USS `subjects` act for; its id."""
    response = client.post(
        "/v1/parties",
        json={
            "name": f"party-{uuid.uuid4().hex[:8]}",
            "f3548_subjects": list(subjects),
            "authority": authority,
        },
        headers=native("root", "operator"),
    )
    assert response.status_code == 201, response.text
    party_id: str = response.json()["id"]
    return party_id
