"""Leases: work that one process of a deployment does at a time (deadlines, anchoring,
webhook dispatch from the API processes), whichever process holds the lease."""

from __future__ import annotations

from datetime import timedelta

from .context import ServiceContext
from .ports import UnitOfWork


def hold(uow: UnitOfWork, ctx: ServiceContext, name: str, owner: str, ttl_s: float) -> bool:
    """Takes or renews the lease `name` for `owner` for `ttl_s`; False while another
    live owner holds it. An owner that dies loses it `ttl_s` after its last renewal.

    READ COMMITTED: one conditional UPDATE, so it never aborts the writers' serializable
    transactions and two processes taking it at once settle on the row lock."""
    now = ctx.clock()
    until = now + timedelta(seconds=ttl_s)
    return uow.run(lambda tx: tx.leases.acquire(name, owner, now, until), serializable=False)
