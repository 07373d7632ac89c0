"""The audit log: append-only events chained by hashes, so that editing, inserting or
deleting a stored event breaks the chain at that point."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

#: The `prev_hash` of the first event.
GENESIS = "0" * 64


def digest(value: object) -> str:
    """A fingerprint of a domain object's state (its dataclass repr), for before/after."""
    return hashlib.sha256(repr(value).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class AuditDraft:
    """What happened, before it takes its place in the chain."""

    at: datetime
    subject: str
    party_id: str
    roles: tuple[str, ...]
    action: str
    object_type: str
    object_id: str
    before: str | None
    after: str | None
    parties: tuple[str, ...]  # every party the event is about (who may read it)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    seq: int
    draft: AuditDraft
    prev_hash: str
    hash: str


def chain_hash(seq: int, draft: AuditDraft, prev_hash: str) -> str:
    d = draft
    canonical = json.dumps(
        [
            seq,
            d.at.isoformat(),
            d.subject,
            d.party_id,
            sorted(d.roles),
            d.action,
            d.object_type,
            d.object_id,
            d.before,
            d.after,
            sorted(d.parties),
            prev_hash,
        ],
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def chained(previous: AuditEvent | None, draft: AuditDraft) -> AuditEvent:
    """The event that follows `previous` (None: the first)."""
    seq = 1 if previous is None else previous.seq + 1
    prev_hash = GENESIS if previous is None else previous.hash
    return AuditEvent(seq, draft, prev_hash, chain_hash(seq, draft, prev_hash))


@dataclass(frozen=True, slots=True)
class Break:
    seq: int
    reason: str


def first_break(events: Iterable[AuditEvent]) -> Break | None:
    """Walks the chain in order; the first event that does not follow from the one
    before (a gap, a wrong link, or contents that no longer match their hash)."""
    previous: AuditEvent | None = None
    for event in events:
        expected_seq = 1 if previous is None else previous.seq + 1
        if event.seq != expected_seq:
            return Break(expected_seq, f"event {expected_seq} is missing (next found: {event.seq})")
        expected_prev = GENESIS if previous is None else previous.hash
        if event.prev_hash != expected_prev:
            return Break(event.seq, "its link to the event before does not match")
        if chain_hash(event.seq, event.draft, event.prev_hash) != event.hash:
            return Break(event.seq, "its contents do not match its hash (edited)")
        previous = event
    return None
