"""Batch checks (issue 16): `deconflict check FILE --party P` of a large GeoJSON file of
fictional plans against a large seeded database, timed from outside.

    .venv/bin/python -m bench.batch --plans 100000 --stored 100000 [--database postgresql]

The stored operations are bench/scenario.py's (`open_seeded`: cached under bench/.data/
on SQLite, or in PostgreSQL databases named after DECONFLICT_BENCH_DATABASE_URL). The
plans are drawn over the same region and week, for the scenario's querying party: a
circle of 100-1,000 m radius (70 %) or a polygon of 4-8 well-spread vertices, 30 min to
4 h, in a band between 0 and 400 m; one plan in ten has a second volume. The file is
written to bench/.data/ (kept: delete it to draw it again) and the command runs as a
subprocess, as a user runs it; its stdout (the conflict table) goes to a file beside it.
Printed: wall time, plans per second, the peak resident memory of the command, its exit
code (1: some plans conflict, as they do here) and the command's own summary line.

`--verify N` then checks the same file in this process with `services.batch.check_many`
and N plans one by one with `services.operations.check_volumes` (half drawn at random,
half among those the batch found conflicts for), and compares their answers (conflicts,
reviews and notices, in any order).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bench import scenario
from deconflict.adapters.projection import local_frame
from deconflict.domain.assessment import Assessment
from deconflict.domain.errors import InvalidInput
from deconflict.domain.model import Caller, Role
from deconflict.entrypoints import cli
from deconflict.entrypoints.api import converters
from deconflict.services.batch import check_many
from deconflict.services.operations import check_volumes

PLAN_SEED = 20_310_316
#: Bump whenever the drawn plans change: it names the file.
PLANS_VERSION = 1
DEFAULT_POSTGRESQL = "postgresql+psycopg://postgres@127.0.0.1:5432/deconflict_bench_batch"


def _volume(rng: np.random.Generator, x: float, y: float) -> dict[str, Any]:
    """One GeoJSON Feature around (x, y) metres from the scenario's centre."""
    (lng,), (lat,) = local_frame(scenario.CENTER).to_lnglat([x], [y])
    lat, lng = float(lat), float(lng)
    radius = float(rng.uniform(100.0, 1_000.0))
    properties: dict[str, Any] = {}
    if rng.random() < 0.3:
        k = int(rng.integers(4, 9))
        # Angles at least 20 % of a step apart: a simple polygon around the centre.
        angles = (np.arange(k) + rng.uniform(0.0, 0.8, k)) * 2 * math.pi / k
        reach = radius * rng.uniform(0.5, 1.0, k)
        m_per_deg_lng = 111_320.0 * math.cos(math.radians(lat))
        ring = [
            [
                round(lng + r * math.cos(a) / m_per_deg_lng, 7),
                round(lat + r * math.sin(a) / 111_320.0, 7),
            ]
            for a, r in zip(angles, reach, strict=True)
        ]
        geometry = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
    else:
        geometry = {"type": "Point", "coordinates": [round(lng, 7), round(lat, 7)]}
        properties["radius_m"] = round(radius, 1)
    duration = int(rng.integers(30, 241))
    start_min = int(rng.random() * (scenario.SPAN.total_seconds() / 60 - duration))
    start = scenario.T0 + timedelta(minutes=start_min)
    lower = int(rng.integers(0, 361))
    upper = lower + 20 + int(rng.random() * (380 - lower))
    properties |= {
        "altitude_lower_m": lower,
        "altitude_upper_m": upper,
        "time_start": start.isoformat(),
        "time_end": (start + timedelta(minutes=duration)).isoformat(),
    }
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def features(plans: int, seed: int = PLAN_SEED) -> Iterator[dict[str, Any]]:
    """The features of `plans` plans, each named by properties.operation."""
    rng = np.random.default_rng(seed)
    half = scenario.HALF_SIDE_M
    for i in range(plans):
        count = 2 if rng.random() < 0.1 else 1
        for _ in range(count):
            x, y = rng.uniform(-half, half, 2)
            feature = _volume(rng, float(x), float(y))
            feature["properties"]["operation"] = f"plan {i:06d}"
            yield feature


def plan_file(plans: int) -> Path:
    """The GeoJSON file of `plans` plans under bench/.data/ (drawn once)."""
    scenario.DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = scenario.DATA_DIR / f"plans_{plans}_v{PLANS_VERSION}.geojson"
    if not path.exists():
        partial = path.with_suffix(".partial")
        with partial.open("w") as out:
            json.dump({"type": "FeatureCollection", "features": list(features(plans))}, out)
        partial.rename(path)
    return path


def _canonical(answer: Assessment | InvalidInput) -> object:
    if isinstance(answer, InvalidInput):
        return [loc for loc, _ in answer.problems]
    return (
        sorted(map(repr, answer.conflicts)),
        sorted(
            repr((r.party_id, r.agreement_id, sorted(r.zone_ids))) for r in answer.required_reviews
        ),
        sorted(map(repr, answer.notices)),
    )


def verify(stored: int, path: Path, sample: int) -> None:
    """The batch's answers against single checks of `sample` plans drawn at random."""
    container = scenario.open_seeded(stored)
    try:
        ctx = container.ctx
        caller = Caller("bench-verify", scenario.QUERY_PARTY, frozenset({Role.OBSERVER}))
        plans = [
            converters.volumes_from_api(group, ctx, at=("volumes",))
            for group in cli._operations_in(path).values()
        ]
        started = time.perf_counter()
        answers = check_many(container.uow, ctx, caller, plans)
        batch_s = time.perf_counter() - started
        # Half drawn from every plan (a conflict the batch missed would show there), half
        # from those it found conflicts for (wrong or extra ones would).
        rng = np.random.default_rng(PLAN_SEED)
        met = [i for i, a in enumerate(answers) if isinstance(a, Assessment) and a.conflicts]
        drawn = {int(i) for i in rng.choice(len(plans), sample - sample // 2, replace=False)}
        drawn |= {int(i) for i in rng.choice(met, min(sample // 2, len(met)), replace=False)}
        differ = []
        for i in sorted(drawn):
            try:
                single: Assessment | InvalidInput = check_volumes(
                    container.uow, ctx, caller, plans[i]
                )
            except InvalidInput as e:
                single = e
            if _canonical(single) != _canonical(answers[i]):
                differ.append(i)
        conflicts = sum(
            len(answers[i].conflicts) for i in drawn if isinstance(answers[i], Assessment)
        )
        print(
            f"verify: check_many of {len(plans):,} plans in process {batch_s:.1f} s; "
            f"{len(drawn):,} plans drawn ({conflicts} conflicts among them) checked "
            f"one by one: {len(differ)} differ" + (f" ({differ[:10]})" if differ else "")
        )
    finally:
        container.uow.engine.dispose()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.batch", description=__doc__)
    parser.add_argument("--plans", type=int, default=100_000)
    parser.add_argument("--stored", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--verify", type=int, default=0, metavar="N", help="see above")
    args = parser.parse_args(argv)
    if args.database == "postgresql":
        os.environ.setdefault(scenario.DATABASE_URL_ENV, DEFAULT_POSTGRESQL)
    else:
        os.environ.pop(scenario.DATABASE_URL_ENV, None)

    update, close = scenario.rich_progress(f"seeding {args.stored:,} operations")
    try:
        container = scenario.open_seeded(args.stored, update)
    finally:
        close()
    url = container.uow.engine.url.render_as_string(hide_password=False)
    container.uow.engine.dispose()
    path = plan_file(args.plans)
    print(f"plans: {path} ({path.stat().st_size / 1e6:.0f} MB); stored: {args.stored:,} ({url})")

    command = [
        str(Path(sys.executable).with_name("deconflict")),
        "check",
        str(path),
        "--party",
        scenario.QUERY_PARTY,
    ]
    env = dict(os.environ, DECONFLICT_DATABASE_URL=url, DECONFLICT_DATA_DIR=str(scenario.DATA_DIR))
    table = path.with_suffix(".out.txt")
    started = time.perf_counter()
    with table.open("w") as out:
        done = subprocess.run(
            command, env=env, stdout=out, stderr=subprocess.PIPE, text=True, check=False
        )
    wall_s = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"$ {' '.join(command)}  (stdout: {table})")
    print(done.stderr.strip())
    print(
        f"wall {wall_s:.1f} s, {args.plans / wall_s:,.0f} plans/s, peak RSS {peak_mb:,.0f} MB, "
        f"exit {done.returncode} ({scenario.backend()}, {args.plans:,} plans, "
        f"{args.stored:,} stored)"
    )
    if args.verify:
        verify(args.stored, path, args.verify)
    return 0 if done.returncode in (0, 1) else done.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
