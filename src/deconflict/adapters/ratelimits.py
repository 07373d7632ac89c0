"""Token buckets that every API process of a deployment shares: in Redis (when
DECONFLICT_REDIS_URL is set) or in the database. Same contract as the in-process
`TokenBuckets`: `take(key)` spends one token and returns 0, or, when the bucket is
empty, the seconds until the next token (nothing spent)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, cast

import redis
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

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
    a bucket expires once it would be full again."""

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
        self._redis = redis.Redis.from_url(url, socket_timeout=2.0)
        self._take = self._redis.register_script(_TAKE)

    def take(self, key: tuple[str, str]) -> float:
        party_id, subject = key
        name = f"{self.prefix}{party_id}\x1f{subject}"
        try:
            wait = self._take(keys=[name], args=[self.rate_per_s, self.burst, self.clock()])
        except redis.RedisError as error:
            # The limit protects the service; an unreachable Redis must not take it down.
            log.warning("rate limit not enforced, Redis unavailable: %s", error)
            return 0.0
        return float(cast(Any, wait))


class SqlBuckets:
    """Buckets as rows, each taken under its row lock at READ COMMITTED (SQLite: its
    writer lock): concurrent requests of one token wait for each other, never fail."""

    def __init__(
        self, engine: Engine, per_minute: int, burst: int, clock: Callable[[], float] = time.time
    ) -> None:
        self.rate_per_s = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._engine = engine
        self._options: dict[str, Any] = {}
        if engine.dialect.name != "sqlite":
            self._options["isolation_level"] = "READ COMMITTED"

    def _take_once(self, party_id: str, subject: str) -> float:
        b = t.rate_buckets.c
        mine = (b.party_id == party_id, b.subject == subject)
        with self._engine.connect().execution_options(**self._options) as conn, conn.begin():
            now = self.clock()
            row = conn.execute(select(b.tokens, b.at_s).where(*mine).with_for_update()).first()
            if row is None:
                conn.execute(
                    insert(t.rate_buckets).values(
                        party_id=party_id, subject=subject, tokens=self.burst - 1, at_s=now
                    )
                )
                return 0.0
            tokens = min(self.burst, row.tokens + max(0.0, now - row.at_s) * self.rate_per_s)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate_per_s
            conn.execute(update(t.rate_buckets).where(*mine).values(tokens=tokens, at_s=now))
            return wait

    def take(self, key: tuple[str, str]) -> float:
        try:
            return self._take_once(*key)
        except IntegrityError:  # two first requests of one token: the other inserted it
            return self._take_once(*key)
