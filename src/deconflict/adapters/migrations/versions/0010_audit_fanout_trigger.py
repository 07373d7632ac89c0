"""Audit events fan out to `audit_parties` and `audit_unanchored` by trigger

Each audit event appended wrote three rows in three statements (the event, one row per
party that may read it, one for the anchoring loop). A trigger on `audit_events` now
writes the other two in the database, in the same transaction: two round trips fewer
for every write of the service, and no way to append an event that the anchors or the
parties' views would miss.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 05:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER audit_events_fanout AFTER INSERT ON audit_events BEGIN "
            "INSERT INTO audit_parties (party_id, chain_id, seq, at) "
            "SELECT DISTINCT value, NEW.chain_id, NEW.seq, NEW.at FROM json_each(NEW.parties); "
            "INSERT INTO audit_unanchored (chain_id, seq) VALUES (NEW.chain_id, NEW.seq); "
            "END"
        )
        return
    op.execute(
        "CREATE FUNCTION audit_events_fanout() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN "
        "INSERT INTO audit_parties (party_id, chain_id, seq, at) "
        "SELECT DISTINCT p, NEW.chain_id, NEW.seq, NEW.at "
        "FROM json_array_elements_text(NEW.parties::json) AS p; "
        "INSERT INTO audit_unanchored (chain_id, seq) VALUES (NEW.chain_id, NEW.seq); "
        "RETURN NULL; "
        "END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_events_fanout AFTER INSERT ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_fanout()"
    )


def downgrade() -> None:
    op.execute(
        "DROP TRIGGER IF EXISTS audit_events_fanout"
        + ("" if op.get_bind().dialect.name == "sqlite" else " ON audit_events")
    )
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS audit_events_fanout()")
