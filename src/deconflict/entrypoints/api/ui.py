"""The web map UI: a static single-page app (package data under `entrypoints/web/`).

`/` is its page, `/ui/...` its scripts, styles, vendored libraries and base-map data, and
`/ui/config.json` what the page needs to know about this deployment. Nothing is loaded
from anywhere else, so the page runs under a Content-Security-Policy of 'self' only
(plus the tile server's origin when `DECONFLICT_MAP_TILE_URL` is set, and the token
endpoint's when `DECONFLICT_OAUTH2_TOKEN_URL` is).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from deconflict.config import Settings

WEB_DIR = Path(__file__).resolve().parent.parent / "web"

# Not every system's MIME table knows these; scripts must be served as JavaScript
# (X-Content-Type-Options: nosniff refuses anything else).
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/css", ".css")
mimetypes.add_type("application/geo+json", ".geojson")
mimetypes.add_type("image/svg+xml", ".svg")


def tile_source(tile_url: str | None) -> str | None:
    """The CSP source of a tile URL template: its scheme and host, `{s}` as a wildcard."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    host = parts.netloc
    if "{" in host:
        # "{s}.tile.example.org" -> "*.tile.example.org"; other placeholders likewise
        labels = host.split(".")
        host = ".".join("*" if "{" in label else label for label in labels)
        if host.count("*") > 1 or not host.startswith("*."):
            host = "*"
    return f"{parts.scheme}://{host}"


def origin_of(url: str | None) -> str | None:
    """The CSP source of a URL: its scheme and host (with port)."""
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def page_policy(settings: Settings) -> str:
    """The page's Content-Security-Policy: everything from 'self', no inline script or
    style; images also from data: (the drawing plugin's icons) and the tile server;
    requests also to the OAuth2 token endpoint when the page signs in there."""
    tiles = tile_source(settings.map_tile_url)
    images = "'self' data:" + (f" {tiles}" if tiles else "")
    token_origin = origin_of(settings.oauth2_token_url)
    connect = "'self'" + (f" {token_origin}" if token_origin else "")
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        f"img-src {images}; connect-src {connect}; font-src 'self'; manifest-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


def ui_config(settings: Settings) -> dict[str, Any]:
    """What the page needs to know about this deployment (the OAuth2 sign-in only when
    it is configured)."""
    config: dict[str, Any] = {
        "tile_url": settings.map_tile_url,
        "tile_attribution": settings.map_tile_attribution,
        "claim_party": settings.claim_party,
        "claim_roles": settings.claim_roles,
        "token_mode": settings.token_mode,
    }
    if settings.oauth2_authorize_url and settings.oauth2_token_url and settings.oauth2_client_id:
        config["oauth2"] = {
            "authorize_url": settings.oauth2_authorize_url,
            "token_url": settings.oauth2_token_url,
            "client_id": settings.oauth2_client_id,
            "scope": settings.oauth2_scope,
        }
    return config


def mount_ui(app: FastAPI, settings: Settings) -> None:
    """Serves the page at `/`, its configuration at `/ui/config.json` and its files
    under `/ui/` (kept out of the OpenAPI document: they are no API)."""
    config = ui_config(settings)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", media_type="text/html; charset=utf-8")

    @app.get("/ui/config.json", include_in_schema=False)
    def page_config() -> JSONResponse:
        return JSONResponse(config, headers={"cache-control": "no-store"})

    app.mount("/ui", StaticFiles(directory=WEB_DIR), name="ui")
