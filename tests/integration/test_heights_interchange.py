"""An authority's ED-269 file in AMSL and AGL (tests/data/interchange/ed269_heights.json)
imported on a deployment with the geoid and the Isle of Veloria's terrain model, on real
SQLite and PostgreSQL: stored above WGS 84 with the stated limits, exported as stated in
every format, and imported again without a change."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from deconflict.adapters import interchange
from deconflict.bootstrap import Container
from deconflict.config import Settings
from deconflict.domain.model import Caller, Role
from deconflict.domain.volumes import AltitudeReference, LengthUnit, StatedBand
from deconflict.services import interchange as exchange
from deconflict.services import registry

DATA = Path(__file__).resolve().parents[1] / "data" / "interchange"
DEM = Path(__file__).resolve().parents[2] / "data" / "terrain" / "veloria.tif"
SAMPLE = (DATA / "ed269_heights.json").read_bytes()
ROOT = Caller("root", "root", frozenset({Role.OPERATOR}))
W84, AMSL, AGL = AltitudeReference.W84, AltitudeReference.AMSL, AltitudeReference.AGL


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        dispatch_in_process=False,
        deadline_interval_s=0,
        terrain_file=DEM,
        terrain_accuracy_m=5.0,
    )


def _admin(c: Container) -> Caller:
    party = registry.create_party(c.uow, c.ctx, ROOT, f"authority-{uuid.uuid4().hex[:8]}")
    return Caller("ops-lead", party.id, frozenset({Role.ADMIN}))


def _import(c: Container, who: Caller, data: bytes) -> exchange.ImportPlan:
    return exchange.import_zones(c.uow, c.ctx, who, interchange.read_zones(data))


def _limits(feature: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in feature["geometry"][0].items() if k != "horizontalProjection"}


def test_amsl_and_agl_zones_are_stored_above_wgs84_with_what_was_stated(
    container: Container,
) -> None:
    owner = _admin(container)
    plan = _import(container, owner, SAMPLE)
    assert plan.counts()[exchange.Change.CREATED] == 3
    zones = {z.source_id: z for z in exchange.export_zones(container.uow, owner).zones}
    summit, harbour, ridge = (
        zones["VLR-H01"].altitude,
        zones["VLR-H02"].altitude,
        zones["VLR-H03"].altitude,
    )
    assert summit.stated == StatedBand(0, AGL, 120, AGL)
    assert harbour.stated == StatedBand(0, AMSL, 1500, AMSL, LengthUnit.FT)
    assert ridge.stated == StatedBand(50, AGL, 900, AMSL)
    assert {summit.reference, harbour.reference, ridge.reference} == {W84}
    # the geoid lies about 9 m below the ellipsoid around the island; the summit's ground
    # rises to 616 m, the harbour's is the sea
    assert 120 + 600 < summit.upper_m < 120 + 616 + 5
    assert -9.5 - 1.2 - 1.0 < harbour.lower_m < -8.0
    assert 1500 * 0.3048 - 9.5 < harbour.upper_m < 1500 * 0.3048


@pytest.mark.parametrize("fmt", interchange.ZONE_FORMATS)
def test_an_export_gives_back_the_stated_limits_and_imports_again_unchanged(
    container: Container, fmt: str
) -> None:
    owner = _admin(container)
    _import(container, owner, SAMPLE)
    zones = exchange.export_zones(container.uow, owner).zones
    exported = interchange.write_zones(fmt, zones, "round trip")
    if fmt == "ed269":
        original = {f["identifier"]: _limits(f) for f in json.loads(SAMPLE)["features"]}
        again = {f["identifier"]: _limits(f) for f in json.loads(exported)["features"]}
        assert again == original
    plan = _import(container, owner, exported.encode())
    changes = {e.source_id: (e.change, e.detail) for e in plan.entries}
    unchanged = (exchange.Change.UNCHANGED, "")
    if fmt == "ed269":
        assert set(changes.values()) == {unchanged}
    else:
        # GeoJSON and KML hold metres: the harbour's feet come back as the same heights
        # in metres, which the import records as an update of its stated band
        assert changes == {
            "VLR-H01": unchanged,
            "VLR-H02": (exchange.Change.UPDATED, "altitude"),
            "VLR-H03": unchanged,
        }
    stored = {z.source_id: z.altitude for z in exchange.export_zones(container.uow, owner).zones}
    assert {k: (b.lower_m, b.upper_m) for k, b in stored.items()} == {
        z.source_id: (z.altitude.lower_m, z.altitude.upper_m) for z in zones
    }
