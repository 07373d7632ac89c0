"""The page and its files as served (no browser): `/`, the vendored libraries with the
right content types, the configuration, the page's Content-Security-Policy, and that a
wheel would carry every file of the page."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from deconflict.bootstrap import bootstrap
from deconflict.config import Settings
from deconflict.entrypoints.api.app import create_app
from deconflict.entrypoints.api.ui import WEB_DIR, page_policy, tile_source

ROOT = Path(__file__).resolve().parents[2]


def _client(tmp_path: Path, **settings: object) -> Iterator[TestClient]:
    container = bootstrap(
        Settings(
            data_dir=tmp_path,
            database_url=f"sqlite:///{tmp_path / 'static.db'}",
            dispatch_in_process=False,
            deadline_interval_s=0,
            **settings,  # type: ignore[arg-type]
        )
    )
    with TestClient(create_app(container=container)) as client:
        yield client
    container.uow.engine.dispose()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    yield from _client(tmp_path)


def _directives(policy: str) -> dict[str, list[str]]:
    parts = [d.split() for d in policy.split(";") if d.strip()]
    return {d[0]: d[1:] for d in parts}


def test_the_page_is_served_at_the_root_under_a_strict_policy(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/ui/js/main.js"></script>' in response.text
    policy = _directives(response.headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    # Everything else keeps the API's policy.
    assert _directives(client.get("/healthz").headers["content-security-policy"]) == {
        "default-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
    }


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/ui/vendor/leaflet/leaflet.js", "text/javascript"),
        ("/ui/vendor/leaflet/leaflet.css", "text/css"),
        ("/ui/vendor/leaflet/images/layers.png", "image/png"),
        ("/ui/vendor/leaflet-geoman/leaflet-geoman.min.js", "text/javascript"),
        ("/ui/vendor/leaflet-geoman/leaflet-geoman.css", "text/css"),
        ("/ui/js/main.js", "text/javascript"),
        ("/ui/app.css", "text/css"),
        ("/ui/favicon.svg", "image/svg+xml"),
        ("/ui/data/veloria.geojson", "application/geo+json"),
    ],
)
def test_the_page_files_are_served_with_their_content_types(
    client: TestClient, path: str, content_type: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers["content-type"].split(";")[0] == content_type
    assert response.headers["x-content-type-options"] == "nosniff"


def test_every_file_the_page_names_is_served_and_nothing_is_inline(client: TestClient) -> None:
    html = client.get("/").text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
    assert "<style" not in html, "inline style"
    assert " style=" not in html, "inline style"
    assert not re.search(r"\son[a-z]+=", html), "inline event handler"
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    names = re.findall(r'(?:src|href)="(/[^"]+)"', html)
    assert len(names) >= 6
    for name in names:
        assert client.get(name).status_code == 200, name
    for module in (WEB_DIR / "js").glob("*.js"):
        text = module.read_text()
        for imported in re.findall(r'from "(\./[^"]+)"', text):
            assert (module.parent / imported).is_file(), (module.name, imported)
        assert "innerHTML =" not in text, module.name
        assert ".style." not in text, module.name
        text = text.replace('"http://www.w3.org/2000/svg"', "")
        assert not re.search(r"https?://", text), module.name


def test_the_island_outline_is_geojson() -> None:
    data = json.loads((WEB_DIR / "data" / "veloria.geojson").read_text())
    land = [f for f in data["features"] if f["properties"]["kind"] == "land"]
    assert land
    assert all(f["geometry"]["type"] == "Polygon" for f in land)
    ring = land[0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1]
    assert len(ring) > 20
    assert all(-30.2 < lat < -29.8 and -140.2 < lng < -139.8 for lng, lat in ring)


def test_the_vendored_libraries_carry_their_licences() -> None:
    vendor = WEB_DIR / "vendor"
    assert "BSD 2-Clause" in (vendor / "leaflet" / "LICENSE").read_text()
    assert "MIT" in (vendor / "leaflet-geoman" / "LICENSE").read_text()
    assert "lodash" in (vendor / "leaflet-geoman" / "THIRD-PARTY-LICENSES.txt").read_text()
    readme = (WEB_DIR / "README.md").read_text()
    assert "leaflet 1.9.4" in readme
    assert "@geoman-io/leaflet-geoman-free 2.20.2" in readme


def test_a_tile_server_is_configured_and_allowed_by_the_policy(tmp_path: Path) -> None:
    url = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    for client in _client(tmp_path, map_tile_url=url, map_tile_attribution="© Example"):
        config = client.get("/ui/config.json").json()
        assert config["tile_url"] == url
        assert config["tile_attribution"] == "© Example"
        policy = _directives(client.get("/").headers["content-security-policy"])
        assert policy["img-src"] == ["'self'", "data:", "https://*.tiles.example.org"]


def test_without_a_tile_server_the_page_is_told_so(client: TestClient) -> None:
    config = client.get("/ui/config.json").json()
    assert config["tile_url"] is None
    assert config["claim_party"] == "party"


@pytest.mark.parametrize(
    ("url", "source"),
    [
        ("https://tile.example.org/{z}/{x}/{y}.png", "https://tile.example.org"),
        ("http://localhost:8080/tiles/{z}/{x}/{y}.png", "http://localhost:8080"),
        ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
        ("https://tile-{s}.example.org/{z}/{x}/{y}.png", "https://*.example.org"),
        ("https://{s}.{r}.example.org/{z}/{x}/{y}.png", "https://*"),
        (None, None),
    ],
)
def test_the_tile_source_of_a_url_template(url: str | None, source: str | None) -> None:
    assert tile_source(url) == source


@pytest.mark.parametrize(
    "url",
    [
        "ftp://tiles.example.org/{z}/{x}/{y}.png",
        "https://tiles.example.org/{z}/{x}/{y}.png; script-src *",
        "https://tiles.example.org/'unsafe-inline'",
        "javascript:alert(1)",
    ],
)
def test_a_tile_url_that_could_widen_the_policy_is_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="map_tile_url"):
        Settings(map_tile_url=url)


def test_the_policy_names_no_inline_source() -> None:
    policy = page_policy(Settings())
    assert "unsafe" not in policy
    assert "*" not in policy


def test_a_wheel_would_carry_every_file_of_the_page() -> None:
    """Every file under entrypoints/web/ matches the package data of pyproject.toml."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["deconflict"]
    package = ROOT / "src" / "deconflict"
    covered = {p for pattern in patterns for p in package.glob(pattern) if p.is_file()}
    files = {p for p in WEB_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert files, "no web files"
    assert files <= covered, sorted(str(p) for p in files - covered)
