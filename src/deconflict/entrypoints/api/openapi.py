"""The OpenAPI document, completed with what routes do not say one by one: every error
status a /v1 operation can send (in the project's error shape), and the limits that
come from configuration (the page size).

Which statuses: 401 and 403 (token, role) and 422 everywhere; 404 where the path names
an object; 400 (a body that cannot be read as JSON) and 413 (too large) where there is
a body; 409 (state) and 429 (rate limit) on writes.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from deconflict.config import Settings

ERROR_REF = {"$ref": "#/components/schemas/ErrorPublic"}
_WRITES = frozenset({"post", "put", "patch", "delete"})
_WHY = {
    "400": "The body cannot be read as JSON (e.g. not UTF-8)",
    "401": "No valid bearer token",
    "403": "The caller's roles do not allow this",
    "404": "No such object, or not the caller's to see",
    "409": "Refused, or in conflict with the current state",
    "413": "The body exceeds the size limit",
    "422": "Invalid input: which field and why",
    "429": "Too many writes: wait Retry-After seconds",
}


def _statuses(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    found = ["401", "403", "422"]
    if "{" in path:
        found.append("404")
    if "requestBody" in operation:
        found += ["400", "413"]
    if method in _WRITES:
        found += ["409", "429"]
    return found


def complete(document: dict[str, Any], max_page_size: int) -> dict[str, Any]:
    """Adds the error statuses and the page-size maximum to a generated document."""
    for path, operations in document.get("paths", {}).items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in _statuses(path, method, operation):
                responses.setdefault(
                    status,
                    {
                        "description": _WHY[status],
                        "content": {"application/json": {"schema": ERROR_REF}},
                    },
                )
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and parameter.get("name") == "limit":
                    parameter["schema"]["maximum"] = max_page_size
    return document


def install_openapi(app: FastAPI, settings: Settings) -> None:
    """Serves the completed document at the app's `openapi_url` (built once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = complete(document, settings.max_page_size)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
