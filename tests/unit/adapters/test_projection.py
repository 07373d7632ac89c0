"""`AeqdFrame.rings_to_xy_many` is `ring_to_xy` of each ring, in one projection."""

from __future__ import annotations

import pytest

from deconflict.adapters.projection import local_frame
from deconflict.domain.volumes import LatLng
from tests.geometries import FIJI, NORTH_POLE, ZURICH, rect, ring_at

FRAME = local_frame(ZURICH)
#: Rings in degrees: small ones taken as chords, large ones densified, polar, across the
#: antimeridian, one crossing the North Pole.
RINGS: list[tuple[LatLng, ...]] = [
    rect(FRAME, 0, 0, 100, 100).exterior,
    rect(FRAME, -60_000, -60_000, 60_000, 60_000).exterior,
    rect(FRAME, 500, 500, 700, 900).exterior,
    rect(local_frame(FIJI), -80_000, -5, 80_000, 5).exterior,
    ring_at(89.0, 7).exterior,
    rect(FRAME, 1000, 1000, 1200, 1200).exterior,
]


def _split(rings: list[tuple[LatLng, ...]]) -> tuple[list[float], list[float], list[int]]:
    lngs = [p.lng for r in rings for p in r]
    lats = [p.lat for r in rings for p in r]
    return lngs, lats, [len(r) for r in rings]


@pytest.mark.parametrize("centre", [ZURICH, FIJI, NORTH_POLE], ids=str)
@pytest.mark.parametrize("order", ["as_listed", "reversed", "small_only", "large_only"])
def test_rings_to_xy_many_is_ring_to_xy_of_each_ring(centre: LatLng, order: str) -> None:
    frame = local_frame(centre)
    rings = {
        "as_listed": RINGS,
        "reversed": RINGS[::-1],
        "small_only": [RINGS[0], RINGS[2], RINGS[5]],
        "large_only": [RINGS[1], RINGS[3]],
    }[order]
    xy, sizes = frame.rings_to_xy_many(*_split(rings))
    xs, ys = [float(x) for x, _ in xy], [float(y) for _, y in xy]
    expected_x: list[float] = []
    expected_y: list[float] = []
    for ring in rings:
        rx, ry = frame.ring_to_xy([p.lng for p in ring], [p.lat for p in ring])
        expected_x.extend(float(v) for v in rx)
        expected_y.extend(float(v) for v in ry)
    assert [float(v) for v in xs] == expected_x
    assert [float(v) for v in ys] == expected_y
    assert sum(sizes) == len(expected_x)
    assert len(sizes) == len(rings)


def test_some_rings_are_densified_and_some_not() -> None:
    """The test above runs both ways through `rings_to_xy_many`."""
    _, sizes = FRAME.rings_to_xy_many(*_split(RINGS))
    listed = [len(r) for r in RINGS]
    assert sizes[0] == listed[0]
    assert sizes[1] > listed[1]


def test_no_rings() -> None:
    xy, sizes = FRAME.rings_to_xy_many([], [], [])
    assert (len(xy), sizes) == (0, [])


def test_a_ring_of_one_vertex_is_a_point_as_to_xy_gives_it() -> None:
    points = [ZURICH, LatLng(47.5, 8.6)]
    rings = [(points[0],), RINGS[1], (points[1],), RINGS[0]]
    xy, sizes = FRAME.rings_to_xy_many(*_split(rings))
    xs, ys = [float(x) for x, _ in xy], [float(y) for _, y in xy]
    px, py = FRAME.to_xy([p.lng for p in points], [p.lat for p in points])
    assert sizes[0] == sizes[2] == 1
    assert (float(xs[0]), float(ys[0])) == (float(px[0]), float(py[0]))
    second = sizes[0] + sizes[1]
    assert (float(xs[second]), float(ys[second])) == (float(px[1]), float(py[1]))
