"""`deconflict check FILE --party P` on a file of many operations: the batch path
(services.batch.check_many), as a user runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from deconflict.bootstrap import bootstrap
from deconflict.config import Settings
from deconflict.domain.assessment import Assessment
from deconflict.domain.model import Caller, OperationState, Role, ZoneKind
from deconflict.domain.operation import Operation, OperationVersion
from deconflict.domain.volumes import AltitudeBand, Circle, LatLng, TimeWindow, Volume4D
from deconflict.entrypoints.api import converters, schemas
from deconflict.entrypoints.cli import app
from deconflict.services import registry
from deconflict.services.operations import check_volumes

runner = CliRunner(env={"COLUMNS": "200"})
START = datetime(2030, 3, 1, 8, tzinfo=UTC)
DEPOT = LatLng(-31.0, -141.0)
#: What the command prints on stderr once it is done with a batch.
SUMMARY = re.compile(r"^\d[\d,]* operation\(s\) in \d+\.\d s \([\d,]+/s\); peak memory [\d,]+ MB$")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, own_database_url: str, tmp_path: Path) -> Settings:
    """The CLI reads its settings from the environment, as in a shell. A database of
    each test's own: these store authorities, which bind every party of a database."""
    database_url = own_database_url
    monkeypatch.setenv("DECONFLICT_DATA_DIR", str(tmp_path))
    if database_url.startswith("sqlite"):
        monkeypatch.delenv("DECONFLICT_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("DECONFLICT_DATABASE_URL", database_url)
    return Settings()


def _feature(
    name: str, lat: float, lng: float, radius_m: float = 300, hours: float = 0
) -> dict[str, Any]:
    start = START + timedelta(hours=hours)
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lng, lat]},
        "properties": {
            "operation": name,
            "radius_m": radius_m,
            "altitude_lower_m": 20,
            "altitude_upper_m": 120,
            "time_start": start.isoformat(),
            "time_end": (start + timedelta(hours=1)).isoformat(),
        },
    }


def _airspace(settings: Settings) -> tuple[str, list[Volume4D]]:
    """An authority's restricted zone around the depot and 40 operations of another
    party in the square beside it; returns the checking party's id and those volumes."""
    container = bootstrap(settings)
    admin = Caller("t", "t", frozenset({Role.OPERATOR}))
    suffix = uuid.uuid4().hex[:8]
    owner = registry.create_party(
        container.uow, container.ctx, admin, f"owner-{suffix}", authority=True
    )
    operator = registry.create_party(container.uow, container.ctx, admin, f"operator-{suffix}")
    other = registry.create_party(container.uow, container.ctx, admin, f"other-{suffix}")
    registry.create_zone(
        container.uow,
        container.ctx,
        Caller("t", owner.id, frozenset({Role.ADMIN})),
        registry.ZoneCreate(
            ZoneKind.RESTRICTED, "Depot", Circle(DEPOT, 2000), AltitudeBand(0, 500), ()
        ),
    )
    volumes = [
        Volume4D(
            Circle(LatLng(-30.0 - 0.01 * (i % 7), -140.0 - 0.01 * (i // 7)), 400),
            AltitudeBand(0, 100),
            TimeWindow(START + timedelta(hours=i % 3), START + timedelta(hours=i % 3 + 1)),
        )
        for i in range(40)
    ]
    operations = []
    for v in volumes:
        op = Operation(str(uuid.uuid4()), other.id, "stored", 0, START - timedelta(days=1))
        op.add_version(
            OperationVersion(1, (v,), OperationState.APPROVED, START, "t", Assessment((), (), ()))
        )
        operations.append(op)
    container.uow.run(lambda tx: tx.operations.add_many(operations))
    container.close()
    return operator.id, volumes


def _plans() -> list[dict[str, Any]]:
    """60 plans: into the depot, among the stored operations, or clear of everything."""
    features = []
    for i in range(60):
        name = f"plan-{i:02d}"
        if i % 10 == 0:
            features.append(_feature(name, DEPOT.lat + 0.005, DEPOT.lng, hours=i % 3))
        elif i % 2:
            lat, lng = -30.0 - 0.004 * (i % 17), -140.0 - 0.004 * (i % 13)
            features.append(_feature(name, lat, lng, hours=(i % 5) / 2))
            if i % 3 == 0:  # a second volume, elsewhere
                features.append(_feature(name, -35.0, -145.0, hours=i % 4))
        else:
            features.append(_feature(name, -40.0, -150.0 + 0.01 * i))
    return features


def _write(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _rows_per_plan(stdout: str) -> dict[str, int]:
    """How many conflict rows the table shows for each operation."""
    counts: dict[str, int] = {}
    for line in stdout.splitlines():
        match = re.match(r"^(plan-\d\d) ", line)
        if match:
            counts[match[1]] = counts.get(match[1], 0) + 1
    return counts


def test_a_file_of_many_operations_gets_the_answers_of_single_checks(
    env: Settings, tmp_path: Path
) -> None:
    party_id, _ = _airspace(env)
    features = _plans()
    plan = _write(tmp_path / "plans.geojson", features)

    result = runner.invoke(app, ["check", str(plan), "--party", party_id])

    assert result.exit_code == 1, result.output
    # What single checks of each operation answer, conflict for conflict.
    container = bootstrap(env)
    caller = Caller("t", party_id, frozenset({Role.OBSERVER}))
    expected: dict[str, int] = {}
    refused = 0
    grouped: dict[str, list[schemas.GeoJSONFeature]] = {}
    for f in features:
        grouped.setdefault(f["properties"]["operation"], []).append(
            schemas.GeoJSONFeature.model_validate(f)
        )
    for name, group in grouped.items():
        volumes = converters.volumes_from_api(group, container.ctx)
        answer = check_volumes(container.uow, container.ctx, caller, volumes)
        if answer.conflicts:
            expected[name] = len(answer.conflicts)
        refused += answer.refused
    container.close()
    assert _rows_per_plan(result.stdout) == expected
    assert refused == 6
    assert len(expected) > refused  # operations met too, not only the zone
    total = sum(expected.values())
    assert f"{total} conflict(s); {refused} operation(s) would be refused" in result.stdout
    assert "Conflicts for 60 operation(s)" in result.stdout
    # Not a terminal: no progress display, only the summary on stderr.
    assert "\x1b" not in result.stdout + result.stderr
    assert [line for line in result.stderr.splitlines() if line.strip()] == [
        next(line for line in result.stderr.splitlines() if SUMMARY.match(line))
    ]
    assert result.stderr.startswith("60 operation(s) in ")


def test_bad_operations_are_reported_one_by_one_and_the_others_still_checked(
    env: Settings, tmp_path: Path
) -> None:
    party_id, _ = _airspace(env)
    past = _feature("in the past", -40.0, -150.0)
    past["properties"]["time_start"] = "2020-01-01T08:00:00Z"
    past["properties"]["time_end"] = "2020-01-01T09:00:00Z"
    bow_tie = {
        "type": "Feature",
        "geometry": {
            "type": "Polygon",
            "coordinates": [
                [[-150, -40], [-149.99, -39.99], [-149.99, -40], [-150, -39.99], [-150, -40]]
            ],
        },
        "properties": {**_feature("bow tie", 0, 0)["properties"], "operation": "bow tie"},
    }
    plan = _write(
        tmp_path / "plans.geojson",
        [
            _feature("depot", DEPOT.lat, DEPOT.lng),
            past,
            _feature("clear", -40.0, -150.0),
            bow_tie,
        ],
    )

    result = runner.invoke(app, ["check", str(plan), "--party", party_id])

    assert result.exit_code == 2, result.output
    assert _rows_per_plan(result.stdout) == {}
    assert "depot" in result.stdout
    assert "restricted zone" in result.stdout
    assert "Conflicts for 2 operation(s)" in result.stdout
    assert "conflict(s); 1 operation(s) would be refused" in result.stdout
    assert "error: 2 operation(s) not checked (bad volumes):" in result.stderr
    assert "  in the past: volumes.0.time_end: ends in the past" in result.stderr
    assert "  bow tie: volumes.0.footprint.vertices: polygon is not simple" in result.stderr
    assert "clear" not in result.stderr
    assert SUMMARY.match(result.stderr.splitlines()[-1])


def test_the_progress_display_stays_off_a_pipe(env: Settings, tmp_path: Path) -> None:
    """Run as a process with stdout and stderr piped: the table and the summary, no
    progress frames, carriage returns or escape codes."""
    party_id, _ = _airspace(env)
    plan = _write(tmp_path / "plans.geojson", _plans())
    done = subprocess.run(
        [sys.executable, "-m", "deconflict", "check", str(plan), "--party", party_id],
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Conflicts for 60 operation(s)" in done.stdout
    assert done.stderr.count("\n") == 1
    assert SUMMARY.match(done.stderr.strip())
    assert "\r" not in done.stdout + done.stderr
    assert "\x1b" not in done.stdout + done.stderr
