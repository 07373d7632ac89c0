"""Token buckets that every API process of a deployment shares: in Redis (when
DECONFLICT_REDIS_URL is set) or in the database. Same contract as the in-process
`TokenBuckets`: `take(key)` spends one token and returns 0, or, when the bucket is
empty, the seconds until the next token (nothing spent)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, cast

import redis
from redis.asyncio import Redis as AsyncRedis
from redis.commands.core import AsyncScript
from sqlalchemy import Engine, Float, bindparam, func, literal, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError

from . import tables as t

log = logging.getLogger(__name__)

# KEYS[1]: the bucket; ARGV: rate per second, burst, now (s). One atomic step in Redis.
_TAKE = """
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]), tonumber(state[2])
if tokens == nil then tokens, at = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return tostring(wait)
"""


class RedisBuckets:
    """Buckets as Redis hashes, updated by one Lua script (atomic across processes);
    a bucket expires once it would be full again. `take` blocks; `take_async` is for
    the event loop (no trip to the thread pool, whose hand-over of the GIL costs more
    than the Redis round trip), on a client of that loop's own (`aclose` closes it)."""

    def __init__(
        self,
        url: str,
        per_minute: int,
        burst: int,
        clock: Callable[[], float] = time.time,
        prefix: str = "deconflict:rate:",
    ) -> None:
        self.rate_per_s = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self.prefix = prefix
        self._url = url
        self._redis = redis.Redis.from_url(url, socket_timeout=2.0)
        self._take = self._redis.register_script(_TAKE)
        self._async: tuple[asyncio.AbstractEventLoop, AsyncRedis, AsyncScript] | None = None

    def _name(self, key: tuple[str, str]) -> str:
        party_id, subject = key
        return f"{self.prefix}{party_id}\x1f{subject}"

    def take(self, key: tuple[str, str]) -> float:
        try:
            wait = self._take(
                keys=[self._name(key)], args=[self.rate_per_s, self.burst, self.clock()]
            )
        except redis.RedisError as error:
            return _unenforced(error)
        return float(cast(Any, wait))

    async def take_async(self, key: tuple[str, str]) -> float:
        loop = asyncio.get_running_loop()
        if self._async is None or self._async[0] is not loop:
            client = AsyncRedis.from_url(self._url, socket_timeout=2.0)
            self._async = (loop, client, client.register_script(_TAKE))
        script = self._async[2]
        try:
            wait = await script(
                keys=[self._name(key)], args=[self.rate_per_s, self.burst, self.clock()]
            )
        except redis.RedisError as error:
            return _unenforced(error)
        return float(cast(Any, wait))

    async def aclose(self) -> None:
        """Closes the event loop's client (the app's shutdown)."""
        if self._async is not None:
            client, self._async = self._async[1], None
            await client.aclose()


def _unenforced(error: redis.RedisError) -> float:
    # The limit protects the service; an unreachable Redis must not take it down.
    log.warning("rate limit not enforced, Redis unavailable: %s", error)
    return 0.0


class SqlBuckets:
    """Buckets as rows, each taken by one upsert: a first request inserts its full bucket
    less one token; a later one updates the row only if the refilled level holds a token
    (the row lock of `INSERT ... ON CONFLICT DO UPDATE` orders concurrent requests of one
    token; none fails). On PostgreSQL the statement commits by itself: one round trip,
    at the server's default READ COMMITTED (a serialization failure under a stricter
    default is retried). An empty bucket is left as it is (its level at any later time
    is the same) and read once more for the wait."""

    def __init__(
        self, engine: Engine, per_minute: int, burst: int, clock: Callable[[], float] = time.time
    ) -> None:
        self.rate_per_s = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        b = t.rate_buckets.c
        now = bindparam("now", type_=Float)
        smallest, largest = (func.min, func.max) if self._sqlite else (func.least, func.greatest)
        level = smallest(
            literal(self.burst, Float),
            b.tokens + largest(literal(0.0, Float), now - b.at_s) * literal(self.rate_per_s, Float),
        )
        insert = sqlite_insert if self._sqlite else postgresql_insert
        proposed = insert(t.rate_buckets).values(
            party_id=bindparam("party"),
            subject=bindparam("subject"),
            tokens=literal(self.burst - 1, Float),
            at_s=now,
        )
        self._take = proposed.on_conflict_do_update(
            index_elements=[b.party_id, b.subject],
            set_={"tokens": level - 1, "at_s": now},
            where=level >= 1,
        ).returning(b.tokens)
        self._level = select(b.tokens, b.at_s).where(
            b.party_id == bindparam("party"), b.subject == bindparam("subject")
        )

    def _take_once(self, party_id: str, subject: str) -> float:
        now = self.clock()
        params = {"party": party_id, "subject": subject, "now": now}
        if self._sqlite:  # in process: BEGIN IMMEDIATE takes the writer lock up front
            with self._engine.connect() as conn, conn.begin():
                taken = conn.execute(self._take, params).first()
                row = None if taken is not None else conn.execute(self._level, params).first()
        else:
            autocommit = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            with autocommit as conn:
                taken = conn.execute(self._take, params).first()
                row = None if taken is not None else conn.execute(self._level, params).first()
        if taken is not None or row is None:
            return 0.0
        elapsed_s = max(0.0, now - float(row.at_s))
        level = min(self.burst, float(row.tokens) + elapsed_s * self.rate_per_s)
        return max(0.0, (1.0 - level) / self.rate_per_s)

    def take(self, key: tuple[str, str]) -> float:
        for _attempt in range(_ATTEMPTS - 1):
            try:
                return self._take_once(*key)
            except DBAPIError as error:
                if _sqlstate(error) not in _RETRYABLE:
                    raise
        return self._take_once(*key)


# serialization_failure and deadlock_detected, under a default stricter than READ COMMITTED.
_RETRYABLE = {"40001", "40P01"}
_ATTEMPTS = 3


def _sqlstate(error: DBAPIError) -> str | None:
    state = getattr(error.orig, "sqlstate", None)
    return state if isinstance(state, str) else None
