"""The interactive API documentation at /docs: Swagger UI from the vendored copy under
`/ui/vendor/swagger-ui/` (package data, like the map's Leaflet), so it works offline and
under a policy of 'self' plus the hashes of the page's own inline scripts (headers.py)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

SWAGGER_UI = "/ui/vendor/swagger-ui"
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect")


def mount_docs(app: FastAPI) -> None:
    """Serves Swagger UI at /docs (and its OAuth2 redirect page), for the app's
    OpenAPI document; the app is made with `docs_url=None` so this replaces FastAPI's."""
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title}: API documentation",
            swagger_js_url=f"{SWAGGER_UI}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_UI}/swagger-ui.css",
            swagger_favicon_url="/ui/favicon.svg",
            oauth2_redirect_url=DOCS_PATHS[1],
        )

    @app.get(DOCS_PATHS[1], include_in_schema=False)
    def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
