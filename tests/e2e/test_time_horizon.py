"""Through the API: operations may start at most DECONFLICT_MAX_LEAD_S ahead and may
not have ended; each problem is located at the field that was sent."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from deconflict.bootstrap import Container, service_context
from deconflict.entrypoints.api.app import create_app

from .helpers import assert_problem, f3548_volume, operation, spot, square_volume

Auth = Callable[..., dict[str, str]]
LEAD = timedelta(days=90)


@pytest.fixture
def api(container: Container) -> Iterator[TestClient]:
    settings = container.settings.model_copy(update={"max_lead_s": LEAD.total_seconds()})
    near = dataclasses.replace(container, settings=settings, ctx=service_context(settings))
    with TestClient(create_app(container=near)) as client:
        yield client


@pytest.fixture
def pilot(auth: Auth, new_party: Callable[[str], str]) -> dict[str, str]:
    return auth(new_party("horizon"), "submitter")


def _at(start: datetime) -> dict[str, str]:
    return {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()}


def test_an_operation_within_the_horizon_is_accepted(
    api: TestClient, pilot: dict[str, str]
) -> None:
    soon = datetime.now(UTC) + LEAD - timedelta(days=1)
    body = operation(square_volume(*spot(), **_at(soon)))
    assert api.post("/v1/operations", json=body, headers=pilot).status_code == 201


def test_an_operation_beyond_the_horizon_is_refused_at_its_start(
    api: TestClient, pilot: dict[str, str]
) -> None:
    late = datetime.now(UTC) + LEAD + timedelta(days=1)
    ok = datetime.now(UTC) + timedelta(days=1)
    body = operation(square_volume(*spot(), **_at(ok)), square_volume(*spot(), **_at(late)))
    response = api.post("/v1/operations", json=body, headers=pilot)
    assert_problem(response, ["body", "volumes", 1, "time_start"], "ahead")


def test_an_operation_that_has_ended_is_refused_at_its_end(
    api: TestClient, pilot: dict[str, str]
) -> None:
    body = operation(square_volume(*spot(), **_at(datetime.now(UTC) - timedelta(days=2))))
    response = api.post("/v1/operations", json=body, headers=pilot)
    assert_problem(response, ["body", "volumes", 0, "time_end"], "in the past")


def test_checks_and_new_versions_keep_to_the_horizon_too(
    api: TestClient, pilot: dict[str, str]
) -> None:
    late = _at(datetime.now(UTC) + 2 * LEAD)
    check = api.post(
        "/v1/checks",
        json={"volumes": [f3548_volume(circle=(*spot(), 300.0), **late)]},
        headers=pilot,
    )
    assert_problem(check, ["body", "volumes", 0, "time_start", "value"], "ahead")
    soon = _at(datetime.now(UTC) + timedelta(days=1))
    where = spot()
    created = api.post(
        "/v1/operations", json=operation(square_volume(*where, **soon)), headers=pilot
    )
    assert created.status_code == 201, created.text
    moved = api.put(
        f"/v1/operations/{created.json()['id']}",
        json=operation(square_volume(*where, **late)),
        headers=pilot,
    )
    assert_problem(moved, ["body", "volumes", 0, "time_start"], "ahead")
