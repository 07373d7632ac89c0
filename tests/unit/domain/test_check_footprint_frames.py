"""`check_footprint` builds a frame only for a polygon, and projects it once: building a
frame costs tens of microseconds, far more than validating a circle."""

from __future__ import annotations

import math

import pytest

from deconflict.adapters.projection import local_frame
from deconflict.domain.errors import InvalidInput
from deconflict.domain.geometry import Coords, FootprintLimits, LocalFrame, check_footprint
from deconflict.domain.volumes import Circle, LatLng
from tests.geometries import ZURICH, rect

LIMITS = FootprintLimits(max_area_m2=1e8, max_vertices=100)


def no_frames(centre: LatLng) -> LocalFrame:
    raise AssertionError(f"a frame was built around {centre}")


def test_a_circle_is_validated_without_a_frame() -> None:
    check_footprint(Circle(ZURICH, 600.0), no_frames, LIMITS)
    with pytest.raises(InvalidInput, match="exceeds the maximum"):
        check_footprint(Circle(ZURICH, math.sqrt(1e8 / math.pi) * 1.001), no_frames, LIMITS)
    check_footprint(Circle(ZURICH, math.sqrt(1e8 / math.pi) * 0.999), no_frames, LIMITS)


class Counting:
    def __init__(self, frame: LocalFrame) -> None:
        self.frame = frame
        self.rings = 0

    def to_xy(self, lngs: Coords, lats: Coords) -> tuple[Coords, Coords]:
        return self.frame.to_xy(lngs, lats)

    def to_lnglat(self, xs: Coords, ys: Coords) -> tuple[Coords, Coords]:
        return self.frame.to_lnglat(xs, ys)

    def ring_to_xy(self, lngs: Coords, lats: Coords) -> tuple[Coords, Coords]:
        self.rings += 1
        return self.frame.ring_to_xy(lngs, lats)


def test_a_polygon_is_projected_once_and_its_area_still_limited() -> None:
    frame = Counting(local_frame(ZURICH))
    square = rect(frame.frame, 0, 0, 10_000, 10_000)  # 1e8 m2, give or take
    check_footprint(square, lambda _: frame, FootprintLimits(1.01e8, 100))
    assert frame.rings == 1
    with pytest.raises(InvalidInput, match="exceeds the maximum"):
        check_footprint(square, lambda _: frame, FootprintLimits(0.99e8, 100))
