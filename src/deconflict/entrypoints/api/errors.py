"""One JSON error shape for every failure: `{"detail": ..., "errors": [{"loc", "msg"}]}`."""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deconflict.adapters.tokens import InvalidToken
from deconflict.domain.errors import (
    Forbidden,
    IncomparableAltitudes,
    InvalidInput,
    NotFound,
    StateConflict,
    Unavailable,
)
from deconflict.services.operations import Refused

from .converters import check_to_api
from .f3548.errors import PREFIX as DSS_PREFIX
from .methods import allowed_methods

log = logging.getLogger(__name__)


def _body(detail: str, errors: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"detail": detail, "errors": errors or [], **extra}


def _field_path(loc: list[Any], body: Any) -> list[Any]:
    """The location of a body error as a path into the body that was sent: Pydantic
    puts union tags ("native", "f3548", "polygon", ...) into its locations, and those
    are no field names. A name the body does not hold is a tag unless it comes last
    (a missing field)."""
    if not loc or loc[0] != "body":
        return loc
    path: list[Any] = ["body"]
    node = body
    for i, p in enumerate(loc[1:], start=1):
        if isinstance(node, dict) and p not in node and isinstance(p, str) and i < len(loc) - 1:
            continue
        held = (isinstance(node, dict) and p in node) or (
            isinstance(node, list) and isinstance(p, int) and 0 <= p < len(node)
        )
        node = node[p] if held else None
        path.append(p)
    return path


def _validation_items(exc: RequestValidationError) -> list[dict[str, Any]]:
    items = []
    for e in exc.errors():
        loc = [
            p for p in e.get("loc", ()) if not (isinstance(p, str) and p.startswith("function-"))
        ]
        items.append({"loc": _field_path(loc, exc.body), "msg": str(e.get("msg", "invalid"))})
    return items


def _body_problem(request: Request, exc: RequestValidationError) -> dict[str, Any] | None:
    """One plain problem for a body that is not JSON at all, instead of what Pydantic
    makes of it: malformed JSON, with its line and column; a body sent without a JSON
    content type (FastAPI then hands over bytes, "not a valid dictionary")."""
    for e in exc.errors():
        if e.get("type") == "json_invalid" and isinstance(exc.body, str):
            position = e["loc"][-1] if isinstance(e["loc"][-1], int) else 0
            line = exc.body.count("\n", 0, position) + 1
            column = position - (exc.body.rfind("\n", 0, position) + 1) + 1
            reason = e.get("ctx", {}).get("error", "invalid")
            return {
                "loc": ["body"],
                "msg": f"the body is not valid JSON: {reason} at line {line}, column {column}",
            }
    if isinstance(exc.body, bytes):
        sent = request.headers.get("content-type") or "none"
        return {
            "loc": ["body"],
            "msg": f"the body must be JSON, sent with content-type: application/json "
            f"(content-type sent: {sent})",
        }
    return None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        plain = _body_problem(request, exc)
        items = [plain] if plain is not None else _validation_items(exc)
        return JSONResponse(
            status_code=422,
            content=_body(f"invalid request: {len(items)} problem(s)", items),
        )

    @app.exception_handler(InvalidInput)
    async def _invalid(_: Request, exc: InvalidInput) -> JSONResponse:
        items = [{"loc": list(loc), "msg": msg} for loc, msg in exc.problems]
        return JSONResponse(status_code=422, content=_body(str(exc), items))

    @app.exception_handler(IncomparableAltitudes)
    async def _datum(_: Request, exc: IncomparableAltitudes) -> JSONResponse:
        return JSONResponse(status_code=422, content=_body(str(exc)))

    @app.exception_handler(InvalidToken)
    async def _token(_: Request, exc: InvalidToken) -> JSONResponse:
        return JSONResponse(
            status_code=401, content=_body(str(exc)), headers={"WWW-Authenticate": "Bearer"}
        )

    @app.exception_handler(Forbidden)
    async def _forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return JSONResponse(status_code=403, content=_body(str(exc)))

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content=_body(str(exc)))

    @app.exception_handler(StateConflict)
    async def _state(_: Request, exc: StateConflict) -> JSONResponse:
        return JSONResponse(status_code=409, content=_body(str(exc)))

    @app.exception_handler(Unavailable)
    async def _unavailable(_: Request, exc: Unavailable) -> JSONResponse:
        retry_after = max(1, math.ceil(exc.retry_after_s))
        return JSONResponse(
            status_code=503,
            content=_body(str(exc)),
            headers={"Retry-After": str(retry_after)},
        )

    @app.exception_handler(Refused)
    async def _refused(_: Request, exc: Refused) -> JSONResponse:
        check = check_to_api(exc.assessment).model_dump(mode="json", by_alias=True)
        return JSONResponse(status_code=409, content=_body(str(exc), **{**check, "refused": True}))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            return JSONResponse(status_code=400, content=_body(UNREADABLE, unreadable(exc)))
        return JSONResponse(
            status_code=exc.status_code, content=_body(str(exc.detail)), headers=headers
        )


UNREADABLE = "the body cannot be read: send JSON text (UTF-8) with content-type: application/json"


def unreadable(exc: StarletteHTTPException) -> list[dict[str, Any]]:
    """Where FastAPI failed to read a body (it says only "There was an error parsing
    the body"): a byte that is not UTF-8, or JSON nested too deep."""
    cause = exc.__cause__
    if isinstance(cause, UnicodeDecodeError):
        return [{"loc": ["body"], "msg": f"byte {cause.start} is not UTF-8 text"}]
    return [{"loc": ["body"], "msg": "not JSON this server can read"}]


class BodyLimit:
    """Refuses request bodies over `max_bytes` with 413, whether or not they declare a
    Content-Length: a streamed body is counted as it arrives."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        detail = f"request body exceeds {self.max_bytes} bytes"
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            dss = str(scope.get("path", "")).startswith(DSS_PREFIX)
            response = JSONResponse(
                status_code=413, content={"message": detail} if dss else _body(detail)
            )
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # FastAPI re-raises HTTPExceptions from body reading as they are.
                    raise StarletteHTTPException(413, detail=detail)
            return message

        await self.app(scope, counted, send)
