"""The boxes of the spatial index hold every point within the reach of their footprint:
checked against GeographicLib's geodesics on the WGS 84 ellipsoid, near the antimeridian
and the poles too."""

from __future__ import annotations

import math

from geographiclib.geodesic import Geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.domain.boxes import WORLD, Box, box_of
from deconflict.domain.volumes import Circle, LatLng, Polygon

WGS84 = Geodesic.WGS84


def _inside(box: Box, lat: float, lng: float) -> bool:
    lng = (lng + 540.0) % 360.0 - 180.0
    return box.lat_min <= lat <= box.lat_max and box.lng_min <= lng <= box.lng_max


def _moved(p: LatLng, azimuth: float, distance_m: float) -> tuple[float, float]:
    g = WGS84.Direct(p.lat, p.lng, azimuth, distance_m)
    return g["lat2"], g["lon2"]


lats = st.floats(-89.9, 89.9)
lngs = st.floats(-180.0, 180.0)
reaches = st.sampled_from([0.0, 50.0, 1_000.0, 30_000.0])
azimuths = st.floats(-180.0, 180.0)


@settings(max_examples=400, deadline=None)
@given(lats, lngs, st.floats(1.0, 2_000_000.0), reaches, azimuths, st.floats(0.0, 1.0))
def test_a_circle_box_holds_every_point_within_the_radius_and_the_reach(
    lat: float, lng: float, radius_m: float, reach_m: float, azimuth: float, fraction: float
) -> None:
    circle = Circle(LatLng(lat, lng), radius_m)
    box = box_of(circle, reach_m)
    assert _inside(box, *_moved(circle.center, azimuth, fraction * (radius_m + reach_m)))


@settings(max_examples=300, deadline=None)
@given(
    lats,
    lngs,
    st.lists(st.tuples(azimuths, st.floats(10.0, 300_000.0)), min_size=3, max_size=8),
    reaches,
    st.floats(0.0, 1.0),
    azimuths,
    st.floats(0.0, 1.0),
)
def test_a_polygon_box_holds_its_edges_and_every_point_within_the_reach_of_them(
    lat: float,
    lng: float,
    spokes: list[tuple[float, float]],
    reach_m: float,
    along: float,
    azimuth: float,
    out: float,
) -> None:
    center = LatLng(lat, lng)
    vertices = tuple(LatLng(*_moved(center, a, d)) for a, d in sorted(spokes))
    if len(set(vertices)) < 3:
        return
    polygon = Polygon(vertices)
    box = box_of(polygon, reach_m)
    for a, b in zip(vertices, vertices[1:] + vertices[:1], strict=True):
        line = WGS84.InverseLine(a.lat, a.lng, b.lat, b.lng)
        p = line.Position(along * line.s13)
        on_edge = LatLng(p["lat2"], (p["lon2"] + 540.0) % 360.0 - 180.0)
        assert _inside(box, on_edge.lat, on_edge.lng)
        assert _inside(box, *_moved(on_edge, azimuth, out * reach_m))


def test_a_box_across_the_antimeridian_takes_every_longitude() -> None:
    box = box_of(Circle(LatLng(-17.0, 179.999), 500.0))
    assert (box.lng_min, box.lng_max) == (-180.0, 180.0)
    assert -17.01 < box.lat_min < box.lat_max < -16.99


def test_a_box_reaching_a_pole_takes_every_longitude_up_to_the_pole() -> None:
    box = box_of(Circle(LatLng(89.99, 10.0), 2_000.0))
    assert (box.lng_min, box.lng_max, box.lat_max) == (-180.0, 180.0, 90.0)
    assert 89.96 < box.lat_min < 89.99


def test_a_small_box_stays_small() -> None:
    """Tight enough to be an index: a 600 m circle at 30 S gets a box of about 1.2 km."""
    box = box_of(Circle(LatLng(-30.0, -140.0), 600.0), 50.0)
    height_m = (box.lat_max - box.lat_min) * 110_900
    width_m = (box.lng_max - box.lng_min) * 111_320 * math.cos(math.radians(30))
    assert 1_300 < height_m < 1_340
    assert 1_300 < width_m < 1_340


def test_a_footprint_wider_than_a_hemisphere_gets_the_whole_world() -> None:
    assert box_of(Circle(LatLng(0.0, 0.0), 12_000_000.0)) == WORLD
