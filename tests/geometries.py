"""Catalogue of geometric edge cases, as data built from domain types.

Every distance that matters ("a 1 m gap", "tangent") is built in metres in the local
metric frame (`local_frame(...).to_lnglat`), never from degree approximations. A check
projects both footprints into the frame of the first volume (as `assess` does with the
submitted volume); `projector` reproduces that.

Ties ("touching", "tangent") are exact in that frame: polygons that touch share the very
same `LatLng` vertices, and a tangent circle gets the radius measured in the frame of the
check. Cases whose tie is exact only in the frame of `a` are marked `symmetric=False`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import shapely
from hypothesis import strategies as st

from deconflict.adapters.projection import local_frame
from deconflict.domain.conflicts import Projector, Separation
from deconflict.domain.geometry import LocalFrame, PlanarFootprint, footprint_center, planar
from deconflict.domain.volumes import (
    AltitudeBand,
    Circle,
    Footprint,
    LatLng,
    Polygon,
    TimeWindow,
    Volume4D,
)

T0 = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
HOUR = TimeWindow(T0, T0 + timedelta(hours=1))
NEXT_HOUR = TimeWindow(T0 + timedelta(hours=1), T0 + timedelta(hours=2))
BAND = AltitudeBand(0.0, 120.0)

NO_SEPARATION = Separation()

#: Base points of the metric constructions; each is on the 0.01 degree grid of
#: `local_frame`, so the frame of a footprint centred there is exactly that frame.
ZURICH = LatLng(47.37, 8.54)
FIJI = LatLng(-17.0, 180.0)
NORTH_POLE = LatLng(90.0, 0.0)
SOUTH_POLE = LatLng(-90.0, 0.0)


# ---- builders ---------------------------------------------------------------------------


def wrap_lng(lng: float) -> float:
    """A longitude in [-180, 180] (a frame's inverse may return e.g. 180.0000000001)."""
    return lng if -180.0 <= lng <= 180.0 else (lng + 180.0) % 360.0 - 180.0


def points(frame: LocalFrame, xy: Sequence[tuple[float, float]]) -> tuple[LatLng, ...]:
    """The points at metric coordinates `xy` (x east, y north) of `frame`."""
    lngs, lats = frame.to_lnglat([x for x, _ in xy], [y for _, y in xy])
    return tuple(
        LatLng(float(lat), wrap_lng(float(lng))) for lat, lng in zip(lats, lngs, strict=True)
    )


def point(frame: LocalFrame, x: float, y: float) -> LatLng:
    return points(frame, [(x, y)])[0]


def rect(frame: LocalFrame, x0: float, y0: float, x1: float, y1: float) -> Polygon:
    """The rectangle [x0, x1] x [y0, y1] (metres) of `frame`, counter-clockwise."""
    return Polygon(points(frame, [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]))


def disc(frame: LocalFrame, x: float, y: float, radius_m: float) -> Circle:
    return Circle(point(frame, x, y), radius_m)


def ring_at(lat: float, vertices: int) -> Polygon:
    """A ring of `vertices` points at latitude `lat`, evenly spaced in longitude."""
    return Polygon(tuple(LatLng(lat, -180.0 + 360.0 * i / vertices) for i in range(vertices)))


def degrees(*lat_lngs: tuple[float, float]) -> Polygon:
    return Polygon(tuple(LatLng(lat, lng) for lat, lng in lat_lngs))


def volume(
    footprint: Footprint, altitude: AltitudeBand = BAND, time: TimeWindow = HOUR
) -> Volume4D:
    return Volume4D(footprint, altitude, time)


def frame_of(footprint: Footprint) -> LocalFrame:
    """The frame a check centred on `footprint` uses (as `assess` does)."""
    return local_frame(footprint_center(footprint))


def projector(first: Volume4D) -> Projector:
    """Projects footprints into the frame of `first`, like `assess` for a submitted volume."""
    frame = frame_of(first.footprint)

    def project(footprint: Footprint) -> PlanarFootprint:
        return planar(footprint, frame)

    return project


def tangent_radius(center: LatLng, other: Footprint) -> float:
    """The radius at which a circle at `center` just touches `other`, measured in the
    frame a check of that circle uses: an exact tie there, not a float nearby."""
    frame = local_frame(center)
    core = planar(Circle(center, 1.0), frame).core
    other_flat = planar(other, frame)
    distance = float(shapely.distance(core, other_flat.core))
    # `footprints_conflict` compares the distance with radius + other radius + 0:
    # nudge the radius by ulps until that sum is the distance itself.
    radius = distance - other_flat.radius_m
    for _ in range(16):
        total = radius + other_flat.radius_m + 0.0
        if total == distance:
            break
        radius = math.nextafter(radius, -math.inf if total > distance else math.inf)
    assert radius + other_flat.radius_m + 0.0 == distance
    return radius


# ---- the catalogue -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Case:
    """Two volumes and whether `a`, kept `separation` away, conflicts with `b`."""

    name: str
    a: Volume4D
    b: Volume4D
    separation: Separation
    conflict: bool
    #: False when the answer rests on a tie that is exact only in the frame of `a`.
    symmetric: bool = True


def _sep(horizontal_m: float = 0.0, vertical_m: float = 0.0, time_s: float = 0.0) -> Separation:
    return Separation(horizontal_m, vertical_m, time_s)


def _planar_polygon_cases() -> list[Case]:
    f = local_frame(ZURICH)
    # Shared vertices: the touching polygons use these very LatLng objects.
    p = points(f, [(-100, -100), (0, -100), (0, 100), (-100, 100), (100, -100), (100, 100)])
    west = Polygon((p[0], p[1], p[2], p[3]))
    east = Polygon((p[1], p[4], p[5], p[2]))
    q = points(f, [(-100, -100), (0, -100), (0, 0), (-100, 0), (100, 0), (100, 100), (0, 100)])
    south_west = Polygon((q[0], q[1], q[2], q[3]))
    north_east = Polygon((q[2], q[4], q[5], q[6]))
    near_miss = rect(f, 1, -100, 101, 100)  # 1 m east of `west`
    big = rect(f, -100, -100, 100, 100)
    donut = Polygon(
        points(f, [(-300, -300), (300, -300), (300, 300), (-300, 300)]),
        holes=(points(f, [(-200, -200), (-200, 200), (200, 200), (200, -200)]),),
    )
    in_the_hole = rect(f, -100, -100, 100, 100)
    return [
        Case(
            "polygons_touching_along_an_edge",
            volume(west),
            volume(east),
            NO_SEPARATION,
            conflict=False,
        ),
        Case(
            "polygons_touching_along_an_edge_with_1m_separation",
            volume(west),
            volume(east),
            _sep(1.0),
            conflict=True,
        ),
        Case(
            "polygons_touching_at_a_single_vertex",
            volume(south_west),
            volume(north_east),
            NO_SEPARATION,
            conflict=False,
        ),
        Case(
            "polygons_touching_at_a_single_vertex_with_1m_separation",
            volume(south_west),
            volume(north_east),
            _sep(1.0),
            conflict=True,
        ),
        Case(
            "overlapping_polygons",
            volume(big),
            volume(rect(f, 50, 50, 250, 250)),
            NO_SEPARATION,
            conflict=True,
        ),
        Case(
            "polygon_inside_another",
            volume(big),
            volume(rect(f, -10, -10, 10, 10)),
            NO_SEPARATION,
            conflict=True,
        ),
        Case(
            "polygons_1m_apart_at_zero_separation",
            volume(west),
            volume(near_miss),
            NO_SEPARATION,
            conflict=False,
        ),
        Case(
            "polygons_1m_apart_with_half_a_metre_separation",
            volume(west),
            volume(near_miss),
            _sep(0.5),
            conflict=False,
        ),
        Case(
            "polygons_1m_apart_with_2m_separation",
            volume(west),
            volume(near_miss),
            _sep(2.0),
            conflict=True,
        ),
        Case(
            "polygon_inside_the_hole_of_another",
            volume(donut),
            volume(in_the_hole),
            NO_SEPARATION,
            conflict=False,
        ),
        Case(
            "polygon_100m_inside_the_hole_with_150m_separation",
            volume(donut),
            volume(in_the_hole),
            _sep(150.0),
            conflict=True,
        ),
    ]


def _circle_cases() -> list[Case]:
    f = local_frame(ZURICH)
    box = rect(f, 100, -50, 300, 50)  # its west edge is 100 m east of ZURICH
    centre = ZURICH
    tangent = tangent_radius(centre, box)
    # Circle against circle: centres 151 m and 149 m apart, radii 50 + 100.
    small = Circle(ZURICH, 50.0)
    far = disc(f, 0, 151, 100.0)
    near = disc(f, 0, 149, 100.0)
    touching_centre = point(f, 0, 150)
    touching = Circle(touching_centre, tangent_radius(touching_centre, small))
    return [
        Case(
            "circle_inside_a_polygon",
            volume(rect(f, -500, -500, 500, 500)),
            volume(Circle(ZURICH, 100.0)),
            NO_SEPARATION,
            conflict=True,
        ),
        Case(
            "polygon_inside_a_circle",
            volume(Circle(ZURICH, 1000.0)),
            volume(box),
            NO_SEPARATION,
            conflict=True,
        ),
        Case(
            "circle_tangent_to_a_polygon",
            volume(Circle(centre, tangent)),
            volume(box),
            NO_SEPARATION,
            conflict=False,
            symmetric=False,
        ),
        Case(
            "circle_overlapping_a_polygon_by_1m",
            volume(Circle(centre, 101.0)),
            volume(box),
            NO_SEPARATION,
            conflict=True,
        ),
        Case(
            "circle_1m_from_a_polygon_at_zero_separation",
            volume(Circle(centre, 99.0)),
            volume(box),
            NO_SEPARATION,
            conflict=False,
        ),
        Case(
            "circle_1m_from_a_polygon_with_2m_separation",
            volume(Circle(centre, 99.0)),
            volume(box),
            _sep(2.0),
            conflict=True,
        ),
        Case(
            "polygon_1m_from_a_circle_with_2m_separation",
            volume(box),
            volume(Circle(centre, 99.0)),
            _sep(2.0),
            conflict=True,
        ),
        Case(
            "circles_1m_apart_at_zero_separation",
            volume(small),
            volume(far),
            NO_SEPARATION,
            conflict=False,
        ),
        Case(
            "circles_1m_apart_with_half_a_metre_separation",
            volume(small),
            volume(far),
            _sep(0.5),
            conflict=False,
        ),
        Case(
            "circles_1m_apart_with_2m_separation",
            volume(small),
            volume(far),
            _sep(2.0),
            conflict=True,
        ),
        Case(
            "circles_overlapping_by_1m",
            volume(small),
            volume(near),
            NO_SEPARATION,
            conflict=True,
        ),
        Case(
            "circles_touching_exactly",
            volume(touching),
            volume(small),
            NO_SEPARATION,
            conflict=False,
            symmetric=False,
        ),
        Case(
            "concentric_circles",
            volume(Circle(ZURICH, 1.0)),
            volume(Circle(ZURICH, 1000.0)),
            NO_SEPARATION,
            conflict=True,
        ),
    ]


def _antimeridian_cases() -> list[Case]:
    # Straddles the antimeridian: 179.99 E to 179.99 W is a 0.02 degree wide box, not
    # a box around the world. Read as plain degrees it would cover everything between.
    straddling = degrees((-17.00, 179.99), (-17.00, -179.99), (-16.99, -179.99), (-16.99, 179.99))
    overlapping = degrees(
        (-16.995, 179.995), (-16.995, -179.98), (-16.985, -179.98), (-16.985, 179.995)
    )
    # Entirely west of the antimeridian, 0.01 degree (about 1 km) east of `straddling`:
    # within its longitude span if read as plain degrees.
    beyond = degrees((-17.00, -179.98), (-17.00, -179.97), (-16.99, -179.97), (-16.99, -179.98))
    # Shares the -179.99 edge of `straddling`.
    adjacent = degrees((-17.00, -179.99), (-17.00, -179.98), (-16.99, -179.98), (-16.99, -179.99))
    f = local_frame(FIJI)
    east_side = rect(f, -100, -100, -0.5, 100)  # x < 0: east longitudes, up to 179.99999
    west_side = rect(f, 0.5, -100, 100, 100)  # x > 0: west longitudes, from -179.99999
    return [
        Case(
            "polygons_across_the_antimeridian_overlapping",
            volume(straddling),
            volume(overlapping),
            NO_SEPARATION,
            conflict=True,
        ),
        Case(
            "polygon_across_the_antimeridian_and_one_beyond_it",
            volume(straddling),
            volume(beyond),
            NO_SEPARATION,
            conflict=False,
        ),
        Case(
            "polygon_across_the_antimeridian_and_one_beyond_it_within_separation",
            volume(straddling),
            volume(beyond),
            _sep(2000.0),
            conflict=True,
        ),
        Case(
            "polygon_across_the_antimeridian_touching_one_beside_it",
            volume(straddling),
            volume(adjacent),
            NO_SEPARATION,
            conflict=False,
        ),
        Case(
            "polygons_1m_apart_on_either_side_of_the_antimeridian",
            volume(east_side),
            volume(west_side),
            NO_SEPARATION,
            conflict=False,
        ),
        Case(
            "polygons_1m_apart_on_either_side_of_the_antimeridian_with_2m_separation",
            volume(east_side),
            volume(west_side),
            _sep(2.0),
            conflict=True,
        ),
        Case(
            "circle_on_the_antimeridian_and_polygon_across_it",
            volume(Circle(LatLng(-16.995, 180.0), 50.0)),
            volume(straddling),
            NO_SEPARATION,
            conflict=True,
        ),
        Case(
            "circles_at_180_east_and_180_west",
            volume(Circle(LatLng(-16.995, 180.0), 1.0)),
            volume(Circle(LatLng(-16.995, -180.0), 1.0)),
            NO_SEPARATION,
            conflict=True,
        ),
    ]


def _polar_cases() -> list[Case]:
    north_ring = ring_at(89.99, 8)  # about 1.1 km around the north pole
    south_ring = ring_at(-89.99, 4)
    n = local_frame(NORTH_POLE)
    s = local_frame(SOUTH_POLE)
    return [
        Case(
            "ring_around_the_north_pole_and_a_small_circle_at_the_pole",
            volume(north_ring),
            volume(Circle(NORTH_POLE, 10.0)),
            NO_SEPARATION,
            conflict=True,
        ),
        Case(
            "small_circle_at_the_north_pole_and_a_ring_around_it",
            volume(Circle(NORTH_POLE, 10.0)),
            volume(north_ring),
            NO_SEPARATION,
            conflict=True,
        ),
        Case(
            "ring_around_the_north_pole_and_a_wider_ring",
            volume(north_ring),
            volume(ring_at(89.98, 5)),
            NO_SEPARATION,
            conflict=True,
        ),
        Case(
            "ring_around_the_north_pole_and_a_circle_2km_outside_it",
            volume(north_ring),
            volume(Circle(LatLng(89.97, 45.0), 100.0)),
            NO_SEPARATION,
            conflict=False,
        ),
        Case(
            "ring_around_the_south_pole_and_a_small_circle_at_the_pole",
            volume(south_ring),
            volume(Circle(SOUTH_POLE, 10.0)),
            NO_SEPARATION,
            conflict=True,
        ),
        Case(
            "small_circle_at_the_south_pole_and_a_ring_around_it",
            volume(Circle(LatLng(-90.0, 123.0), 10.0)),
            volume(south_ring),
            NO_SEPARATION,
            conflict=True,
        ),
        Case(
            "circles_at_the_north_pole_given_different_longitudes",
            volume(Circle(LatLng(90.0, 0.0), 1.0)),
            volume(Circle(LatLng(90.0, 180.0), 1.0)),
            NO_SEPARATION,
            conflict=True,
        ),
        Case(
            "polygons_1m_apart_on_either_side_of_the_north_pole",
            volume(rect(n, -500, -500, -0.5, 500)),
            volume(rect(n, 0.5, -500, 500, 500)),
            NO_SEPARATION,
            conflict=False,
        ),
        Case(
            "polygons_1m_apart_on_either_side_of_the_north_pole_with_2m_separation",
            volume(rect(n, -500, -500, -0.5, 500)),
            volume(rect(n, 0.5, -500, 500, 500)),
            _sep(2.0),
            conflict=True,
        ),
        Case(
            "polygons_1m_apart_on_either_side_of_the_south_pole_with_2m_separation",
            volume(rect(s, -500, -500, 500, -0.5)),
            volume(rect(s, -500, 0.5, 500, 500)),
            _sep(2.0),
            conflict=True,
        ),
    ]


def _time_and_altitude_cases() -> list[Case]:
    footprint = rect(local_frame(ZURICH), -100, -100, 100, 100)
    return [
        Case(
            "time_windows_touching_end_to_start",
            volume(footprint, time=HOUR),
            volume(footprint, time=NEXT_HOUR),
            NO_SEPARATION,
            conflict=False,
        ),
        Case(
            "time_windows_touching_end_to_start_with_60s_separation",
            volume(footprint, time=HOUR),
            volume(footprint, time=NEXT_HOUR),
            _sep(time_s=60.0),
            conflict=True,
        ),
        Case(
            "time_windows_touching_start_to_end_with_60s_separation",
            volume(footprint, time=NEXT_HOUR),
            volume(footprint, time=HOUR),
            _sep(time_s=60.0),
            conflict=True,
        ),
        Case(
            "time_windows_1s_apart_with_half_a_second_separation",
            volume(footprint, time=HOUR),
            volume(footprint, time=NEXT_HOUR.shifted(timedelta(seconds=1))),
            _sep(time_s=0.5),
            conflict=False,
        ),
        Case(
            "altitude_bands_touching",
            volume(footprint, altitude=AltitudeBand(0.0, 100.0)),
            volume(footprint, altitude=AltitudeBand(100.0, 200.0)),
            NO_SEPARATION,
            conflict=False,
        ),
        Case(
            "altitude_bands_touching_with_10m_vertical_separation",
            volume(footprint, altitude=AltitudeBand(0.0, 100.0)),
            volume(footprint, altitude=AltitudeBand(100.0, 200.0)),
            _sep(vertical_m=10.0),
            conflict=True,
        ),
        Case(
            "altitude_bands_20m_apart_with_10m_vertical_separation",
            volume(footprint, altitude=AltitudeBand(0.0, 100.0)),
            volume(footprint, altitude=AltitudeBand(120.0, 200.0)),
            _sep(vertical_m=10.0),
            conflict=False,
        ),
        Case(
            "overlapping_footprints_at_different_times",
            volume(footprint, time=HOUR),
            volume(footprint, time=NEXT_HOUR.shifted(timedelta(minutes=5))),
            _sep(horizontal_m=100.0, vertical_m=100.0, time_s=60.0),
            conflict=False,
        ),
    ]


CASES: list[Case] = (
    _planar_polygon_cases()
    + _circle_cases()
    + _antimeridian_cases()
    + _polar_cases()
    + _time_and_altitude_cases()
)


# ---- footprints that validation must refuse ----------------------------------------------


@dataclass(frozen=True, slots=True)
class InvalidFootprint:
    """Polygon vertices refused either by `Polygon` or by `check_footprint`, with a
    fragment of the message expected."""

    name: str
    vertices: tuple[LatLng, ...]
    message: str


def _invalid_footprints() -> list[InvalidFootprint]:
    f = local_frame(ZURICH)
    return [
        InvalidFootprint(
            "bow_tie",
            points(f, [(-100, -100), (100, 100), (100, -100), (-100, 100)]),
            "polygon is not simple (Self-intersection)",
        ),
        InvalidFootprint(
            "bow_tie_across_the_antimeridian",
            (
                LatLng(-17.00, 179.99),
                LatLng(-16.99, -179.99),
                LatLng(-17.00, -179.99),
                LatLng(-16.99, 179.99),
            ),
            "polygon is not simple (Self-intersection)",
        ),
        InvalidFootprint(
            "three_vertices_collinear_in_metres",
            points(f, [(0, 0), (100, 100), (200, 200)]),
            "footprint has no area",
        ),
        InvalidFootprint(
            "four_vertices_collinear_in_metres_going_back_and_forth",
            points(f, [(0, 0), (300, 0), (100, 0), (200, 0)]),
            "polygon is not simple (Self-intersection)",
        ),
        InvalidFootprint(
            "three_vertices_on_a_meridian",
            (LatLng(47.0, 8.0), LatLng(47.01, 8.0), LatLng(47.02, 8.0)),
            "footprint has no area",
        ),
        InvalidFootprint(
            "three_vertices_on_the_equator_across_the_antimeridian",
            (LatLng(0.0, 179.99), LatLng(0.0, 180.0), LatLng(0.0, -179.99)),
            "footprint has no area",
        ),
        InvalidFootprint(
            "two_distinct_vertices",
            points(f, [(0, 0), (100, 0), (0, 0), (100, 0)]),
            "at least 3 distinct vertices",
        ),
        InvalidFootprint(
            "a_single_vertex_repeated",
            (ZURICH, ZURICH, ZURICH, ZURICH),
            "at least 3 distinct vertices",
        ),
    ]


INVALID_FOOTPRINTS: list[InvalidFootprint] = _invalid_footprints()


# ---- random shapes in metres, with an exact answer (for the property tests) --------------


@dataclass(frozen=True, slots=True)
class Shape:
    """A circle or an axis-aligned rectangle, in metres in the frame of `base`: centre
    (x, y), and half width and half height (a circle: its radius, twice)."""

    base: LatLng
    circle: bool
    x: float
    y: float
    half_w: float
    half_h: float

    def footprint(self) -> Footprint:
        frame = local_frame(self.base)
        if self.circle:
            return disc(frame, self.x, self.y, self.half_w)
        return rect(
            frame,
            self.x - self.half_w,
            self.y - self.half_h,
            self.x + self.half_w,
            self.y + self.half_h,
        )

    @property
    def x0(self) -> float:
        return self.x - self.half_w

    @property
    def x1(self) -> float:
        return self.x + self.half_w

    @property
    def y0(self) -> float:
        return self.y - self.half_h

    @property
    def y1(self) -> float:
        return self.y + self.half_h


def _outside(gap_x: float, gap_y: float) -> float:
    """Signed distance from per-axis gaps (negative: the least penetration)."""
    if gap_x > 0 or gap_y > 0:
        return math.hypot(max(gap_x, 0.0), max(gap_y, 0.0))
    return max(gap_x, gap_y)


def signed_gap(a: Shape, b: Shape) -> float:
    """The distance between two shapes of one base, negative when they overlap: they
    conflict at horizontal separation s exactly when the gap is below s."""
    assert a.base == b.base
    if a.circle and b.circle:
        return math.hypot(a.x - b.x, a.y - b.y) - a.half_w - b.half_w
    if a.circle or b.circle:
        box, disc_ = (b, a) if a.circle else (a, b)
        to_box = _outside(
            max(box.x0 - disc_.x, disc_.x - box.x1), max(box.y0 - disc_.y, disc_.y - box.y1)
        )
        return to_box - disc_.half_w
    return _outside(max(a.x0 - b.x1, b.x0 - a.x1), max(a.y0 - b.y1, b.y0 - a.y1))


def bases(max_lat: float = 89.9) -> st.SearchStrategy[LatLng]:
    """Base points anywhere, with extra weight near the antimeridian and the poles."""
    lats = st.one_of(
        st.floats(-max_lat, max_lat),
        st.floats(max_lat - 1.0, max_lat),
        st.floats(-max_lat, -max_lat + 1.0),
    )
    lngs = st.one_of(
        st.floats(-180.0, 180.0),
        st.floats(179.95, 180.0),
        st.floats(-180.0, -179.95),
    )
    return st.builds(LatLng, lats, lngs)


@st.composite
def shapes(draw: st.DrawFn, base: LatLng, spread_m: float = 2000.0) -> Shape:
    """A circle or rectangle of up to 3 km across, centred within `spread_m` of `base`."""
    circle = draw(st.booleans())
    x = draw(st.floats(-spread_m, spread_m))
    y = draw(st.floats(-spread_m, spread_m))
    half_w = draw(st.floats(1.0, 1500.0))
    half_h = half_w if circle else draw(st.floats(1.0, 1500.0))
    return Shape(base, circle, x, y, half_w, half_h)


@st.composite
def shape_pairs(draw: st.DrawFn, max_lat: float = 89.9) -> tuple[Shape, Shape]:
    base = draw(bases(max_lat))
    return draw(shapes(base)), draw(shapes(base))
