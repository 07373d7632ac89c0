"""The H3 cell cover is conservative: footprints that may conflict share a cell."""

from __future__ import annotations

import h3.api.basic_int as h3
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from deconflict.adapters.cells import RESOLUTION, cover
from deconflict.adapters.projection import local_frame
from deconflict.domain.geometry import footprints_conflict
from deconflict.domain.volumes import Circle, Footprint, LatLng
from tests.geometries import (
    CASES,
    FIJI,
    NORTH_POLE,
    ZURICH,
    Case,
    Shape,
    degrees,
    projector,
    ring_at,
    shape_pairs,
    volume,
)


def _conflict(a: Footprint, b: Footprint, separation_m: float) -> bool:
    project = projector(volume(a))
    return footprints_conflict(project(a), project(b), separation_m)


def _share_a_cell(a: Footprint, b: Footprint, reach_m: float) -> bool:
    """As the candidate search does: `a` covered with the reach, `b` (indexed) without."""
    return bool(set(cover(a, reach_m, local_frame)) & set(cover(b, 0.0, local_frame)))


@settings(max_examples=200, deadline=None)
@given(
    shape_pairs(max_lat=90.0),
    st.one_of(st.just(0.0), st.floats(0.0, 2000.0)),
)
@example(
    (
        Shape(LatLng(89.99, 0.0), True, 0.0, 0.0, 5.0, 5.0),
        Shape(LatLng(89.99, 0.0), False, 1100.0, 0.0, 10.0, 10.0),
    ),
    1200.0,
)
@example(
    (
        Shape(LatLng(-16.995, 179.999), False, -500.0, 0.0, 100.0, 100.0),
        Shape(LatLng(-16.995, 179.999), True, 600.0, 0.0, 10.0, 10.0),
    ),
    1000.0,
)
def test_footprints_that_conflict_have_intersecting_covers(
    pair: tuple[Shape, Shape], separation_m: float
) -> None:
    a, b = pair[0].footprint(), pair[1].footprint()
    assume(_conflict(a, b, separation_m))
    assert _share_a_cell(a, b, separation_m)
    assert _share_a_cell(b, a, separation_m)


@pytest.mark.parametrize("case", [c for c in CASES if c.conflict], ids=lambda c: c.name)
def test_catalogue_pairs_that_conflict_have_intersecting_covers(case: Case) -> None:
    assert _share_a_cell(case.a.footprint, case.b.footprint, case.separation.horizontal_m)
    assert _share_a_cell(case.b.footprint, case.a.footprint, case.separation.horizontal_m)


def test_far_apart_footprints_have_disjoint_covers() -> None:
    a = Circle(ZURICH, 500.0)
    b = Circle(LatLng(ZURICH.lat + 0.9, ZURICH.lng), 500.0)  # about 100 km north
    assert set(cover(a, 1000.0, local_frame)).isdisjoint(cover(b, 1000.0, local_frame))


def test_footprints_on_either_side_of_the_antimeridian_far_apart_have_disjoint_covers() -> None:
    east = Circle(LatLng(FIJI.lat, 179.5), 500.0)
    west = Circle(LatLng(FIJI.lat, -179.5), 500.0)  # about 106 km apart across 180
    assert set(cover(east, 1000.0, local_frame)).isdisjoint(cover(west, 0.0, local_frame))


def test_cover_of_a_polygon_across_the_antimeridian_is_small() -> None:
    """A 2 km wide box must not be covered as if it went round the world."""
    box = degrees((-17.00, 179.99), (-17.00, -179.99), (-16.99, -179.99), (-16.99, 179.99))
    cells = cover(box, 0.0, local_frame)
    assert 1 < len(cells) < 100
    lngs = {round(h3.cell_to_latlng(c)[1]) for c in cells}
    assert lngs <= {180, -180, 179, -179}


def test_cover_of_a_ring_around_the_pole_contains_the_pole() -> None:
    cells = cover(ring_at(89.99, 8), 0.0, local_frame)
    assert h3.latlng_to_cell(90.0, 0.0, RESOLUTION) in cells
    assert len(cells) < 100


def test_cover_contains_every_vertex_and_is_sorted_and_unique() -> None:
    box = degrees((47.0, 8.0), (47.0, 8.05), (47.03, 8.05), (47.03, 8.0))
    cells = cover(box, 0.0, local_frame)
    assert list(cells) == sorted(set(cells))
    for vertex in box.exterior:
        assert h3.latlng_to_cell(vertex.lat, vertex.lng, RESOLUTION) in cells


def test_cover_grows_with_the_reach() -> None:
    circle = Circle(NORTH_POLE, 100.0)
    near = set(cover(circle, 0.0, local_frame))
    wide = set(cover(circle, 5000.0, local_frame))
    assert near < wide
