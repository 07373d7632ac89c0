"""Bulk import: a generated ED-269 file of 50,000 zones into a fresh SQLite database.

The target is under 60 s for the whole import as `deconflict zones import` does it:
reading and parsing the file, validating every footprint, and one transaction that
stores the zones, their cell index rows and an audit event per zone.

    .venv/bin/pytest bench/test_import.py -q -s        # prints the figures
    .venv/bin/python -m bench.test_import [N]           # the same, as a script

The zones are fictional, spread over 500 km x 500 km of open ocean centred at 30 S
140 W: 60 % circles (100 m to 1.5 km; one in five given in feet), 40 % polygons of 4 to 8
vertices of that size (one in ten with a hole), in bands between 0 and 400 m above WGS84,
a third permanent, half with one active period and the rest with a weekday schedule over
two weeks. Restrictions cycle through PROHIBITED, REQ_AUTHORISATION and CONDITIONAL.
"""

from __future__ import annotations

import json
import math
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from deconflict.adapters import interchange
from deconflict.bootstrap import bootstrap
from deconflict.config import Settings
from deconflict.domain.model import Caller, Role
from deconflict.services import interchange as exchange
from deconflict.services import registry

ZONES = int(os.environ.get("DECONFLICT_BENCH_IMPORT_ZONES", "50000"))
LIMIT_S = 60.0
SEED = 20_311_125
CENTER_LAT, CENTER_LNG = -30.0, -140.0
HALF_SIDE_M = 250_000.0
T0 = datetime(2031, 3, 3, tzinfo=UTC)
RESTRICTIONS = ("PROHIBITED", "REQ_AUTHORISATION", "CONDITIONAL")
M_PER_DEG = 111_320.0


def _offset(lat: float, lng: float, east_m: float, north_m: float) -> list[float]:
    return [
        lng + east_m / (M_PER_DEG * math.cos(math.radians(lat))),
        lat + north_m / M_PER_DEG,
    ]


def _star(rng: random.Random, lat: float, lng: float, size_m: float, k: int) -> list[list[float]]:
    step = 2 * math.pi / k  # jittered even angles: star-shaped around the centre, simple
    angles = [step * (j + rng.uniform(-0.25, 0.25)) for j in range(k)]
    ring = [
        _offset(lat, lng, r * math.cos(a), r * math.sin(a))
        for a, r in ((a, size_m * rng.uniform(0.6, 1.0)) for a in angles)
    ]
    return [*ring, ring[0]]


def _feature(rng: random.Random, i: int) -> dict[str, Any]:
    lat = CENTER_LAT + rng.uniform(-HALF_SIDE_M, HALF_SIDE_M) / M_PER_DEG
    lng = CENTER_LNG + rng.uniform(-HALF_SIDE_M, HALF_SIDE_M) / (
        M_PER_DEG * math.cos(math.radians(lat))
    )
    size = rng.uniform(100, 1_500)
    feet = rng.random() < 0.2
    scale = 1 / 0.3048 if feet else 1.0
    projection: dict[str, Any]
    if rng.random() < 0.6:
        projection = {"type": "Circle", "center": [lng, lat], "radius": round(size * scale, 1)}
    else:
        rings = [_star(rng, lat, lng, size, rng.randint(4, 8))]
        if rng.random() < 0.1:
            hole = [
                _offset(lat, lng, size * 0.1 * x, size * 0.1 * y)
                for x, y in ((-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1))
            ]
            rings.append(hole)
        projection = {"type": "Polygon", "coordinates": rings}
    lower = rng.choice((0, 0, 30, 60))
    upper = lower + rng.choice((60, 90, 120, 200, 340))
    roll = rng.random()
    start = T0 + timedelta(hours=rng.randrange(0, 24 * 28))
    if roll < 1 / 3:
        applicability: list[dict[str, Any]] = [{"permanent": "YES"}]
    elif roll < 5 / 6:
        end = start + timedelta(hours=rng.randint(1, 72))
        applicability = [
            {"permanent": "NO", "startDateTime": start.isoformat(), "endDateTime": end.isoformat()}
        ]
    else:
        applicability = [
            {
                "permanent": "NO",
                "startDateTime": start.isoformat(),
                "endDateTime": (start + timedelta(days=14)).isoformat(),
                "schedule": [
                    {
                        "day": ["MON", "TUE", "WED", "THU", "FRI"],
                        "startTime": "07:00:00.00-10:00",
                        "endTime": "19:00:00.00-10:00",
                    }
                ],
            }
        ]
    return {
        "identifier": f"BX{i:05d}",
        "country": "VLR",
        "name": f"Bench zone {i}",
        "type": "COMMON",
        "restriction": RESTRICTIONS[i % 3],
        "reason": ["OTHER"],
        "zoneAuthority": [{"name": "Bench Authority (fictional)", "email": "bench@example.org"}],
        "applicability": applicability,
        "geometry": [
            {
                "uomDimensions": "FT" if feet else "M",
                "lowerLimit": round(lower * scale),
                "lowerVerticalReference": "WGS84",
                "upperLimit": round(upper * scale),
                "upperVerticalReference": "WGS84",
                "horizontalProjection": projection,
            }
        ],
    }


def generate(n: int, seed: int = SEED) -> bytes:
    rng = random.Random(seed)
    doc = {
        "title": f"{n} generated zones (fictional)",
        "features": [_feature(rng, i) for i in range(n)],
    }
    return json.dumps(doc).encode()


def run(n: int, data_dir: Path) -> dict[str, float]:
    """Imports `n` generated zones into a fresh SQLite database; the timings in seconds."""
    data = generate(n)
    container = bootstrap(Settings(data_dir=data_dir, dispatch_in_process=False))
    try:
        admin = Caller("bench", "bench", frozenset({Role.ADMIN}))
        party = registry.create_party(container.uow, container.ctx, admin, "Bench Authority")
        caller = Caller("bench", party.id, frozenset({Role.ADMIN}))
        steps: dict[str, float] = {}
        seen: dict[str, float] = {}

        def progress(step: str, done: int, total: int) -> None:
            seen.setdefault(step, time.perf_counter())
            steps[step] = time.perf_counter() - seen[step]

        started = time.perf_counter()
        parsed = interchange.read_zones(data)
        read_s = time.perf_counter() - started
        plan = exchange.import_zones(
            container.uow, container.ctx, caller, parsed, progress=progress
        )
        total_s = time.perf_counter() - started
        assert plan.applied
        assert plan.counts()[exchange.Change.CREATED] == n
        stored = exchange.export_zones(container.uow, caller).zones
        assert len(stored) == n
    finally:
        container.close()
    return {
        "file_mb": len(data) / 1e6,
        "read_s": read_s,
        "validate_s": steps.get("validating", 0.0),
        "store_s": steps.get("storing", 0.0),
        "total_s": total_s,
    }


def _report(n: int, figures: dict[str, float]) -> str:
    return (
        f"{n} zones, {figures['file_mb']:.1f} MB: read {figures['read_s']:.1f} s, "
        f"validate {figures['validate_s']:.1f} s, store {figures['store_s']:.1f} s, "
        f"total {figures['total_s']:.1f} s (limit {LIMIT_S:.0f} s)"
    )


def test_a_50000_zone_ed269_file_imports_into_sqlite_in_under_a_minute(tmp_path: Path) -> None:
    figures = run(ZONES, tmp_path)
    print("\n" + _report(ZONES, figures))
    assert figures["total_s"] < LIMIT_S


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else ZONES
    with tempfile.TemporaryDirectory() as tmp:
        print(_report(count, run(count, Path(tmp))))
