"""Cell cover of footprints with H3, for ASTM F3548 subscriptions' cell rows (zones and
operations have the backend's spatial index: adapters/spatial.py).

A cover must never miss a cell that the footprint (grown by a reach) touches, at the
poles and across the antimeridian too. h3's polygon filling works in degrees; instead
the region is sampled in its own local metric frame, densely enough that every point of
it lies within the inradius of the smallest cell of a sample, and each sampled cell
brings its ring of neighbours. The result is a small superset: the exact test follows.
"""

from __future__ import annotations

from functools import lru_cache

import h3.api.basic_int as h3
import numpy as np
import shapely

from deconflict.domain.geometry import FrameFactory, footprint_center, planar
from deconflict.domain.volumes import Footprint

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
