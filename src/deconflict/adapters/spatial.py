"""The spatial index of zone and operation volumes: the backend's own, one per backend.

Rows of `zone_volumes` and `operation_volumes` carry a conservative longitude/latitude
box (domain.boxes), a band and a window. The index over them:

- SQLite: an R*Tree virtual table per table (4 dimensions: longitude, latitude,
  altitude, time), kept in step by triggers. The R*Tree stores 32-bit floats rounded
  outwards, so its boxes only grow: still conservative.
- PostgreSQL: a GiST index on (box, int8range of the window), core types only (no
  extension); the band is filtered beside it. Under SERIALIZABLE, GiST takes predicate
  locks on the index pages it reads, so a concurrent insert nearby is seen as a
  conflict and far away is not.

A search asks for every row whose box, band and window meet those of a query volume
grown by the reach; the exact test follows. Statements are written here as SQL text
once per shape (backend, number of volumes, of partners) and run straight through the
driver: a check runs one of them, and building or compiling it per call would cost more
than running it.
"""

# SQL here is assembled from constants (table and column names, placeholders) only.
# ruff: noqa: S608

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from sqlalchemy import Connection

from deconflict.domain.boxes import box_of
from deconflict.domain.conflicts import Separation
from deconflict.domain.volumes import Volume4D

#: The index structure that goes with each table of boxed rows.
RTREES = {"zone_volumes": "zone_rtree", "operation_volumes": "operation_rtree"}
_DIMENSIONS = ("lng_min", "lng_max", "lat_min", "lat_max", "lower_m", "upper_m")


def index_ddl(dialect: str, table: str) -> list[str]:
    """The statements that create the spatial index of `table` (migration 0009)."""
    if dialect == "sqlite":
        rtree = RTREES[table]
        columns = ", ".join(("id", *_DIMENSIONS, "t_start_s", "t_end_s"))
        values = ", ".join(f"new.{c}" for c in ("id", *_DIMENSIONS, "t_start_s", "t_end_s"))
        return [
            f"CREATE VIRTUAL TABLE {rtree} USING rtree({columns})",
            f"CREATE TRIGGER {table}_rtree_insert AFTER INSERT ON {table} "
            f"BEGIN INSERT INTO {rtree} ({columns}) VALUES ({values}); END",
            f"CREATE TRIGGER {table}_rtree_delete AFTER DELETE ON {table} "
            f"BEGIN DELETE FROM {rtree} WHERE id = old.id; END",
            f"CREATE TRIGGER {table}_rtree_update AFTER UPDATE ON {table} "
            f"BEGIN DELETE FROM {rtree} WHERE id = old.id; "
            f"INSERT INTO {rtree} ({columns}) VALUES ({values}); END",
        ]
    return [
        f"CREATE INDEX ix_{table}_gist ON {table} USING gist ("
        "box(point(lng_min, lat_min), point(lng_max, lat_max)), "
        "int8range(t_start_s, t_end_s, '[]'))"
    ]


def drop_ddl(dialect: str, table: str) -> list[str]:
    """Undoes `index_ddl`."""
    if dialect == "sqlite":
        return [
            *(f"DROP TRIGGER IF EXISTS {table}_rtree_{w}" for w in ("insert", "delete", "update")),
            f"DROP TABLE IF EXISTS {RTREES[table]}",
        ]
    return [f"DROP INDEX IF EXISTS ix_{table}_gist"]


@dataclass(frozen=True, slots=True)
class Extent:
    """What one index row holds besides its payload: box, band and window (seconds)."""

    lng_min: float
    lng_max: float
    lat_min: float
    lat_max: float
    lower_m: float
    upper_m: float
    t_start_s: int
    t_end_s: int

    def values(self) -> tuple[float | int, ...]:
        return (
            self.lng_min,
            self.lng_max,
            self.lat_min,
            self.lat_max,
            self.lower_m,
            self.upper_m,
            self.t_start_s,
            self.t_end_s,
        )


def extent(volume: Volume4D, reach: Separation | None = None) -> Extent:
    """The extent of `volume`, grown by `reach` (a query) or not (a stored row)."""
    horizontal_m, vertical_m, time_s = (
        (0.0, 0.0, 0.0) if reach is None else (reach.horizontal_m, reach.vertical_m, reach.time_s)
    )
    box = box_of(volume.footprint, horizontal_m)
    return Extent(
        box.lng_min,
        box.lng_max,
        box.lat_min,
        box.lat_max,
        volume.altitude.lower_m - vertical_m,
        volume.altitude.upper_m + vertical_m,
        math.floor(volume.time.start.timestamp() - time_s),
        math.ceil(volume.time.end.timestamp() + time_s),
    )


def _mark(dialect: str) -> str:
    return "?" if dialect == "sqlite" else "%s"


def _meets(dialect: str, table: str) -> tuple[str, str]:
    """(FROM clause, WHERE condition) of the rows of `table` (as `v`) whose extent meets a
    query extent given as 8 parameters in Extent.values() order."""
    m = _mark(dialect)
    if dialect == "sqlite":
        rtree = RTREES[table]
        return (
            f"{rtree} r CROSS JOIN {table} v ON v.id = r.id",
            f"r.lng_max >= {m} AND r.lng_min <= {m} AND r.lat_max >= {m} AND r.lat_min <= {m} "
            f"AND r.upper_m >= {m} AND r.lower_m <= {m} "
            f"AND r.t_end_s >= {m} AND r.t_start_s <= {m}",
        )
    return (
        f"{table} v",
        "box(point(v.lng_min, v.lat_min), point(v.lng_max, v.lat_max)) "
        f"&& box(point({m}, {m}), point({m}, {m})) "
        f"AND v.upper_m >= {m} AND v.lower_m <= {m} "
        f"AND int8range(v.t_start_s, v.t_end_s, '[]') && int8range({m}, {m}, '[]')",
    )


def _query_values(dialect: str, e: Extent) -> tuple[float | int, ...]:
    """The 8 parameters of `_meets`, in the order its condition names them."""
    if dialect == "sqlite":
        # r.lng_max >= q.lng_min AND r.lng_min <= q.lng_max ...
        return e.values()
    # box(point(lng_min, lat_min), point(lng_max, lat_max)), band, window
    return (
        e.lng_min,
        e.lat_min,
        e.lng_max,
        e.lat_max,
        e.lower_m,
        e.upper_m,
        e.t_start_s,
        e.t_end_s,
    )


@lru_cache(maxsize=256)
def _operations_sql(dialect: str, volumes: int) -> str:
    source, condition = _meets(dialect, "operation_volumes")
    m = _mark(dialect)
    one = (
        f"SELECT v.id, v.operation_id, v.party_id, v.volume FROM {source} "
        f"WHERE {condition} AND v.party_id <> {m}"
    )
    return " UNION ALL ".join([one] * volumes)


@lru_cache(maxsize=256)
def _zones_sql(dialect: str, volumes: int, partners: int) -> str:
    source, condition = _meets(dialect, "zone_volumes")
    m = _mark(dialect)
    whose = f"v.kind = {m}"
    if partners:
        whose = f"({whose} OR v.party_id IN ({', '.join([m] * partners)}))"
    one = f"SELECT v.zone_id FROM {source} WHERE {condition} AND {whose}"
    return " UNION ".join([one] * volumes)


def operation_rows(
    conn: Connection, volumes: Sequence[Volume4D], reach: Separation, exclude_party_id: str
) -> list[tuple[str, str, bytes]]:
    """(operation id, party id, volume bytes) of every indexed volume of another party
    that may come within `reach` of one of `volumes`, each once."""
    if not volumes:
        return []
    dialect = conn.dialect.name
    params = _per_volume(dialect, volumes, reach, exclude_party_id)
    rows = conn.exec_driver_sql(_operations_sql(dialect, len(volumes)), params)
    seen: set[int] = set()
    found: list[tuple[str, str, bytes]] = []
    for row_id, operation_id, party_id, volume in rows:
        if row_id not in seen:
            seen.add(row_id)
            found.append((operation_id, party_id, volume))
    return found


def zone_ids(
    conn: Connection,
    volumes: Sequence[Volume4D],
    reach: Separation,
    any_party_kind: str,
    party_ids: Sequence[str],
) -> list[str]:
    """The zones that may come within `reach` of one of `volumes`: of `party_ids`, and of
    any party when of kind `any_party_kind`."""
    if not volumes:
        return []
    dialect = conn.dialect.name
    params = _per_volume(dialect, volumes, reach, any_party_kind, *party_ids)
    sql = _zones_sql(dialect, len(volumes), len(party_ids))
    return [zone_id for (zone_id,) in conn.exec_driver_sql(sql, params)]


def _per_volume(
    dialect: str, volumes: Sequence[Volume4D], reach: Separation, *then: str
) -> tuple[float | int | str, ...]:
    """For each volume, the 8 parameters of its extent grown by `reach`, then `then`."""
    params: list[float | int | str] = []
    for volume in volumes:
        params.extend(_query_values(dialect, extent(volume, reach)))
        params.extend(then)
    return tuple(params)


#: Row kinds of `around`'s statement.
GENERATION, OPERATION, ZONE = 0, 1, 2


@lru_cache(maxsize=256)
def _around_sql(dialect: str, volumes: int, partners: int) -> str:
    m = _mark(dialect)
    parts = ["SELECT 0, generation, NULL, NULL, NULL FROM relations_generation WHERE id = 1"]
    ops_source, ops_condition = _meets(dialect, "operation_volumes")
    zones_source, zones_condition = _meets(dialect, "zone_volumes")
    whose = f"v.kind = {m}"
    if partners:
        whose = f"({whose} OR v.party_id IN ({', '.join([m] * partners)}))"
    for _ in range(volumes):
        parts.append(
            f"SELECT 1, v.id, v.operation_id, v.party_id, v.volume FROM {ops_source} "
            f"WHERE {ops_condition} AND v.party_id <> {m}"
        )
        parts.append(
            f"SELECT 2, v.id, v.zone_id, NULL, NULL FROM {zones_source} "
            f"WHERE {zones_condition} AND {whose}"
        )
    return " UNION ALL ".join(parts)


@dataclass(frozen=True, slots=True)
class Around:
    """What `around` found: the relations generation, operation rows (id, party,
    volume bytes; each volume once) and zone ids (each once)."""

    generation: int
    operations: list[tuple[str, str, bytes]]
    zone_ids: list[str]


def around(
    conn: Connection,
    volumes: Sequence[Volume4D],
    reach: Separation,
    exclude_party_id: str,
    any_party_kind: str,
    party_ids: Sequence[str],
) -> Around:
    """`operation_rows` and `zone_ids` and the current relations generation, in one
    statement (one round trip, one snapshot)."""
    dialect = conn.dialect.name
    params: list[float | int | str] = []
    for volume in volumes:
        query = _query_values(dialect, extent(volume, reach))
        params.extend(query)
        params.append(exclude_party_id)
        params.extend(query)
        params.append(any_party_kind)
        params.extend(party_ids)
    rows = conn.exec_driver_sql(
        _around_sql(dialect, len(volumes), len(party_ids)), tuple(params)
    ).all()
    generation = 0
    seen: set[tuple[int, int]] = set()
    operations: list[tuple[str, str, bytes]] = []
    zones: list[str] = []
    for kind, row_id, subject, party_id, volume in rows:
        if kind == GENERATION:
            generation = int(row_id)
        elif (kind, row_id) not in seen:
            seen.add((kind, row_id))
            if kind == OPERATION:
                operations.append((subject, party_id, volume))
            elif subject not in zones:
                zones.append(subject)
    return Around(generation, operations, zones)


# ---- Claims: the write conflict of two writers in the same area ------------------------
#
# PostgreSQL's serializable isolation was meant to see a GiST search and a concurrent
# insert into the searched region as a conflict. It does not, reliably: in
# tests/integration/test_concurrent_submissions.py both of two simultaneous overlapping
# submissions were accepted once the index had grown past one page. So the conflict is
# made explicit, and found by PostgreSQL's most dependable rule (first updater wins):
# a writer of the index claims every cell of a 0.1 degree grid that its rows' boxes
# meet, and a search in a writing transaction every cell its query boxes meet, each by
# an upsert of that cell's row in `area_claims`. Two conflicting volumes share a point of
# both boxes, hence a cell: the second transaction to claim it is aborted and retried,
# and its retry sees the first one's rows. Claims in different cells never meet.
#
# A box wider than CLAIMS_MAX cells (across the antimeridian, around a pole, a continent)
# makes a big claim instead: its transaction starts again with LOCK TABLE area_claims IN
# EXCLUSIVE MODE, before any snapshot is taken, and updates the row BIG; every other
# claiming transaction first reads BIG FOR SHARE. So a big writer waits for every claiming
# writer in flight and then sees their rows, and holds back the others until it commits:
# one at READ COMMITTED then sees its rows; one SERIALIZABLE finds BIG changed since its
# snapshot and is retried. Big claims are rare: they serialize with every writer.
# SQLite has one writer at a time and needs none of this.

CLAIM_DEG = 0.1
_CLAIM_COLUMNS = round(360 / CLAIM_DEG)
_CLAIM_ROWS = round(180 / CLAIM_DEG)
CLAIMS_MAX = 4_096
#: The row a big claim updates and every other claim reads.
BIG = 0


def claim_cells(extents: Sequence[Extent]) -> tuple[int, ...] | None:
    """The sorted claim cells that the boxes of `extents` meet, or None for a big claim."""
    cells: set[int] = set()
    for e in extents:
        rows = range(_cell(e.lat_min + 90.0, _CLAIM_ROWS), _cell(e.lat_max + 90.0, _CLAIM_ROWS) + 1)
        columns = range(
            _cell(e.lng_min + 180.0, _CLAIM_COLUMNS), _cell(e.lng_max + 180.0, _CLAIM_COLUMNS) + 1
        )
        if len(cells) + len(rows) * len(columns) > CLAIMS_MAX:
            return None
        cells.update(1 + i * _CLAIM_COLUMNS + j for i in rows for j in columns)
    return tuple(sorted(cells))


def _cell(degrees_from_edge: float, count: int) -> int:
    return min(count - 1, max(0, math.floor(degrees_from_edge / CLAIM_DEG)))


class BigClaimNeeded(Exception):
    """Raised by a claim too big for cells: the unit of work runs the work again as a
    big writer (`Claims(big=True)`)."""


class Claims:
    """The cells claimed by one writing transaction on PostgreSQL (each once).

    `big`: the transaction is a big writer; it takes its locks now, as its first
    statements, and needs no other claim."""

    def __init__(self, conn: Connection, big: bool = False) -> None:
        self._c = conn
        self._cells: set[int] = set()
        self._big = big
        if big:
            conn.exec_driver_sql("LOCK TABLE area_claims IN EXCLUSIVE MODE")
            conn.exec_driver_sql(
                "UPDATE area_claims SET claims = claims + 1 WHERE cell = %s", (BIG,)
            )

    def claim(self, extents: Sequence[Extent]) -> None:
        if self._big or not extents:
            return
        cells = claim_cells(extents)
        if cells is None:
            raise BigClaimNeeded
        fresh = [c for c in cells if c not in self._cells]
        if not fresh:
            return
        first = not self._cells
        self._cells.update(fresh)
        upsert = (
            "INSERT INTO area_claims (cell, claims) SELECT unnest(%s::bigint[]), 1 "
            "ON CONFLICT (cell) DO UPDATE SET claims = area_claims.claims + 1"
        )
        if first:  # BIG first (FOR SHARE), then the cells: one statement
            self._c.exec_driver_sql(
                "WITH big AS (SELECT claims FROM area_claims WHERE cell = %s FOR SHARE), "
                f"cells AS ({upsert} RETURNING 1) "
                "SELECT (SELECT count(*) FROM big), (SELECT count(*) FROM cells)",
                (BIG, fresh),
            )
        else:
            self._c.exec_driver_sql(upsert, (fresh,))


# ---- Bulk joins: many query volumes against a whole table, in process -------------------

_EXTENT_COLUMNS = (
    "v.lng_min, v.lng_max, v.lat_min, v.lat_max, v.lower_m, v.upper_m, v.t_start_s, v.t_end_s"
)

Extents = npt.NDArray[np.float64]
Indices = npt.NDArray[np.intp]


def extents_array(extents: Sequence[Extent]) -> Extents:
    """(n, 8) float64, columns in Extent.values() order (windows in seconds are exact)."""
    if not extents:
        return np.empty((0, 8))
    return np.array([e.values() for e in extents], dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Indexed:
    """Rows of a boxed table, as the bulk join takes them: their extents (Extent.values()
    order, one row per line) and, beside each, the rest of the row."""

    extents: Extents
    rows: list[tuple[Any, ...]]


def _indexed(conn: Connection, sql: str, params: tuple[Any, ...], payload: int) -> Indexed:
    rows: list[tuple[Any, ...]] = []
    values: list[tuple[float, ...]] = []
    for row in conn.exec_driver_sql(sql, params):
        rows.append(tuple(row[:payload]))
        values.append(tuple(row[payload:]))
    extents = np.array(values, dtype=np.float64) if values else np.empty((0, 8))
    return Indexed(extents, rows)


def operation_index(
    conn: Connection, exclude_party_id: str, t_start_s: float, t_end_s: float
) -> Indexed:
    """Every indexed volume of another party whose window meets [t_start_s, t_end_s]:
    rows (operation id, party id, volume bytes), by operation and volume index."""
    m = _mark(conn.dialect.name)
    sql = (
        f"SELECT v.operation_id, v.party_id, v.volume, {_EXTENT_COLUMNS} "
        f"FROM operation_volumes v WHERE v.party_id <> {m} "
        f"AND v.t_end_s >= {m} AND v.t_start_s <= {m} ORDER BY v.operation_id, v.volume_index"
    )
    params = (exclude_party_id, math.floor(t_start_s), math.ceil(t_end_s))
    return _indexed(conn, sql, params, 3)


def zone_index(
    conn: Connection,
    any_party_kind: str,
    party_ids: Sequence[str],
    t_start_s: float,
    t_end_s: float,
) -> Indexed:
    """Every indexed zone volume of `party_ids`, and of any party when of kind
    `any_party_kind`, whose window meets [t_start_s, t_end_s]: rows (zone id,)."""
    m = _mark(conn.dialect.name)
    whose = f"v.kind = {m}"
    if party_ids:
        whose = f"({whose} OR v.party_id IN ({', '.join([m] * len(party_ids))}))"
    sql = (
        f"SELECT v.zone_id, {_EXTENT_COLUMNS} FROM zone_volumes v "
        f"WHERE {whose} AND v.t_end_s >= {m} AND v.t_start_s <= {m}"
    )
    params = (any_party_kind, *party_ids, math.floor(t_start_s), math.ceil(t_end_s))
    return _indexed(conn, sql, params, 1)


def join(queries: Extents, stored: Extents) -> tuple[Indices, Indices]:
    """Every pair (query i, stored j) whose extents meet, bounds included (as the
    index's statements ask): an STRtree over the stored boxes queried with every query
    box at once, then bands and windows compared in numpy. Sorted by i, then j."""
    if len(queries) == 0 or len(stored) == 0:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty
    tree = shapely.STRtree(shapely.box(stored[:, 0], stored[:, 2], stored[:, 1], stored[:, 3]))
    boxes = shapely.box(queries[:, 0], queries[:, 2], queries[:, 1], queries[:, 3])
    i, j = tree.query(boxes, predicate="intersects")
    q, s = queries[i], stored[j]
    meet = (s[:, 5] >= q[:, 4]) & (s[:, 4] <= q[:, 5]) & (s[:, 7] >= q[:, 6]) & (s[:, 6] <= q[:, 7])
    i, j = i[meet], j[meet]
    order = np.lexsort((j, i))
    return i[order].astype(np.intp), j[order].astype(np.intp)
