"""need-to-know: internal notes on decisions, zone disclosure, authorities, operation
flexibility, whom a suggestion was computed for, and what accepting a reviewer's own
proposal means

Existing zones become `partners` (seen by agreement partners as shape and active
windows only); existing comments stay comments (to the submitter); no party is an
authority until an operator marks it; existing suggestions were computed for the
reviewers of their version and stay readable by those reviewers only.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 23:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN (constant defaults): SQLite adds these in place, where a
    # batch copy of `parties` would be refused by the foreign keys pointing at it.
    op.add_column("review_decisions", sa.Column("internal_note", sa.String(4000), nullable=True))
    op.add_column(
        "zones",
        sa.Column("disclosure", sa.String(20), nullable=False, server_default="partners"),
    )
    op.add_column(
        "parties",
        sa.Column("authority", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("operations", sa.Column("flexibility", sa.JSON(), nullable=True))
    op.add_column("operation_versions", sa.Column("conditions", sa.JSON(), nullable=True))
    op.add_column("suggestions", sa.Column("party_id", sa.String(64), nullable=True))
    op.add_column(
        "agreements",
        sa.Column("proposal_acceptance", sa.String(10), nullable=False, server_default="approve"),
    )


def downgrade() -> None:
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_column("proposal_acceptance")
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.drop_column("party_id")
    with op.batch_alter_table("operation_versions", schema=None) as batch_op:
        batch_op.drop_column("conditions")
    with op.batch_alter_table("operations", schema=None) as batch_op:
        batch_op.drop_column("flexibility")
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.drop_column("authority")
    with op.batch_alter_table("zones", schema=None) as batch_op:
        batch_op.drop_column("disclosure")
    with op.batch_alter_table("review_decisions", schema=None) as batch_op:
        batch_op.drop_column("internal_note")
