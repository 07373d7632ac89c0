"""Which methods a path allows: the `Allow` header of a 405, in both error shapes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Match

_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> str:
    """Every method some route serves at the request's path: a path is often served by
    several routes (GET and POST /v1/zones), and the one that refused knows only its own.
    A path the API documents literally (`/dss/v1/subscriptions/query`) answers with its
    documented methods, not with those of the templated routes it also fits
    (`/dss/v1/subscriptions/{subscriptionid}`)."""
    documented = request.app.openapi().get("paths", {}).get(request.url.path)
    if documented:
        return ", ".join(m for m in _METHODS if m.lower() in documented)
    routes = request.app.router.routes
    return ", ".join(
        method
        for method in _METHODS
        if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
    )
