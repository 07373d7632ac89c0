"""Rate limits per token on writes: a token bucket per (party, subject), 429 with
Retry-After once it is empty, refilled as time passes (a clock moved by hand)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from deconflict.bootstrap import Container
from deconflict.entrypoints.api.app import create_app
from deconflict.entrypoints.api.ratelimit import TokenBuckets

from .helpers import error_body, operation, spot, square_volume

BURST = 3
PER_MINUTE = 6  # one write every 10 s once the burst is spent


class Clock:
    """Monotonic seconds, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


Headers = Callable[..., dict[str, str]]


REDIS_URL = os.environ.get("DECONFLICT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
#: Where the buckets live: this process, the database (several API processes), Redis.
BUDGETS = {
    "memory": {},
    "database": {"workers": 2},
    "redis": {"redis_url": REDIS_URL},
}


def _client(
    container: Container, per_minute: int, clock: Clock, budget: str = "memory"
) -> TestClient:
    limited = dataclasses.replace(
        container,
        settings=container.settings.model_copy(
            update={
                "rate_limit_per_minute": per_minute,
                "rate_limit_burst": BURST,
                **BUDGETS[budget],
            }
        ),
    )
    app = create_app(container=limited)
    if app.state.write_limits is not None:
        app.state.write_limits.clock = clock
    return TestClient(app)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=sorted(BUDGETS))
def api(container: Container, clock: Clock, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    """A rate-limited API, its budget in each place it can live."""
    with _client(container, PER_MINUTE, clock, request.param) as client:
        yield client


@pytest.fixture
def party(new_party: Callable[[str], str]) -> str:
    """A party, registered through another app (no limited write spent on it)."""
    return new_party("limited")


@pytest.fixture
def token(container: Container) -> Headers:
    """`token(party, subject)`: headers with a fresh token of that subject."""

    def headers(party_id: str, subject: str) -> dict[str, str]:
        minted = container.issuer.mint(party_id, ["submitter"], 600, subject=subject)
        return {"Authorization": f"Bearer {minted}"}

    return headers


def _submit(api: TestClient, headers: dict[str, str]) -> Response:
    lat, lng = spot()
    return api.post("/v1/operations", json=operation(square_volume(lat, lng)), headers=headers)


def _spend_burst(api: TestClient, headers: dict[str, str]) -> None:
    for _ in range(BURST):
        response = _submit(api, headers)
        assert response.status_code == 201, response.text


def test_the_write_after_the_burst_is_refused_with_429_and_retry_after(
    api: TestClient, party: str, token: Headers
) -> None:
    pilot = token(party, "pilot")
    _spend_burst(api, pilot)
    refused = _submit(api, pilot)
    body = error_body(refused, 429)
    assert body["errors"] == []
    assert "retry after 10 s" in body["detail"]
    assert refused.headers["retry-after"] == "10"


def test_reads_are_not_limited(api: TestClient, party: str, token: Headers) -> None:
    pilot = token(party, "pilot")
    _spend_burst(api, pilot)
    for _ in range(3 * BURST):
        assert api.get("/v1/operations", headers=pilot).status_code == 200
    assert api.get("/healthz").status_code == 200
    assert _submit(api, pilot).status_code == 429


def test_another_subject_has_its_own_budget(api: TestClient, party: str, token: Headers) -> None:
    _spend_burst(api, token(party, "pilot"))
    assert _submit(api, token(party, "pilot")).status_code == 429
    assert _submit(api, token(party, "copilot")).status_code == 201


def test_the_same_subject_in_another_party_has_its_own_budget(
    api: TestClient, party: str, token: Headers, new_party: Callable[[str], str]
) -> None:
    other = new_party("other")
    _spend_burst(api, token(party, "pilot"))
    assert _submit(api, token(other, "pilot")).status_code == 201


def test_a_new_token_of_the_same_subject_shares_its_budget(
    api: TestClient, party: str, token: Headers
) -> None:
    _spend_burst(api, token(party, "pilot"))
    assert _submit(api, token(party, "pilot")).status_code == 429


def test_writes_pass_again_after_retry_after(
    api: TestClient, party: str, token: Headers, clock: Clock
) -> None:
    pilot = token(party, "pilot")
    _spend_burst(api, pilot)
    retry_after = int(_submit(api, pilot).headers["retry-after"])
    clock.now += retry_after - 1
    assert _submit(api, pilot).status_code == 429
    clock.now += 1
    assert _submit(api, pilot).status_code == 201
    assert _submit(api, pilot).status_code == 429


def test_a_bucket_refills_up_to_its_burst_only(
    api: TestClient, party: str, token: Headers, clock: Clock
) -> None:
    pilot = token(party, "pilot")
    _spend_burst(api, pilot)
    clock.now += 3600
    _spend_burst(api, pilot)
    assert _submit(api, pilot).status_code == 429


def test_invalid_tokens_are_answered_401_and_spend_nobody_s_budget(
    api: TestClient, party: str, token: Headers
) -> None:
    pilot = token(party, "pilot")
    forged = {"Authorization": pilot["Authorization"][:-4] + "AAAA"}
    for _ in range(2 * BURST):
        assert _submit(api, forged).status_code == 401
        assert _submit(api, {}).status_code == 401
    _spend_burst(api, pilot)


def test_every_write_method_is_counted(api: TestClient, party: str, token: Headers) -> None:
    pilot = token(party, "pilot")
    assert api.post("/v1/checks", json={"volumes": []}, headers=pilot).status_code == 422
    assert api.put("/v1/operations/nothing", json={}, headers=pilot).status_code == 422
    assert api.delete("/v1/zones/nothing", headers=pilot).status_code in (403, 404)
    assert api.delete("/v1/zones/nothing", headers=pilot).status_code == 429


def test_a_limit_of_zero_per_minute_disables_rate_limiting(
    container: Container, party: str, token: Headers, clock: Clock
) -> None:
    with _client(container, 0, clock) as api:
        assert api.app.state.write_limits is None  # type: ignore[attr-defined]
        pilot = token(party, "pilot")
        for _ in range(BURST + 3):
            assert _submit(api, pilot).status_code == 201


def test_buckets_refuse_a_configuration_that_would_never_refill() -> None:
    with pytest.raises(ValueError):
        TokenBuckets(0, 1)
    with pytest.raises(ValueError):
        TokenBuckets(60, 0)


def test_buckets_drop_full_buckets_when_they_grow_large(monkeypatch: pytest.MonkeyPatch) -> None:
    from deconflict.entrypoints.api import ratelimit

    monkeypatch.setattr(ratelimit, "PRUNE_ABOVE", 3)
    clock = Clock()
    buckets = TokenBuckets(60, 2, clock)
    for name in ("a", "b", "c"):
        assert buckets.take(("p", name)) == 0
    buckets.take(("p", "c"))  # c is now empty; a and b refill within a second
    clock.now += 1.5
    buckets.take(("p", "d"))
    assert set(buckets._buckets) == {("p", "c"), ("p", "d")}
    assert buckets.take(("p", "c")) == 0  # c kept its level (refilled to 1.5 by now)
    assert buckets.take(("p", "c")) == pytest.approx(0.5)
