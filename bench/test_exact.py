"""The exact domain test alone (`assess`), without storage: one submitted volume against
candidates that all overlap it in time and altitude, so each pair reaches the footprint
test. Small footprints (a few hundred metres, the common case) need no densified edge;
large ones (60 km edges) do. See docs/BENCHMARKS.md ("Exact test")."""

from __future__ import annotations

import math

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from deconflict.adapters.projection import local_frame
from deconflict.domain.assessment import OperationCandidate, Relations, assess
from deconflict.domain.conflicts import Separation
from deconflict.domain.volumes import Circle, LatLng, Polygon, Volume4D
from tests.geometries import BAND, HOUR

HERE = LatLng(-29.95, -139.92)
RELATIONS = Relations.of("me", [], Separation(50.0, 10.0, 60.0))


def _square(center: LatLng, half_deg: float) -> Polygon:
    lat, lng = center.lat, center.lng
    return Polygon(
        (
            LatLng(lat - half_deg, lng - half_deg),
            LatLng(lat - half_deg, lng + half_deg),
            LatLng(lat + half_deg, lng + half_deg),
            LatLng(lat + half_deg, lng - half_deg),
        )
    )


def _candidates(half_deg: float, n: int, away_deg: float) -> list[OperationCandidate]:
    """`n` squares on a ring `away_deg` around HERE."""
    out = []
    for k in range(n):
        angle = 2 * math.pi * k / n
        center = LatLng(
            HERE.lat + away_deg * math.sin(angle), HERE.lng + away_deg * math.cos(angle)
        )
        out.append(
            OperationCandidate(f"op{k}", "them", (Volume4D(_square(center, half_deg), BAND, HOUR),))
        )
    return out


CASES = {
    "50 small squares (300 m)": _candidates(0.0015, 50, 0.004),
    "10 large squares (60 km edges)": _candidates(0.27, 10, 0.02),
}


@pytest.mark.parametrize("case", list(CASES))
def test_exact(benchmark: BenchmarkFixture, case: str) -> None:
    benchmark.group = "exact test (assess) of one volume"
    volume = Volume4D(Circle(HERE, 400.0), BAND, HOUR)
    candidates = CASES[case]
    result = benchmark(assess, [volume], RELATIONS, [], candidates, local_frame)
    assert len(result.conflicts) == len(candidates), "every candidate is within reach"
