"""notices subscriptions outbox

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 15:33:05.967647
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.Column("volume", sa.JSON(), nullable=False),
        sa.Column("webhook_url", sa.String(length=2000), nullable=True),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_sequence", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_subscriptions_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subscriptions_party_id"), ["party_id"], unique=False)

    op.create_table(
        "outbox_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("subscription_id", sa.String(length=64), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_outbox_events_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_events")),
        sa.UniqueConstraint(
            "subscription_id", "sequence", name="uq_outbox_events_subscription_sequence"
        ),
    )
    op.create_table(
        "deliveries",
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subscription_id", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=2000), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["outbox_events.id"],
            name=op.f("fk_deliveries_event_id_outbox_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_deliveries")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_deliveries_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(
            "ix_deliveries_subscription", ["subscription_id", "sequence"], unique=False
        )

    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("submitter_party_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("outline", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("altitude", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("time", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("ack", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("ack_comment", sa.String(length=4000), nullable=True))
        batch_op.add_column(sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("acked_by", sa.String(length=200), nullable=True))
    _notices_from_content()
    with op.batch_alter_table("notices", schema=None) as batch_op:
        for column in ("kind", "submitter_party_id", "ack", "ack_comment"):
            batch_op.alter_column(column, existing_type=sa.String(), nullable=False)
        batch_op.create_index("ix_notices_operation", ["operation_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_notices_submitter_party_id_parties"),
            "parties",
            ["submitter_party_id"],
            ["id"],
        )
        batch_op.drop_column("content")


def _notices_from_content() -> None:
    """Notices of revision 0002 kept their overlap in `content`: spread it into columns."""
    bind = op.get_bind()
    notices = sa.table(
        "notices",
        sa.column("id"),
        sa.column("kind"),
        sa.column("submitter_party_id"),
        sa.column("altitude", sa.JSON()),
        sa.column("time", sa.JSON()),
        sa.column("ack"),
        sa.column("ack_comment"),
    )
    rows = bind.execute(
        sa.text(
            "SELECT n.id, n.content, o.party_id FROM notices n JOIN operations o ON o.id = n.operation_id"
        )
    ).all()
    for notice_id, content, submitter in rows:
        doc = json.loads(content) if isinstance(content, str) else content
        bind.execute(
            notices.update()
            .where(notices.c.id == notice_id)
            .values(
                kind="entry",
                submitter_party_id=submitter,
                altitude=doc["overlap"]["altitude"],
                time=doc["overlap"]["time"],
                ack="pending",
                ack_comment="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content", sa.JSON(), nullable=True))
        batch_op.drop_constraint(
            batch_op.f("fk_notices_submitter_party_id_parties"), type_="foreignkey"
        )
        batch_op.drop_index("ix_notices_operation")
        batch_op.drop_column("acked_by")
        batch_op.drop_column("acked_at")
        batch_op.drop_column("ack_comment")
        batch_op.drop_column("ack")
        batch_op.drop_column("time")
        batch_op.drop_column("altitude")
        batch_op.drop_column("outline")
        batch_op.drop_column("submitter_party_id")
        batch_op.drop_column("kind")

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_subscription")
        batch_op.drop_index("ix_deliveries_due")

    op.drop_table("deliveries")
    op.drop_table("outbox_events")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriptions_party_id"))

    op.drop_table("subscriptions")
