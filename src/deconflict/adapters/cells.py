"""Cell cover of footprints with H3, for the candidate index in the database.

A cover must never miss a cell that the footprint (grown by a reach) touches, at the
poles and across the antimeridian too. h3's polygon filling works in degrees; instead
the region is sampled in its own local metric frame, densely enough that every point of
it lies within the inradius of the smallest cell of a sample, and each sampled cell
brings its ring of neighbours. The result is a small superset: the exact test follows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import h3.api.basic_int as h3
import numpy as np
import shapely

from deconflict.domain.geometry import FrameFactory, footprint_center, planar
from deconflict.domain.volumes import Circle, Footprint

#: Resolution 7: cells of about 5 km2 (edges of about 1.4 km). Changing it needs a reindex.
RESOLUTION = 7
_EDGE_M = float(h3.average_hexagon_edge_length(RESOLUTION, unit="m"))
#: Grid spacing: any point lies within ~1.21 spacings of a sample, well inside the
#: inradius (0.87 edge) of the smallest cells (about 0.7 of the average edge).
_SPACING_M = 0.4 * _EDGE_M


@lru_cache(maxsize=4096)
def cover(footprint: Footprint, reach_m: float, frames: FrameFactory) -> tuple[int, ...]:
    """The sorted H3 cells (as integers) of every point within `reach_m` of `footprint`.

    Memoised: one check asks for the same cover of zones and of operations, and a
    footprint's cover never changes (footprints are immutable)."""
    frame = frames(footprint_center(footprint))
    flat = planar(footprint, frame)
    region = shapely.buffer(flat.core, flat.radius_m + reach_m + _SPACING_M / 2, quad_segs=16)
    xmin, ymin, xmax, ymax = region.bounds
    gx, gy = np.meshgrid(
        np.arange(xmin, xmax + _SPACING_M, _SPACING_M),
        np.arange(ymin, ymax + _SPACING_M, _SPACING_M),
    )
    xs, ys = gx.ravel(), gy.ravel()
    inside = shapely.contains_xy(region, xs, ys)
    edge = shapely.get_coordinates(shapely.segmentize(region.boundary, _SPACING_M))
    xs = np.concatenate([xs[inside], edge[:, 0]])
    ys = np.concatenate([ys[inside], edge[:, 1]])
    lngs, lats = frame.to_lnglat(xs, ys)
    sampled = {
        h3.latlng_to_cell(float(lat), float(lng), RESOLUTION)
        for lat, lng in zip(lats, lngs, strict=True)
    }
    cells: set[int] = set()
    for cell in sampled:
        cells.update(h3.grid_disk(cell, 1))
    return tuple(sorted(cells))


#: `cover_many` covers a footprint that lies within this distance of its centre by the
#: disc around the centre, sampled in the tangent plane (no projection to build).
FAST_MAX_M = 5_000.0
#: ...and only away from the poles, where the tangent plane in degrees degenerates.
_FAST_MAX_LAT = 80.0
#: Tangent-plane and rounding errors are under 15 m at these sizes; this covers them.
_FAST_MARGIN_M = 50.0
#: Grid spacing of the fast path: every point of the disc lies within 0.71 spacings
#: (0.42 edge) of a sample (the grid goes 0.75 spacings past the rim), closer than the
#: 1.21 spacings (0.48 edge) the general cover guarantees.
_FAST_SPACING_M = 0.6 * _EDGE_M
_FAST_STEP_M = 50.0
_WGS84_A = 6_378_137.0
_WGS84_E2 = 6.694_379_990_14e-3


def _metres_per_degree(lat: float) -> tuple[float, float]:
    """(north, east): metres per degree of latitude and of longitude at `lat`."""
    s = math.sin(math.radians(lat))
    w = math.sqrt(1 - _WGS84_E2 * s * s)
    meridian = _WGS84_A * (1 - _WGS84_E2) / w**3
    normal = _WGS84_A / w
    return math.radians(meridian), math.radians(normal) * math.cos(math.radians(lat))


@lru_cache(maxsize=512)
def _disc(steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Grid offsets (east, north, metres) of every sample within `steps` * 50 m of the
    centre plus 0.75 spacings: each point of the disc has its nearest sample among them."""
    reach = steps * _FAST_STEP_M + 0.75 * _FAST_SPACING_M
    n = math.ceil(reach / _FAST_SPACING_M)
    axis = np.arange(-n, n + 1) * _FAST_SPACING_M
    gx, gy = np.meshgrid(axis, axis)
    inside = gx * gx + gy * gy <= reach * reach
    return gx[inside], gy[inside]


def _fast_cover(footprint: Footprint, reach_m: float) -> list[int] | None:
    """The cover of a small footprint away from the poles (a superset of what `cover`
    finds), or None when the footprint is too large or too far north or south."""
    center = footprint_center(footprint)
    if abs(center.lat) > _FAST_MAX_LAT:
        return None
    north, east = _metres_per_degree(center.lat)
    if isinstance(footprint, Circle):
        radius = footprint.radius_m
    else:
        radius = 0.0
        for p in footprint.exterior:
            dlng = (p.lng - center.lng + 540.0) % 360.0 - 180.0
            radius = max(radius, math.hypot((p.lat - center.lat) * north, dlng * east))
    radius += reach_m + _FAST_MARGIN_M
    if radius > FAST_MAX_M:
        return None
    xs, ys = _disc(math.ceil(radius / _FAST_STEP_M))
    lats = center.lat + ys / north
    lngs = (center.lng + xs / east + 540.0) % 360.0 - 180.0
    sampled = {
        h3.latlng_to_cell(float(lat), float(lng), RESOLUTION)
        for lat, lng in zip(lats.tolist(), lngs.tolist(), strict=True)
    }
    cells: set[int] = set()
    for cell in sampled:
        cells.update(h3.grid_disk(cell, 1))
    return sorted(cells)


def cover_many(
    footprints: Sequence[Footprint], reach_m: float, frames: FrameFactory
) -> list[Sequence[int]]:
    """A cover of each footprint, in order, for bulk writes: the general `cover` costs
    about a millisecond (a projection built and a buffer sampled per footprint), so
    footprints within FAST_MAX_M of their centre are covered instead by the disc that
    holds them, sampled in the tangent plane from a cached grid: a few times faster, and
    as conservative (tests/unit/adapters/test_cells_bulk.py)."""
    return [_fast_cover(f, reach_m) or cover(f, reach_m, frames) for f in footprints]
