"""The height models behind `domain.heights`: the EGM96 geoid (PROJ's `egm96_15.gtx`
through pyproj) and a terrain model (a GeoTIFF DEM through rasterio).

Both answer for a footprint with a range (lowest, highest) over everything the footprint
may cover: its outline follows the geodesic edges (densified every `_STEP_M`), a circle
is taken by a polygon around it, and a footprint around a pole reaches the pole.
Nothing is downloaded: the grid is read from a local file, with PROJ's network off.
"""

from __future__ import annotations

import functools
import math
import os
import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import rasterio
import rasterio.features
import rasterio.windows
from affine import Affine
from pyproj import CRS, Geod, Transformer
from shapely import contains_xy
from shapely.geometry import Polygon as ShapelyPolygon
from shapely.geometry import mapping

from deconflict.domain.errors import InvalidInput
from deconflict.domain.heights import HeightModels
from deconflict.domain.volumes import AltitudeReference, Circle, Footprint, Polygon

_GEOD = Geod(ellps="WGS84")
#: Outline points are at most this far apart along an edge: a geodesic bulges from the
#: chord between two points 2 km apart by well under a metre.
_STEP_M = 2_000.0
_CIRCLE_POINTS = 72
#: Beyond this many points an outline is densified more coarsely (a footprint that long is
#: far beyond any limit), and the geoid answers with its cells' corners.
_MAX_OUTLINE_POINTS = 5_000

GEOID_GRID = "egm96_15.gtx"
#: The largest error of bilinear interpolation in the EGM96 15' grid against the EGM96
#: model itself: 1.152 m (GeographicLib, "Geoid height: interpolation and quantization
#: errors", egm96-15 bilinear), rounded up.
GEOID_INTERPOLATION_ERROR_M = 1.2


@dataclass(frozen=True, slots=True)
class _Outline:
    """A footprint's outer boundary as [longitude, latitude] points with longitudes
    unwrapped (continuous across the antimeridian), and the poles it holds."""

    points: list[tuple[float, float]]
    north: bool = False
    south: bool = False
    step_m: float = _STEP_M

    @property
    def pole(self) -> bool:
        return self.north or self.south


def _unwrapped(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    out = [points[0]]
    for lng, lat in points[1:]:
        previous = out[-1][0]
        out.append((previous + ((lng - previous + 180.0) % 360.0 - 180.0), lat))
    return out


def _outline(footprint: Footprint) -> _Outline:
    north = south = False
    if isinstance(footprint, Circle):
        c = footprint.center
        # A polygon through points beyond the circle holds the whole circle.
        reach_m = footprint.radius_m / math.cos(math.pi / _CIRCLE_POINTS)
        n = _CIRCLE_POINTS
        lngs, lats, _ = _GEOD.fwd(
            [c.lng] * n, [c.lat] * n, [360.0 * k / n for k in range(n)], [reach_m] * n
        )
        vertices = [(lng, max(-90.0, min(90.0, lat))) for lng, lat in zip(lngs, lats, strict=True)]
        north, south = (_GEOD.inv(c.lng, c.lat, c.lng, pole)[2] <= reach_m for pole in (90, -90))
    else:
        vertices = [(p.lng, p.lat) for p in footprint.exterior]
    edges = list(zip(vertices, vertices[1:] + vertices[:1], strict=True))
    lengths_m = [_GEOD.inv(a[0], a[1], b[0], b[1])[2] for a, b in edges]
    # a footprint too large for any limit still costs a bounded number of points
    step_m = max(_STEP_M, sum(lengths_m) / _MAX_OUTLINE_POINTS)
    dense: list[tuple[float, float]] = []
    for ((lng1, lat1), (lng2, lat2)), length_m in zip(edges, lengths_m, strict=True):
        dense.append((lng1, lat1))
        between = int(length_m // step_m)
        if between:
            dense.extend(_GEOD.npts(lng1, lat1, lng2, lat2, between))
    points = _unwrapped(dense)
    if isinstance(footprint, Polygon):
        closing = points[0][0] - points[-1][0]
        winding = points[-1][0] + ((closing + 180.0) % 360.0 - 180.0) - points[0][0]
        if abs(winding) >= 180.0:  # once around the Earth: it holds the pole on its side
            north = max(lat for _, lat in points) > 0
            south = not north
    return _Outline(points, north, south, step_m)


def _find_grid(configured: Path | None) -> Path | None:
    if configured is not None:
        return configured
    places = [*pyproj.datadir.get_data_dir().split(os.pathsep), "/usr/share/proj"]
    places += [os.environ[v] for v in ("PROJ_DATA", "PROJ_LIB") if os.environ.get(v)]
    for place in places:
        candidate = Path(place) / GEOID_GRID
        if candidate.is_file():
            return candidate
    return None


class Egm96Geoid:
    """Undulations of the EGM96 geoid from its 15' grid (PROJ `vgridshift`, bilinear)."""

    interpolation_error_m = GEOID_INTERPOLATION_ERROR_M

    def __init__(self, grid: Path) -> None:
        # Grids come from local files only: never fetched from PROJ's CDN at run time.
        pyproj.network.set_network_enabled(False)  # type: ignore[attr-defined]
        with grid.open("rb") as f:
            lat0, lng0, dlat, dlng, rows, cols = struct.unpack(">4d2i", f.read(40))
        self._origin = (lat0, lng0)
        self._step = (dlat, dlng)
        self._shape = (rows, cols)
        self._transformer = Transformer.from_pipeline(
            f"+proj=vgridshift +grids={grid} +multiplier=1"
        )
        self._lock = threading.Lock()
        if not math.isfinite(self.undulation_m(0.0, 0.0)):
            raise ValueError(f"the geoid grid {grid} gives no undulation at 0N 0E")

    def undulations_m(self, lats: Sequence[float], lngs: Sequence[float]) -> list[float]:
        """The interpolated undulation N (metres above the ellipsoid) at each point."""
        with self._lock:
            _, _, n = self._transformer.transform(
                np.asarray(lngs, dtype=float),
                np.asarray(lats, dtype=float),
                np.zeros(len(lats)),
                errcheck=True,
            )
        return [float(v) for v in np.atleast_1d(n)]

    def undulation_m(self, lat: float, lng: float) -> float:
        return self.undulations_m([lat], [lng])[0]

    def undulation_range_m(self, footprint: Footprint) -> tuple[float, float]:
        """The lowest and highest interpolated undulation over the footprint.

        Within a grid cell the bilinear surface has no extremum inside a region (its one
        critical point is a saddle), so over the footprint its extremes lie at grid nodes
        inside the footprint, where the outline crosses grid lines, or along the outline
        between those: every point is evaluated, the outline every 2 km. Between two
        outline points the surface departs from a straight line by at most a centimetre
        (a cell is 28 km; the twist of a cell stays under 10 m), which the interpolation
        error's rounding up (1.152 to 1.2 m) covers. A footprint around a pole, or one
        thousands of kilometres long, takes the corners of every cell its bounding box
        touches (bilinear interpolation stays between a cell's corners)."""
        outline = _outline(footprint)
        lat0, lng0 = self._origin
        dlat, dlng = self._step
        lats = [lat for _, lat in outline.points]
        lngs = [lng for lng, _ in outline.points]
        if outline.pole or outline.step_m > _STEP_M:
            # the corners of every cell the bounding box (one cell wider) touches
            low_lat = -90.0 if outline.south else min(lats) - dlat
            high_lat = 90.0 if outline.north else max(lats) + dlat
            rows = range(
                max(0, math.floor((low_lat - lat0) / dlat)),
                min(self._shape[0] - 1, math.ceil((high_lat - lat0) / dlat)) + 1,
            )
            if outline.pole or max(lngs) - min(lngs) + 2 * dlng >= 360.0:
                cols = range(self._shape[1])
            else:
                cols = range(
                    math.floor((min(lngs) - lng0) / dlng) - 1,
                    math.ceil((max(lngs) - lng0) / dlng) + 2,
                )
            points = [(lng0 + k * dlng, lat0 + r * dlat) for r in rows for k in cols]
        else:
            points = [*outline.points, *self._crossings(outline.points)]
            shape = ShapelyPolygon(outline.points)
            rows = range(
                math.ceil((min(lats) - lat0) / dlat), math.floor((max(lats) - lat0) / dlat) + 1
            )
            cols = range(
                math.ceil((min(lngs) - lng0) / dlng), math.floor((max(lngs) - lng0) / dlng) + 1
            )
            nodes = [(lng0 + k * dlng, lat0 + r * dlat) for r in rows for k in cols]
            if nodes:
                xs, ys = zip(*nodes, strict=True)
                inside = contains_xy(shape, np.asarray(xs), np.asarray(ys))
                points += [p for p, keep in zip(nodes, inside, strict=True) if keep]
        values = self.undulations_m(
            [lat for _, lat in points], [(lng + 180.0) % 360.0 - 180.0 for lng, _ in points]
        )
        return min(values), max(values)

    def _crossings(self, ring: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
        """Where each segment of the closed ring crosses a grid line (straight in
        longitude and latitude: the segments are at most 2 km)."""
        lat0, lng0 = self._origin
        dlat, dlng = self._step
        out: list[tuple[float, float]] = []
        for (x1, y1), (x2, y2) in zip(ring, [*ring[1:], ring[0]], strict=True):
            for a1, a2, origin, step, along in ((x1, x2, lng0, dlng, 0), (y1, y2, lat0, dlat, 1)):
                low, high = sorted((a1, a2))
                for k in range(
                    math.ceil((low - origin) / step), math.floor((high - origin) / step) + 1
                ):
                    line = origin + k * step
                    f = 0.0 if a2 == a1 else (line - a1) / (a2 - a1)
                    if along == 0:
                        out.append((line, y1 + f * (y2 - y1)))
                    else:
                        out.append((x1 + f * (x2 - x1), line))
        return out


class GeoTiffTerrain:
    """Ground heights from a single-band GeoTIFF DEM (any CRS rasterio knows), above
    `reference` (mean sea level for most DEMs), with a stated vertical accuracy."""

    def __init__(self, path: Path, accuracy_m: float, reference: AltitudeReference) -> None:
        self.accuracy_m = accuracy_m
        self.reference = reference
        self.path = path
        self._lock = threading.Lock()
        self._dataset: Any = rasterio.open(path)
        if self._dataset.crs is None:
            raise ValueError(f"the terrain model {path} has no coordinate reference system")
        grid = self._dataset.transform
        if grid.b or grid.d:
            raise ValueError(f"the terrain model {path} is rotated: north-up rasters only")
        crs = CRS.from_user_input(self._dataset.crs.to_wkt())
        self._geographic = crs.is_geographic
        self._to_raster = Transformer.from_crs("EPSG:4326", crs, always_xy=True)

    def height_range_m(self, footprint: Footprint) -> tuple[float, float]:
        """The lowest and highest cell under the footprint (every cell it touches)."""
        outline = _outline(footprint)
        if outline.pole:
            raise InvalidInput.at(
                (), "the terrain model cannot answer for a footprint around a pole"
            )
        xs, ys = zip(*outline.points, strict=True)
        if not self._geographic:
            xs, ys = self._to_raster.transform(xs, ys)
        shape = ShapelyPolygon(list(zip(xs, ys, strict=True)))
        ds = self._dataset
        left, bottom, right, top = shape.bounds
        b = ds.bounds
        if left < b.left or right > b.right or bottom < b.bottom or top > b.top:
            raise InvalidInput.at(
                (), f"the terrain model ({self.path.name}) does not cover the whole footprint"
            )
        grid = ds.transform  # north-up: x = c + a * column, y = f + e * row
        columns = sorted(((left - grid.c) / grid.a, (right - grid.c) / grid.a))
        rows = sorted(((top - grid.f) / grid.e, (bottom - grid.f) / grid.e))
        col0, row0 = max(0, math.floor(columns[0])), max(0, math.floor(rows[0]))
        col1, row1 = min(ds.width, math.ceil(columns[1])), min(ds.height, math.ceil(rows[1]))
        window = rasterio.windows.Window(col0, row0, max(1, col1 - col0), max(1, row1 - row0))
        with self._lock:
            data = ds.read(1, window=window, masked=True, boundless=False)
        inside = rasterio.features.geometry_mask(
            [mapping(shape)],
            out_shape=data.shape,
            transform=Affine(
                grid.a, 0.0, grid.c + grid.a * col0, 0.0, grid.e, grid.f + grid.e * row0
            ),
            all_touched=True,
            invert=True,
        )
        cells = data[inside]
        if cells.size == 0 or np.ma.getmaskarray(cells).any():
            raise InvalidInput.at(
                (), f"the terrain model ({self.path.name}) has no data under part of the footprint"
            )
        return float(cells.min()), float(cells.max())


@functools.cache
def _geoid(grid: Path) -> Egm96Geoid:
    return Egm96Geoid(grid)


@functools.cache
def _terrain(path: Path, accuracy_m: float, reference: AltitudeReference) -> GeoTiffTerrain:
    return GeoTiffTerrain(path, accuracy_m, reference)


def height_models(
    geoid_file: Path | None,
    terrain_file: Path | None,
    terrain_accuracy_m: float | None,
    terrain_reference: str,
) -> HeightModels:
    """The deployment's models: the geoid grid where it is found (a configured one must
        exist), the terrain model when configured; each file is opened once per process and
    shared (read only). ValueError on a configured file that
        cannot be used."""
    grid = _find_grid(geoid_file)
    if geoid_file is not None and not geoid_file.is_file():
        raise ValueError(f"DECONFLICT_GEOID_FILE {geoid_file} is not a file")
    terrain = None
    if terrain_file is not None:
        if terrain_accuracy_m is None:
            raise ValueError(
                "DECONFLICT_TERRAIN_ACCURACY_M (the terrain model's stated vertical accuracy, "
                "metres) is required with DECONFLICT_TERRAIN_FILE"
            )
        try:
            terrain = _terrain(
                terrain_file, terrain_accuracy_m, AltitudeReference(terrain_reference)
            )
        except rasterio.errors.RasterioIOError as e:
            raise ValueError(
                f"DECONFLICT_TERRAIN_FILE {terrain_file} cannot be read: {e}"
            ) from None
    return HeightModels(None if grid is None else _geoid(grid), terrain)
