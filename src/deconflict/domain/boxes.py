"""Conservative longitude/latitude boxes around footprints, for the spatial index.

A box must hold every point within `reach_m` of its footprint, at the poles and across
the antimeridian too; the exact test follows, so a box may be larger than it has to be
but never smaller. The box is the one around the footprint's centre C of radius d, an
upper bound of the geodesic distance from C to any point of the footprint grown by the
reach:

- Along any path, latitude changes by at most one degree per 110,574 m (the length of
  a degree of the WGS 84 meridian at the equator, its shortest), so every point within d
  of C lies within d / 110,574 degrees of C's latitude.
- A path that stays between those latitudes changes longitude by at most one degree per
  a * cos(phi) * pi / 180 metres at the latitude phi farthest from the equator (a: the
  equatorial radius, which no radius of curvature in the prime vertical undercuts).
- A circle's points are within its radius of its centre. A polygon's vertices are at
  most r from C; balls of radius under a quarter of the Earth are geodesically convex, so
  its geodesic edges and inside stay within r too. Distances are computed on the sphere
  and scaled up by SPHERE_MARGIN, more than the sphere's error against the ellipsoid.

A box that would reach a pole or wrap around the antimeridian takes every longitude:
simple, and such footprints are rare.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from .geometry import footprint_center
from .volumes import Circle, Footprint, LatLng

#: Metres of the shortest degree of latitude (WGS 84 meridian at the equator).
METRES_PER_DEGREE_LAT = 110_574.0
_EQUATORIAL_RADIUS_M = 6_378_137.0
_MEAN_RADIUS_M = 6_371_008.8
#: Upper bound of (ellipsoidal geodesic distance) / (great-circle distance on the mean
#: sphere), which is at most about 1.0034, plus a metre for rounding.
SPHERE_MARGIN = 1.006
_ROUNDING_M = 1.0
#: Beyond this radius the convexity argument above does not hold: the whole world.
_CONVEX_LIMIT_M = 9_000_000.0


@dataclass(frozen=True, slots=True)
class Box:
    """[lng_min, lng_max] x [lat_min, lat_max], degrees; lng_min <= lng_max always (a box
    across the antimeridian is widened to every longitude)."""

    lng_min: float
    lng_max: float
    lat_min: float
    lat_max: float

    def intersects(self, other: Box) -> bool:
        return (
            self.lng_min <= other.lng_max
            and other.lng_min <= self.lng_max
            and self.lat_min <= other.lat_max
            and other.lat_min <= self.lat_max
        )


WORLD = Box(-180.0, 180.0, -90.0, 90.0)


def _great_circle_m(a: LatLng, b: LatLng) -> float:
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat, dlng = lat2 - lat1, math.radians(b.lng - a.lng)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlng / 2) ** 2
    return 2 * _MEAN_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def radius_around(footprint: Footprint, center: LatLng) -> float:
    """An upper bound, metres, of the geodesic distance from `center` to the footprint's
    points (valid below _CONVEX_LIMIT_M; see the module docstring)."""
    if isinstance(footprint, Circle):
        return footprint.radius_m + _great_circle_m(center, footprint.center) * SPHERE_MARGIN
    farthest = max(_great_circle_m(center, p) for p in footprint.exterior)
    return farthest * SPHERE_MARGIN


@lru_cache(maxsize=16_384)
def box_of(footprint: Footprint, reach_m: float = 0.0) -> Box:
    """A box holding every point within `reach_m` metres of `footprint`."""
    center = footprint_center(footprint)
    d = radius_around(footprint, center) + reach_m + _ROUNDING_M
    if d >= _CONVEX_LIMIT_M:
        return WORLD
    dlat = d / METRES_PER_DEGREE_LAT
    lat_min, lat_max = center.lat - dlat, center.lat + dlat
    if lat_min <= -90.0 or lat_max >= 90.0:
        return Box(-180.0, 180.0, max(-90.0, lat_min), min(90.0, lat_max))
    farthest = max(abs(lat_min), abs(lat_max))
    metres_per_degree_lng = _EQUATORIAL_RADIUS_M * math.cos(math.radians(farthest)) * math.pi / 180
    dlng = d / metres_per_degree_lng
    lng_min, lng_max = center.lng - dlng, center.lng + dlng
    if lng_min <= -180.0 or lng_max >= 180.0:  # touching it counts: -180 and 180 meet
        return Box(-180.0, 180.0, lat_min, lat_max)
    return Box(lng_min, lng_max, lat_min, lat_max)
