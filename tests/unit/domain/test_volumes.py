"""Validation of the volume parts: what their constructors accept and refuse."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest

from deconflict.domain.errors import InvalidInput
from deconflict.domain.volumes import (
    ALWAYS,
    AltitudeBand,
    AltitudeReference,
    Circle,
    LatLng,
    Polygon,
    TimeWindow,
    Volume4D,
)
from tests.geometries import BAND, HOUR, T0, ZURICH

A = LatLng(47.0, 8.0)
B = LatLng(47.0, 8.01)
C = LatLng(47.01, 8.01)
D = LatLng(47.01, 8.0)


# ---- LatLng -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lng"),
    [(math.nan, 0.0), (0.0, math.nan), (math.inf, 0.0), (0.0, -math.inf)],
    ids=["nan_lat", "nan_lng", "infinite_lat", "infinite_lng"],
)
def test_coordinates_must_be_finite(lat: float, lng: float) -> None:
    with pytest.raises(InvalidInput, match="finite") as e:
        LatLng(lat, lng)
    assert e.value.problems == [((), "coordinates must be finite numbers (no NaN or infinity)")]


@pytest.mark.parametrize("lat", [90.000001, -90.000001, 91.0, -180.0])
def test_latitude_outside_minus_90_to_90_is_refused(lat: float) -> None:
    with pytest.raises(InvalidInput, match="latitude") as e:
        LatLng(lat, 0.0)
    assert [loc for loc, _ in e.value.problems] == [("lat",)]


@pytest.mark.parametrize("lng", [180.000001, -180.000001, 360.0])
def test_longitude_outside_minus_180_to_180_is_refused(lng: float) -> None:
    with pytest.raises(InvalidInput, match="longitude") as e:
        LatLng(0.0, lng)
    assert [loc for loc, _ in e.value.problems] == [("lng",)]


@pytest.mark.parametrize(("lat", "lng"), [(90.0, 180.0), (-90.0, -180.0), (0.0, 0.0)])
def test_coordinates_on_the_bounds_are_accepted(lat: float, lng: float) -> None:
    point = LatLng(lat, lng)
    assert (point.lat, point.lng) == (lat, lng)


# ---- Polygon ------------------------------------------------------------------------------


def test_polygon_drops_a_repeated_closing_vertex() -> None:
    polygon = Polygon((A, B, C, D, A))
    assert polygon.exterior == (A, B, C, D)
    assert polygon.vertex_count == 4


def test_polygon_keeps_an_unclosed_ring_as_given() -> None:
    assert Polygon((A, B, C)).exterior == (A, B, C)


def test_closed_triangle_with_its_closing_vertex_is_accepted() -> None:
    assert Polygon((A, B, C, A)).exterior == (A, B, C)


@pytest.mark.parametrize(
    "vertices",
    [(), (A,), (A, B), (A, B, A), (A, B, B, A), (A, A, A, A)],
    ids=["none", "one", "two", "two_closed", "two_repeated", "one_repeated"],
)
def test_polygon_with_fewer_than_3_distinct_vertices_is_refused(
    vertices: tuple[LatLng, ...],
) -> None:
    with pytest.raises(InvalidInput, match="at least 3 distinct vertices") as e:
        Polygon(vertices)
    assert [loc for loc, _ in e.value.problems] == [("vertices",)]


def test_a_hole_with_fewer_than_3_distinct_vertices_is_refused_at_its_index() -> None:
    hole_ok = (LatLng(47.002, 8.002), LatLng(47.002, 8.003), LatLng(47.003, 8.003))
    with pytest.raises(InvalidInput) as e:
        Polygon((A, B, C, D), holes=(hole_ok, (A, B)))
    assert [loc for loc, _ in e.value.problems] == [("holes", 1)]


def test_polygon_holes_drop_their_closing_vertex_and_count_as_vertices() -> None:
    hole = (LatLng(47.002, 8.002), LatLng(47.002, 8.003), LatLng(47.003, 8.003))
    polygon = Polygon((A, B, C, D), holes=((*hole, hole[0]),))
    assert polygon.holes == (hole,)
    assert polygon.vertex_count == 7
    assert polygon.points() == (A, B, C, D, *hole)


def test_polygon_accepts_vertices_given_as_a_list() -> None:
    polygon = Polygon([A, B, C])  # type: ignore[arg-type]
    assert polygon.exterior == (A, B, C)


# ---- Circle -------------------------------------------------------------------------------


@pytest.mark.parametrize("radius", [0.0, -1.0, math.nan, math.inf])
def test_circle_radius_must_be_a_positive_finite_number(radius: float) -> None:
    with pytest.raises(InvalidInput, match="radius") as e:
        Circle(ZURICH, radius)
    assert [loc for loc, _ in e.value.problems] == [("radius_m",)]


def test_circle_is_one_vertex_its_centre() -> None:
    circle = Circle(ZURICH, 10.0)
    assert circle.vertex_count == 1
    assert circle.points() == (ZURICH,)


# ---- AltitudeBand -------------------------------------------------------------------------


@pytest.mark.parametrize(("lower", "upper"), [(100.0, 100.0), (100.0, 50.0), (0.0, -0.0)])
def test_altitude_band_needs_lower_below_upper(lower: float, upper: float) -> None:
    with pytest.raises(InvalidInput, match="must be above lower altitude") as e:
        AltitudeBand(lower, upper)
    assert [loc for loc, _ in e.value.problems] == [("altitude_upper_m",)]


@pytest.mark.parametrize(
    ("lower", "upper"), [(math.nan, 10.0), (0.0, math.nan), (-math.inf, 10.0), (0.0, math.inf)]
)
def test_altitude_band_must_be_finite(lower: float, upper: float) -> None:
    with pytest.raises(InvalidInput, match="finite") as e:
        AltitudeBand(lower, upper)
    assert [loc for loc, _ in e.value.problems] == [("altitude",)]


def test_altitude_band_may_be_below_the_ellipsoid() -> None:
    band = AltitudeBand(-50.0, -10.0)
    assert band.reference is AltitudeReference.W84


# ---- TimeWindow ---------------------------------------------------------------------------


@pytest.mark.parametrize("delta", [timedelta(0), timedelta(seconds=-1)], ids=["equal", "before"])
def test_time_window_end_must_be_after_start(delta: timedelta) -> None:
    with pytest.raises(InvalidInput, match="end time must be after start time") as e:
        TimeWindow(T0, T0 + delta)
    assert [loc for loc, _ in e.value.problems] == [("time_end",)]


def test_time_window_with_a_naive_start_is_refused() -> None:
    with pytest.raises(InvalidInput, match="UTC offset") as e:
        TimeWindow(datetime(2030, 1, 1), T0)
    assert [loc for loc, _ in e.value.problems] == [("time_start",)]


def test_time_window_with_a_naive_end_is_refused() -> None:
    with pytest.raises(InvalidInput, match="UTC offset") as e:
        TimeWindow(T0, datetime(2031, 1, 1))
    assert [loc for loc, _ in e.value.problems] == [("time_end",)]


def test_time_window_is_converted_to_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    window = TimeWindow(
        datetime(2030, 6, 1, 14, tzinfo=plus_two), datetime(2030, 6, 1, 15, tzinfo=plus_two)
    )
    assert window.start == T0
    assert window.start.tzinfo is UTC
    assert window.end.tzinfo is UTC
    assert window.duration_s == 3600.0


def test_time_window_end_compared_after_conversion_to_utc() -> None:
    """12:30+01:00 is 11:30 UTC: before a 12:00 UTC start, whatever the wall clocks say."""
    with pytest.raises(InvalidInput, match="end time must be after start time"):
        TimeWindow(T0, datetime(2030, 6, 1, 12, 30, tzinfo=timezone(timedelta(hours=1))))


def test_time_window_that_would_fall_before_year_1_in_utc_is_refused() -> None:
    """Midnight of 1 January of year 1 at UTC+02:00 is in year 0 in UTC."""
    start = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=2)))
    with pytest.raises(InvalidInput, match="outside the range") as e:
        TimeWindow(start, T0)
    assert [loc for loc, _ in e.value.problems] == [("time_start",)]


def test_time_window_that_would_fall_after_year_9999_in_utc_is_refused() -> None:
    end = datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-2)))
    with pytest.raises(InvalidInput, match="outside the range") as e:
        TimeWindow(T0, end)
    assert [loc for loc, _ in e.value.problems] == [("time_end",)]


def test_shifted_time_window_moves_both_ends() -> None:
    shifted = HOUR.shifted(timedelta(minutes=90))
    assert shifted.start == HOUR.start + timedelta(minutes=90)
    assert shifted.end == HOUR.end + timedelta(minutes=90)
    assert shifted.duration_s == HOUR.duration_s


# ---- Volume4D -----------------------------------------------------------------------------


def test_volume_without_a_time_window_is_always_active() -> None:
    volume = Volume4D(Circle(ZURICH, 10.0), BAND)
    assert volume.time == ALWAYS
    assert volume.time.start.year == 1
    assert volume.time.end.year == 9999
