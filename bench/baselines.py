"""Two floors for the check's candidate search, on the same operations as deconflict's.

Both answer the same 4D question as `check_volumes` with the default minima: which
counting operations of other parties come within the horizontal separation (edge to
edge), the vertical one (band to band) and the time one (window to window) of any of
the query's volumes. Both return the ids only: no exact test afterwards, no assessment,
no redaction.

- `PostGIS`: a table in a PostgreSQL database of its own (`<prefix>_postgis`, next to the
  scenario's caches), one row per volume: `geography` of the footprint (circles buffered
  on the spheroid, 16 segments a quarter), a `tstzrange` and the band, with one GiST
  index on (geog, span). The query is one prepared statement on an autocommit
  connection: `ST_DWithin(geog, q, 50) AND span && q_span AND band overlap`, where a
  circle in the query is its centre and the distance its radius + 50 m (exact, and no
  buffer to build per query).
  Needs PostGIS: `scripts/postgis` installs Debian's package.
- `InProcess`: shapely STRtree over the footprints' cores (circles as centre + radius,
  exact) in one azimuthal equidistant frame at the scenario's centre (pyproj), and numpy arrays
  for windows, bands and parties; the tree is built once, the query is timed.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import make_url

from bench.scenario import CENTER, database_prefix
from deconflict.domain.conflicts import Separation
from deconflict.domain.operation import Operation
from deconflict.domain.volumes import Circle, Footprint, LatLng, Polygon, Volume4D

#: Bump when the PostGIS table's layout or loading changes: part of each table's name.
POSTGIS_LAYOUT = 2
QUAD_SEGS = 16


@dataclass(frozen=True, slots=True)
class Row:
    """One volume (`volume_index`) of the current version of a counting operation."""

    operation_id: str
    volume_index: int
    party_id: str
    volume: Volume4D


def rows(operations: Iterable[Operation]) -> list[Row]:
    """The volumes of the current versions of the counting operations."""
    return [
        Row(op.id, k, op.party_id, v)
        for op in operations
        if op.counts
        for k, v in enumerate(op.current.volumes)
    ]


#: One match: (query volume index, operation id, that operation's volume index).
Match = tuple[int, str, int]


def _ring_wkt(points: Sequence[LatLng]) -> str:
    closed = [*points, points[0]]
    return "(" + ", ".join(f"{float(p.lng)!r} {float(p.lat)!r}" for p in closed) + ")"


def core_wkt(footprint: Footprint) -> tuple[str, float]:
    """The footprint's core as WKT (a circle's centre, a polygon) and its radius."""
    if isinstance(footprint, Circle):
        c = footprint.center
        return f"POINT({float(c.lng)!r} {float(c.lat)!r})", float(footprint.radius_m)
    rings = [_ring_wkt(footprint.exterior), *(_ring_wkt(h) for h in footprint.holes)]
    return f"POLYGON({', '.join(rings)})", 0.0


def _libpq(url: str, database: str) -> str:
    """A libpq connection string for `database` on the server of the SQLAlchemy `url`."""
    return (
        make_url(url)
        .set(drivername="postgresql", database=database)
        .render_as_string(hide_password=False)
    )


def _geog(wkt: str, radius: str) -> str:
    """SQL for the geography of a core given as WKT, buffered by `radius` if positive."""
    return (
        f"CASE WHEN {radius} > 0 THEN ST_Buffer(ST_GeogFromText({wkt}), {radius}, "
        f"'quad_segs={QUAD_SEGS}') ELSE ST_GeogFromText({wkt}) END"
    )


def _params(volumes: Sequence[Volume4D], sep: Separation, party_id: str) -> dict[str, Any]:
    cores = [core_wkt(v.footprint) for v in volumes]
    return {
        "wkt": [w for w, _ in cores],
        "radius": [r for _, r in cores],
        "lower": [v.altitude.lower_m for v in volumes],
        "upper": [v.altitude.upper_m for v in volumes],
        "start": [v.time.start for v in volumes],
        "end": [v.time.end for v in volumes],
        "h": sep.horizontal_m,
        "v": sep.vertical_m,
        "t": sep.time_s,
        "party": party_id,
    }


class PostGIS:
    """The operations in a PostGIS table `table` (created and loaded unless present) and
    the 4D query on it. `close()` when done."""

    def __init__(self, url: str, table: str, data: Iterable[Row] | None = None) -> None:
        self.database = f"{database_prefix(url)}_postgis"
        self.table = f"{table}_l{POSTGIS_LAYOUT}"
        self._url = url
        self.load_s: float | None = None  # set when this instance loaded the table
        self._ensure_database()
        self.conn = psycopg.connect(_libpq(url, self.database), autocommit=True)
        if not self.exists():
            if data is None:
                raise LookupError(f"no table {self.table} and nothing to load")
            self.load(data)
        self._sql = f"""
            SELECT q.i - 1, o.operation_id, o.volume_index FROM
              unnest(%(wkt)s::text[], %(radius)s::float8[], %(lower)s::float8[],
                     %(upper)s::float8[], %(start)s::timestamptz[], %(end)s::timestamptz[])
                WITH ORDINALITY AS q(wkt, radius, lower_m, upper_m, t_start, t_end, i)
              JOIN "{self.table}" AS o
                ON ST_DWithin(o.geog, ST_GeogFromText(q.wkt), q.radius + %(h)s)
               AND o.span && tstzrange(q.t_start - %(t)s * interval '1 second',
                                         q.t_end + %(t)s * interval '1 second')
               AND o.lower_m < q.upper_m + %(v)s AND o.upper_m > q.lower_m - %(v)s
               AND o.party_id <> %(party)s
        """

    def _ensure_database(self) -> None:
        with psycopg.connect(_libpq(self._url, "postgres"), autocommit=True) as admin:
            found = admin.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)
            ).fetchone()
            if found is None:
                admin.execute(f'CREATE DATABASE "{self.database}"')
        with psycopg.connect(_libpq(self._url, self.database), autocommit=True) as conn:
            available = conn.execute(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"
            ).fetchone()
            if available is None:
                raise SystemExit(
                    "PostGIS is not available on this PostgreSQL server: run scripts/postgis"
                )
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    def exists(self) -> bool:
        found = self.conn.execute("SELECT to_regclass(%s)", (f'"{self.table}"',)).fetchone()
        return found is not None and found[0] is not None

    def load(self, data: Iterable[Row]) -> None:
        """COPY the rows into a staging table, build the geographies, index, ANALYZE,
        then rename into place (an interrupted load leaves no table of that name)."""
        start = time.perf_counter()
        partial = f"{self.table[:50]}_partial"
        c = self.conn
        c.execute(f'DROP TABLE IF EXISTS "{partial}", "{partial}_raw"')
        c.execute(
            f'CREATE UNLOGGED TABLE "{partial}_raw" (operation_id text, volume_index int, '
            "party_id text, "
            "wkt text, radius float8, lower_m float8, upper_m float8, "
            "t_start float8, t_end float8)"
        )
        buffer = io.StringIO()
        for r in data:
            wkt, radius = core_wkt(r.volume.footprint)
            band, window = r.volume.altitude, r.volume.time
            fields = (r.operation_id, r.volume_index, r.party_id, wkt, radius)
            limits = (band.lower_m, band.upper_m, window.start.timestamp(), window.end.timestamp())
            buffer.write("\t".join(map(str, (*fields, *limits))) + "\n")
        with c.cursor() as cur, cur.copy(f'COPY "{partial}_raw" FROM STDIN') as copy:
            copy.write(buffer.getvalue())
        c.execute(
            f'CREATE TABLE "{partial}" AS SELECT operation_id, volume_index, party_id, '
            f"{_geog('wkt', 'radius')} AS geog, "
            "tstzrange(to_timestamp(t_start), to_timestamp(t_end)) AS span, "
            f'lower_m, upper_m FROM "{partial}_raw"'
        )
        c.execute(f'DROP TABLE "{partial}_raw"')
        c.execute(f'CREATE INDEX "{self.table}_gist" ON "{partial}" USING gist (geog, span)')
        c.execute(f'ANALYZE "{partial}"')
        c.execute(f'ALTER TABLE "{partial}" RENAME TO "{self.table}"')
        self.load_s = time.perf_counter() - start

    def query(self, volumes: Sequence[Volume4D], sep: Separation, party_id: str) -> set[Match]:
        """The volumes of counting operations of other parties within `sep` of each volume."""
        params = _params(volumes, sep, party_id)
        return {(i, o, k) for i, o, k in self.conn.execute(self._sql, params, prepare=True)}

    def explain(self, volumes: Sequence[Volume4D], sep: Separation, party_id: str) -> str:
        params = _params(volumes, sep, party_id)
        plan = self.conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + self._sql, params)
        return "\n".join(r[0] for r in plan)

    def drop(self) -> None:
        self.conn.execute(f'DROP TABLE IF EXISTS "{self.table}"')

    def close(self) -> None:
        self.conn.close()


class InProcess:
    """STRtree over the footprints' cores plus numpy columns, in one AEQD frame."""

    def __init__(self, data: Sequence[Row], center: LatLng = CENTER) -> None:
        self.to_xy = Transformer.from_crs(
            "EPSG:4326",
            f"+proj=aeqd +lat_0={center.lat} +lon_0={center.lng} +datum=WGS84 +units=m",
            always_xy=True,
        ).transform
        self.ids = np.array([r.operation_id for r in data], dtype=object)
        self.volume_index = np.array([r.volume_index for r in data], dtype=np.int32)
        parties = sorted({r.party_id for r in data})
        self.party_codes = {p: i for i, p in enumerate(parties)}
        self.party = np.array([self.party_codes[r.party_id] for r in data], dtype=np.int32)
        self.lower = np.array([r.volume.altitude.lower_m for r in data])
        self.upper = np.array([r.volume.altitude.upper_m for r in data])
        self.start = np.array([r.volume.time.start.timestamp() for r in data])
        self.end = np.array([r.volume.time.end.timestamp() for r in data])
        cores = [self.planar(r.volume.footprint) for r in data]
        self.cores = np.array([g for g, _ in cores], dtype=object)
        self.radius = np.array([radius for _, radius in cores])
        self.max_radius = float(self.radius.max(initial=0.0))
        self.tree = shapely.STRtree(self.cores)

    def planar(self, footprint: Footprint) -> tuple[BaseGeometry, float]:
        if isinstance(footprint, Circle):
            x, y = self.to_xy(footprint.center.lng, footprint.center.lat)
            return shapely.Point(float(x), float(y)), footprint.radius_m
        assert isinstance(footprint, Polygon)

        def ring(points: Sequence[LatLng]) -> list[tuple[float, float]]:
            xs, ys = self.to_xy([p.lng for p in points], [p.lat for p in points])
            return list(zip(map(float, xs), map(float, ys), strict=True))

        return shapely.Polygon(ring(footprint.exterior), [ring(h) for h in footprint.holes]), 0.0

    def query(self, volumes: Sequence[Volume4D], sep: Separation, party_id: str) -> set[Match]:
        """The volumes of counting operations of other parties within `sep` of each volume."""
        party = self.party_codes.get(party_id, -1)
        planar = [self.planar(v.footprint) for v in volumes]
        q_cores = np.array([g for g, _ in planar], dtype=object)
        q_radius = np.array([r for _, r in planar])
        q_start = np.array([v.time.start.timestamp() for v in volumes])
        q_end = np.array([v.time.end.timestamp() for v in volumes])
        q_lower = np.array([v.altitude.lower_m for v in volumes])
        q_upper = np.array([v.altitude.upper_m for v in volumes])
        # Every (query volume, stored volume) pair whose cores come near, in one call.
        reach = q_radius + self.max_radius + sep.horizontal_m
        q, o = self.tree.query(q_cores, predicate="dwithin", distance=reach)
        keep = (
            (self.start[o] < q_end[q] + sep.time_s)
            & (self.end[o] > q_start[q] - sep.time_s)
            & (self.lower[o] < q_upper[q] + sep.vertical_m)
            & (self.upper[o] > q_lower[q] - sep.vertical_m)
            & (self.party[o] != party)
        )
        q, o = q[keep], o[keep]
        near = shapely.distance(self.cores[o], q_cores[q]) < (
            q_radius[q] + self.radius[o] + sep.horizontal_m
        )
        q, o = q[near], o[near]
        matches = zip(q.tolist(), self.ids[o], self.volume_index[o].tolist(), strict=True)
        return {(i, str(op_id), k) for i, op_id, k in matches}
