"""audit chains per object with anchors; idempotency keys; leases; shared rate buckets

The one global audit chain (every writer read and extended its tail) becomes one chain
per object. Existing events are re-chained in their original order, each into its
object's chain, and a first anchor covers every chain's head, so `deconflict audit
verify` holds from the start. The old chain is verified first: a broken one stops the
upgrade rather than being re-hashed into a valid-looking one.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 23:55:00.000000
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from deconflict.domain.audit import GENESIS, AuditDraft, AuditEvent, Head, chained, next_anchor

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_CHAIN = sa.String(length=120)


def _utc(value: Any) -> datetime:
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _v1_hash(seq: int, d: AuditDraft, prev_hash: str) -> str:
    """The one global chain's hash (revision 0004)."""
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


def _json_list(value: Any) -> list[str]:
    return list(value) if isinstance(value, list) else list(json.loads(value))


def _draft(r: sa.RowMapping) -> AuditDraft:
    return AuditDraft(
        at=_utc(r["at"]),
        subject=r["subject"],
        party_id=r["party_id"],
        roles=tuple(_json_list(r["roles"])),
        action=r["action"],
        object_type=r["object_type"],
        object_id=r["object_id"],
        before=r["before_digest"],
        after=r["after_digest"],
        parties=tuple(_json_list(r["parties"])),
    )


def _stored(conn: sa.Connection, value: datetime) -> datetime:
    return value.replace(tzinfo=None) if conn.dialect.name == "sqlite" else value


def _old_events(conn: sa.Connection) -> list[AuditDraft]:
    """The old chain's drafts in order, after checking its links and hashes."""
    rows = conn.execute(sa.text("SELECT * FROM audit_events ORDER BY seq")).mappings()
    drafts, prev, expected = [], GENESIS, 1
    for r in rows:
        draft = _draft(r)
        if r["seq"] != expected or r["prev_hash"] != prev:
            raise RuntimeError(f"audit chain broken at event {expected}: not migrating it")
        if _v1_hash(r["seq"], draft, prev) != r["hash"]:
            raise RuntimeError(f"audit event {r['seq']} was edited: not migrating it")
        prev, expected = r["hash"], expected + 1
        drafts.append(draft)
    return drafts


def upgrade() -> None:
    conn = op.get_bind()
    drafts = _old_events(conn)
    op.drop_table("audit_parties")
    op.drop_table("audit_events")
    events = op.create_table(
        "audit_events",
        sa.Column("chain_id", _CHAIN, nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("before_digest", sa.String(length=64), nullable=True),
        sa.Column("after_digest", sa.String(length=64), nullable=True),
        sa.Column("parties", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "seq", name=op.f("pk_audit_events")),
    )
    parties = op.create_table(
        "audit_parties",
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.Column("chain_id", _CHAIN, nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("party_id", "chain_id", "seq", name=op.f("pk_audit_parties")),
    )
    op.create_index("ix_audit_parties_party_at", "audit_parties", ["party_id", "at"])
    op.create_table(
        "audit_unanchored",
        sa.Column("chain_id", _CHAIN, nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "seq", name=op.f("pk_audit_unanchored")),
    )
    anchors = op.create_table(
        "audit_anchors",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_anchors")),
    )
    heads = op.create_table(
        "audit_anchor_heads",
        sa.Column("anchor_seq", sa.BigInteger(), nullable=False),
        sa.Column("chain_id", _CHAIN, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["anchor_seq"],
            ["audit_anchors.seq"],
            name=op.f("fk_audit_anchor_heads_anchor_seq_audit_anchors"),
        ),
        sa.PrimaryKeyConstraint("anchor_seq", "chain_id", name=op.f("pk_audit_anchor_heads")),
    )
    op.create_index("ix_audit_anchor_heads_chain", "audit_anchor_heads", ["chain_id", "seq"])
    op.create_table(
        "idempotency_keys",
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("party_id", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index("ix_idempotency_keys_created", "idempotency_keys", ["created_at"])
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "rate_buckets",
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("at_s", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("party_id", "subject", name=op.f("pk_rate_buckets")),
    )

    tails: dict[str, AuditEvent] = {}
    for draft in drafts:
        event = chained(tails.get(draft.chain), draft)
        tails[draft.chain] = event
        d = event.draft
        conn.execute(
            events.insert().values(
                chain_id=d.chain,
                seq=event.seq,
                at=_stored(conn, d.at),
                subject=d.subject,
                party_id=d.party_id,
                roles=list(d.roles),
                action=d.action,
                object_type=d.object_type,
                object_id=d.object_id,
                before_digest=d.before,
                after_digest=d.after,
                parties=list(d.parties),
                prev_hash=event.prev_hash,
                hash=event.hash,
            )
        )
        for party in sorted(set(d.parties)):
            conn.execute(
                parties.insert().values(
                    party_id=party,
                    chain_id=d.chain,
                    seq=event.seq,
                    at=_stored(conn, d.at),
                )
            )
    if tails:
        now = datetime.now(UTC)
        anchor = next_anchor(None, now, (Head(c, e.seq, e.hash) for c, e in tails.items()))
        conn.execute(
            anchors.insert().values(
                seq=anchor.seq,
                at=_stored(conn, now),
                prev_hash=anchor.prev_hash,
                hash=anchor.hash,
            )
        )
        conn.execute(
            heads.insert(),
            [
                {"anchor_seq": anchor.seq, "chain_id": h.chain, "seq": h.seq, "hash": h.hash}
                for h in anchor.heads
            ],
        )


def downgrade() -> None:
    """Back to one global chain: every event in time order, re-chained with the old hash
    (after checking the per-object chains are intact); anchors are dropped."""
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT * FROM audit_events ORDER BY at, chain_id, seq")).mappings()
    drafts = [_draft(r) for r in rows]
    for name in (
        "rate_buckets",
        "leases",
        "idempotency_keys",
        "audit_anchor_heads",
        "audit_anchors",
        "audit_unanchored",
        "audit_parties",
        "audit_events",
    ):
        op.drop_table(name)
    events = op.create_table(
        "audit_events",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("before_digest", sa.String(length=64), nullable=True),
        sa.Column("after_digest", sa.String(length=64), nullable=True),
        sa.Column("parties", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
    )
    parties = op.create_table(
        "audit_parties",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["seq"], ["audit_events.seq"], name=op.f("fk_audit_parties_seq_audit_events")
        ),
        sa.PrimaryKeyConstraint("seq", "party_id", name=op.f("pk_audit_parties")),
    )
    op.create_index("ix_audit_parties_party_seq", "audit_parties", ["party_id", "seq"])
    prev = GENESIS
    for seq, d in enumerate(drafts, start=1):
        digest = _v1_hash(seq, d, prev)
        conn.execute(
            events.insert().values(
                seq=seq,
                at=_stored(conn, d.at),
                subject=d.subject,
                party_id=d.party_id,
                roles=list(d.roles),
                action=d.action,
                object_type=d.object_type,
                object_id=d.object_id,
                before_digest=d.before,
                after_digest=d.after,
                parties=list(d.parties),
                prev_hash=prev,
                hash=digest,
            )
        )
        for party in sorted(set(d.parties)):
            conn.execute(parties.insert().values(seq=seq, party_id=party))
        prev = digest
