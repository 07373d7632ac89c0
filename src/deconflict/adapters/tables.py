"""The relational schema (SQLAlchemy Core). Portable: SQLite, PostgreSQL, CockroachDB.

No PostgreSQL-only types in the write path: ids are strings, times are timestamps and
epoch seconds, documents are JSON, cells are BIGINT (H3 indexes fit in 63 bits).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Double,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
    false,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = String(64)

parties = Table(
    "parties",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # Marked by an operator: its public restricted zones bind every party (revision 0007).
    Column("authority", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("name"),
)

agreements = Table(
    "agreements",
    metadata,
    Column("id", ID, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("proposer_party_id", ID, ForeignKey("parties.id"), nullable=False, index=True),
    Column("partner_party_id", ID, ForeignKey("parties.id"), nullable=False, index=True),
    Column("state", String(20), nullable=False),
    Column("horizontal_m", Float),
    Column("vertical_m", Float),
    Column("time_s", Float),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("review_chain", JSON),
    # approve | review: a version keeping to the reviewer's proposal (revision 0007).
    Column("proposal_acceptance", String(10), nullable=False, server_default="approve"),
)

zones = Table(
    "zones",
    metadata,
    Column("id", ID, primary_key=True),
    Column("party_id", ID, ForeignKey("parties.id"), nullable=False, index=True),
    Column("kind", String(20), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("footprint", JSON, nullable=False),
    Column("altitude", JSON, nullable=False),
    Column("periods", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # The identifier in the file a zone was imported from (unique per party) and what
    # that file said that deconflict does not use (revision 0005).
    Column("source_id", String(200)),
    Column("attributes", JSON),
    # public | partners | private: who else may see it (revision 0007).
    Column("disclosure", String(20), nullable=False, server_default="partners"),
    UniqueConstraint("party_id", "source_id", name="uq_zones_party_source"),
)

#: An integer primary key that is SQLite's rowid (the R*Tree rows point at it).
ROWID = BigInteger().with_variant(Integer(), "sqlite")


def _boxed(name: str, *columns: Any) -> Table:
    """A table of index rows, each with a box, a band and a window; the spatial index
    over them is the backend's own, made by migration 0009: an R*Tree on SQLite, a GiST
    index on (box, window) on PostgreSQL (see adapters/spatial.py)."""
    return Table(
        name,
        metadata,
        Column("id", ROWID, primary_key=True, autoincrement=True),
        *columns,
        Column("lng_min", Double, nullable=False),
        Column("lng_max", Double, nullable=False),
        Column("lat_min", Double, nullable=False),
        Column("lat_max", Double, nullable=False),
        Column("lower_m", Double, nullable=False),
        Column("upper_m", Double, nullable=False),
        Column("t_start_s", BigInteger, nullable=False),
        Column("t_end_s", BigInteger, nullable=False),
    )


# One row: a number that every change of agreements or authorities increments, so that
# processes may keep relations between checks and know when to read them again.
relations_generation = Table(
    "relations_generation",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("generation", BigInteger, nullable=False),
)

# One row per claimed cell of a 0.1 degree grid: writers in the same area update the same
# rows, so that PostgreSQL serializes them (adapters/spatial.py, "Claims").
area_claims = Table(
    "area_claims",
    metadata,
    Column("cell", BigInteger, primary_key=True, autoincrement=False),
    Column("claims", BigInteger, nullable=False),
)

# One row per (zone, active period): the zone's volumes, for the candidate search.
zone_volumes = _boxed(
    "zone_volumes",
    Column("zone_id", ID, ForeignKey("zones.id", ondelete="CASCADE"), nullable=False),
    Column("party_id", ID, nullable=False),
    Column("kind", String(20), nullable=False),
    Index("ix_zone_volumes_zone", "zone_id"),
)

operations = Table(
    "operations",
    metadata,
    Column("id", ID, primary_key=True),
    Column("party_id", ID, ForeignKey("parties.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("state", String(30), nullable=False),
    Column("current_version", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # How far suggestions may move it (revision 0007); null: the defaults.
    Column("flexibility", JSON),
    Index("ix_operations_party_created", "party_id", "created_at"),
)

operation_versions = Table(
    "operation_versions",
    metadata,
    Column("operation_id", ID, ForeignKey("operations.id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("state", String(30), nullable=False),
    Column("volumes", JSON, nullable=False),
    Column("assessment", JSON, nullable=False),
    Column("submitted_at", UTCDateTime(), nullable=False),
    Column("submitted_by", String(200), nullable=False),
    # The conditions it is approved with, by reviewing party (revision 0007).
    Column("conditions", JSON),
)

# One row per volume of the current version of a counting operation, with a compact
# copy of the volume (codec.volume_to_bytes) so that candidates need no other lookup.
operation_volumes = _boxed(
    "operation_volumes",
    Column("operation_id", ID, ForeignKey("operations.id"), nullable=False),
    Column("volume_index", Integer, nullable=False),
    Column("party_id", ID, nullable=False),
    Column("volume", LargeBinary, nullable=False),
    Index("ix_operation_volumes_operation", "operation_id"),
)

review_cases = Table(
    "review_cases",
    metadata,
    Column("id", ID, primary_key=True),
    Column("operation_id", ID, ForeignKey("operations.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("submitter_party_id", ID, ForeignKey("parties.id"), nullable=False),
    Column("reviewer_party_id", ID, ForeignKey("parties.id"), nullable=False),
    Column("agreement_id", ID, ForeignKey("agreements.id"), nullable=False),
    Column("chain", JSON, nullable=False),
    Column("zone_ids", JSON, nullable=False),
    Column("state", String(30), nullable=False),
    Column("stage_index", Integer, nullable=False),
    Column("stage_started_at", UTCDateTime(), nullable=False),
    Column("due_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("closed_at", UTCDateTime()),
    Index("ix_review_cases_operation", "operation_id", "version"),
    Index("ix_review_cases_reviewer_state", "reviewer_party_id", "state"),
    Index("ix_review_cases_due", "state", "due_at"),
)

# Append-only; the unique keys are the last line of defence against a double decision.
review_decisions = Table(
    "review_decisions",
    metadata,
    Column("case_id", ID, ForeignKey("review_cases.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("stage_index", Integer, nullable=False),
    Column("role", String(100), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("party_id", ID, nullable=False),
    Column("decision", String(40)),
    Column("comment", String(4000), nullable=False),
    Column("conditions", JSON),
    Column("proposal", JSON),
    Column("decided_at", UTCDateTime(), nullable=False),
    Column("automatic", Boolean, nullable=False),
    # Seen only inside the reviewing party; `comment` is to the submitter (revision 0007).
    Column("internal_note", String(4000)),
    UniqueConstraint("case_id", "stage_index", "role", name="uq_review_decisions_stage_role"),
    UniqueConstraint("case_id", "stage_index", "subject", name="uq_review_decisions_stage_subject"),
)

suggestions = Table(
    "suggestions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("operation_id", ID, ForeignKey("operations.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("summary", String(400), nullable=False),
    Column("volumes", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    # The reviewing party it was computed for, or whose proposal it is (revision 0007).
    Column("party_id", ID),
    Index("ix_suggestions_operation", "operation_id", "version"),
)

notices = Table(
    "notices",
    metadata,
    Column("id", ID, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("operation_id", ID, ForeignKey("operations.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("submitter_party_id", ID, ForeignKey("parties.id"), nullable=False),
    Column("recipient_party_id", ID, ForeignKey("parties.id"), nullable=False),
    Column("agreement_id", ID, ForeignKey("agreements.id"), nullable=False),
    Column("zone_id", ID, nullable=False),
    Column("outline", JSON),
    Column("altitude", JSON),
    Column("time", JSON),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("ack", String(20), nullable=False),
    Column("ack_comment", String(4000), nullable=False),
    Column("acked_at", UTCDateTime()),
    Column("acked_by", String(200)),
    Index("ix_notices_recipient_party_id", "recipient_party_id"),
    Index("ix_notices_operation", "operation_id"),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("party_id", ID, ForeignKey("parties.id"), nullable=False, index=True),
    Column("volume", JSON, nullable=False),
    Column("webhook_url", String(2000)),
    Column("secret", String(200), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("next_sequence", Integer, nullable=False),
)

#: SQLite numbers rows only through an INTEGER primary key.
SERIAL = BigInteger().with_variant(Integer, "sqlite")

# Written in the transaction of the change that caused the event (the outbox).
outbox_events = Table(
    "outbox_events",
    metadata,
    Column("id", SERIAL, primary_key=True, autoincrement=True),
    Column(
        "subscription_id", ID, ForeignKey("subscriptions.id", ondelete="CASCADE"), nullable=False
    ),
    Column("party_id", ID, nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("type", String(40), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("subscription_id", "sequence", name="uq_outbox_events_subscription_sequence"),
)

# One per event of a subscription with a webhook; dispatchers take a lease before sending.
deliveries = Table(
    "deliveries",
    metadata,
    Column(
        "event_id", SERIAL, ForeignKey("outbox_events.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("subscription_id", ID, nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("url", String(2000), nullable=False),
    Column("state", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("last_error", String(2000)),
    Column("delivered_at", UTCDateTime()),
    Column("lease_owner", String(100)),
    Column("lease_until", UTCDateTime()),
    Index("ix_deliveries_due", "state", "next_attempt_at"),
    Index("ix_deliveries_subscription", "subscription_id", "sequence"),
)

CHAIN = String(120)  # `<object_type>:<object_id>`

# Append-only, one hash chain per object: `seq` counts 1, 2, 3... within `chain_id` with
# no gaps; each row's `hash` covers its fields and the hash before it in its chain.
audit_events = Table(
    "audit_events",
    metadata,
    Column("chain_id", CHAIN, primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("party_id", ID, nullable=False),
    Column("roles", JSON, nullable=False),
    Column("action", String(60), nullable=False),
    Column("object_type", String(40), nullable=False),
    Column("object_id", String(64), nullable=False),
    Column("before_digest", String(64)),
    Column("after_digest", String(64)),
    Column("parties", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

# Who may read which event: one row per concerned party, so listings filter in SQL.
audit_parties = Table(
    "audit_parties",
    metadata,
    Column("party_id", ID, primary_key=True),
    Column("chain_id", CHAIN, primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime(), nullable=False),
    Index("ix_audit_parties_party_at", "party_id", "at"),
)

# Events no anchor covers yet: writers only insert here, the anchoring loop reads and
# deletes (at READ COMMITTED, outside the writers' serialization graph).
audit_unanchored = Table(
    "audit_unanchored",
    metadata,
    Column("chain_id", CHAIN, primary_key=True),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
)

# The anchors' own chain, and the chain heads each one covers.
audit_anchors = Table(
    "audit_anchors",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

audit_anchor_heads = Table(
    "audit_anchor_heads",
    metadata,
    Column("anchor_seq", BigInteger, ForeignKey("audit_anchors.seq"), primary_key=True),
    Column("chain_id", CHAIN, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_anchor_heads_chain", "chain_id", "seq"),
)

# Idempotency-Key: the first answer to a write, recorded in the write's own transaction.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("party_id", ID, primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", JSON, nullable=False),
    Index("ix_idempotency_keys_created", "created_at"),
)

# Work that runs once per deployment (deadlines, anchoring, dispatch): held by one
# process at a time until `until`, renewed while it lives.
leases = Table(
    "leases",
    metadata,
    Column("name", String(60), primary_key=True),
    Column("owner", String(100), nullable=False),
    Column("until", UTCDateTime(), nullable=False),
)

# The write rate limit's token buckets, shared by every API process of a deployment.
rate_buckets = Table(
    "rate_buckets",
    metadata,
    Column("party_id", ID, primary_key=True),
    Column("subject", String(200), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("at_s", Float, nullable=False),
)

# ---- ASTM F3548-21 DSS (revision 0008) ------------------------------------------------

# Which deconflict party a token subject (a USS's client id) acts for.
f3548_subjects = Table(
    "f3548_subjects",
    metadata,
    Column("subject", String(200), primary_key=True),
    Column("party_id", ID, ForeignKey("parties.id"), nullable=False, index=True),
)

# Operational intent references: the operation holding their volumes, and what the
# standard adds. `extents` repeats the operation's current volumes for the DSS view.
f3548_intents = Table(
    "f3548_intents",
    metadata,
    Column("id", ID, primary_key=True),
    Column("manager", String(200), nullable=False),
    Column("party_id", ID, ForeignKey("parties.id"), nullable=False),
    Column("operation_id", ID, ForeignKey("operations.id"), nullable=False, unique=True),
    Column("version", Integer, nullable=False),
    Column("ovn", String(128), nullable=False),
    Column("state", String(20), nullable=False),
    Column("extents", JSON, nullable=False),
    Column("uss_base_url", String(2000), nullable=False),
    Column("subscription_id", ID, index=True),
    Column("updated_at", UTCDateTime(), nullable=False),
)

f3548_constraints = Table(
    "f3548_constraints",
    metadata,
    Column("id", ID, primary_key=True),
    Column("manager", String(200), nullable=False),
    Column("party_id", ID, ForeignKey("parties.id"), nullable=False),
    Column("zone_ids", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("ovn", String(128), nullable=False),
    Column("extents", JSON, nullable=False),
    Column("uss_base_url", String(2000), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# The restricted zones holding each constraint, to find constraints by zone candidates.
f3548_constraint_zones = Table(
    "f3548_constraint_zones",
    metadata,
    Column("zone_id", ID, primary_key=True),
    Column(
        "constraint_id",
        ID,
        ForeignKey("f3548_constraints.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
)

f3548_subscriptions = Table(
    "f3548_subscriptions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("manager", String(200), nullable=False, index=True),
    Column("party_id", ID, ForeignKey("parties.id"), nullable=False),
    Column("version", String(128), nullable=False),
    Column("notification_index", Integer, nullable=False),
    Column("volumes", JSON, nullable=False),
    Column("uss_base_url", String(2000), nullable=False),
    Column("notify_for_operational_intents", Boolean, nullable=False),
    Column("notify_for_constraints", Boolean, nullable=False),
    Column("implicit", Boolean, nullable=False),
)

# One row per (subscription, cell): its whole span, like zone_cells.
f3548_subscription_cells = Table(
    "f3548_subscription_cells",
    metadata,
    Column(
        "subscription_id",
        ID,
        ForeignKey("f3548_subscriptions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("cell", BigInteger, primary_key=True),
    Column("t_start_s", BigInteger, nullable=False),
    Column("t_end_s", BigInteger, nullable=False),
    Index("ix_f3548_subscription_cells_cell_time", "cell", "t_start_s"),
)

f3548_availability = Table(
    "f3548_availability",
    metadata,
    Column("uss", String(200), primary_key=True),
    Column("availability", String(20), nullable=False),
    Column("version", String(128), nullable=False),
)

f3548_reports = Table(
    "f3548_reports",
    metadata,
    Column("id", ID, primary_key=True),
    Column("reporter", String(200), nullable=False),
    Column("party_id", ID, ForeignKey("parties.id"), nullable=False),
    Column("body", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)
