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
    frame = frames(footprint_center(footprint))
    if isinstance(footprint, Polygon):
        geom = planar(footprint, frame).core
        if not shapely.is_valid(geom):
            reason = shapely.is_valid_reason(geom)
            raise InvalidInput.at(
                (*loc, "vertices"), f"polygon is not simple ({reason.split('[')[0].strip()})"
            )
        if geom.area < _MIN_MEAN_WIDTH_M * geom.length:
            raise InvalidInput.at(loc, "footprint has no area")
    area_m2 = footprint_area_m2(footprint, frame)
    if area_m2 <= 0:
        raise InvalidInput.at(loc, "footprint has no area")
    if area_m2 > limits.max_area_m2:
        raise InvalidInput.at(
            loc,
            f"footprint area {area_m2 / 1e6:.1f} km2 exceeds the maximum of "
            f"{limits.max_area_m2 / 1e6:.1f} km2",
        )
