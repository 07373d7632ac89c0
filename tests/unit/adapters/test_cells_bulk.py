"""The bulk cover (`cover_many`, what zone imports index with) is conservative too: every
point of a footprint, grown by the reach, lies in one of its cells."""

from __future__ import annotations

import h3.api.basic_int as h3
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.adapters.cells import FAST_MAX_M, RESOLUTION, cover, cover_many
from deconflict.adapters.projection import local_frame
from deconflict.domain.geometry import footprint_center, planar
from deconflict.domain.volumes import Circle, Footprint, LatLng
from tests.geometries import CASES, FIJI, NORTH_POLE, Case, Shape, bases, shapes


def _points_within(footprint: Footprint, reach_m: float, n: int = 40) -> list[tuple[float, float]]:
    """(lat, lng) of a dense grid over the footprint grown by `reach_m`, and its rim."""
    frame = local_frame(footprint_center(footprint))
    flat = planar(footprint, frame)
    region = flat.core.buffer(flat.radius_m + reach_m, quad_segs=32)
    xmin, ymin, xmax, ymax = region.bounds
    gx, gy = np.meshgrid(np.linspace(xmin, xmax, n), np.linspace(ymin, ymax, n))
    xs, ys = gx.ravel(), gy.ravel()
    inside = shapely.contains_xy(region, xs, ys)
    rim = shapely.get_coordinates(region.exterior)
    lngs, lats = frame.to_lnglat(
        np.concatenate([xs[inside], rim[:, 0]]), np.concatenate([ys[inside], rim[:, 1]])
    )
    return list(zip(lats, lngs, strict=True))


def _missed(footprint: Footprint, reach_m: float) -> list[tuple[float, float]]:
    [cells] = cover_many([footprint], reach_m, local_frame)
    held = set(cells)
    return [
        (lat, lng)
        for lat, lng in _points_within(footprint, reach_m)
        if h3.latlng_to_cell(float(lat), float(lng), RESOLUTION) not in held
    ]


@settings(max_examples=150, deadline=None)
@given(st.data(), bases(max_lat=89.9), st.one_of(st.just(0.0), st.floats(0.0, 2000.0)))
def test_every_point_of_a_footprint_lies_in_its_bulk_cover(
    data: st.DataObject, base: LatLng, reach_m: float
) -> None:
    shape: Shape = data.draw(shapes(base))
    assert _missed(shape.footprint(), reach_m) == []


@pytest.mark.parametrize(
    "footprint",
    [
        Circle(LatLng(-29.95, -139.92), 1200.0),
        Circle(LatLng(FIJI.lat, 179.999), 800.0),  # across the antimeridian
        Circle(LatLng(79.9, 20.0), 1500.0),  # the fast path's last latitude
        Circle(LatLng(85.0, 20.0), 1500.0),  # beyond it: the general cover
        Circle(NORTH_POLE, 300.0),
        Circle(LatLng(10.0, 10.0), 20_000.0),  # too large for the fast path
    ],
    ids=["veloria", "antimeridian", "lat-79.9", "lat-85", "pole", "large"],
)
def test_the_bulk_cover_misses_no_point_of_these_footprints(footprint: Footprint) -> None:
    assert _missed(footprint, 0.0) == []


@pytest.mark.parametrize("case", [c for c in CASES if c.conflict], ids=lambda c: c.name)
def test_catalogue_pairs_that_conflict_share_a_cell_with_a_bulk_indexed_zone(case: Case) -> None:
    a, b = case.a.footprint, case.b.footprint
    reach = case.separation.horizontal_m
    [b_cells] = cover_many([b], 0.0, local_frame)
    [a_cells] = cover_many([a], 0.0, local_frame)
    assert set(cover(a, reach, local_frame)) & set(b_cells)
    assert set(cover(b, reach, local_frame)) & set(a_cells)


def test_large_footprints_get_the_general_cover() -> None:
    large = Circle(LatLng(-29.95, -139.92), FAST_MAX_M * 2)
    [general] = cover_many([large], 0.0, local_frame)
    assert list(general) == list(cover(large, 0.0, local_frame))


def test_the_bulk_cover_is_sorted_unique_and_in_order_of_its_input() -> None:
    footprints = [Circle(LatLng(-29.0 - i / 10, -139.0), 300.0 + 100 * i) for i in range(5)]
    covers = cover_many(footprints, 0.0, local_frame)
    assert len(covers) == 5
    for footprint, cells in zip(footprints, covers, strict=True):
        assert list(cells) == sorted(set(cells))
        center = footprint_center(footprint)
        assert h3.latlng_to_cell(center.lat, center.lng, RESOLUTION) in cells


def test_a_bulk_cover_is_about_as_small_as_the_general_one() -> None:
    circle = Circle(LatLng(-29.95, -139.92), 1000.0)
    [fast] = cover_many([circle], 0.0, local_frame)
    general = cover(circle, 0.0, local_frame)
    assert len(fast) <= 1.5 * len(general)
