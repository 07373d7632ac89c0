"""review cases and suggestions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 15:17:39.385731
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


_DEFAULT_CHAIN = {
    "stages": [
        {
            "name": "review",
            "roles": ["reviewer"],
            "rule": "any",
            "deadline_s": None,
            "on_deadline": "escalate",
        }
    ],
    "auto_approval": [],
}


def _required_reviews_become_cases() -> None:
    """Each review required under 0001 becomes an open case on the default chain."""
    bind = op.get_bind()
    now = datetime.now(UTC)
    rows = bind.execute(
        sa.text(
            "SELECT r.operation_id, r.version, r.reviewer_party_id, r.agreement_id, r.zone_ids, "
            "o.party_id FROM required_reviews r JOIN operations o ON o.id = r.operation_id"
        )
    ).all()
    cases = sa.table(
        "review_cases",
        *(
            sa.column(c)
            for c in (
                "id",
                "operation_id",
                "version",
                "submitter_party_id",
                "reviewer_party_id",
                "agreement_id",
                "state",
                "stage_index",
                "stage_started_at",
                "created_at",
            )
        ),
        sa.column("chain", sa.JSON()),
        sa.column("zone_ids", sa.JSON()),
    )
    for op_id, version, reviewer, agreement, zone_ids, submitter in rows:
        bind.execute(
            cases.insert().values(
                id=str(uuid.uuid4()),
                operation_id=op_id,
                version=version,
                submitter_party_id=submitter,
                reviewer_party_id=reviewer,
                agreement_id=agreement,
                chain=_DEFAULT_CHAIN,
                zone_ids=zone_ids if isinstance(zone_ids, list) else json.loads(zone_ids),
                state="open",
                stage_index=0,
                stage_started_at=now,
                created_at=now,
            )
        )


def upgrade() -> None:
    op.create_table(
        "review_cases",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("operation_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("submitter_party_id", sa.String(length=64), nullable=False),
        sa.Column("reviewer_party_id", sa.String(length=64), nullable=False),
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("chain", sa.JSON(), nullable=False),
        sa.Column("zone_ids", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("stage_index", sa.Integer(), nullable=False),
        sa.Column("stage_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_review_cases_agreement_id_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["operations.id"],
            name=op.f("fk_review_cases_operation_id_operations"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_party_id"],
            ["parties.id"],
            name=op.f("fk_review_cases_reviewer_party_id_parties"),
        ),
        sa.ForeignKeyConstraint(
            ["submitter_party_id"],
            ["parties.id"],
            name=op.f("fk_review_cases_submitter_party_id_parties"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_cases")),
    )
    with op.batch_alter_table("review_cases", schema=None) as batch_op:
        batch_op.create_index("ix_review_cases_due", ["state", "due_at"], unique=False)
        batch_op.create_index(
            "ix_review_cases_operation", ["operation_id", "version"], unique=False
        )
        batch_op.create_index(
            "ix_review_cases_reviewer_state", ["reviewer_party_id", "state"], unique=False
        )

    op.create_table(
        "suggestions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("operation_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("summary", sa.String(length=400), nullable=False),
        sa.Column("volumes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["operation_id"], ["operations.id"], name=op.f("fk_suggestions_operation_id_operations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestions")),
    )
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.create_index("ix_suggestions_operation", ["operation_id", "version"], unique=False)

    op.create_table(
        "review_decisions",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("stage_index", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=40), nullable=True),
        sa.Column("comment", sa.String(length=4000), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=True),
        sa.Column("proposal", sa.JSON(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["review_cases.id"], name=op.f("fk_review_decisions_case_id_review_cases")
        ),
        sa.PrimaryKeyConstraint("case_id", "seq", name=op.f("pk_review_decisions")),
        sa.UniqueConstraint(
            "case_id", "stage_index", "role", name="uq_review_decisions_stage_role"
        ),
        sa.UniqueConstraint(
            "case_id", "stage_index", "subject", name="uq_review_decisions_stage_subject"
        ),
    )
    _required_reviews_become_cases()
    with op.batch_alter_table("required_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_required_reviews_reviewer"))

    op.drop_table("required_reviews")
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_chain", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_column("review_chain")

    op.create_table(
        "required_reviews",
        sa.Column("operation_id", sa.VARCHAR(length=64), nullable=False),
        sa.Column("version", sa.INTEGER(), nullable=False),
        sa.Column("reviewer_party_id", sa.VARCHAR(length=64), nullable=False),
        sa.Column("agreement_id", sa.VARCHAR(length=64), nullable=False),
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
        batch_op.create_index(
            batch_op.f("ix_required_reviews_reviewer"), ["reviewer_party_id"], unique=False
        )

    op.drop_table("review_decisions")
    with op.batch_alter_table("suggestions", schema=None) as batch_op:
        batch_op.drop_index("ix_suggestions_operation")

    op.drop_table("suggestions")
    with op.batch_alter_table("review_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_review_cases_reviewer_state")
        batch_op.drop_index("ix_review_cases_operation")
        batch_op.drop_index("ix_review_cases_due")

    op.drop_table("review_cases")
