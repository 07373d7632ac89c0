"""The backend's own spatial index in place of the H3 cell tables

`operation_cells` and `zone_cells` (one row per cell and time chunk) give way to
`operation_volumes` and `zone_volumes`: one row per volume with a conservative box, the
band and the window, indexed by an R*Tree on SQLite and by GiST on PostgreSQL
(adapters/spatial.py); `area_claims` makes writers in the same area conflict;
`relations_generation` tells processes when relations changed. Operation rows carry a compact copy of their volume, so that a
candidate needs no other lookup. Existing operations and zones are indexed afresh.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 05:00:00.000000
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from alembic import op

from deconflict.adapters import codec, spatial
from deconflict.adapters.cells import cover
from deconflict.adapters.projection import local_frame
from deconflict.domain.model import COUNTING_STATES, Zone, ZoneDisclosure, ZoneKind
from deconflict.domain.volumes import Volume4D

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_BATCH = 2_000
_ROWID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _boxed(name: str, *columns: Any) -> None:
    op.create_table(
        name,
        sa.Column("id", _ROWID, primary_key=True, autoincrement=True),
        *columns,
        *(
            sa.Column(c, sa.Double(), nullable=False)
            for c in ("lng_min", "lng_max", "lat_min", "lat_max", "lower_m", "upper_m")
        ),
        sa.Column("t_start_s", sa.BigInteger(), nullable=False),
        sa.Column("t_end_s", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )


def _extent(volume: Volume4D) -> dict[str, Any]:
    e = spatial.extent(volume)
    names = ("lng_min", "lng_max", "lat_min", "lat_max", "lower_m", "upper_m")
    return {
        **dict(zip(names, e.values(), strict=False)),
        "t_start_s": e.t_start_s,
        "t_end_s": e.t_end_s,
    }


def _chunks(rows: Iterable[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= _BATCH:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    _boxed(
        "zone_volumes",
        sa.Column("zone_id", sa.String(64), nullable=False),
        sa.Column("party_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["zones.id"],
            name=op.f("fk_zone_volumes_zone_id_zones"),
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_zone_volumes_zone", "zone_volumes", ["zone_id"])
    _boxed(
        "operation_volumes",
        sa.Column("operation_id", sa.String(64), nullable=False),
        sa.Column("volume_index", sa.Integer(), nullable=False),
        sa.Column("party_id", sa.String(64), nullable=False),
        sa.Column("volume", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operation_id"],
            ["operations.id"],
            name=op.f("fk_operation_volumes_operation_id_operations"),
        ),
    )
    op.create_index("ix_operation_volumes_operation", "operation_volumes", ["operation_id"])
    for table in ("zone_volumes", "operation_volumes"):
        for statement in spatial.index_ddl(dialect, table):
            op.execute(statement)
    generation = op.create_table(
        "relations_generation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relations_generation")),
    )
    op.bulk_insert(generation, [{"id": 1, "generation": 1}])
    claims = op.create_table(
        "area_claims",
        sa.Column("cell", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("claims", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("cell", name=op.f("pk_area_claims")),
    )
    op.bulk_insert(claims, [{"cell": spatial.BIG, "claims": 0}])

    zones = sa.table(
        "zones",
        *(sa.column(c) for c in ("id", "party_id", "kind", "footprint", "altitude", "periods")),
        sa.column("name"),
        sa.column("created_at"),
        sa.column("disclosure"),
    )
    zone_volumes = sa.table(
        "zone_volumes",
        *(sa.column(c) for c in ("zone_id", "party_id", "kind")),
        *(sa.column(c) for c in ("lng_min", "lng_max", "lat_min", "lat_max")),
        *(sa.column(c) for c in ("lower_m", "upper_m", "t_start_s", "t_end_s")),
    )

    def zone_rows() -> Iterable[dict[str, Any]]:
        for r in bind.execute(sa.select(zones)):
            zone = Zone(
                id=r.id,
                party_id=r.party_id,
                kind=ZoneKind(r.kind),
                name=r.name,
                footprint=codec.footprint_from_json(_doc(r.footprint)),
                altitude=codec.band_from_json(_doc(r.altitude)),
                periods=tuple(codec.window_from_json(p) for p in _doc(r.periods)),
                created_at=r.created_at,
                disclosure=ZoneDisclosure(r.disclosure),
            )
            for volume in zone.volumes():
                yield {
                    "zone_id": zone.id,
                    "party_id": zone.party_id,
                    "kind": zone.kind.value,
                    **_extent(volume),
                }

    for chunk in _chunks(zone_rows()):
        bind.execute(sa.insert(zone_volumes), chunk)

    operations = sa.table(
        "operations", *(sa.column(c) for c in ("id", "party_id", "state", "current_version"))
    )
    versions = sa.table(
        "operation_versions", *(sa.column(c) for c in ("operation_id", "number", "volumes"))
    )
    operation_volumes = sa.table(
        "operation_volumes",
        *(sa.column(c) for c in ("operation_id", "volume_index", "party_id", "volume")),
        *(sa.column(c) for c in ("lng_min", "lng_max", "lat_min", "lat_max")),
        *(sa.column(c) for c in ("lower_m", "upper_m", "t_start_s", "t_end_s")),
    )
    o, v = operations.c, versions.c
    current = (
        sa.select(o.id, o.party_id, v.volumes)
        .join(versions, sa.and_(v.operation_id == o.id, v.number == o.current_version))
        .where(o.state.in_([s.value for s in COUNTING_STATES]))
    )

    def operation_rows() -> Iterable[dict[str, Any]]:
        for r in bind.execute(current):
            for index, doc in enumerate(_doc(r.volumes)):
                volume = codec.volume_from_json(doc)
                yield {
                    "operation_id": r.id,
                    "volume_index": index,
                    "party_id": r.party_id,
                    "volume": codec.volume_to_bytes(volume),
                    **_extent(volume),
                }

    for chunk in _chunks(operation_rows()):
        bind.execute(sa.insert(operation_volumes), chunk)

    op.drop_table("operation_cells")
    op.drop_table("zone_cells")


def _doc(value: Any) -> Any:
    """A JSON column as read through a plain `sa.column` (text on SQLite)."""
    return json.loads(value) if isinstance(value, str) else value


def downgrade() -> None:
    op.create_table(
        "zone_cells",
        sa.Column("zone_id", sa.String(64), nullable=False),
        sa.Column("cell", sa.BigInteger(), nullable=False),
        sa.Column("party_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("t_start_s", sa.BigInteger(), nullable=False),
        sa.Column("t_end_s", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zones.id"], name=op.f("fk_zone_cells_zone_id_zones"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("zone_id", "cell", name=op.f("pk_zone_cells")),
    )
    op.create_index("ix_zone_cells_cell_time", "zone_cells", ["cell", "t_start_s"])
    op.create_table(
        "operation_cells",
        sa.Column("operation_id", sa.String(64), nullable=False),
        sa.Column("volume_index", sa.Integer(), nullable=False),
        sa.Column("cell", sa.BigInteger(), nullable=False),
        sa.Column("t_start_s", sa.BigInteger(), nullable=False),
        sa.Column("party_id", sa.String(64), nullable=False),
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
    op.create_index("ix_operation_cells_cell_time", "operation_cells", ["cell", "t_start_s"])
    bind = op.get_bind()
    op.drop_table("relations_generation")
    op.drop_table("area_claims")
    _cells_again(bind)
    for table in ("operation_volumes", "zone_volumes"):
        for statement in spatial.drop_ddl(bind.dialect.name, table):
            op.execute(statement)
        op.drop_table(table)


def _cells_again(bind: sa.Connection) -> None:
    """The H3 cell rows of revision 0008, from the volumes indexed now."""
    zone_cells = sa.table("zone_cells", *(sa.column(c) for c in _ZONE_CELLS))
    operation_cells = sa.table("operation_cells", *(sa.column(c) for c in _OPERATION_CELLS))
    zone_volumes = sa.table(
        "zone_volumes", *(sa.column(c) for c in ("zone_id", "party_id", "kind"))
    )
    zones = sa.table("zones", sa.column("id"), sa.column("footprint"))
    spans: dict[str, tuple[str, str, int, int]] = {}
    for r in bind.execute(
        sa.text(
            "SELECT zone_id, party_id, kind, min(t_start_s), max(t_end_s) FROM zone_volumes GROUP BY zone_id, party_id, kind"
        )
    ):
        spans[r[0]] = (r[1], r[2], r[3], r[4])
    del zone_volumes
    for r in bind.execute(sa.select(zones)):
        if r.id not in spans:
            continue
        party_id, kind, start, end = spans[r.id]
        cells = cover(codec.footprint_from_json(_doc(r.footprint)), 0.0, local_frame)
        rows = [
            dict(zip(_ZONE_CELLS, (r.id, c, party_id, kind, start, end), strict=True))
            for c in cells
        ]
        bind.execute(sa.insert(zone_cells), rows)
    for r in bind.execute(
        sa.text("SELECT operation_id, volume_index, party_id, volume FROM operation_volumes")
    ):
        volume = codec.volume_from_bytes(bytes(r[3]))
        cells = cover(volume.footprint, 0.0, local_frame)
        start, end = (
            math.floor(volume.time.start.timestamp()),
            math.ceil(volume.time.end.timestamp()),
        )
        rows = [
            dict(
                zip(
                    _OPERATION_CELLS,
                    (r[0], r[1], c, chunk, r[2], min(chunk + _CHUNK_S, end)),
                    strict=True,
                )
            )
            for chunk in range(start, end, _CHUNK_S)
            for c in cells
        ]
        for part in _chunks(rows):
            bind.execute(sa.insert(operation_cells), part)


_ZONE_CELLS = ("zone_id", "cell", "party_id", "kind", "t_start_s", "t_end_s")
_OPERATION_CELLS = ("operation_id", "volume_index", "cell", "t_start_s", "party_id", "t_end_s")
_CHUNK_S = 4 * 3600
