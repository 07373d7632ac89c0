"""Footprints in a local metric frame: validation and the horizontal conflict test.

The domain does not know how to project; it is handed a `FrameFactory` (the pyproj
adapter in production) that builds an azimuthal equidistant frame around a point. Every
footprint compared in one check is projected into the frame of the submitted volume, so
antimeridian-crossing and polar footprints are plain small polygons there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import shapely
from shapely.geometry.base import BaseGeometry

from .errors import InvalidInput
from .volumes import Circle, Footprint, LatLng, Polygon

#: A sequence of floats or a numpy array of them (the domain does not import numpy).
Coords = Any


#: How far (metres) a projected polygon edge may stray from the geodesic it stands for.
#: Edges are the shortest paths between their vertices; in a local frame such a path is
#: a curve (1 m off the chord in the middle of a 100 km edge 50 km from the frame's
#: centre), so frames densify long edges until each piece is within this of the curve.
GEODESIC_TOLERANCE_M = 0.1


class LocalFrame(Protocol):
    """A metric plane tangent to the Earth around one point (x east, y north, metres)."""

    def to_xy(self, lngs: Coords, lats: Coords) -> tuple[Coords, Coords]: ...

    def to_lnglat(self, xs: Coords, ys: Coords) -> tuple[Coords, Coords]: ...

    def ring_to_xy(self, lngs: Coords, lats: Coords) -> tuple[Coords, Coords]:
        """A closed ring (the last vertex joins the first) whose edges are geodesics, as
        a polyline within GEODESIC_TOLERANCE_M of them: its vertices, and points along
        the edges that need them. A shared edge of two rings gets the same points."""
        ...


FrameFactory = Callable[[LatLng], LocalFrame]


class RingsFrame(Protocol):
    """What a `LocalFrame` may also offer: many rings projected at once (the production
    frame does; `planar_many` falls back to `ring_to_xy` ring by ring otherwise)."""

    def rings_to_xy_many(
        self, lngs: Coords, lats: Coords, sizes: Sequence[int]
    ) -> tuple[Coords, list[int]]:
        """`ring_to_xy` of each ring, the rings' vertices given one after another
        (`sizes`: how many of them each ring has): the points of all rings in the same
        order, as (x, y) rows, and how many of them each ring got. A ring of one vertex
        is a point, given back as `to_xy` gives it."""
        ...


def center_of(points: Sequence[LatLng]) -> LatLng:
    """The normalised mean of the points as unit vectors: right across the antimeridian
    and at the poles, where averaging degrees is not."""
    x = y = z = 0.0
    for p in points:
        lat, lng = math.radians(p.lat), math.radians(p.lng)
        x += math.cos(lat) * math.cos(lng)
        y += math.cos(lat) * math.sin(lng)
        z += math.sin(lat)
    norm = math.sqrt(x * x + y * y + z * z)
    if norm < 1e-12:  # antipodal points: no meaningful centre, any of them will do
        return points[0]
    lat = math.degrees(math.asin(max(-1.0, min(1.0, z / norm))))
    lng = math.degrees(math.atan2(y, x)) if math.hypot(x, y) > 1e-12 else 0.0
    return LatLng(lat, lng)


def footprint_center(footprint: Footprint) -> LatLng:
    return footprint.center if isinstance(footprint, Circle) else center_of(footprint.exterior)


@dataclass(frozen=True, slots=True)
class PlanarFootprint:
    """A footprint in a local frame: a core geometry grown by `radius_m`.

    A polygon is itself with radius 0; a circle is its centre point with its radius.
    """

    core: BaseGeometry
    radius_m: float


def _ring_xy(frame: LocalFrame, ring: Sequence[LatLng]) -> list[tuple[float, float]]:
    xs, ys = frame.ring_to_xy([p.lng for p in ring], [p.lat for p in ring])
    return list(zip(xs, ys, strict=True))


def planar(footprint: Footprint, frame: LocalFrame) -> PlanarFootprint:
    """Projects a footprint into the frame (no validation), polygon edges as geodesics
    (within GEODESIC_TOLERANCE_M)."""
    if isinstance(footprint, Circle):
        (x,), (y,) = frame.to_xy([footprint.center.lng], [footprint.center.lat])
        return PlanarFootprint(shapely.Point(x, y), footprint.radius_m)
    shell = _ring_xy(frame, footprint.exterior)
    holes = [_ring_xy(frame, h) for h in footprint.holes]
    return PlanarFootprint(shapely.Polygon(shell, holes), 0.0)


def planar_many(footprints: Sequence[Footprint], frame: LocalFrame) -> list[PlanarFootprint]:
    """`planar` of each footprint, the very same coordinates, with one projection call for
    all of them when the frame offers `rings_to_xy_many` (circle centres go along as rings
    of one vertex), and the Shapely geometries made together: a projection call or a
    geometry costs far more to start than to run."""
    circles: list[int] = []
    polygons: list[int] = []
    lngs: list[float] = []
    lats: list[float] = []
    for i, footprint in enumerate(footprints):
        if isinstance(footprint, Circle):
            circles.append(i)
            lngs.append(footprint.center.lng)
            lats.append(footprint.center.lat)
        else:
            polygons.append(i)
    sizes = [1] * len(circles)
    rings_of: list[int] = []
    for i in polygons:
        polygon = footprints[i]
        assert isinstance(polygon, Polygon)
        rings_of.append(1 + len(polygon.holes))
        for ring in (polygon.exterior, *polygon.holes):
            lngs.extend([p.lng for p in ring])
            lats.extend([p.lat for p in ring])
            sizes.append(len(ring))
    n = len(circles)
    many = getattr(frame, "rings_to_xy_many", None)
    if many is not None:
        xy, got = many(lngs, lats, sizes)
        centres, corners, got = xy[:n], xy[n:], got[n:]
    else:
        xs, ys = frame.to_xy(lngs[:n], lats[:n]) if circles else ([], [])
        centres = list(zip(xs, ys, strict=True))
        corners, got = [], []
        start = n
        for size in sizes[n:]:
            rx, ry = frame.ring_to_xy(lngs[start : start + size], lats[start : start + size])
            corners.extend(zip(rx, ry, strict=True))
            got.append(len(rx))
            start += size
    out: list[PlanarFootprint | None] = [None] * len(footprints)
    if circles:
        for i, point in zip(circles, shapely.points(centres).tolist(), strict=True):
            circle = footprints[i]
            assert isinstance(circle, Circle)
            out[i] = PlanarFootprint(point, circle.radius_m)
    if polygons:
        made = _polygons(corners, got, rings_of)
        for i, core in zip(polygons, made, strict=True):
            out[i] = PlanarFootprint(core, 0.0)
    return [p for p in out if p is not None]


#: Planar footprints by frame and footprint (by value: equal footprints decoded anew for
#: each check hit it too), for the whole process: the same operations are checked
#: against again and again. Emptied when full (simpler and cheaper than an LRU).
_PLANAR_CACHE: dict[tuple[LocalFrame, Footprint], PlanarFootprint] = {}
PLANAR_CACHE_SIZE = 16_384


def clear_planar_cache() -> None:
    _PLANAR_CACHE.clear()


def planar_cached(footprints: Sequence[Footprint], frame: LocalFrame) -> list[PlanarFootprint]:
    """`planar_many`, remembered for the process: a frame is a pure function of its
    centre, and a footprint a value, so the projection of one in the other never
    changes. Frames that cannot be hashed are not remembered."""
    try:
        hits = [_PLANAR_CACHE.get((frame, f)) for f in footprints]
    except TypeError:
        return planar_many(footprints, frame)
    missing = [i for i, hit in enumerate(hits) if hit is None]
    if missing:
        if len(_PLANAR_CACHE) + len(missing) > PLANAR_CACHE_SIZE:
            _PLANAR_CACHE.clear()
        made = planar_many([footprints[i] for i in missing], frame)
        for i, flat in zip(missing, made, strict=True):
            hits[i] = _PLANAR_CACHE[(frame, footprints[i])] = flat
    return [h for h in hits if h is not None]


def _polygons(xy: Coords, sizes: list[int], rings_of: list[int]) -> list[BaseGeometry]:
    """The polygons of projected rings ((x, y) rows, `sizes` of them for each ring), each
    polygon's shell then its holes (`rings_of`: how many rings each polygon has), as
    `planar` makes them."""
    ring_index: list[int] = []
    for r, n in enumerate(sizes):
        ring_index.extend([r] * n)
    polygon_index: list[int] = []
    for p, n in enumerate(rings_of):
        polygon_index.extend([p] * n)
    try:
        rings = shapely.linearrings(xy, indices=ring_index)
        made: list[BaseGeometry] = shapely.polygons(rings, indices=polygon_index).tolist()
        return made
    except (shapely.errors.GEOSException, ValueError):
        pass  # a degenerate ring: made one by one, as `planar` makes it (and fails)
    rows = [(float(x), float(y)) for x, y in xy]
    out = []
    start = r = 0
    for n in rings_of:
        rings_xy = []
        for size in sizes[r : r + n]:
            rings_xy.append(rows[start : start + size])
            start += size
        r += n
        out.append(shapely.Polygon(rings_xy[0], rings_xy[1:]))
    return out


def footprints_conflict(a: PlanarFootprint, b: PlanarFootprint, separation_m: float) -> bool:
    """True when the footprints, grown by `separation_m`, share a positive area.

    Exact for circles (no polygon approximation): the cores are closer than the sum of
    radii and separation. Without radius or separation, two polygons conflict only when
    their interiors meet, so polygons that touch along an edge or at a point do not.
    """
    reach_m = a.radius_m + b.radius_m + separation_m
    if reach_m > 0:
        return bool(shapely.distance(a.core, b.core) < reach_m)
    return bool(shapely.intersects(a.core, b.core) and not shapely.touches(a.core, b.core))


def footprints_conflict_many(
    pairs: Sequence[tuple[PlanarFootprint, PlanarFootprint, float]],
) -> list[bool]:
    """`footprints_conflict(a, b, separation_m)` of each pair, with one Shapely call for
    all pairs that have a reach and one for those that do not."""
    out = [False] * len(pairs)
    reach_at: list[int] = []
    reaches: list[float] = []
    touch_at: list[int] = []
    for i, (a, b, separation_m) in enumerate(pairs):
        reach_m = a.radius_m + b.radius_m + separation_m
        if reach_m > 0:
            reach_at.append(i)
            reaches.append(reach_m)
        else:
            touch_at.append(i)
    if reach_at:
        distances = shapely.distance(
            [pairs[i][0].core for i in reach_at], [pairs[i][1].core for i in reach_at]
        ).tolist()
        for i, distance, reach_m in zip(reach_at, distances, reaches, strict=True):
            out[i] = distance < reach_m
    if touch_at:
        cores_a = [pairs[i][0].core for i in touch_at]
        cores_b = [pairs[i][1].core for i in touch_at]
        meet = shapely.intersects(cores_a, cores_b).tolist()
        touch = shapely.touches(cores_a, cores_b).tolist()
        for i, m, t in zip(touch_at, meet, touch, strict=True):
            out[i] = bool(m and not t)
    return out


_SEGMENTS_PER_QUARTER = 16


def footprint_within(inner: PlanarFootprint, outer: PlanarFootprint) -> bool:
    """True when `inner` lies inside `outer`, decided conservatively: an inner circle
    is grown to a polygon around it, an outer circle shrunk to a polygon within it."""
    if inner.radius_m:
        grow = 1 / math.cos(math.pi / (4 * _SEGMENTS_PER_QUARTER))
        inner_geom = shapely.buffer(
            inner.core, inner.radius_m * grow, quad_segs=_SEGMENTS_PER_QUARTER
        )
    else:
        inner_geom = inner.core
    outer_geom = (
        shapely.buffer(outer.core, outer.radius_m, quad_segs=_SEGMENTS_PER_QUARTER)
        if outer.radius_m
        else outer.core
    )
    return bool(shapely.covers(outer_geom, inner_geom))


def overlap_outline(
    a: PlanarFootprint, b: PlanarFootprint, separation_m: float, frame: LocalFrame
) -> Polygon | None:
    """The outline (convex hull) of where `b` comes within `separation_m` of `a`, back in
    degrees: what a notice may say of where a plan enters a zone. None if they are apart."""
    ga = shapely.buffer(a.core, a.radius_m + separation_m, quad_segs=_SEGMENTS_PER_QUARTER)
    gb = (
        shapely.buffer(b.core, b.radius_m, quad_segs=_SEGMENTS_PER_QUARTER)
        if b.radius_m
        else b.core
    )
    hull = shapely.convex_hull(shapely.intersection(ga, gb))
    if hull.is_empty or hull.geom_type != "Polygon" or hull.area <= 0:
        return None
    ring = shapely.simplify(hull, 1.0).exterior.coords[:-1]
    lngs, lats = frame.to_lnglat([x for x, _ in ring], [y for _, y in ring])
    try:
        return Polygon(
            tuple(LatLng(float(lat), float(lng)) for lat, lng in zip(lats, lngs, strict=True))
        )
    except InvalidInput:  # a sliver too thin to outline: the notice gives band and window only
        return None


def overlap_area_m2(a: PlanarFootprint, b: PlanarFootprint) -> float:
    """Area shared by the two footprints (circles approximated with 64 segments)."""
    ga = a.core.buffer(a.radius_m, quad_segs=16) if a.radius_m else a.core
    gb = b.core.buffer(b.radius_m, quad_segs=16) if b.radius_m else b.core
    return float(shapely.area(shapely.intersection(ga, gb)))


@dataclass(frozen=True, slots=True)
class FootprintLimits:
    """Bounds on a single footprint, from configuration."""

    max_area_m2: float
    max_vertices: int


def footprint_area_m2(footprint: Footprint, frame: LocalFrame) -> float:
    if isinstance(footprint, Circle):
        return math.pi * footprint.radius_m**2
    return float(planar(footprint, frame).core.area)


#: A polygon whose area is below this times its perimeter (a mean width under 1 mm) is a
#: line, not an area: collinear vertices come out of a projection as a valid sliver.
_MIN_MEAN_WIDTH_M = 1e-3


def check_footprint(footprint: Footprint, frames: FrameFactory, limits: FootprintLimits) -> None:
    """Raises InvalidInput (located under `footprint`) unless the footprint is a valid,
    simple shape within the configured vertex count and area."""
    loc = ("footprint",)
    if footprint.vertex_count > limits.max_vertices:
        raise InvalidInput.at(
            (*loc, "vertices"),
            f"{footprint.vertex_count} vertices exceed the maximum of {limits.max_vertices}",
        )
    if isinstance(footprint, Polygon):
        # Only a polygon needs a frame (building one costs more than the rest).
        geom = planar(footprint, frames(footprint_center(footprint))).core
        if not shapely.is_valid(geom):
            reason = shapely.is_valid_reason(geom)
            raise InvalidInput.at(
                (*loc, "vertices"), f"polygon is not simple ({reason.split('[')[0].strip()})"
            )
        area_m2 = float(geom.area)  # `footprint_area_m2`, without projecting again
        if area_m2 < _MIN_MEAN_WIDTH_M * geom.length:
            raise InvalidInput.at(loc, "footprint has no area")
    else:
        area_m2 = math.pi * footprint.radius_m**2  # `footprint_area_m2` of a circle
    if area_m2 <= 0:
        raise InvalidInput.at(loc, "footprint has no area")
    if area_m2 > limits.max_area_m2:
        raise InvalidInput.at(
            loc,
            f"footprint area {area_m2 / 1e6:.1f} km2 exceeds the maximum of "
            f"{limits.max_area_m2 / 1e6:.1f} km2",
        )
