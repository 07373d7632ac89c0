"""ASTM F3548-21 DSS: subjects of parties, operational intent and constraint references
beside their operations and zones, DSS subscriptions and their cells, USS availability,
reports

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 23:39:12.881799
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "f3548_availability",
        sa.Column("uss", sa.String(length=200), nullable=False),
        sa.Column("availability", sa.String(length=20), nullable=False),
        sa.Column("version", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("uss", name=op.f("pk_f3548_availability")),
    )
    op.create_table(
        "f3548_constraints",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("manager", sa.String(length=200), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.Column("zone_ids", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("ovn", sa.String(length=128), nullable=False),
        sa.Column("extents", sa.JSON(), nullable=False),
        sa.Column("uss_base_url", sa.String(length=2000), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_f3548_constraints_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_f3548_constraints")),
    )
    op.create_table(
        "f3548_reports",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("reporter", sa.String(length=200), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_f3548_reports_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_f3548_reports")),
    )
    op.create_table(
        "f3548_subjects",
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_f3548_subjects_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_f3548_subjects")),
    )
    with op.batch_alter_table("f3548_subjects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_f3548_subjects_party_id"), ["party_id"], unique=False)

    op.create_table(
        "f3548_subscriptions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("manager", sa.String(length=200), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=128), nullable=False),
        sa.Column("notification_index", sa.Integer(), nullable=False),
        sa.Column("volumes", sa.JSON(), nullable=False),
        sa.Column("uss_base_url", sa.String(length=2000), nullable=False),
        sa.Column("notify_for_operational_intents", sa.Boolean(), nullable=False),
        sa.Column("notify_for_constraints", sa.Boolean(), nullable=False),
        sa.Column("implicit", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_f3548_subscriptions_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_f3548_subscriptions")),
    )
    with op.batch_alter_table("f3548_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_f3548_subscriptions_manager"), ["manager"], unique=False
        )

    op.create_table(
        "f3548_constraint_zones",
        sa.Column("zone_id", sa.String(length=64), nullable=False),
        sa.Column("constraint_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["constraint_id"],
            ["f3548_constraints.id"],
            name=op.f("fk_f3548_constraint_zones_constraint_id_f3548_constraints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("zone_id", name=op.f("pk_f3548_constraint_zones")),
    )
    with op.batch_alter_table("f3548_constraint_zones", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_f3548_constraint_zones_constraint_id"), ["constraint_id"], unique=False
        )

    op.create_table(
        "f3548_intents",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("manager", sa.String(length=200), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.Column("operation_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("ovn", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("extents", sa.JSON(), nullable=False),
        sa.Column("uss_base_url", sa.String(length=2000), nullable=False),
        sa.Column("subscription_id", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["operations.id"],
            name=op.f("fk_f3548_intents_operation_id_operations"),
        ),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_f3548_intents_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_f3548_intents")),
        sa.UniqueConstraint("operation_id", name=op.f("uq_f3548_intents_operation_id")),
    )
    with op.batch_alter_table("f3548_intents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_f3548_intents_subscription_id"), ["subscription_id"], unique=False
        )

    op.create_table(
        "f3548_subscription_cells",
        sa.Column("subscription_id", sa.String(length=64), nullable=False),
        sa.Column("cell", sa.BigInteger(), nullable=False),
        sa.Column("t_start_s", sa.BigInteger(), nullable=False),
        sa.Column("t_end_s", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["f3548_subscriptions.id"],
            name=op.f("fk_f3548_subscription_cells_subscription_id_f3548_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "subscription_id", "cell", name=op.f("pk_f3548_subscription_cells")
        ),
    )
    with op.batch_alter_table("f3548_subscription_cells", schema=None) as batch_op:
        batch_op.create_index(
            "ix_f3548_subscription_cells_cell_time", ["cell", "t_start_s"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("f3548_subscription_cells", schema=None) as batch_op:
        batch_op.drop_index("ix_f3548_subscription_cells_cell_time")

    op.drop_table("f3548_subscription_cells")
    with op.batch_alter_table("f3548_intents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_f3548_intents_subscription_id"))

    op.drop_table("f3548_intents")
    with op.batch_alter_table("f3548_constraint_zones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_f3548_constraint_zones_constraint_id"))

    op.drop_table("f3548_constraint_zones")
    with op.batch_alter_table("f3548_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_f3548_subscriptions_manager"))

    op.drop_table("f3548_subscriptions")
    with op.batch_alter_table("f3548_subjects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_f3548_subjects_party_id"))

    op.drop_table("f3548_subjects")
    op.drop_table("f3548_reports")
    op.drop_table("f3548_constraints")
    op.drop_table("f3548_availability")
