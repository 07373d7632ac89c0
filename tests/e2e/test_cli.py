"""The command line as a user runs it: demo, token, db upgrade, check."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import jwt
import pytest
from typer.testing import CliRunner

from deconflict.adapters.migrate import head
from deconflict.bootstrap import bootstrap
from deconflict.config import Settings
from deconflict.domain.model import Caller, Role, ZoneKind
from deconflict.domain.volumes import AltitudeBand, Circle, LatLng
from deconflict.entrypoints.cli import app
from deconflict.services import registry
from deconflict.services.demo import demo_people, find_demo, load_demo
from deconflict.services.operations import list_operations
from deconflict.services.ports import Page

runner = CliRunner(env={"COLUMNS": "200"})  # a wide terminal: Rich wraps tables to fit


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Settings:
    """The CLI reads its settings from the environment, as in a shell."""
    return _environment(monkeypatch, database_url, tmp_path)


@pytest.fixture
def own_env(monkeypatch: pytest.MonkeyPatch, own_database_url: str, tmp_path: Path) -> Settings:
    """As `env`, on a database of this test alone (the demo is loaded once per database)."""
    return _environment(monkeypatch, own_database_url, tmp_path)


def _environment(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Settings:
    monkeypatch.setenv("DECONFLICT_DATA_DIR", str(tmp_path))
    if database_url.startswith("sqlite"):
        monkeypatch.delenv("DECONFLICT_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("DECONFLICT_DATABASE_URL", database_url)
    return Settings()


def _feature(lat: float, lng: float, radius_m: float, operation: str) -> dict[str, object]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lng, lat]},
        "properties": {
            "operation": operation,
            "radius_m": radius_m,
            "altitude_lower_m": 20,
            "altitude_upper_m": 120,
            "time_start": "2030-03-01T08:00:00Z",
            "time_end": "2030-03-01T09:00:00Z",
        },
    }


def _zone(settings: Settings, kind: str) -> str:
    """A zone of a new party, with the operator's party id returned (no agreement)."""
    container = bootstrap(settings)
    admin = Caller("t", "t", frozenset({Role.OPERATOR}))
    # An authority: its restricted zones bind parties without an agreement with it.
    owner = registry.create_party(
        container.uow, container.ctx, admin, f"owner-{kind}-{id(settings)}", authority=True
    )
    operator = registry.create_party(
        container.uow, container.ctx, admin, f"operator-{kind}-{id(settings)}"
    )
    registry.create_zone(
        container.uow,
        container.ctx,
        Caller("t", owner.id, frozenset({Role.ADMIN})),
        registry.ZoneCreate(
            ZoneKind(kind), "Depot", Circle(LatLng(-31.0, -141.0), 2000), AltitudeBand(0, 500), ()
        ),
    )
    container.close()
    return operator.id


def test_check_exits_1_and_lists_the_conflicts_when_a_file_enters_a_restricted_zone(
    env: Settings, tmp_path: Path
) -> None:
    operator = _zone(env, "restricted")
    plan = tmp_path / "plan.geojson"
    plan.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    _feature(-31.0, -141.0, 300, "depot inspection"),
                    _feature(-31.5, -141.5, 300, "far away"),
                ],
            }
        )
    )
    result = runner.invoke(app, ["check", str(plan), "--party", operator])
    assert result.exit_code == 1, result.output
    assert "depot inspection" in result.output
    assert "restricted zone" in result.output
    assert "far away" not in result.output
    assert "1 operation(s) would be refused" in result.output


def test_check_exits_0_when_nothing_conflicts(env: Settings, tmp_path: Path) -> None:
    operator = _zone(env, "restricted")
    plan = tmp_path / "plan.geojson"
    plan.write_text(
        json.dumps({"type": "FeatureCollection", "features": [_feature(-35, -141, 300, "clear")]})
    )
    result = runner.invoke(app, ["check", str(plan), "--party", operator])
    assert result.exit_code == 0, result.output
    assert "No conflicts" in result.output


def test_check_reads_heights_above_mean_sea_level(env: Settings, tmp_path: Path) -> None:
    """The depot zone reaches 500 m above WGS 84; mean sea level lies 8.6 m below the
    ellipsoid there, so 515 m AMSL is about 505 m above WGS 84: within the 10 m vertical
    separation, where 515 m above WGS 84 would be clear of it."""
    operator = _zone(env, "restricted")
    features = []
    for reference in ("W84", "AMSL"):
        feature = _feature(-31.0, -141.0, 300, f"climb {reference}")
        props = feature["properties"]
        assert isinstance(props, dict)
        props.update(altitude_lower_m=515, altitude_upper_m=600, altitude_reference=reference)
        features.append(feature)
    plan = tmp_path / "plan.geojson"
    plan.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    result = runner.invoke(app, ["check", str(plan), "--party", operator])
    assert result.exit_code == 1, result.output
    assert "climb AMSL" in result.output
    assert "climb W84" not in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('{"type": "Polygon", "coordinates": []}', "expected a GeoJSON FeatureCollection"),
        (
            json.dumps(
                {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": None}]}
            ),
            "features.0",
        ),
    ],
)
def test_check_refuses_a_broken_file_with_a_message_and_exit_2(
    env: Settings, tmp_path: Path, content: str, message: str
) -> None:
    plan = tmp_path / "broken.geojson"
    plan.write_text(content)
    result = runner.invoke(app, ["check", str(plan), "--party", "anyone"])
    assert result.exit_code == 2
    assert message in result.output


def test_token_mints_a_verifiable_token_with_the_roles_asked_for(env: Settings) -> None:
    result = runner.invoke(app, ["token", "--party", "p-1", "--roles", "submitter,reviewer"])
    assert result.exit_code == 0, result.output
    container = bootstrap(env)
    caller = container.verifier.verify(result.output.strip())
    container.close()
    assert caller.party_id == "p-1"
    assert caller.roles == {"submitter", "reviewer"}
    assert jwt.get_unverified_header(result.output.strip())["alg"] == "ES256"


def test_token_refuses_an_unknown_role(env: Settings) -> None:
    result = runner.invoke(app, ["token", "--party", "p-1", "--roles", "Pilot!"])
    assert result.exit_code == 2
    assert "invalid role name" in result.output


def test_db_upgrade_brings_the_schema_to_the_latest_revision(env: Settings) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"revision {head()}" in result.output


def test_demo_loads_the_scenario_once_and_prints_a_token_per_party(own_env: Settings) -> None:
    first = runner.invoke(app, ["demo", "--no-serve"])
    assert first.exit_code == 0, first.output
    assert "Demo scenario loaded" in first.output
    assert first.output.count("export ") == 6
    again = runner.invoke(app, ["demo", "--no-serve"])
    assert again.exit_code == 0, again.output
    assert "already loaded" in again.output
    container = bootstrap(own_env)
    assert find_demo(container.uow) is not None
    container.close()


def _first_start(settings: Settings) -> datetime:
    """When the demo operator's earliest operation starts."""
    container = bootstrap(settings)
    parties = find_demo(container.uow)
    assert parties is not None
    operator = demo_people(parties)[0].caller
    operations = list_operations(container.uow, operator, Page(limit=100, offset=0))
    container.close()
    return min(v.time.start for o in operations for v in o.current.volumes)


def test_demo_reset_loads_the_scenario_afresh_for_today(env: Settings) -> None:
    if env.database_url is not None:  # PostgreSQL: not the embedded database
        result = runner.invoke(app, ["demo", "--no-serve", "--reset"])
        assert result.exit_code == 2
        assert "drop that database yourself" in result.output
        return
    # A scenario loaded a month ahead stands for one whose dates went stale.
    container = bootstrap(env)
    month_ahead = datetime.combine(datetime.now(UTC).date() + timedelta(days=30), time(6), UTC)
    stale = load_demo(container.uow, container.ctx, month_ahead)
    container.close()
    assert _first_start(env) >= month_ahead

    result = runner.invoke(app, ["demo", "--no-serve", "--reset"])

    assert result.exit_code == 0, result.output
    assert "Demo scenario loaded" in result.output
    assert result.output.count("export ") == 6
    container = bootstrap(env)
    fresh = find_demo(container.uow)
    container.close()
    assert fresh is not None
    assert fresh.operator.id != stale.operator.id
    tomorrow = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), time(0), UTC)
    assert tomorrow <= _first_start(env) < tomorrow + timedelta(days=1)
    assert (env.data_dir / "signing-key.pem").exists()  # the key stays; only the data goes


def test_check_refuses_an_unknown_party_with_exit_2(env: Settings, tmp_path: Path) -> None:
    plan = tmp_path / "plan.geojson"
    plan.write_text(
        json.dumps({"type": "FeatureCollection", "features": [_feature(-35, -141, 300, "x")]})
    )
    result = runner.invoke(app, ["check", str(plan), "--party", "no-such-party"])
    assert result.exit_code == 2, result.output
    assert "no party 'no-such-party'" in result.output
    neither = runner.invoke(app, ["check", str(plan)])
    assert neither.exit_code == 2
    assert "--party" in neither.output
