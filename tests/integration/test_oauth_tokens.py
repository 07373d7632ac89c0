"""OAuth2 mode for real: an authorization server's JWK Set served over a socket by a
local HTTP server (key rotation, refresh limits, outages), PEM files on disk, the API
with such tokens, and the production settings that refuse development keys."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from pydantic import ValidationError

from deconflict.adapters.tokens import (
    InvalidToken,
    JwksKeys,
    LocalTokensUnavailable,
    OAuthTokenVerifier,
    TokenIssuer,
    Verifier,
)
from deconflict.bootstrap import Container, bootstrap
from deconflict.config import Settings
from deconflict.entrypoints.api.app import create_app
from tests.unit.adapters.test_tokens import (
    AUDIENCE,
    ISSUER,
    PrivateKey,
    ec_key,
    hs256_with_public_key,
    jwk_of,
    public_pem,
    rsa_key,
    sign,
    unsigned,
)

MIN_INTERVAL_S = 30.0
TTL_S = 300.0
UNAVAILABLE = "invalid bearer token: the authorization server's signing keys are unavailable"


class _Server(ThreadingHTTPServer):
    jwks: JwksServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout tests) is no error of the server's."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        jwks = self.server.jwks
        with jwks.lock:
            jwks.requests += 1
            status, body, delay_s = jwks.status, jwks.body, jwks.delay_s
        time.sleep(delay_s)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class JwksServer:
    """An authorization server's JWKS endpoint on 127.0.0.1, counting the requests."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.status = 200
        self.body = b'{"keys": []}'
        self.delay_s = 0.0
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.jwks = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/.well-known/jwks.json"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        self._running = True

    def serve(self, *keys: tuple[PrivateKey, str]) -> None:
        """Publishes the public halves of `keys` (key, kid) and answers normally again."""
        document = {"keys": [jwk_of(key, kid) for key, kid in keys]}
        with self.lock:
            self.status, self.body, self.delay_s = 200, json.dumps(document).encode(), 0.0

    def fail(self, status: int = 200, body: bytes = b"", delay_s: float = 0.0) -> None:
        with self.lock:
            self.status, self.body, self.delay_s = status, body, delay_s

    def stop(self) -> None:
        if self._running:
            self._running = False
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=10)


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    server = JwksServer()
    yield server
    server.stop()


class FakeClock:
    """The monotonic clock of the key cache, moved on by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _verifier(jwks: JwksServer, clock: FakeClock, timeout_s: float = 5.0) -> OAuthTokenVerifier:
    keys = JwksKeys(
        jwks.url,
        min_refresh_interval_s=MIN_INTERVAL_S,
        cache_ttl_s=TTL_S,
        timeout_s=timeout_s,
        clock=clock,
    )
    return OAuthTokenVerifier(keys, issuer=ISSUER, audience=AUDIENCE, leeway_s=30)


def _refused(verifier: Verifier, token: str) -> str:
    with pytest.raises(InvalidToken) as raised:
        verifier.verify(token)
    return str(raised.value)


# ---- the JWKS URL -------------------------------------------------------------------


def test_rs256_and_es256_tokens_are_verified_with_keys_fetched_once_from_the_jwks_url(
    jwks: JwksServer, clock: FakeClock
) -> None:
    jwks.serve((rsa_key(), "rsa-2030"), (ec_key(), "ec-2030"))
    verifier = _verifier(jwks, clock)
    assert jwks.requests == 0  # fetched when first needed, not before
    for _ in range(3):
        rs = verifier.verify(sign(rsa_key(), kid="rsa-2030", roles="submitter observer"))
        es = verifier.verify(sign(ec_key(), kid="ec-2030", roles=["reviewer"]))
        assert (rs.party_id, rs.roles) == ("northwind", frozenset({"submitter", "observer"}))
        assert (es.party_id, es.roles) == ("northwind", frozenset({"reviewer"}))
    assert jwks.requests == 1


def test_a_kid_names_its_key_a_token_signed_by_another_published_key_is_refused(
    jwks: JwksServer, clock: FakeClock
) -> None:
    jwks.serve((rsa_key(), "a"), (rsa_key(1), "b"))
    verifier = _verifier(jwks, clock)
    assert verifier.verify(sign(rsa_key(1), kid="b")).subject == "client-7f3a"
    reason = _refused(verifier, sign(rsa_key(1), kid="a"))
    assert reason == "invalid bearer token: signature verification failed"


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda: unsigned(kid="rsa"), id="alg-none"),
        pytest.param(lambda: hs256_with_public_key(rsa_key(), kid="rsa"), id="hs256-public-pem"),
    ],
)
def test_alg_none_and_hmac_with_the_public_key_are_refused_without_a_fetch(
    jwks: JwksServer, clock: FakeClock, forge: Any
) -> None:
    jwks.serve((rsa_key(), "rsa"))
    verifier = _verifier(jwks, clock)
    assert "is not allowed (allowed: RS256, ES256)" in _refused(verifier, forge())
    assert jwks.requests == 0


def test_after_key_rotation_a_new_kid_is_fetched_once_and_accepted(
    jwks: JwksServer, clock: FakeClock
) -> None:
    jwks.serve((rsa_key(), "2030-01"))
    verifier = _verifier(jwks, clock)
    assert verifier.verify(sign(rsa_key(), kid="2030-01")).party_id == "northwind"
    assert jwks.requests == 1

    clock.advance(MIN_INTERVAL_S + 1)
    jwks.serve((rsa_key(), "2030-01"), (ec_key(), "2030-02"))  # the server rotates its key
    for _ in range(5):
        assert verifier.verify(sign(ec_key(), kid="2030-02")).party_id == "northwind"
        assert verifier.verify(sign(rsa_key(), kid="2030-01")).party_id == "northwind"
    assert jwks.requests == 2


def test_unknown_kids_refetch_the_jwks_at_most_once_per_minimum_interval(
    jwks: JwksServer, clock: FakeClock
) -> None:
    jwks.serve((rsa_key(), "genuine"))
    verifier = _verifier(jwks, clock)
    verifier.verify(sign(rsa_key(), kid="genuine"))
    assert jwks.requests == 1

    clock.advance(MIN_INTERVAL_S / 2)
    for _ in range(50):
        reason = _refused(verifier, sign(rsa_key(1), kid=uuid.uuid4().hex))
        assert "no RS256 key with key id '" in reason
    assert jwks.requests == 1  # too soon after the last fetch: none at all

    clock.advance(MIN_INTERVAL_S / 2)
    for _ in range(50):
        _refused(verifier, sign(rsa_key(1), kid=uuid.uuid4().hex))
    assert jwks.requests == 2  # one refresh for the lot

    jwks.serve((rsa_key(), "genuine"), (rsa_key(1), "rotated"))
    clock.advance(MIN_INTERVAL_S - 1)
    assert "key id 'rotated'" in _refused(verifier, sign(rsa_key(1), kid="rotated"))
    assert jwks.requests == 2
    clock.advance(1)
    assert verifier.verify(sign(rsa_key(1), kid="rotated")).party_id == "northwind"
    assert verifier.verify(sign(rsa_key(), kid="genuine")).party_id == "northwind"
    assert jwks.requests == 3


def test_concurrent_requests_with_an_empty_cache_fetch_the_jwks_once(
    jwks: JwksServer, clock: FakeClock
) -> None:
    jwks.serve((ec_key(), "ec"))
    jwks.delay_s = 0.2  # every thread arrives while the first fetch is under way
    verifier = _verifier(jwks, clock)
    token = sign(ec_key(), kid="ec")
    parties: list[str] = []
    threads = [
        threading.Thread(target=lambda: parties.append(verifier.verify(token).party_id))
        for _ in range(16)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert parties == ["northwind"] * 16
    assert jwks.requests == 1


def test_tokens_are_refused_not_crashed_on_when_the_jwks_server_is_down(
    jwks: JwksServer, clock: FakeClock
) -> None:
    jwks.stop()
    verifier = _verifier(jwks, clock)
    for _ in range(3):
        assert _refused(verifier, sign(rsa_key(), kid="k1")) == UNAVAILABLE
        clock.advance(MIN_INTERVAL_S)


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param({"status": 503, "body": b'{"error": "maintenance"}'}, id="http-503"),
        pytest.param({"status": 302, "body": b""}, id="redirect-not-followed"),
        pytest.param({"body": b"<html>sign in</html>"}, id="not-json"),
        pytest.param({"body": b'{"issuer": "x"}'}, id="not-a-jwk-set"),
        pytest.param({"body": b'{"keys": [' + b" " * 1_100_000 + b"]}"}, id="oversized"),
        pytest.param({"body": b'{"keys": []}', "delay_s": 1.0}, id="too-slow"),
    ],
)
def test_a_jwks_endpoint_that_misbehaves_refuses_tokens_until_it_recovers(
    jwks: JwksServer, clock: FakeClock, failure: dict[str, Any]
) -> None:
    jwks.fail(**failure)
    verifier = _verifier(jwks, clock, timeout_s=0.3)
    token = sign(ec_key(), kid="ec")
    assert _refused(verifier, token) == UNAVAILABLE
    assert _refused(verifier, token) == UNAVAILABLE
    assert jwks.requests == 1  # the failed fetch counts towards the interval too

    jwks.serve((ec_key(), "ec"))
    clock.advance(MIN_INTERVAL_S)
    assert verifier.verify(token).party_id == "northwind"
    assert jwks.requests == 2


def test_keys_are_refetched_after_the_cache_ttl_kept_through_an_outage_and_dropped_when_gone(
    jwks: JwksServer, clock: FakeClock
) -> None:
    jwks.serve((rsa_key(), "old"), (rsa_key(1), "new"))
    verifier = _verifier(jwks, clock)
    old = sign(rsa_key(), kid="old")
    verifier.verify(old)

    clock.advance(TTL_S)
    jwks.fail(status=500)
    assert verifier.verify(old).party_id == "northwind"  # the keys fetched before still serve
    assert jwks.requests == 2

    clock.advance(MIN_INTERVAL_S)
    jwks.serve((rsa_key(1), "new"))  # the server withdrew the old key
    assert "no RS256 key with key id 'old'" in _refused(verifier, old)
    assert verifier.verify(sign(rsa_key(1), kid="new")).party_id == "northwind"
    assert jwks.requests == 3


# ---- settings, bootstrap and the API ------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _oauth_settings(tmp_path: Path, database_url: str, **changes: Any) -> Settings:
    options: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": database_url,
        "token_mode": "oauth2",
        "token_issuer": ISSUER,
        "token_audience": AUDIENCE,
        "claim_party": "client_party",
        "claim_roles": "scope",
        **changes,
    }
    return Settings(**options)


@pytest.fixture
def oauth_container(jwks: JwksServer, tmp_path: Path, database_url: str) -> Iterator[Container]:
    container = bootstrap(
        _oauth_settings(tmp_path, database_url, jwks_url=jwks.url, jwks_min_refresh_interval_s=0.01)
    )
    yield container
    container.close()


def _bearer(
    key: PrivateKey, kid: str | None, party: str, scope: str, **changes: Any
) -> dict[str, str]:
    token = sign(key, kid=kid, party=None, roles=None, client_party=party, scope=scope, **changes)
    return {"Authorization": f"Bearer {token}"}


def _unauthorized(response: Any) -> str:
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    detail: str = response.json()["detail"]
    return detail


def test_the_api_accepts_the_authorization_servers_tokens_and_refuses_bad_ones(
    jwks: JwksServer, oauth_container: Container
) -> None:
    jwks.serve((rsa_key(), "rsa"), (ec_key(), "ec"))
    with TestClient(create_app(container=oauth_container)) as client:
        admin = _bearer(rsa_key(), "rsa", "ops-admin", "operator")
        created = client.post(
            "/v1/parties", json={"name": f"p-{uuid.uuid4().hex[:8]}"}, headers=admin
        )
        assert created.status_code == 201, created.text
        party = created.json()["id"]

        submitter = _bearer(ec_key(), "ec", party, "submitter observer")
        listed = client.get("/v1/operations", headers=submitter)
        assert listed.status_code == 200, listed.text
        assert listed.json() == []

        local = TokenIssuer(
            ec.generate_private_key(ec.SECP256R1()), "deconflict-local", "deconflict"
        )
        bad = {
            "wrong audience": _bearer(ec_key(), "ec", party, "submitter", aud="other-api"),
            "wrong issuer": _bearer(ec_key(), "ec", party, "submitter", iss="https://evil"),
            "expired": _bearer(ec_key(), "ec", party, "submitter", exp=int(time.time()) - 300),
            "unknown key": _bearer(ec_key(1), "ec", party, "submitter"),
            "bad role name": _bearer(ec_key(), "ec", party, "Submitter"),
            "hs256": {"Authorization": f"Bearer {hs256_with_public_key(rsa_key(), kid='rsa')}"},
            "local token": {"Authorization": f"Bearer {local.mint(party, ['submitter'], 600)}"},
        }
        for name, headers in bad.items():
            detail = _unauthorized(client.get("/v1/operations", headers=headers))
            assert detail.startswith("invalid bearer token: "), (name, detail)

        jwks.stop()
        time.sleep(0.05)  # past the minimum refresh interval: the next unknown kid refetches
        detail = _unauthorized(
            client.get("/v1/operations", headers=_bearer(ec_key(1), "x", party, "submitter"))
        )
        assert "no ES256 key with key id 'x'" in detail
        assert client.get("/v1/operations", headers=submitter).status_code == 200


def test_the_api_answers_401_when_the_jwks_url_cannot_be_reached(
    tmp_path: Path, database_url: str
) -> None:
    url = f"http://127.0.0.1:{_free_port()}/jwks.json"  # nothing listens there
    container = bootstrap(_oauth_settings(tmp_path, database_url, jwks_url=url, jwks_timeout_s=2))
    try:
        with TestClient(create_app(container=container)) as client:
            headers = _bearer(rsa_key(), "rsa", "northwind", "submitter")
            assert _unauthorized(client.get("/v1/operations", headers=headers)) == UNAVAILABLE
            assert client.get("/healthz").status_code == 200
    finally:
        container.close()


def _pem_files(tmp_path: Path, *keys: PrivateKey) -> list[Path]:
    paths = []
    for n, key in enumerate(keys):
        path = tmp_path / f"idp-{n}.pem"
        path.write_bytes(public_pem(key))
        paths.append(path)
    return paths


def test_pem_file_mode_from_the_environment_verifies_tokens_and_mints_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _pem_files(tmp_path, rsa_key(), ec_key())
    monkeypatch.setenv("DECONFLICT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DECONFLICT_DATABASE_URL", raising=False)
    monkeypatch.setenv("DECONFLICT_TOKEN_MODE", "oauth2")
    monkeypatch.setenv("DECONFLICT_TOKEN_PUBLIC_KEY_FILES", ",".join(map(str, paths)))
    monkeypatch.setenv("DECONFLICT_TOKEN_ALGORITHMS", "ES256")
    monkeypatch.setenv("DECONFLICT_TOKEN_ISSUER", ISSUER)
    monkeypatch.setenv("DECONFLICT_TOKEN_AUDIENCE", AUDIENCE)
    settings = Settings()
    assert settings.token_public_key_files == paths
    assert settings.token_algorithms == ["ES256"]
    container = bootstrap(settings)
    try:
        caller = container.verifier.verify(sign(ec_key(), kid=None, roles="observer"))
        assert (caller.party_id, caller.roles) == ("northwind", frozenset({"observer"}))
        reason = _refused(container.verifier, sign(rsa_key()))
        assert "the algorithm 'RS256' is not allowed (allowed: ES256)" in reason
        with pytest.raises(LocalTokensUnavailable, match="DECONFLICT_TOKEN_MODE=local"):
            container.issuer.mint("northwind", ["submitter"], 600)
        assert not (tmp_path / "signing-key.pem").exists()  # no development key is made
    finally:
        container.close()


@pytest.mark.parametrize(
    ("value", "expected"),
    [('["RS256"]', ["RS256"]), ("RS256, ES256", ["RS256", "ES256"]), ("ES256", ["ES256"])],
)
def test_token_algorithms_are_read_comma_separated_or_as_json(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: list[str]
) -> None:
    monkeypatch.setenv("DECONFLICT_TOKEN_ALGORITHMS", value)
    assert Settings().token_algorithms == expected


@pytest.mark.parametrize("value", ["HS256", "RS256,none", "RS256,HS256", "", "[]"])
def test_hmac_none_or_no_algorithm_cannot_be_configured(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("DECONFLICT_TOKEN_ALGORITHMS", value)
    with pytest.raises(ValidationError, match="token_algorithms"):
        Settings()


# ---- production refuses development keys and defaults -------------------------------

PRODUCTION: dict[str, Any] = {
    "env": "production",
    "database_url": "postgresql+psycopg://deconflict@db.internal/deconflict",
    "token_mode": "oauth2",
    "jwks_url": "https://auth.example.test/realms/airspace/protocol/openid-connect/certs",
    "token_issuer": ISSUER,
    "token_audience": AUDIENCE,
}


def test_a_production_configuration_with_an_authorization_server_is_accepted() -> None:
    settings = Settings(**PRODUCTION)
    assert (settings.token_mode, settings.claim_party, settings.claim_roles) == (
        "oauth2",
        "party",
        "roles",
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param(
            {"token_mode": "local", "jwks_url": None},
            "DECONFLICT_TOKEN_MODE must be oauth2 outside development (with DECONFLICT_JWKS_URL "
            "or DECONFLICT_TOKEN_PUBLIC_KEY_FILES): the local development key is refused",
            id="local-development-key",
        ),
        pytest.param(
            {"token_mode": "local", "jwks_url": None, "signing_key_file": "/etc/key.pem"},
            "DECONFLICT_TOKEN_MODE must be oauth2 outside development",
            id="a-provisioned-local-key",
        ),
        pytest.param(
            {"token_issuer": "deconflict-local"},
            "DECONFLICT_TOKEN_ISSUER must name the authorization server's issuer outside "
            "development; the development default 'deconflict-local' is refused",
            id="default-issuer",
        ),
        pytest.param(
            {"token_audience": "deconflict"},
            "DECONFLICT_TOKEN_AUDIENCE must name this service's audience outside development; "
            "the development default 'deconflict' is refused",
            id="default-audience",
        ),
        pytest.param(
            {"jwks_url": "http://auth.example.test/certs"},
            "DECONFLICT_JWKS_URL must be https outside development",
            id="plain-http-jwks",
        ),
        pytest.param(
            {"database_url": None},
            "DECONFLICT_DATABASE_URL must be set outside development",
            id="embedded-database",
        ),
        pytest.param(
            {"jwks_url": None},
            "DECONFLICT_TOKEN_MODE=oauth2 needs DECONFLICT_JWKS_URL or "
            "DECONFLICT_TOKEN_PUBLIC_KEY_FILES",
            id="no-keys",
        ),
        pytest.param(
            {"token_public_key_files": ["/etc/idp.pem"]},
            "set DECONFLICT_JWKS_URL or DECONFLICT_TOKEN_PUBLIC_KEY_FILES, not both",
            id="both-key-sources",
        ),
        pytest.param(
            {"jwks_url": "file:///etc/jwks.json"},
            "DECONFLICT_JWKS_URL must be an http(s) URL",
            id="not-http",
        ),
        pytest.param({"clock_skew_s": 3600}, "clock_skew_s", id="large-clock-skew"),
    ],
)
def test_production_refuses_development_keys_and_defaults_naming_the_variable(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(**(PRODUCTION | changes))
    assert message in str(raised.value)


def test_jwks_settings_in_local_mode_are_refused_rather_than_ignored() -> None:
    with pytest.raises(ValidationError, match="DECONFLICT_JWKS_URL is used only with"):
        Settings(jwks_url="https://auth.example.test/certs")


def test_the_server_refuses_to_start_in_production_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DECONFLICT_ENV", "production")
    monkeypatch.setenv("DECONFLICT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DECONFLICT_DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    with pytest.raises(ValidationError, match="DECONFLICT_TOKEN_MODE must be oauth2"):
        create_app()
    assert list(tmp_path.iterdir()) == []


def test_bootstrap_refuses_unsafe_settings_that_skipped_validation(tmp_path: Path) -> None:
    settings = Settings.model_construct(
        env="production", data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'prod.db'}"
    )
    with pytest.raises(ValueError, match="DECONFLICT_TOKEN_MODE must be oauth2"):
        bootstrap(settings)
    assert list(tmp_path.iterdir()) == []  # no database, no generated key


def test_bootstrap_refuses_a_private_key_given_as_the_authorization_servers_key(
    tmp_path: Path,
) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    pem = keys / "idp.pem"
    pem.write_bytes(
        rsa_key().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    settings = Settings(
        **(PRODUCTION | {"jwks_url": None, "token_public_key_files": [pem]}),
        data_dir=tmp_path / "data",
    )
    with pytest.raises(ValueError, match="holds a private key"):
        bootstrap(settings)
    assert not (tmp_path / "data").exists()


def test_a_valid_production_configuration_bootstraps_with_pem_files(tmp_path: Path) -> None:
    settings = Settings(
        **(
            PRODUCTION
            | {
                "database_url": f"sqlite:///{tmp_path / 'prod.db'}",
                "jwks_url": None,
                "token_public_key_files": _pem_files(tmp_path, rsa_key()),
            }
        ),
        data_dir=tmp_path,
    )
    container = bootstrap(settings)
    try:
        assert container.verifier.verify(sign(rsa_key())).party_id == "northwind"
        assert jwt.get_unverified_header(sign(rsa_key()))["alg"] == "RS256"
    finally:
        container.close()


def test_the_development_default_keeps_the_local_key_and_its_tokens(tmp_path: Path) -> None:
    container = bootstrap(Settings(data_dir=tmp_path))
    try:
        assert container.settings.token_mode == "local"
        token = container.issuer.mint("northwind", ["submitter"], 600)
        assert jwt.get_unverified_header(token)["alg"] == "ES256"
        assert container.verifier.verify(token).party_id == "northwind"
        assert (tmp_path / "signing-key.pem").exists()
    finally:
        container.close()
