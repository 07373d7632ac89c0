"""Security headers on every response: the API's, its errors', and the documentation's."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from deconflict.bootstrap import Container
from deconflict.entrypoints.api.app import create_app

from .helpers import error_body

Auth = Callable[..., dict[str, str]]

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def _directives(response: Response) -> dict[str, list[str]]:
    policy = response.headers["content-security-policy"]
    directives = [d.split() for d in policy.split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


def assert_secured(response: Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert _directives(response)["frame-ancestors"] == ["'none'"]
    assert len(response.headers.get_list("content-security-policy")) == 1


def test_api_responses_carry_the_security_headers_and_no_store(
    client: TestClient, auth: Auth, new_party: Callable[[str], str]
) -> None:
    response = client.get("/v1/operations", headers=auth(new_party("headers"), "submitter"))
    assert response.status_code == 200
    assert_secured(response)
    assert response.headers["content-security-policy"] == API_POLICY
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/v1/operations", 401),
        ("post", "/v1/checks", 401),
        ("get", "/v1/no-such-thing", 404),
    ],
)
def test_api_errors_carry_the_security_headers_and_no_store(
    client: TestClient, method: str, path: str, status: int
) -> None:
    response = client.request(method, path)
    error_body(response, status)
    assert_secured(response)
    assert response.headers["cache-control"] == "no-store"


def test_a_body_too_large_is_refused_with_the_security_headers(
    client: TestClient, container: Container
) -> None:
    too_large = b"x" * (container.settings.max_body_bytes + 1)
    response = client.post("/v1/checks", content=too_large)
    error_body(response, 413)
    assert_secured(response)


@pytest.mark.parametrize("path", ["/healthz", "/openapi.json"])
def test_responses_outside_v1_carry_the_security_headers_and_may_be_cached(
    client: TestClient, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert_secured(response)
    assert response.headers["content-security-policy"] == API_POLICY
    assert "cache-control" not in response.headers


@pytest.mark.parametrize("path", ["/docs", "/docs/oauth2-redirect"])
def test_the_documentation_may_run_its_own_inline_scripts_and_no_others(
    client: TestClient, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert_secured(response)
    scripts = _directives(response)["script-src"]
    assert "'unsafe-inline'" not in scripts
    assert "'unsafe-eval'" not in scripts
    inline = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    hashes = {
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in inline
    }
    assert {s for s in scripts if s.startswith("'sha256-")} == hashes
    assert [s for s in scripts if not s.startswith("'sha256-")] == ["'self'"]
    assert _directives(response)["connect-src"] == ["'self'"]


def test_the_swagger_ui_comes_from_this_server(client: TestClient) -> None:
    response = client.get("/docs")
    allowed = _directives(response)
    assert allowed["style-src"] == ["'self'"]
    assert allowed["img-src"] == ["'self'", "data:"]
    assets = re.findall(r'<script src="([^"]+)"', response.text) + re.findall(
        r'rel="stylesheet" href="([^"]+)"', response.text
    )
    assert assets == [
        "/ui/vendor/swagger-ui/swagger-ui-bundle.js",
        "/ui/vendor/swagger-ui/swagger-ui.css",
    ]
    for url in assets:
        served = client.get(url)
        assert served.status_code == 200, url
        assert served.headers["content-type"].startswith(("text/javascript", "text/css"))
    assert client.get("/redoc").status_code == 404  # ReDoc would need a CDN: not offered


def test_an_unexpected_error_is_a_json_500_with_the_security_headers(
    container: Container,
) -> None:
    app = create_app(container=container)

    @app.get("/v1/broken")
    def broken() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as api:
        response = api.get("/v1/broken")
    body = error_body(response, 500)
    assert body == {"detail": "internal server error", "errors": []}
    assert_secured(response)
    assert response.headers["cache-control"] == "no-store"
