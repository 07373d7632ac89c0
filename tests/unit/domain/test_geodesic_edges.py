"""Polygon edges are geodesics (issue 17): the exact test finds a conflict with a long
edge exactly when an independent geodesic computation (GeographicLib's own Python, not
pyproj) says the footprints come closer than the separation, to within the documented
GEODESIC_TOLERANCE_M, and gives the same answer whichever party checks.

Each case is built from the oracle: the point of the edge nearest a target is where the
target's perpendicular geodesic meets it, so a target `gap` metres from the edge along
that perpendicular is exactly `gap` metres away.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
from geographiclib.geodesic import Geodesic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconflict.adapters.projection import local_frame
from deconflict.domain.assessment import OperationCandidate, Relations, assess
from deconflict.domain.conflicts import Separation
from deconflict.domain.geometry import GEODESIC_TOLERANCE_M, planar
from deconflict.domain.volumes import Circle, Footprint, LatLng, Polygon, Volume4D
from tests.geometries import BAND, HOUR

WGS84 = Geodesic.WGS84
SEPARATION = Separation(50.0, 10.0, 60.0)
#: A target this much closer or farther than the separation is decided, both ways.
MARGIN_M = GEODESIC_TOLERANCE_M + 0.05


def _direct(p: LatLng, azimuth: float, distance_m: float) -> LatLng:
    g = WGS84.Direct(p.lat, p.lng, azimuth, distance_m)
    return LatLng(g["lat2"], (g["lon2"] + 180.0) % 360.0 - 180.0)


def square(center: LatLng, side_m: float, heading: float) -> Polygon:
    """A quadrilateral of geodesic edges about `side_m` long, turned by `heading`."""
    half = side_m / math.sqrt(2)
    return Polygon(tuple(_direct(center, heading + 45 + 90 * k, half) for k in range(4)))


@dataclass(frozen=True)
class Case:
    big: Polygon
    target: Footprint
    gap_m: float  # the oracle's distance between the footprints (edges to edges)

    @property
    def conflict(self) -> bool:
        return self.gap_m < SEPARATION.horizontal_m


def near_edge(big: Polygon, edge: int, fraction: float, gap_m: float, radius_m: float) -> Case:
    """A circle outside `big`, its rim `gap_m` from edge `edge` at `fraction` of it."""
    a, b = big.exterior[edge], big.exterior[(edge + 1) % len(big.exterior)]
    line = WGS84.InverseLine(a.lat, a.lng, b.lat, b.lng)
    foot = line.Position(line.s13 * fraction)
    # The corners go clockwise (north-east, south-east, south-west, north-west of the
    # heading), so the outside is on the left of each edge: azimuth - 90.
    outward = foot["azi2"] - 90.0
    center = _direct(LatLng(foot["lat2"], foot["lon2"]), outward, radius_m + gap_m)
    return Case(big, Circle(center, radius_m), gap_m)


def oracle_gap_m(case: Case) -> float:
    """The geodesic distance from the circle to the nearest edge of `big`, found by a
    golden-section search along each edge (independently of any projection)."""
    assert isinstance(case.target, Circle)
    c = case.target.center
    best = math.inf
    ring = case.big.exterior
    for i, a in enumerate(ring):
        b = ring[(i + 1) % len(ring)]
        line = WGS84.InverseLine(a.lat, a.lng, b.lat, b.lng)

        def dist(s: float, line: object = line) -> float:
            p = line.Position(s)  # type: ignore[attr-defined]
            return float(WGS84.Inverse(c.lat, c.lng, p["lat2"], p["lon2"])["s12"])

        lo, hi = 0.0, line.s13
        ratio = (math.sqrt(5) - 1) / 2
        for _ in range(80):
            m1, m2 = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
            if dist(m1) < dist(m2):
                hi = m2
            else:
                lo = m1
        best = min(best, dist(lo), dist(0.0), dist(line.s13))
    return best - case.target.radius_m


def checked_by(mine: Footprint, theirs: Footprint) -> bool:
    """Does `assess` find a conflict when the party of `mine` checks it against `theirs`?"""
    relations = Relations.of("me", [], SEPARATION)
    other = OperationCandidate("op", "them", (Volume4D(theirs, BAND, HOUR),))
    found = assess([Volume4D(mine, BAND, HOUR)], relations, [], [other], local_frame)
    return bool(found.conflicts)


def assert_decided(case: Case) -> None:
    assert checked_by(case.target, case.big) is case.conflict, "checked by the target's party"
    assert checked_by(case.big, case.target) is case.conflict, "checked by the big one's party"


@pytest.mark.parametrize("lat", [0.0, 35.0, -47.0, 68.0])
@pytest.mark.parametrize("heading", [0.0, 30.0, 90.0])
@pytest.mark.parametrize("gap_m", [48.7, 51.3, 49.85, 50.15])
def test_a_target_near_the_middle_of_a_100_km_edge_is_decided_alike_by_both_parties(
    lat: float, heading: float, gap_m: float
) -> None:
    big = square(LatLng(lat, 20.0), 100_000.0, heading)
    case = near_edge(big, edge=0, fraction=0.5, gap_m=gap_m, radius_m=30.0)
    assert oracle_gap_m(case) == pytest.approx(gap_m, abs=0.01), "the construction is exact"
    assert_decided(case)


def test_the_issue_case_1_3_m_inside_the_separation_was_missed_by_straight_edges() -> None:
    """The shape the issue reports: with edges drawn as chords, the big polygon's party
    missed it; now both find it."""
    case = near_edge(square(LatLng(12.0, -40.0), 100_000.0, 0.0), 0, 0.5, 48.7, 30.0)
    flat = planar(case.big, local_frame(LatLng(12.0, -40.0)))
    assert len(flat.core.exterior.coords) - 1 > len(case.big.exterior), "edges are densified"
    assert_decided(case)


@given(
    lat=st.floats(-70, 70),
    lng=st.floats(-179, 179),
    side_km=st.floats(20, 100),
    heading=st.floats(0, 90),
    edge=st.integers(0, 3),
    fraction=st.floats(0.05, 0.95),
    offset_m=st.floats(MARGIN_M, 5.0),
    inside=st.booleans(),
    radius_m=st.floats(5, 2000),
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_exact_test_is_symmetric_and_agrees_with_the_geodesic_oracle_on_large_polygons(
    lat: float,
    lng: float,
    side_km: float,
    heading: float,
    edge: int,
    fraction: float,
    offset_m: float,
    inside: bool,
    radius_m: float,
) -> None:
    big = square(LatLng(lat, lng), side_km * 1000.0, heading)
    gap_m = SEPARATION.horizontal_m + (-offset_m if inside else offset_m)
    case = near_edge(big, edge, fraction, gap_m, radius_m)
    # Near a corner another edge may come closer than the constructed gap: the oracle
    # says what the answer must be.
    truth = oracle_gap_m(case)
    if abs(truth - SEPARATION.horizontal_m) < MARGIN_M:
        return
    expected = truth < SEPARATION.horizontal_m
    assert checked_by(case.target, case.big) is expected
    assert checked_by(case.big, case.target) is expected


def test_two_polygons_sharing_a_long_edge_touch_without_overlapping() -> None:
    """Both rings get the very same points along the shared geodesic, so with no
    separation they touch (no conflict) from either side."""
    a, b, c, d = (LatLng(10.0, 0.0), LatLng(10.9, 0.0), LatLng(10.9, 0.9), LatLng(10.0, 0.9))
    left = Polygon((a, b, LatLng(10.9, -0.9), LatLng(10.0, -0.9)))
    right = Polygon((b, a, d, c))
    relations = Relations.of("me", [], Separation())
    for mine, theirs in [(left, right), (right, left)]:
        other = OperationCandidate("op", "them", (Volume4D(theirs, BAND, HOUR),))
        found = assess([Volume4D(mine, BAND, HOUR)], relations, [], [other], local_frame)
        assert found.conflicts == ()


@given(
    lat=st.floats(-70, 70),
    lng=st.floats(-179, 179),
    side_km=st.floats(20, 100),
    heading=st.floats(0, 90),
    edge=st.integers(0, 3),
    fraction=st.floats(0.05, 0.95),
    offset_m=st.floats(-GEODESIC_TOLERANCE_M, GEODESIC_TOLERANCE_M),
    radius_m=st.floats(5, 2000),
)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_even_within_the_tolerance_of_the_separation_both_parties_get_the_same_answer(
    lat: float,
    lng: float,
    side_km: float,
    heading: float,
    edge: int,
    fraction: float,
    offset_m: float,
    radius_m: float,
) -> None:
    """Each pair is tested in a frame chosen by the pair alone, so the answer cannot
    depend on who asks, even where the tolerance leaves it open."""
    big = square(LatLng(lat, lng), side_km * 1000.0, heading)
    case = near_edge(big, edge, fraction, SEPARATION.horizontal_m + offset_m, radius_m)
    assert checked_by(case.target, case.big) is checked_by(case.big, case.target)
