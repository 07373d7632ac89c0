"""zone sources: the identifier a zone was imported by, unique per party, and the
attributes of its file that deconflict keeps only to export them again

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 16:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite cannot add a constraint to a table in place (it copies it);
    # PostgreSQL alters the table directly.
    with op.batch_alter_table("zones", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("attributes", sa.JSON(), nullable=True))
        batch_op.create_unique_constraint("uq_zones_party_source", ["party_id", "source_id"])


def downgrade() -> None:
    with op.batch_alter_table("zones", schema=None) as batch_op:
        batch_op.drop_constraint("uq_zones_party_source", type_="unique")
        batch_op.drop_column("attributes")
        batch_op.drop_column("source_id")
