"""Footprints in a local frame: validation, centres, areas and the horizontal test."""

from __future__ import annotations

import math
import re

import pytest
import shapely

from deconflict.adapters.projection import local_frame
from deconflict.domain.conflicts import altitude_overlap, time_overlap
from deconflict.domain.errors import InvalidInput
from deconflict.domain.geometry import (
    FootprintLimits,
    PlanarFootprint,
    center_of,
    check_footprint,
    footprint_area_m2,
    footprint_center,
    footprints_conflict,
    overlap_area_m2,
    planar,
)
from deconflict.domain.volumes import Circle, LatLng, Polygon
from tests.geometries import (
    CASES,
    INVALID_FOOTPRINTS,
    ZURICH,
    Case,
    InvalidFootprint,
    degrees,
    frame_of,
    projector,
    rect,
    ring_at,
)

LIMITS = FootprintLimits(max_area_m2=1e9, max_vertices=100)
ZURICH_FRAME = local_frame(ZURICH)


# ---- check_footprint ----------------------------------------------------------------------


@pytest.mark.parametrize("case", INVALID_FOOTPRINTS, ids=lambda c: c.name)
def test_invalid_footprints_are_refused_with_a_message(case: InvalidFootprint) -> None:
    with pytest.raises(InvalidInput, match=re.escape(case.message)):
        check_footprint(Polygon(case.vertices), local_frame, LIMITS)


def test_bow_tie_is_refused_under_footprint_vertices() -> None:
    bow_tie = next(c for c in INVALID_FOOTPRINTS if c.name == "bow_tie")
    with pytest.raises(InvalidInput) as e:
        check_footprint(Polygon(bow_tie.vertices), local_frame, LIMITS)
    assert e.value.problems == [
        (("footprint", "vertices"), "polygon is not simple (Self-intersection)")
    ]


def test_footprint_with_too_many_vertices_is_refused() -> None:
    footprint = ring_at(45.0, 12)  # a 12-gon along a parallel; vertex count checked first
    limits = FootprintLimits(max_area_m2=math.inf, max_vertices=11)
    with pytest.raises(InvalidInput) as e:
        check_footprint(footprint, local_frame, limits)
    assert e.value.problems == [(("footprint", "vertices"), "12 vertices exceed the maximum of 11")]


def test_hole_vertices_count_towards_the_vertex_limit() -> None:
    outer = rect(ZURICH_FRAME, -300, -300, 300, 300)
    hole = rect(ZURICH_FRAME, -100, -100, 100, 100).exterior
    footprint = Polygon(outer.exterior, holes=(hole[::-1],))
    check_footprint(footprint, local_frame, FootprintLimits(1e9, 8))
    with pytest.raises(InvalidInput, match="8 vertices exceed the maximum of 7"):
        check_footprint(footprint, local_frame, FootprintLimits(1e9, 7))


def test_footprint_with_exactly_the_maximum_vertices_is_accepted() -> None:
    footprint = rect(ZURICH_FRAME, -100, -100, 100, 100)
    check_footprint(footprint, local_frame, FootprintLimits(max_area_m2=1e9, max_vertices=4))
    assert footprint.vertex_count == 4


def test_polygon_larger_than_the_maximum_area_is_refused() -> None:
    footprint = rect(ZURICH_FRAME, -1000, -1000, 1000, 1000)  # 4 km2
    with pytest.raises(InvalidInput) as e:
        check_footprint(footprint, local_frame, FootprintLimits(max_area_m2=3e6, max_vertices=10))
    assert e.value.problems == [
        (("footprint",), "footprint area 4.0 km2 exceeds the maximum of 3.0 km2")
    ]


def test_polygon_just_under_the_maximum_area_is_accepted() -> None:
    footprint = rect(ZURICH_FRAME, -1000, -1000, 1000, 1000)
    check_footprint(footprint, local_frame, FootprintLimits(max_area_m2=4.001e6, max_vertices=10))
    assert footprint_area_m2(footprint, frame_of(footprint)) == pytest.approx(4e6, rel=1e-6)


def test_circle_larger_than_the_maximum_area_is_refused() -> None:
    circle = Circle(ZURICH, 1000.0)  # pi km2
    with pytest.raises(InvalidInput, match=r"footprint area 3\.1 km2 exceeds the maximum of 3\.0"):
        check_footprint(circle, local_frame, FootprintLimits(max_area_m2=3e6, max_vertices=10))


def test_circle_within_the_maximum_area_is_accepted() -> None:
    circle = Circle(ZURICH, 900.0)
    check_footprint(circle, local_frame, FootprintLimits(max_area_m2=3e6, max_vertices=1))
    assert footprint_area_m2(circle, ZURICH_FRAME) == pytest.approx(math.pi * 900.0**2)


def test_polygon_across_the_antimeridian_is_valid_and_small() -> None:
    footprint = degrees((-17.00, 179.99), (-17.00, -179.99), (-16.99, -179.99), (-16.99, 179.99))
    check_footprint(footprint, local_frame, FootprintLimits(max_area_m2=5e6, max_vertices=4))
    # 0.02 degree of longitude at 17 S by 0.01 degree of latitude: about 2.13 km by 1.11 km.
    area = footprint_area_m2(footprint, frame_of(footprint))
    assert area == pytest.approx(2.129e3 * 1.106e3, rel=0.01)


@pytest.mark.parametrize("lat", [89.99, -89.99])
def test_ring_around_a_pole_is_valid(lat: float) -> None:
    footprint = ring_at(lat, 8)
    check_footprint(footprint, local_frame, FootprintLimits(max_area_m2=5e6, max_vertices=8))
    # A regular octagon of circumradius ~1.117 km: 2 * sqrt(2) * r^2.
    area = footprint_area_m2(footprint, frame_of(footprint))
    assert area == pytest.approx(2 * math.sqrt(2) * 1116.9**2, rel=0.01)


def test_polygon_with_a_hole_is_valid_and_its_hole_is_not_area() -> None:
    outer = rect(ZURICH_FRAME, -300, -300, 300, 300)
    hole = rect(ZURICH_FRAME, -100, -100, 100, 100).exterior
    footprint = Polygon(outer.exterior, holes=(hole[::-1],))
    check_footprint(footprint, local_frame, LIMITS)
    assert footprint_area_m2(footprint, ZURICH_FRAME) == pytest.approx(600**2 - 200**2)


def test_thin_but_real_strip_is_accepted() -> None:
    strip = rect(ZURICH_FRAME, 0, 0, 1000, 0.01)  # 1 km by 1 cm
    check_footprint(strip, local_frame, LIMITS)
    assert footprint_area_m2(strip, ZURICH_FRAME) == pytest.approx(10.0, rel=1e-4)


def test_polygon_with_a_hole_outside_it_is_refused() -> None:
    outer = rect(ZURICH_FRAME, -300, -300, 300, 300)
    hole = rect(ZURICH_FRAME, 1000, 1000, 1100, 1100).exterior
    with pytest.raises(InvalidInput, match="polygon is not simple"):
        check_footprint(Polygon(outer.exterior, holes=(hole,)), local_frame, LIMITS)


def test_polygon_given_clockwise_is_as_valid_as_counter_clockwise() -> None:
    footprint = rect(ZURICH_FRAME, -100, -100, 100, 100)
    clockwise = Polygon(footprint.exterior[::-1])
    check_footprint(clockwise, local_frame, LIMITS)
    assert footprint_area_m2(clockwise, ZURICH_FRAME) == pytest.approx(4e4)


# ---- centres ------------------------------------------------------------------------------


def test_centre_of_points_across_the_antimeridian_is_on_it() -> None:
    centre = center_of([LatLng(0.0, 179.0), LatLng(0.0, -179.0)])
    assert centre.lat == pytest.approx(0.0, abs=1e-9)
    assert abs(centre.lng) == pytest.approx(180.0)


@pytest.mark.parametrize("lat", [89.99, -89.99])
def test_centre_of_a_ring_around_a_pole_is_the_pole(lat: float) -> None:
    centre = footprint_center(ring_at(lat, 4))
    assert centre.lat == pytest.approx(math.copysign(90.0, lat))


def test_centre_of_antipodal_points_is_one_of_them() -> None:
    points = [LatLng(0.0, 0.0), LatLng(0.0, 180.0)]
    assert center_of(points) == points[0]


def test_centre_of_a_circle_is_its_centre() -> None:
    assert footprint_center(Circle(ZURICH, 5.0)) == ZURICH


# ---- the horizontal test ------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_footprints_conflict_over_the_catalogue(case: Case) -> None:
    """The horizontal test alone: where time or altitude keep the volumes apart, the
    catalogue uses one footprint twice, which conflicts with itself."""
    project = projector(case.a)
    result = footprints_conflict(
        project(case.a.footprint), project(case.b.footprint), case.separation.horizontal_m
    )
    apart_in_time_or_altitude = (
        time_overlap(case.a.time, case.b.time, case.separation.time_s) is None
        or altitude_overlap(case.a.altitude, case.b.altitude, case.separation.vertical_m) is None
    )
    if apart_in_time_or_altitude:
        assert case.a.footprint == case.b.footprint
        assert result is True
    else:
        assert result is case.conflict


@pytest.mark.parametrize("case", [c for c in CASES if "1m_apart" in c.name], ids=lambda c: c.name)
def test_catalogue_gaps_of_1m_are_1m_in_the_frame_of_the_check(case: Case) -> None:
    project = projector(case.a)
    a, b = project(case.a.footprint), project(case.b.footprint)
    gap = shapely.distance(a.core, b.core) - a.radius_m - b.radius_m
    assert gap == pytest.approx(1.0, abs=1e-6)


def test_catalogue_case_names_are_unique() -> None:
    names = [c.name for c in CASES] + [c.name for c in INVALID_FOOTPRINTS]
    assert len(names) == len(set(names))


def test_touching_polygons_conflict_only_with_positive_separation() -> None:
    square = shapely_square(0, 0)
    neighbour = shapely_square(10, 0)
    assert footprints_conflict(square, neighbour, 0.0) is False
    assert footprints_conflict(square, neighbour, 1e-9) is True


def test_circles_are_exact_not_approximated_by_polygons() -> None:
    """Two 1 km circles 1 mm apart: a 64-gon would leave a gap of metres."""
    a = PlanarFootprint(shapely.Point(0.0, 0.0), 1000.0)
    b = PlanarFootprint(shapely.Point(2000.001, 0.0), 1000.0)
    assert footprints_conflict(a, b, 0.0) is False
    assert footprints_conflict(a, b, 0.002) is True
    b_diagonal = PlanarFootprint(shapely.Point(1414.2142, 1414.2142), 1000.0)  # 2000.0002 m away
    assert footprints_conflict(a, b_diagonal, 0.0) is False


def test_overlap_area_of_two_squares_is_their_shared_part() -> None:
    a = shapely_square(0, 0)
    b = shapely_square(5, 5)
    assert overlap_area_m2(a, b) == pytest.approx(25.0)
    assert overlap_area_m2(a, shapely_square(10, 0)) == 0.0


def test_overlap_area_of_a_circle_inside_a_polygon_is_the_circle() -> None:
    flat_polygon = planar(rect(ZURICH_FRAME, -500, -500, 500, 500), ZURICH_FRAME)
    flat_circle = planar(Circle(ZURICH, 100.0), ZURICH_FRAME)
    assert overlap_area_m2(flat_polygon, flat_circle) == pytest.approx(math.pi * 100**2, rel=2e-3)


def test_planar_polygon_keeps_its_hole() -> None:
    outer = rect(ZURICH_FRAME, -300, -300, 300, 300)
    hole = rect(ZURICH_FRAME, -100, -100, 100, 100).exterior
    flat = planar(Polygon(outer.exterior, holes=(hole,)), ZURICH_FRAME)
    assert flat.radius_m == 0.0
    assert flat.core.area == pytest.approx(600**2 - 200**2)


def shapely_square(x: float, y: float, side: float = 10.0) -> PlanarFootprint:
    return PlanarFootprint(shapely.box(x, y, x + side, y + side), 0.0)
