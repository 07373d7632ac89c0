"""The exact domain test alone (`assess`), without storage: one submitted volume against
candidates handed to it as decoded Volume4D objects.

- Squares on a ring around a circle, all overlapping it in time and altitude, so each
  pair reaches the footprint test. Small footprints (a few hundred metres, the common
  case) need no densified edge; large ones (60 km edges) do.
- The benchmark query of bench/scenario.py against its planted operations (the ~10
  candidates the index hands over, 6 of which conflict).
- A hot spot: 1,000 counting operations within 5 km of that query, most overlapping it
  in time (starting up to 4 h before it, lasting 30 min to 4 h), in bands of 0-400 m.

Projections are remembered for the process (`geometry.planar_cached`): "warm" runs
find the candidates' projections there (the same operations checked again), "cold" ones
start with it empty (the first check of a fresh process, or of new operations). Frames
themselves stay cached either way. See docs/BENCHMARKS.md ("Exact test")."""

from __future__ import annotations

import math
import random
from datetime import timedelta

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from bench.scenario import (
    OTHER_PARTIES,
    QUERY_CENTER,
    QUERY_PARTY,
    QUERY_START,
    planted,
    query_volume,
)
from deconflict.adapters.projection import local_frame
from deconflict.domain.assessment import OperationCandidate, Relations, assess
from deconflict.domain.conflicts import Separation
from deconflict.domain.geometry import clear_planar_cache
from deconflict.domain.volumes import (
    AltitudeBand,
    Circle,
    Footprint,
    LatLng,
    Polygon,
    TimeWindow,
    Volume4D,
)
from tests.geometries import BAND, HOUR

HERE = LatLng(-29.95, -139.92)
RELATIONS = Relations.of("me", [], Separation(50.0, 10.0, 60.0))
#: The bench query's party, under the scenario's default minima (50 m, 10 m, 60 s).
QUERY_RELATIONS = Relations.of(QUERY_PARTY, [], Separation(50.0, 10.0, 60.0))


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


def _planted() -> list[OperationCandidate]:
    """The counting planted operations: what the index hands over for the bench query."""
    plants = planted()
    return [
        OperationCandidate(o.id, o.party_id, o.current.volumes)
        for o in plants.conflicts + plants.misses
    ]


def _hot_spot(n: int = 1000, seed: int = 16) -> list[OperationCandidate]:
    """`n` operations centred uniformly within 5 km of the query's centre: 100-1000 m
    circles, or (30%) star-shaped polygons of that size, as the scenario's background."""
    rng = random.Random(seed)
    frame = local_frame(QUERY_CENTER)
    out = []
    for i in range(n):
        r, a = 5000.0 * math.sqrt(rng.random()), rng.uniform(0.0, 2 * math.pi)
        (lng,), (lat,) = frame.to_lnglat([r * math.cos(a)], [r * math.sin(a)])
        lat, lng = float(lat), float(lng)
        radius = rng.uniform(100.0, 1000.0)
        footprint: Footprint
        if rng.random() < 0.3:
            angles = sorted(rng.uniform(0.0, 2 * math.pi) for _ in range(rng.randint(4, 8)))
            m_per_deg_lng = 111_320.0 * math.cos(math.radians(lat))
            footprint = Polygon(
                tuple(
                    LatLng(
                        lat + radius * rng.uniform(0.5, 1.0) * math.sin(t) / 111_320.0,
                        lng + radius * rng.uniform(0.5, 1.0) * math.cos(t) / m_per_deg_lng,
                    )
                    for t in angles
                )
            )
        else:
            footprint = Circle(LatLng(lat, lng), radius)
        start = QUERY_START + timedelta(minutes=rng.randint(-240, 60))
        lower = rng.randint(0, 360)
        upper = lower + 20 + int(rng.random() * (380 - lower))
        volume = Volume4D(
            footprint,
            AltitudeBand(float(lower), float(upper)),
            TimeWindow(start, start + timedelta(minutes=rng.randint(30, 240))),
        )
        out.append(OperationCandidate(f"hot{i}", OTHER_PARTIES[i % len(OTHER_PARTIES)], (volume,)))
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


QUERY_CASES = {
    "bench query, planted candidates": (_planted, 6),
    "bench query, 1,000-operation hot spot": (_hot_spot, None),
}


@pytest.mark.parametrize("cache", ["warm", "cold"])
@pytest.mark.parametrize("case", list(QUERY_CASES))
def test_exact_bench_query(benchmark: BenchmarkFixture, case: str, cache: str) -> None:
    benchmark.group = f"exact test (assess) of the bench query: {case}"
    make, conflicts = QUERY_CASES[case]
    candidates = make()
    volumes = [query_volume()]

    def run() -> int:
        return len(assess(volumes, QUERY_RELATIONS, [], candidates, local_frame).conflicts)

    found = run()  # frames built, projections remembered
    if conflicts is not None:
        assert found == conflicts, "the planted conflicts, and no other"
    if cache == "warm":
        benchmark(run)
    else:
        benchmark.pedantic(run, setup=clear_planar_cache, rounds=200 if conflicts else 50)
