"""The audit log: append-only events in one hash chain per object, and anchors that chain
the objects' chains together.

Every event belongs to the chain of the object it is about (`operation:<id>`,
`reviewcase:<id>`...), numbered from 1 and linked to the event before it by its hash.
Writers therefore only ever read the tail of the object they are already changing: no
row that every writer reads, so unrelated writes never collide in the database.

Anchors are a chain of their own, written by one background loop per deployment: each
anchor names the heads (chain, seq, hash) that chains reached since the anchor before.
Editing an event breaks its chain's links; deleting events from the middle leaves a gap;
deleting a chain's tail or a whole chain removes an anchored head. Only events written
after the latest anchor rely on their chain's links alone until the next anchor.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

#: The `prev_hash` of the first event of a chain, and of the first anchor.
GENESIS = "0" * 64


def digest(value: object) -> str:
    """A fingerprint of a domain object's state (its dataclass repr), for before/after."""
    return hashlib.sha256(repr(value).encode()).hexdigest()


def _sha256(parts: list[object]) -> str:
    return hashlib.sha256(json.dumps(parts, separators=(",", ":")).encode()).hexdigest()


def chain_of(object_type: str, object_id: str) -> str:
    """The chain an object's events belong to."""
    return f"{object_type}:{object_id}"


#: Actions that create their object (under a fresh id): always the first of its chain, so
#: storing one reads no chain tail, and so no index page that other writers insert into.
OPENING_ACTIONS = frozenset(
    {
        "operation.submitted",
        "review.opened",
        "review.auto_approved",
        "notice.issued",
        "party.created",
        "agreement.proposed",
        "zone.created",
        "subscription.created",
        "zones.imported",
    }
)


@dataclass(frozen=True, slots=True)
class AuditDraft:
    """What happened, before it takes its place in its object's chain."""

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

    @property
    def chain(self) -> str:
        return chain_of(self.object_type, self.object_id)

    @property
    def opens_chain(self) -> bool:
        return self.action in OPENING_ACTIONS


@dataclass(frozen=True, slots=True)
class AuditEvent:
    seq: int  # position in its chain, from 1
    draft: AuditDraft
    prev_hash: str
    hash: str

    @property
    def chain(self) -> str:
        return self.draft.chain

    @property
    def position(self) -> str:
        return f"{self.chain}#{self.seq}"


def chain_hash(seq: int, draft: AuditDraft, prev_hash: str) -> str:
    d = draft
    return _sha256(
        [
            d.chain,
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
        ]
    )


def chained(previous: AuditEvent | None, draft: AuditDraft) -> AuditEvent:
    """The event that follows `previous` in the draft's chain (None: the chain's first)."""
    if previous is not None and previous.chain != draft.chain:
        raise ValueError(f"{draft.chain} cannot follow an event of {previous.chain}")
    seq = 1 if previous is None else previous.seq + 1
    prev_hash = GENESIS if previous is None else previous.hash
    return AuditEvent(seq, draft, prev_hash, chain_hash(seq, draft, prev_hash))


@dataclass(frozen=True, slots=True, order=True)
class Head:
    """Where a chain stood when an anchor was taken."""

    chain: str
    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class Anchor:
    seq: int
    at: datetime
    heads: tuple[Head, ...]  # sorted
    prev_hash: str
    hash: str


def anchor_hash(seq: int, at: datetime, heads: Iterable[Head], prev_hash: str) -> str:
    return _sha256(
        [seq, at.isoformat(), [[h.chain, h.seq, h.hash] for h in sorted(heads)], prev_hash]
    )


def next_anchor(previous: Anchor | None, at: datetime, heads: Iterable[Head]) -> Anchor:
    """The anchor after `previous` (None: the first) over the chains' new `heads`."""
    ordered = tuple(sorted(heads))
    seq = 1 if previous is None else previous.seq + 1
    prev_hash = GENESIS if previous is None else previous.hash
    return Anchor(seq, at, ordered, prev_hash, anchor_hash(seq, at, ordered, prev_hash))


@dataclass(frozen=True, slots=True)
class Break:
    where: str  # `<chain>#<seq>` of an event, or `anchor <seq>`
    reason: str


def first_anchor_break(anchors: Iterable[Anchor]) -> Break | None:
    """Walks the anchors in order: the first one missing, mislinked or edited."""
    previous: Anchor | None = None
    for anchor in anchors:
        expected = 1 if previous is None else previous.seq + 1
        if anchor.seq != expected:
            return Break(f"anchor {expected}", f"missing (next found: {anchor.seq})")
        if anchor.prev_hash != (GENESIS if previous is None else previous.hash):
            return Break(f"anchor {anchor.seq}", "its link to the anchor before does not match")
        if anchor_hash(anchor.seq, anchor.at, anchor.heads, anchor.prev_hash) != anchor.hash:
            return Break(f"anchor {anchor.seq}", "its contents do not match its hash (edited)")
        previous = anchor
    return None


def first_break(events: Iterable[AuditEvent]) -> Break | None:
    """Walks the chains, each in seq order and one after the other (in any order of
    chains): the first event missing from its chain, mislinked, or whose contents no
    longer match its hash."""
    previous: AuditEvent | None = None
    for event in events:
        same_chain = previous is not None and previous.chain == event.chain
        expected_seq = previous.seq + 1 if same_chain and previous is not None else 1
        if event.seq != expected_seq:
            return Break(f"{event.chain}#{expected_seq}", f"missing (next found: #{event.seq})")
        expected_prev = previous.hash if same_chain and previous is not None else GENESIS
        if event.prev_hash != expected_prev:
            return Break(event.position, "its link to the event before does not match")
        if chain_hash(event.seq, event.draft, event.prev_hash) != event.hash:
            return Break(event.position, "its contents do not match its hash (edited)")
        previous = event
    return None
