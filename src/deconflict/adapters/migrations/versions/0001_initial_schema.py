"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 15:02:05.554315
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "parties",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parties")),
        sa.UniqueConstraint("name", name=op.f("uq_parties_name")),
    )
    op.create_table(
        "agreements",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("proposer_party_id", sa.String(length=64), nullable=False),
        sa.Column("partner_party_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("horizontal_m", sa.Float(), nullable=True),
        sa.Column("vertical_m", sa.Float(), nullable=True),
        sa.Column("time_s", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_party_id"],
            ["parties.id"],
            name=op.f("fk_agreements_partner_party_id_parties"),
        ),
        sa.ForeignKeyConstraint(
            ["proposer_party_id"],
            ["parties.id"],
            name=op.f("fk_agreements_proposer_party_id_parties"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreements")),
    )
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreements_partner_party_id"), ["partner_party_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_agreements_proposer_party_id"), ["proposer_party_id"], unique=False
        )

    op.create_table(
        "operations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_operations_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operations")),
    )
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_operations_party_created", ["party_id", "created_at"], unique=False
        )

    op.create_table(
        "zones",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("footprint", sa.JSON(), nullable=False),
        sa.Column("altitude", sa.JSON(), nullable=False),
        sa.Column("periods", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name=op.f("fk_zones_party_id_parties")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zones")),
    )
    with op.batch_alter_table("zones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_zones_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_zones_party_id"), ["party_id"], unique=False)

    op.create_table(
        "notices",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("operation_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("recipient_party_id", sa.String(length=64), nullable=False),
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("zone_id", sa.String(length=64), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"], ["agreements.id"], name=op.f("fk_notices_agreement_id_agreements")
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"], ["operations.id"], name=op.f("fk_notices_operation_id_operations")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_party_id"],
            ["parties.id"],
            name=op.f("fk_notices_recipient_party_id_parties"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notices_recipient_party_id"), ["recipient_party_id"], unique=False
        )

    op.create_table(
        "operation_cells",
        sa.Column("operation_id", sa.String(length=64), nullable=False),
        sa.Column("volume_index", sa.Integer(), nullable=False),
        sa.Column("cell", sa.BigInteger(), nullable=False),
        sa.Column("t_start_s", sa.BigInteger(), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.Column("t_end_s", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["operations.id"],
            name=op.f("fk_operation_cells_operation_id_operations"),
        ),
        sa.PrimaryKeyConstraint(
            "operation_id", "volume_index", "cell", "t_start_s", name=op.f("pk_operation_cells")
        ),
    )
    with op.batch_alter_table("operation_cells", schema=None) as batch_op:
        batch_op.create_index("ix_operation_cells_cell_time", ["cell", "t_start_s"], unique=False)

    op.create_table(
        "operation_versions",
        sa.Column("operation_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("volumes", sa.JSON(), nullable=False),
        sa.Column("assessment", sa.JSON(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["operations.id"],
            name=op.f("fk_operation_versions_operation_id_operations"),
        ),
        sa.PrimaryKeyConstraint("operation_id", "number", name=op.f("pk_operation_versions")),
    )
    op.create_table(
        "required_reviews",
        sa.Column("operation_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reviewer_party_id", sa.String(length=64), nullable=False),
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("zone_ids", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_required_reviews_agreement_id_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["operations.id"],
            name=op.f("fk_required_reviews_operation_id_operations"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_party_id"],
            ["parties.id"],
            name=op.f("fk_required_reviews_reviewer_party_id_parties"),
        ),
        sa.PrimaryKeyConstraint(
            "operation_id", "version", "reviewer_party_id", name=op.f("pk_required_reviews")
        ),
    )
    with op.batch_alter_table("required_reviews", schema=None) as batch_op:
        batch_op.create_index("ix_required_reviews_reviewer", ["reviewer_party_id"], unique=False)

    op.create_table(
        "zone_cells",
        sa.Column("zone_id", sa.String(length=64), nullable=False),
        sa.Column("cell", sa.BigInteger(), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("t_start_s", sa.BigInteger(), nullable=False),
        sa.Column("t_end_s", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zones.id"], name=op.f("fk_zone_cells_zone_id_zones"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("zone_id", "cell", name=op.f("pk_zone_cells")),
    )
    with op.batch_alter_table("zone_cells", schema=None) as batch_op:
        batch_op.create_index("ix_zone_cells_cell_time", ["cell", "t_start_s"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("zone_cells", schema=None) as batch_op:
        batch_op.drop_index("ix_zone_cells_cell_time")

    op.drop_table("zone_cells")
    with op.batch_alter_table("required_reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_required_reviews_reviewer")

    op.drop_table("required_reviews")
    op.drop_table("operation_versions")
    with op.batch_alter_table("operation_cells", schema=None) as batch_op:
        batch_op.drop_index("ix_operation_cells_cell_time")

    op.drop_table("operation_cells")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notices_recipient_party_id"))

    op.drop_table("notices")
    with op.batch_alter_table("zones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_zones_party_id"))
        batch_op.drop_index(batch_op.f("ix_zones_kind"))

    op.drop_table("zones")
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.drop_index("ix_operations_party_created")

    op.drop_table("operations")
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreements_proposer_party_id"))
        batch_op.drop_index(batch_op.f("ix_agreements_partner_party_id"))

    op.drop_table("agreements")
    op.drop_table("parties")
