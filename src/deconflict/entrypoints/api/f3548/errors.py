"""Errors under /dss/v1 in the standard's shape, `{"message": ...}`, with its status
codes (400 for every invalid request, not 422). Other paths keep the native handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from deconflict.adapters.sql import _retryable
from deconflict.adapters.tokens import InvalidToken
from deconflict.domain.errors import (
    Contended,
    Forbidden,
    IncomparableAltitudes,
    InvalidInput,
    NotFound,
    StateConflict,
    Unavailable,
)
from deconflict.domain.f3548 import UssDown

from ..methods import allowed_methods

PREFIX = "/dss/v1"

Handler = Callable[[Request, Any], Awaitable[Response] | Response]


def _message(exc: Exception) -> str:
    if isinstance(exc, RequestValidationError):
        problems = []
        for e in exc.errors():
            loc = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
            problems.append(f"{loc or 'body'}: {e.get('msg', 'invalid')}")
        return "invalid request: " + "; ".join(problems)
    if isinstance(exc, StarletteHTTPException):
        return str(exc.detail)
    return str(exc)


_STATUS: list[tuple[type[Exception], int]] = [
    (RequestValidationError, 400),
    (InvalidInput, 400),
    (IncomparableAltitudes, 400),
    (InvalidToken, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (StateConflict, 409),
    (UssDown, 412),
    (Unavailable, 503),
]


def dss_error(status: int, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(status_code=status, content={"message": message}, headers=headers)


def _method_not_documented(request: Request) -> bool:
    """A path the API documents literally (`/dss/v1/subscriptions/query`, POST only) also
    fits a templated route (`PUT /dss/v1/subscriptions/{subscriptionid}`), whose id check
    then refuses it: the method is what is wrong there (405), not the id (400)."""
    documented = request.app.openapi().get("paths", {}).get(request.url.path)
    return bool(documented) and request.method.lower() not in documented


def install_f3548_error_handlers(app: FastAPI) -> None:
    """Wraps the app's handlers (install after the native ones): requests under /dss/v1
    get the standard's error body and codes, every other request the native ones."""

    def scoped(exc_class: type[Exception], status: int | None) -> None:
        native: Handler | None = app.exception_handlers.get(exc_class)

        async def handle(request: Request, exc: Any) -> Response:
            if request.url.path.startswith(PREFIX) or native is None:
                code = exc.status_code if status is None else status
                message = _message(exc)
                if isinstance(exc, RequestValidationError) and _method_not_documented(request):
                    code, message = 405, "Method Not Allowed"
                response = dss_error(code, message)
                if isinstance(exc, StarletteHTTPException):
                    response.headers.update(exc.headers or {})
                if code == 405:
                    response.headers["Allow"] = allowed_methods(request)
                return response
            answer = native(request, exc)
            return answer if isinstance(answer, Response) else await answer

        app.exception_handlers[exc_class] = handle

    for exc_class, status in _STATUS:
        scoped(exc_class, status)
    scoped(StarletteHTTPException, None)

    async def simultaneous(request: Request, exc: DBAPIError) -> Response:
        """The unit of work retried a serialization failure as often as it may: the
        standard answers 409 ("unable to complete the update because of other
        simultaneous changes"). Elsewhere it stays a server error."""
        if request.url.path.startswith(PREFIX) and _retryable(exc):
            return dss_error(
                409, "the change met simultaneous changes as often as it was retried: try again"
            )
        raise exc

    app.exception_handlers[DBAPIError] = simultaneous
    overloaded: Handler = app.exception_handlers[Unavailable]

    async def contended(request: Request, exc: Contended) -> Response:
        """Retries exhausted on simultaneous changes: the standard's 409 under /dss/v1; the
        native 503 with Retry-After elsewhere."""
        if request.url.path.startswith(PREFIX):
            return dss_error(
                409, "the change met simultaneous changes as often as it was retried: try again"
            )
        answer = overloaded(request, exc)
        return answer if isinstance(answer, Response) else await answer

    app.exception_handlers[Contended] = contended
