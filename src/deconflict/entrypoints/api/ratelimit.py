"""Per-token rate limits on writes: a token bucket per (party, token subject).

Only POST, PUT, PATCH and DELETE under /v1 are counted; reads and /healthz never are.
The caller is known from its verified bearer token, not from its address: a request
without a valid token passes through untouched (the route answers 401, at no cost to
anyone's budget), so nobody can spend another subject's budget without its token.

Where the buckets live (`buckets_for`): in Redis when DECONFLICT_REDIS_URL is set (one
atomic script per write, no load on the database); else, when several API processes
serve (DECONFLICT_WORKERS > 1), in the database; else in this process's memory. Every
process of a deployment thus spends from one budget per token.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from deconflict.adapters.ratelimits import RedisBuckets, SqlBuckets
from deconflict.adapters.tokens import InvalidToken, Verifier
from deconflict.config import Settings

from .deps import verified

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PRUNE_ABOVE = 10_000  # buckets; full ones are dropped (a new bucket is full too)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class TokenBuckets:
    """`take(key)` spends one token of `key`'s bucket (of `burst` tokens, refilled at
    `per_minute` a minute) and returns 0, or, when it is empty, the seconds until the
    next token (nothing is spent). `clock` is monotonic seconds (tests move it by hand)."""

    def __init__(
        self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if per_minute <= 0 or burst < 1:
            raise ValueError("a rate limit needs per_minute > 0 and burst >= 1")
        self.rate_per_s = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()

    def _level(self, bucket: _Bucket, now: float) -> float:
        return min(self.burst, bucket.tokens + max(0.0, now - bucket.at) * self.rate_per_s)

    def take(self, key: tuple[str, str]) -> float:
        with self._lock:
            now = self.clock()
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= PRUNE_ABOVE:
                    self._prune(now)
                bucket = self._buckets[key] = _Bucket(self.burst, now)
            bucket.tokens, bucket.at = self._level(bucket, now), now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate_per_s

    def _prune(self, now: float) -> None:
        full = [k for k, b in self._buckets.items() if self._level(b, now) >= self.burst]
        for key in full:
            del self._buckets[key]


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = bytes(value).decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            return None
    return None


class Budget(Protocol):
    clock: Callable[[], float]

    def take(self, key: tuple[str, str]) -> float: ...


class WriteRateLimit:
    """ASGI middleware: answers 429 with `Retry-After` (whole seconds) and the JSON
    error body when the caller's bucket is empty, before the body is read."""

    def __init__(
        self,
        app: ASGIApp,
        verifier: Verifier,
        buckets: Budget | None,
        prefix: str = "/v1/",
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.buckets = buckets
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.buckets is None
            or scope["type"] != "http"
            or scope["method"] not in WRITE_METHODS
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        token = _bearer(scope)
        try:
            caller = None if token is None else await verified(self.verifier, token)
        except InvalidToken:
            caller = None
        key = None if caller is None else (caller.party_id, caller.subject)
        if key is None:
            wait_s = 0.0
        elif isinstance(self.buckets, TokenBuckets):
            wait_s = self.buckets.take(key)  # this process's memory: no I/O
        elif isinstance(self.buckets, RedisBuckets):
            wait_s = await self.buckets.take_async(key)
        else:
            # The database: a blocking round trip, not on the event loop.
            wait_s = await run_in_threadpool(self.buckets.take, key)
        if wait_s <= 0:
            await self.app(scope, receive, send)
            return
        retry_after = max(1, math.ceil(wait_s))
        response = JSONResponse(
            status_code=429,
            content={
                "detail": f"too many writes for this token: retry after {retry_after} s",
                "errors": [],
            },
            headers={"Retry-After": str(retry_after)},
        )
        await response(scope, receive, send)


def buckets_for(settings: Settings, engine: Engine) -> Budget | None:
    """The buckets of a configuration (see the module's docstring); None when
    `rate_limit_per_minute` is 0 (no limit)."""
    per_minute, burst = settings.rate_limit_per_minute, settings.rate_limit_burst
    if per_minute <= 0:
        return None
    if settings.redis_url:
        return RedisBuckets(settings.redis_url, per_minute, burst)
    if settings.workers > 1:
        return SqlBuckets(engine, per_minute, burst)
    return TokenBuckets(per_minute, burst)
