"""Idempotency keys: a write sent again with the same `Idempotency-Key` is done once.

The key and the first answer are stored in the same transaction as the write itself, so
a client that lost the connection and sends the request again gets the first answer and
creates nothing twice, even when the server died between the commit and the reply. Two
requests racing with one key meet on the key's primary key: one commits, the other runs
again, finds the stored answer and returns it. Keys belong to a party and live for the
configured lifetime (24 h by default).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from deconflict.domain.errors import InvalidInput
from deconflict.domain.model import Caller

from .context import ServiceContext
from .ports import IdempotentAnswer, Transaction, UnitOfWork

T = TypeVar("T")
R = TypeVar("R")

#: Where a misused key is reported in a 422.
KEY_LOC = ("header", "Idempotency-Key")


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    """A write's key and the fingerprint of what it asked (method, path, body)."""

    key: str
    fingerprint: str

    @classmethod
    def of(cls, key: str, method: str, path: str, body: bytes) -> IdempotentRequest:
        if not key or len(key) > 200 or not key.isprintable():
            raise InvalidInput.at(KEY_LOC, "an Idempotency-Key is 1 to 200 printable characters")
        digest = hashlib.sha256(f"{method} {path}\n".encode() + body).hexdigest()
        return cls(key, digest)


class _Replay(Exception):
    """Control flow: the key was answered by a request that committed first."""

    def __init__(self, answer: IdempotentAnswer) -> None:
        self.answer = answer


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer: status and JSON body."""

    status_code: int
    body: Any
    replayed: bool = False


class _Recording(Generic[R]):
    """A unit of work that stores the answer in the run whose result is the service's
    result (an instance of `kind`): the write itself, not a sweep run before it."""

    def __init__(
        self,
        uow: UnitOfWork,
        ctx: ServiceContext,
        party_id: str,
        request: IdempotentRequest,
        kind: type[R],
        render: Callable[[R], Answer],
    ) -> None:
        self._uow = uow
        self._ctx = ctx
        self._party_id = party_id
        self._request = request
        self._ttl = timedelta(seconds=ctx.idempotency_ttl_s)
        self._kind = kind
        self._render = render
        self.answer: Answer | None = None

    def run(
        self,
        work: Callable[[Transaction], T],
        *,
        write: bool = True,
        serializable: bool = True,
        snapshot: bool = True,
    ) -> T:
        if not write:
            return self._uow.run(work, write=False, snapshot=snapshot)
        rendered: list[Answer] = []
        attempts: list[None] = []

        def recorded(tx: Transaction) -> T:
            rendered.clear()
            attempts.append(None)
            now = self._ctx.clock()
            # `once` found no answer just before: only a run again (after a conflict, maybe
            # with a request of the same key) reads the key, so that a first run takes no
            # read lock where other writers insert their keys.
            if len(attempts) > 1:
                stored = tx.idempotency.get(self._party_id, self._request.key, now - self._ttl)
                if stored is not None:
                    raise _Replay(stored)
            result = work(tx)
            if isinstance(result, self._kind):
                answer = self._render(result)
                tx.idempotency.put(
                    self._party_id,
                    self._request.key,
                    IdempotentAnswer(
                        self._request.fingerprint, answer.status_code, answer.body, now
                    ),
                    now - self._ttl,
                )
                rendered.append(answer)
            return result

        result = self._uow.run(recorded, write=True, serializable=serializable)
        if rendered:
            self.answer = rendered[0]
        return result


def _replayed(answer: IdempotentAnswer, request: IdempotentRequest) -> Answer:
    if answer.fingerprint != request.fingerprint:
        raise InvalidInput.at(
            KEY_LOC,
            f"Idempotency-Key {request.key!r} was already used for a different request "
            "(another method, path or body); use a new key for a new request",
        )
    return Answer(answer.status_code, answer.response, replayed=True)


def once(
    uow: UnitOfWork,
    ctx: ServiceContext,
    caller: Caller,
    request: IdempotentRequest | None,
    write: Callable[[UnitOfWork], R],
    kind: type[R],
    render: Callable[[R], Answer],
) -> Answer:
    """Runs the write service `write` and renders its result, once per (party, key):
    a request with a key already answered gets that answer (`replayed`), or, when its
    method, path or body differ, InvalidInput at the header (422). Without a key, the
    write simply runs. Used by every write route that takes `Idempotency-Key`."""
    if request is None:
        return render(write(uow))
    since = ctx.clock() - timedelta(seconds=ctx.idempotency_ttl_s)
    stored = uow.run(
        lambda tx: tx.idempotency.get(caller.party_id, request.key, since), write=False
    )
    if stored is not None:
        return _replayed(stored, request)
    recording = _Recording(uow, ctx, caller.party_id, request, kind, render)
    try:
        result = write(recording)
    except _Replay as replay:
        return _replayed(replay.answer, request)
    return recording.answer or render(result)


def expire(uow: UnitOfWork, ctx: ServiceContext, limit: int = 1000) -> int:
    """Forgets answers older than the keys' lifetime (the background loop); how many."""
    before = ctx.clock() - timedelta(seconds=ctx.idempotency_ttl_s)
    return uow.run(lambda tx: tx.idempotency.expire(before, limit))
