"""`deconflict zones import|export` and `deconflict operations export` as a user runs them."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deconflict.bootstrap import bootstrap
from deconflict.config import Settings
from deconflict.domain.model import Caller, Role, Zone
from deconflict.domain.volumes import AltitudeBand, Circle, LatLng, TimeWindow, Volume4D
from deconflict.entrypoints.cli import app
from deconflict.services import interchange as exchange
from deconflict.services import operations as ops
from deconflict.services import registry

runner = CliRunner(env={"COLUMNS": "200"})
DATA = Path(__file__).resolve().parents[1] / "data" / "interchange"
ROOT = Caller("t", "t", frozenset({Role.OPERATOR}))


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str, tmp_path: Path) -> Settings:
    """The CLI reads its settings from the environment, as in a shell."""
    monkeypatch.setenv("DECONFLICT_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DECONFLICT_PARTY", raising=False)
    if database_url.startswith("sqlite"):
        monkeypatch.delenv("DECONFLICT_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("DECONFLICT_DATABASE_URL", database_url)
    return Settings()


def _party(settings: Settings, prefix: str = "authority") -> tuple[str, str]:
    container = bootstrap(settings)
    party = registry.create_party(
        container.uow, container.ctx, ROOT, f"{prefix}-{uuid.uuid4().hex[:8]}"
    )
    container.close()
    return party.id, party.name


def _zones(settings: Settings, party_id: str) -> list[Zone]:
    container = bootstrap(settings)
    caller = Caller("t", party_id, frozenset({Role.OBSERVER}))
    zones = exchange.export_zones(container.uow, caller).zones
    container.close()
    return zones


def test_import_shows_a_summary_and_stores_the_zones(env: Settings) -> None:
    party_id, _ = _party(env)
    result = runner.invoke(
        app, ["zones", "import", str(DATA / "ed269_catalogue.json"), "--party", party_id]
    )
    assert result.exit_code == 0, result.output
    assert "Storing" in result.output  # the progress bar's step
    assert "created" in result.output
    assert "VLR-N04" in result.output  # skipped, with its reason
    assert "NO_RESTRICTION" in result.output
    assert len(_zones(env, party_id)) == 5


def test_a_second_import_reports_everything_unchanged(env: Settings) -> None:
    party_id, name = _party(env)
    kml = str(DATA / "zones.kml")
    assert runner.invoke(app, ["zones", "import", kml, "--party", party_id]).exit_code == 0
    before = _zones(env, party_id)
    again = runner.invoke(app, ["zones", "import", kml, "--party", name])  # by name
    assert again.exit_code == 0, again.output
    assert "unchanged" in again.output
    assert "created" not in again.output
    assert _zones(env, party_id) == before


def test_a_dry_run_stores_nothing(env: Settings) -> None:
    party_id, _ = _party(env)
    result = runner.invoke(
        app, ["zones", "import", str(DATA / "zones.geojson"), "--party", party_id, "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "Dry run: nothing was stored." in result.output
    assert "What the import would do" in result.output
    assert _zones(env, party_id) == []


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("ed269_wrong_types.json", "features.0.geometry.0.lowerLimit: feature 'VLR-B01'"),
        ("ed269_self_intersecting.json", "feature 'VLR-B07'"),
        ("kml_entities.kml", "refused XML"),
    ],
)
def test_a_bad_file_exits_2_with_the_feature_and_field_and_stores_nothing(
    env: Settings, name: str, words: str
) -> None:
    party_id, _ = _party(env)
    result = runner.invoke(
        app, ["zones", "import", str(DATA / "broken" / name), "--party", party_id]
    )
    assert result.exit_code == 2, result.output
    assert words in result.output
    assert "nothing was stored" in result.output
    assert _zones(env, party_id) == []


def test_refused_zones_fail_the_import_unless_skipped(env: Settings) -> None:
    party_id, _ = _party(env)
    file = str(DATA / "ed269_unrepresentable.json")
    refused = runner.invoke(app, ["zones", "import", file, "--party", party_id])
    assert refused.exit_code == 2, refused.output
    assert "AGL" in refused.output
    assert "--skip-refused" in refused.output
    assert _zones(env, party_id) == []
    skipped = runner.invoke(app, ["zones", "import", file, "--party", party_id, "--skip-refused"])
    assert skipped.exit_code == 0, skipped.output
    assert sorted(z.source_id or "" for z in _zones(env, party_id)) == ["VLR-K14", "VLR-M11"]


def test_import_needs_a_known_party(env: Settings) -> None:
    file = str(DATA / "zones.kml")
    assert runner.invoke(app, ["zones", "import", file]).exit_code == 2
    unknown = runner.invoke(app, ["zones", "import", file, "--party", "nobody-at-all"])
    assert unknown.exit_code == 2
    assert "no party 'nobody-at-all'" in unknown.output


@pytest.mark.parametrize("fmt", ["ed269", "geojson", "kml"])
def test_an_export_imports_into_another_party_as_the_same_zones(
    env: Settings, tmp_path: Path, fmt: str
) -> None:
    first, _ = _party(env, "first")
    second, _ = _party(env, "second")
    runner.invoke(app, ["zones", "import", str(DATA / "ed269_catalogue.json"), "--party", first])
    out = tmp_path / f"zones.{fmt}"
    exported = runner.invoke(
        app, ["zones", "export", "--format", fmt, "--party", first, "--output", str(out)]
    )
    assert exported.exit_code == 0, exported.output
    again = runner.invoke(app, ["zones", "import", str(out), "--party", second])
    assert again.exit_code == 0, again.output

    def content(zones: list[Zone]) -> list[str]:
        return sorted(
            repr((z.source_id, z.kind, z.footprint, z.altitude, z.periods)) for z in zones
        )

    assert content(_zones(env, second)) == content(_zones(env, first))


def test_export_writes_to_standard_output(env: Settings) -> None:
    party_id, _ = _party(env)
    runner.invoke(app, ["zones", "import", str(DATA / "zones.geojson"), "--party", party_id])
    result = runner.invoke(app, ["zones", "export", "--format", "ed269", "--party", party_id])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert {f["identifier"] for f in doc["features"]} == {
        "VLR-G20",
        "VLR-G21#1",
        "VLR-G21#2",
        "VLR-G22",
        "VLR-G24",
    }
    references = {g["lowerVerticalReference"] for f in doc["features"] for g in f["geometry"]}
    assert references == {"WGS84"}


def test_operations_export_as_geojson_feeds_check_and_as_kml_has_time_spans(
    env: Settings, tmp_path: Path
) -> None:
    party_id, _ = _party(env, "operator")
    container = bootstrap(env)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    submitter = Caller("pilot", party_id, frozenset({Role.SUBMITTER}))
    ops.submit_operation(
        container.uow,
        container.ctx,
        submitter,
        ops.OperationCommand(
            "Reef survey",
            5,
            (
                Volume4D(
                    Circle(LatLng(-33.2, -120.1), 400),
                    AltitudeBand(20, 90),
                    TimeWindow(start, start + timedelta(hours=1)),
                ),
            ),
        ),
    )
    container.close()
    out = tmp_path / "ops.geojson"
    exported = runner.invoke(
        app, ["operations", "export", "--party", party_id, "--output", str(out)]
    )
    assert exported.exit_code == 0, exported.output
    [feature] = json.loads(out.read_text())["features"]
    assert feature["properties"]["operation_name"] == "Reef survey"
    assert feature["properties"]["radius_m"] == 400
    checked = runner.invoke(app, ["check", str(out), "--party", party_id])
    assert checked.exit_code == 0, checked.output
    kml = runner.invoke(app, ["operations", "export", "--format", "kml", "--party", party_id])
    assert kml.exit_code == 0, kml.output
    assert "<TimeSpan>" in kml.stdout
    assert "Reef survey" in kml.stdout


@pytest.mark.parametrize("where", ["name", "attribute"])
def test_a_file_with_a_nul_character_is_refused_naming_the_field_and_nothing_is_stored(
    env: Settings, tmp_path: Path, where: str
) -> None:
    party_id, _ = _party(env)
    doc = json.loads((DATA / "ed269_catalogue.json").read_text())
    if where == "name":
        doc["features"][1]["name"] = "Harbour\u0000"
        loc = "features.1.name"
    else:
        doc["features"][0]["extendedProperties"] = {"note": ["ok", "x\u0000"]}
        loc = "features.0.extendedProperties.note.1"
    path = tmp_path / "nul.json"
    path.write_text(json.dumps(doc))
    result = runner.invoke(app, ["zones", "import", str(path), "--party", party_id])
    assert result.exit_code == 2, result.output
    assert loc in result.output
    assert "NUL character" in result.output
    assert _zones(env, party_id) == []
