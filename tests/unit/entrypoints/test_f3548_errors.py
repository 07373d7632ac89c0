"""A write that met simultaneous changes as often as it was retried is the standard's
409 under /dss/v1, and stays what it is elsewhere (503 with Retry-After on /v1)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from deconflict.domain.errors import Contended, Unavailable
from deconflict.entrypoints.api.errors import install_error_handlers
from deconflict.entrypoints.api.f3548.errors import install_f3548_error_handlers


def _app(error: Exception) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)
    install_f3548_error_handlers(app)

    def fail() -> None:
        raise error

    app.add_api_route("/dss/v1/operational_intent_references/x", fail, methods=["PUT"])
    app.add_api_route("/v1/operations", fail, methods=["PUT"])
    return TestClient(app, raise_server_exceptions=False)


def test_an_exhausted_retry_is_409_under_dss_v1_and_503_on_the_native_api() -> None:
    client = _app(Contended("too much contention"))
    dss = client.put("/dss/v1/operational_intent_references/x")
    assert dss.status_code == 409
    assert "simultaneous" in dss.json()["message"]
    native = client.put("/v1/operations")
    assert native.status_code == 503
    assert native.headers["Retry-After"] == "1"


def test_a_database_out_of_resources_stays_503_under_dss_v1() -> None:
    client = _app(Unavailable("the database is overloaded"))
    dss = client.put("/dss/v1/operational_intent_references/x")
    assert dss.status_code == 503
    assert dss.json() == {"message": "the database is overloaded"}
