"""audit log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 15:47:41.580775
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
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
    op.create_table(
        "audit_parties",
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["seq"], ["audit_events.seq"], name=op.f("fk_audit_parties_seq_audit_events")
        ),
        sa.PrimaryKeyConstraint("seq", "party_id", name=op.f("pk_audit_parties")),
    )
    with op.batch_alter_table("audit_parties", schema=None) as batch_op:
        batch_op.create_index("ix_audit_parties_party_seq", ["party_id", "seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_parties", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_parties_party_seq")

    op.drop_table("audit_parties")
    op.drop_table("audit_events")
