"""A serialization failure the unit of work gave up retrying is the standard's 409 under
/dss/v1, and stays a server error elsewhere."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError
from starlette.requests import Request

from deconflict.entrypoints.api.f3548.errors import install_f3548_error_handlers


class SerializationFailure(Exception):
    sqlstate = "40001"


def _request(path: str) -> Request:
    return Request(
        {"type": "http", "method": "PUT", "path": path, "headers": [], "query_string": b""}
    )


def _failure() -> DBAPIError:
    return DBAPIError("UPDATE ...", {}, SerializationFailure("could not serialize access"))


def test_an_exhausted_retry_is_409_under_dss_v1_and_a_server_error_elsewhere() -> None:
    app = FastAPI()
    install_f3548_error_handlers(app)
    handler = app.exception_handlers[DBAPIError]
    response = asyncio.run(handler(_request("/dss/v1/operational_intent_references/x"), _failure()))
    assert response.status_code == 409
    assert b"simultaneous" in response.body
    with pytest.raises(DBAPIError):
        asyncio.run(handler(_request("/v1/operations"), _failure()))
    other = DBAPIError("SELECT 1", {}, ValueError("syntax"))
    with pytest.raises(DBAPIError):
        asyncio.run(handler(_request("/dss/v1/subscriptions/query"), other))
