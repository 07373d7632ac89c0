"""Sign-in at the deployment's OAuth2 authorization server, in the browser: the
authorization-code flow with PKCE (S256) against a small fake authorization server on
127.0.0.1 (/authorize, /token, /jwks), the deconflict server verifying its RS256 tokens."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, RedirectResponse
from playwright.sync_api import Page, expect

from deconflict.bootstrap import bootstrap
from deconflict.config import Settings
from deconflict.entrypoints.api.app import create_app
from deconflict.services.demo import DemoParties, demo_people, load_demo
from tests.unit.adapters.test_tokens import AUDIENCE, ISSUER, jwk_of, rsa_key, sign

from ..e2e.live import serving
from .helpers import tid

CLIENT_ID = "deconflict-web"
KID = "ui-login"


@dataclass
class FakeAuthorizationServer:
    """What the fake authorization server was asked, and how it misbehaves."""

    party_id: str = ""
    roles: list[str] = field(default_factory=list)
    tamper_state: bool = False
    pending: dict[str, dict[str, str]] = field(default_factory=dict)  # code -> request
    exchanged: list[dict[str, str]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()
        app.add_middleware(
            CORSMiddleware, allow_origins=["*"], allow_methods=["POST"], allow_headers=["*"]
        )

        @app.get("/authorize")
        def authorize(request: Request) -> Any:
            q = request.query_params
            if (
                q.get("response_type") != "code"
                or q.get("client_id") != CLIENT_ID
                or q.get("code_challenge_method") != "S256"
                or not q.get("code_challenge")
                or not q.get("state")
            ):
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            code = secrets.token_urlsafe(16)
            self.pending[code] = dict(q)
            state = "not-the-state-sent" if self.tamper_state else q["state"]
            return RedirectResponse(
                f"{q['redirect_uri']}?{urlencode({'code': code, 'state': state})}", 302
            )

        @app.post("/token")
        async def token(request: Request) -> JSONResponse:
            form = {k: v[-1] for k, v in parse_qs((await request.body()).decode()).items()}
            code = form.get("code", "")
            code_verifier = form.get("code_verifier", "")
            grant_type, client_id = form.get("grant_type"), form.get("client_id")
            redirect_uri = form.get("redirect_uri")
            asked = self.pending.pop(code, None)
            digest = hashlib.sha256(code_verifier.encode()).digest()
            challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if (
                asked is None
                or grant_type != "authorization_code"
                or client_id != CLIENT_ID
                or redirect_uri != asked["redirect_uri"]
                or challenge != asked["code_challenge"]
            ):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            self.exchanged.append({"code": code, "scope": asked.get("scope", "")})
            access = sign(
                rsa_key(),
                kid=KID,
                sub="oauth:northwind-desk",
                party=self.party_id,
                roles=self.roles,
                exp=int(time.time()) + 600,
            )
            return JSONResponse(
                {"access_token": access, "token_type": "Bearer", "expires_in": 600},
                headers={"cache-control": "no-store"},
            )

        @app.get("/jwks")
        def jwks() -> dict[str, Any]:
            return {"keys": [jwk_of(rsa_key(), KID)]}

        return app


@dataclass
class OAuthDeployment:
    url: str
    auth_url: str
    auth: FakeAuthorizationServer
    parties: DemoParties


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OAuthDeployment]:
    auth = FakeAuthorizationServer()
    with serving(auth.app()) as auth_url:
        data = tmp_path_factory.mktemp("ui-oauth")
        settings = Settings(
            data_dir=data,
            database_url=f"sqlite:///{data / 'deconflict.db'}",
            dispatch_in_process=False,
            deadline_interval_s=0,
            token_mode="oauth2",
            token_issuer=ISSUER,
            token_audience=AUDIENCE,
            jwks_url=f"{auth_url}/jwks",
            oauth2_authorize_url=f"{auth_url}/authorize",
            oauth2_token_url=f"{auth_url}/token",
            oauth2_client_id=CLIENT_ID,
            oauth2_scope="openid deconflict",
        )
        container = bootstrap(settings)
        start = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), clock(6), UTC)
        parties = load_demo(container.uow, container.ctx, start)
        desk = demo_people(parties)[0].caller
        auth.party_id = desk.party_id
        auth.roles = sorted(desk.roles)
        with serving(create_app(container=container)) as url:
            yield OAuthDeployment(url, auth_url, auth, parties)
        container.uow.engine.dispose()


def test_signing_in_at_the_authorization_server(page: Page, deployment: OAuthDeployment) -> None:
    deployment.auth.tamper_state = False
    page.goto(deployment.url + "/")
    button = tid(page, "oauth-sign-in")
    expect(button).to_have_text(f"Sign in with {urlsplit(deployment.auth_url).netloc}")
    expect(tid(page, "token-input")).to_be_visible()  # pasting a token still works
    button.click()
    expect(page.locator("body[data-session=ready]")).to_have_count(1)
    expect(tid(page, "operation-item").first).to_be_visible()
    expect(tid(page, "whoami")).to_contain_text(deployment.parties.operator.name)
    assert page.url == deployment.url + "/"  # code and state are gone from the address bar
    assert deployment.auth.exchanged[-1]["scope"] == "openid deconflict"
    assert page.evaluate("() => sessionStorage.getItem('deconflict.oauth2')") is None

    page.reload()  # kept like a pasted token, for the tab
    expect(page.locator("body[data-session=ready]")).to_have_count(1)


def test_a_wrong_state_is_refused(page: Page, deployment: OAuthDeployment) -> None:
    deployment.auth.tamper_state = True
    try:
        page.goto(deployment.url + "/")
        exchanged = len(deployment.auth.exchanged)
        tid(page, "oauth-sign-in").click()
        expect(tid(page, "error-oauth")).to_contain_text("state returned does not match")
        expect(tid(page, "token-input")).to_be_visible()
        expect(page.locator("body[data-session=ready]")).to_have_count(0)
        assert page.url == deployment.url + "/"
        assert len(deployment.auth.exchanged) == exchanged  # the code was never exchanged
    finally:
        deployment.auth.tamper_state = False


def test_the_page_policy_allows_the_token_endpoint(page: Page, deployment: OAuthDeployment) -> None:
    response = page.goto(deployment.url + "/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert f"connect-src 'self' {deployment.auth_url};" in policy
    config = page.evaluate("() => fetch('/ui/config.json').then((r) => r.json())")
    assert config["oauth2"] == {
        "authorize_url": f"{deployment.auth_url}/authorize",
        "token_url": f"{deployment.auth_url}/token",
        "client_id": CLIENT_ID,
        "scope": "openid deconflict",
    }


@pytest.mark.parametrize(
    "changes",
    [
        {"oauth2_token_url": "https://auth.example.test/token; script-src *"},
        {"oauth2_authorize_url": "javascript:alert(1)"},
        {"oauth2_client_id": None},
    ],
)
def test_a_bad_or_partial_sign_in_configuration_is_refused(changes: dict[str, Any]) -> None:
    options: dict[str, Any] = {
        "oauth2_authorize_url": "https://auth.example.test/authorize",
        "oauth2_token_url": "https://auth.example.test/token",
        "oauth2_client_id": CLIENT_ID,
    }
    with pytest.raises(ValueError, match=r"(?i)oauth2"):
        Settings(**(options | changes))
