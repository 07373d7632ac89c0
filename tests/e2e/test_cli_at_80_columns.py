"""The command line on the demo scenario in an 80-column terminal, as a newcomer meets it:
the review queue, decisions by the id prefix the queue shows, `check` and `watch`.

On SQLite only: these tests are about the terminal, not the database (the demo's parties
have fixed names, so one scenario per database)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from deconflict.bootstrap import Container, bootstrap
from deconflict.config import Settings
from deconflict.domain.volumes import AltitudeBand, Circle, LatLng, TimeWindow, Volume4D
from deconflict.entrypoints.api.app import create_app
from deconflict.entrypoints.cli import SHORT_ID, app
from deconflict.services import operations as ops
from deconflict.services.demo import DemoParties, demo_people, load_demo
from tests.e2e.live import serving

WIDTH = 80
runner = CliRunner(env={"COLUMNS": str(WIDTH)})
ISLE = LatLng(-30.0, -140.0)


@dataclass
class Demo:
    url: str
    container: Container
    parties: DemoParties
    start: datetime
    tokens: dict[str, str]

    def get(self, path: str, variable: str) -> list[dict[str, object]]:
        response = httpx.get(
            self.url + path, headers={"Authorization": f"Bearer {self.tokens[variable]}"}
        )
        assert response.status_code == 200, response.text
        found: list[dict[str, object]] = response.json()
        return found


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Demo]:
    """The demo scenario served from a fresh SQLite database; the CLI's environment
    points at it (for `check`, which reads the database itself)."""
    monkeypatch.setenv("DECONFLICT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DECONFLICT_DATABASE_URL", raising=False)
    settings = Settings(data_dir=tmp_path, dispatch_in_process=False, deadline_interval_s=0)
    container = bootstrap(settings)
    start = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), time(6), UTC)
    parties = load_demo(container.uow, container.ctx, start)
    tokens = {
        p.variable: container.issuer.mint(
            p.caller.party_id, sorted(p.caller.roles), 3600, p.caller.subject
        )
        for p in demo_people(parties)
    }
    with serving(create_app(container=container)) as url:
        yield Demo(url, container, parties, start, tokens)
    container.close()


def _run(demo: Demo, variable: str, *args: str) -> Result:
    return runner.invoke(
        app, [*args, "--url", demo.url], env={"DECONFLICT_TOKEN": demo.tokens[variable]}
    )


def _fits(output: str) -> list[str]:
    lines = output.splitlines()
    too_wide = [line for line in lines if len(line) > WIDTH]
    assert too_wide == [], "\n".join(too_wide)
    return lines


def test_the_review_table_fits_80_columns_with_whole_ids_and_headers(demo: Demo) -> None:
    cases = demo.get("/v1/reviews?scope=all", "VELORIA_TOKEN")
    result = _run(demo, "VELORIA_TOKEN", "reviews", "--all")
    assert result.exit_code == 0, result.output
    lines = _fits(result.output)
    header = next(line for line in lines if line.startswith("case"))
    assert header.split() == [
        "case",
        "operation",
        "v",
        "status",
        "waiting",
        "on",
        "due",
        "(UTC)",
        "conflicts",
    ]
    assert "waiting on" in header
    # Each case's short id stands whole at the start of one line, nothing of it elsewhere.
    shown = [line.split()[0] for line in lines if re.match(r"^[0-9a-f]{8} ", line)]
    assert sorted(shown) == sorted(str(c["id"])[:SHORT_ID] for c in cases)
    assert not any(str(c["id"])[SHORT_ID:] in result.output for c in cases)
    # Role ids read as words.
    assert "assessor safety" in result.output
    assert "assessor_safety" not in result.output


def test_decide_takes_the_short_id_the_review_table_shows(demo: Demo) -> None:
    queue = _run(demo, "VELORIA_TOKEN", "reviews")
    assert queue.exit_code == 0, queue.output
    row = next(line for line in _fits(queue.output) if "Cliff survey" in line)
    short = row.split()[0]
    assert len(short) == SHORT_ID

    decided = _run(demo, "VELORIA_TOKEN", "decide", short, "approve")

    assert decided.exit_code == 0, decided.output
    assert "senior assessment" in decided.output
    case = next(
        c
        for c in demo.get("/v1/reviews?scope=all", "VELORIA_TOKEN")
        if str(c["id"]).startswith(short)
    )
    assert case["current_stage"] == 1


def test_decide_says_when_a_prefix_starts_several_cases_and_decides_nothing(
    demo: Demo,
) -> None:
    # Two more plans in Range Alpha, whose review cases get ids starting "feed".
    shared = replace(demo.container.ctx, new_id=lambda: "feed" + str(uuid.uuid4())[4:])
    operator = demo_people(demo.parties)[0].caller
    window = TimeWindow(demo.start + timedelta(days=3), demo.start + timedelta(days=3, hours=1))
    for name in ("Gull colony count", "Sea cave survey"):
        volume = Volume4D(Circle(LatLng(-29.95, -139.92), 300), AltitudeBand(60, 90), window)
        ops.submit_operation(
            demo.container.uow, shared, operator, ops.OperationCommand(name, 0, (volume,))
        )
    before = demo.get("/v1/reviews?scope=all", "VELORIA_TOKEN")

    result = _run(demo, "VELORIA_TOKEN", "decide", "feed", "approve")

    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert "'feed' is ambiguous: it starts 2 review cases" in message
    assert sum(str(c["id"]) in message for c in before) == 2
    assert demo.get("/v1/reviews?scope=all", "VELORIA_TOKEN") == before


def test_check_names_the_zone_a_plan_enters(demo: Demo, tmp_path: Path) -> None:
    zones = demo.get("/v1/zones", "NORTHWIND_TOKEN")
    # The authority's public restricted zone: every party may read its name.
    depot = next(z for z in zones if z["name"] == "Government House")
    corner = depot["footprint"]["center"]  # type: ignore[index]
    start = demo.start + timedelta(days=1)
    plan = tmp_path / "plan.geojson"
    plan.write_text(
        json.dumps(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [corner["lng"], corner["lat"]]},
                "properties": {
                    "operation": "Roof inspection",
                    "radius_m": 200,
                    "altitude_lower_m": 20,
                    "altitude_upper_m": 100,
                    "time_start": start.isoformat(),
                    "time_end": (start + timedelta(hours=1)).isoformat(),
                },
            }
        )
    )

    result = runner.invoke(app, ["check", str(plan), "--party", demo.parties.operator.id])

    assert result.exit_code == 1, result.output
    _fits(result.output)
    # The name, wrapped by words in its column; no part of the zone's id.
    words = result.output.split()
    assert all(word in words for word in ("zone", "Government", "House", "restricted"))
    assert str(depot["id"])[:8] not in result.output


def test_a_batch_check_with_a_bad_operation_fits_80_columns(demo: Demo, tmp_path: Path) -> None:
    """Several operations go through the batch path: the table, the operations that
    could not be checked and the summary line all fit."""
    start = demo.start + timedelta(days=1)

    def feature(name: str, lng: float, lat: float, hours: float = 1) -> dict[str, object]:
        begin = start + timedelta(hours=hours)
        return {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lng, lat]},
            "properties": {
                "operation": name,
                "radius_m": 200,
                "altitude_lower_m": 20,
                "altitude_upper_m": 100,
                "time_start": begin.isoformat(),
                "time_end": (begin + timedelta(hours=1)).isoformat(),
            },
        }

    zones = demo.get("/v1/zones", "NORTHWIND_TOKEN")
    depot = next(z for z in zones if z["name"] == "Government House")
    corner = depot["footprint"]["center"]  # type: ignore[index]
    late = feature("Survey of the northern reef that ended long before it began", 0, 0)
    late["properties"]["time_start"] = "2020-01-01T08:00:00+00:00"  # type: ignore[index]
    late["properties"]["time_end"] = "2020-01-01T09:00:00+00:00"  # type: ignore[index]
    plan = tmp_path / "plans.geojson"
    plan.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    feature("Roof inspection", corner["lng"], corner["lat"]),
                    late,
                    feature("Open sea", ISLE.lng + 3, ISLE.lat - 3),
                ],
            }
        )
    )

    result = runner.invoke(app, ["check", str(plan), "--party", demo.parties.operator.id])

    assert result.exit_code == 2, result.output
    _fits(result.output)
    assert all(word in result.stdout.split() for word in ("Government", "House", "Roof"))
    assert "1 operation(s) not checked" in result.stderr
    # The problem wraps under its operation, indented.
    problem = result.stderr.splitlines()[1:-1]
    assert len(problem) > 1
    assert all(line.startswith("  ") for line in problem)
    assert "ends in the past" in " ".join(" ".join(problem).split())
    assert "3 operation(s) in" in result.stderr.splitlines()[-1]


def test_watch_replays_the_demo_and_says_when_there_is_no_subscription(demo: Demo) -> None:
    for person in demo_people(demo.parties):
        if person.variable in ("NORTHWIND_TOKEN", "VELORIA_TOKEN", "HARBOR_TOKEN"):
            watched = _run(demo, person.variable, "watch", "--max-events", "1")
            assert watched.exit_code == 0, watched.output
            assert "cursor" in watched.output

    stranger = demo.container.issuer.mint(f"party-{uuid.uuid4()}", ["observer"], 600)
    result = runner.invoke(app, ["watch", "--url", demo.url, "--token", stranger])
    assert result.exit_code == 1
    _fits(result.output)
    assert "nothing to watch: your party has no subscription" in result.output
    assert "POST /v1/subscriptions" in result.output
