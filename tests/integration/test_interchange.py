"""Zone import and export on real SQLite and PostgreSQL: round trips through each format,
idempotent re-imports, dry runs, and failed imports that leave nothing changed."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError

from deconflict.adapters import interchange
from deconflict.adapters import tables as t
from deconflict.adapters.migrate import _config, upgrade
from deconflict.adapters.sql import make_engine
from deconflict.bootstrap import Container
from deconflict.domain.conflicts import Separation
from deconflict.domain.errors import Forbidden, InvalidInput
from deconflict.domain.model import AgreementKind, Caller, Role, Zone, ZoneKind
from deconflict.domain.volumes import AltitudeBand, Circle, LatLng, Volume4D
from deconflict.services import interchange as exchange
from deconflict.services import registry
from deconflict.services.ports import Page

DATA = Path(__file__).resolve().parents[1] / "data" / "interchange"
ROOT = Caller("root", "root", frozenset({Role.OPERATOR}))
CATALOGUE = ("ed269_catalogue.json", "zones.geojson", "zones.kml")


def _admin(c: Container, prefix: str = "importer") -> Caller:
    party = registry.create_party(c.uow, c.ctx, ROOT, f"{prefix}-{uuid.uuid4().hex[:8]}")
    return Caller("ops-lead", party.id, frozenset({Role.ADMIN}))


def _import(c: Container, who: Caller, data: bytes, **options: Any) -> exchange.ImportPlan:
    return exchange.import_zones(c.uow, c.ctx, who, interchange.read_zones(data), **options)


def _zones(c: Container, who: Caller) -> list[Zone]:
    return exchange.export_zones(c.uow, who).zones


def _content(zone: Zone) -> tuple[Any, ...]:
    """Everything a file holds about a zone: all but its id, owner and creation time."""
    return (
        zone.source_id,
        zone.kind,
        zone.name,
        zone.footprint,
        zone.altitude,
        zone.periods,
        dict(zone.attributes),
    )


def _stored(c: Container) -> tuple[int, int, int, datetime | None]:
    """Row counts of zones, zone index rows and audit events, and the last audit event's time."""
    with c.uow.engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(t.zones)).scalar_one(),
            conn.execute(select(func.count()).select_from(t.zone_volumes)).scalar_one(),
            conn.execute(select(func.count()).select_from(t.audit_events)).scalar_one(),
            conn.execute(select(func.max(t.audit_events.c.at))).scalar_one(),
        )


@pytest.mark.parametrize("sample", CATALOGUE)
@pytest.mark.parametrize("fmt", interchange.ZONE_FORMATS)
def test_import_export_import_gives_the_same_zones(
    container: Container, sample: str, fmt: str
) -> None:
    first, second = _admin(container, "first"), _admin(container, "second")
    _import(container, first, (DATA / sample).read_bytes())
    imported = _zones(container, first)
    exported = interchange.write_zones(fmt, imported, "round trip")
    plan = _import(container, second, exported.encode())
    again = _zones(container, second)
    assert plan.counts()[exchange.Change.CREATED] == len(imported) > 0
    assert sorted(map(_content, again), key=repr) == sorted(map(_content, imported), key=repr)


@pytest.mark.parametrize("fmt", interchange.ZONE_FORMATS)
def test_an_exported_file_imported_again_by_its_owner_changes_nothing(
    container: Container, fmt: str
) -> None:
    owner = _admin(container)
    _import(container, owner, (DATA / "ed269_catalogue.json").read_bytes())
    registry.create_zone(
        container.uow,
        container.ctx,
        owner,
        registry.ZoneCreate(
            ZoneKind.NOTIFY,
            "Made here",
            Circle(LatLng(-29.9, -139.9), 300),
            AltitudeBand(0, 90),
            (),
        ),
    )
    before = _zones(container, owner)
    exported = interchange.write_zones(fmt, before, "again")
    plan = _import(container, owner, exported.encode())
    assert {e.change for e in plan.entries} == {exchange.Change.UNCHANGED}
    assert _zones(container, owner) == before


def test_the_catalogue_is_mapped_as_documented(container: Container) -> None:
    owner = _admin(container)
    plan = _import(container, owner, (DATA / "ed269_catalogue.json").read_bytes())
    zones = {z.source_id: z for z in _zones(container, owner)}
    assert {sid: z.kind for sid, z in zones.items()} == {
        "VLR-P01": ZoneKind.RESTRICTED,
        "VLR-A02": ZoneKind.REVIEW,
        "VLR-C03#1": ZoneKind.NOTIFY,
        "VLR-C03#2": ZoneKind.NOTIFY,
        "VLR-S05": ZoneKind.REVIEW,
    }
    skipped = [e for e in plan.entries if e.change is exchange.Change.SKIPPED]
    assert [e.source_id for e in skipped] == ["VLR-N04"]
    assert "NO_RESTRICTION" in skipped[0].detail
    authority = zones["VLR-P01"].attributes["zoneAuthority"][0]
    assert authority["email"] == "zones@vcad.example"


def test_a_second_import_of_a_file_creates_no_duplicates(container: Container) -> None:
    owner = _admin(container)
    data = (DATA / "zones.geojson").read_bytes()
    _import(container, owner, data)
    before = _zones(container, owner)
    plan = _import(container, owner, data)
    assert plan.counts()[exchange.Change.UNCHANGED] == len(before) == 5
    assert plan.counts()[exchange.Change.CREATED] == 0
    assert _zones(container, owner) == before


def test_a_changed_file_updates_its_zones_in_place(container: Container) -> None:
    owner = _admin(container)
    data = (DATA / "zones.geojson").read_text()
    _import(container, owner, data.encode())
    before = {z.source_id: z for z in _zones(container, owner)}
    changed = data.replace('"altitude_upper_m": 250', '"altitude_upper_m": 275').replace(
        '"name": "Film set"', '"name": "Film set, second unit"'
    )
    plan = _import(container, owner, changed.encode())
    updated = {e.source_id: e.detail for e in plan.entries if e.change is exchange.Change.UPDATED}
    assert updated == {"VLR-G21#1": "altitude", "VLR-G21#2": "altitude", "VLR-G22": "name"}
    after = {z.source_id: z for z in _zones(container, owner)}
    assert after["VLR-G21#1"].id == before["VLR-G21#1"].id
    assert after["VLR-G21#1"].altitude.upper_m == 275
    assert after["VLR-G21#1"].created_at == before["VLR-G21#1"].created_at
    assert after["VLR-G22"].name == "Film set, second unit"


def test_an_update_moves_the_zone_in_the_cell_index(container: Container) -> None:
    owner = _admin(container)
    data = (DATA / "zones.geojson").read_text()
    _import(container, owner, data.encode())
    moved = data.replace("[-139.800, -29.920]", "[-139.300, -29.420]")  # the circle VLR-G22
    _import(container, owner, moved.encode())
    zone = next(z for z in _zones(container, owner) if z.source_id == "VLR-G22")
    far_away = Circle(LatLng(-29.92, -139.80), 10)
    moved_to = Circle(LatLng(-29.42, -139.30), 10)

    def near(footprint: Circle) -> list[str]:
        volume = Volume4D(footprint, AltitudeBand(0, 100))
        found = container.uow.run(
            lambda tx: tx.zones.candidates([volume], Separation(0, 0, 0), [owner.party_id]),
            write=False,
        )
        return [z.id for z in found]

    assert zone.id in near(moved_to)
    assert zone.id not in near(far_away)


def test_a_multi_part_feature_that_loses_a_part_loses_its_zone(container: Container) -> None:
    owner = _admin(container)
    data = (DATA / "zones.geojson").read_text()
    _import(container, owner, data.encode())
    one_part = data.replace('"type": "MultiPolygon"', '"type": "Polygon"').replace(
        """[[[-139.840, -29.960], [-139.830, -29.960], [-139.830, -29.950], [-139.840, -29.950], [-139.840, -29.960]]],
          [[[-139.820, -29.960], [-139.810, -29.960], [-139.815, -29.950], [-139.820, -29.960]]]""",
        """[[-139.840, -29.960], [-139.830, -29.960], [-139.830, -29.950], [-139.840, -29.950], [-139.840, -29.960]]""",
    )
    plan = _import(container, owner, one_part.encode())
    changes = {e.source_id: e.change for e in plan.entries}
    assert changes["VLR-G21"] is exchange.Change.CREATED
    assert changes["VLR-G21#1"] is exchange.Change.REMOVED
    assert changes["VLR-G21#2"] is exchange.Change.REMOVED
    assert "VLR-G21#1" not in {z.source_id for z in _zones(container, owner)}


def test_a_dry_run_shows_the_plan_and_stores_nothing(container: Container) -> None:
    owner = _admin(container)
    stored = _stored(container)
    plan = _import(container, owner, (DATA / "zones.kml").read_bytes(), dry_run=True)
    assert plan.dry_run
    assert not plan.applied
    assert plan.counts()[exchange.Change.CREATED] == 4
    assert _stored(container) == stored
    assert _zones(container, owner) == []


def test_an_import_records_an_audit_event_per_zone(container: Container) -> None:
    owner = _admin(container)
    _import(container, owner, (DATA / "zones.kml").read_bytes())
    with container.uow.engine.connect() as conn:
        actions = conn.execute(
            select(t.audit_events.c.action, t.audit_events.c.object_id)
            .where(t.audit_events.c.party_id == owner.party_id)
            .where(t.audit_events.c.action.in_(["zone.created", "zones.imported"]))
            .order_by(t.audit_events.c.at)
        ).all()
    zone_ids = {z.id for z in _zones(container, owner)}
    assert [a for a, _ in actions] == ["zone.created"] * 4 + ["zones.imported"]
    assert {o for a, o in actions if a == "zone.created"} == zone_ids


BROKEN = sorted(p.name for p in (DATA / "broken").iterdir())


@pytest.mark.parametrize("name", BROKEN)
def test_a_broken_file_changes_nothing_stored(container: Container, name: str) -> None:
    owner = _admin(container)
    _import(container, owner, (DATA / "zones.geojson").read_bytes())
    zones, stored = _zones(container, owner), _stored(container)
    with pytest.raises(InvalidInput) as failure:
        _import(container, owner, (DATA / "broken" / name).read_bytes())
    assert failure.value.problems
    assert _zones(container, owner) == zones
    assert _stored(container) == stored


def test_a_self_intersecting_polygon_is_named_with_its_feature(container: Container) -> None:
    owner = _admin(container)
    with pytest.raises(InvalidInput) as failure:
        _import(container, owner, (DATA / "broken" / "ed269_self_intersecting.json").read_bytes())
    [(loc, msg)] = failure.value.problems
    assert loc == ("features", 0)
    assert "'VLR-B07'" in msg
    assert "not simple" in msg


def test_unrepresentable_zones_fail_the_whole_import(container: Container) -> None:
    owner = _admin(container)
    stored = _stored(container)
    with pytest.raises(exchange.ImportRefused) as failure:
        _import(container, owner, (DATA / "ed269_unrepresentable.json").read_bytes())
    refused = {e.source_id for e in failure.value.plan.refused}
    # AGL without a terrain model, a daylight event, an endless schedule, a flight level;
    # VLR-M11 (feet above WGS84 to feet above mean sea level) converts
    assert refused == {"VLR-G10", "VLR-D12", "VLR-U13", "VLR-F15"}
    assert _stored(container) == stored


def test_skipping_refused_zones_imports_the_others(container: Container) -> None:
    owner = _admin(container)
    plan = _import(
        container, owner, (DATA / "ed269_unrepresentable.json").read_bytes(), skip_refused=True
    )
    assert plan.applied
    assert plan.counts()[exchange.Change.REFUSED] == 4
    assert sorted(z.source_id or "" for z in _zones(container, owner)) == ["VLR-K14", "VLR-M11"]


def test_a_failure_while_storing_rolls_the_whole_import_back(container: Container) -> None:
    owner = _admin(container)
    _import(container, owner, (DATA / "zones.geojson").read_bytes())
    zones, stored = _zones(container, owner), _stored(container)
    changed = (DATA / "zones.geojson").read_text().replace('"Prison"', '"Old prison"')
    calls = []

    def fail_after_writing(step: str, done: int, total: int) -> None:
        calls.append((step, done))
        if step == "storing" and done > 0:
            raise RuntimeError("the disk is full")

    with pytest.raises(RuntimeError, match="disk is full"):
        _import(
            container,
            owner,
            (DATA / "zones.kml").read_bytes(),
            progress=fail_after_writing,
        )
    with pytest.raises(RuntimeError, match="disk is full"):
        _import(container, owner, changed.encode(), progress=fail_after_writing)
    assert ("storing", 4) in calls  # the kml zones had been written when it failed
    assert _zones(container, owner) == zones
    assert _stored(container) == stored


def test_two_features_with_one_identifier_are_refused(container: Container) -> None:
    owner = _admin(container)
    data = (DATA / "zones.geojson").read_text().replace('"id": "VLR-G22"', '"id": "VLR-G20"')
    with pytest.raises(InvalidInput, match="'VLR-G20' is used twice"):
        _import(container, owner, data.encode())


def test_importing_needs_the_admin_role(container: Container) -> None:
    owner = _admin(container)
    submitter = replace(owner, roles=frozenset({Role.SUBMITTER}))
    with pytest.raises(Forbidden):
        _import(container, submitter, (DATA / "zones.kml").read_bytes())


def test_an_export_holds_only_the_callers_own_zones(container: Container) -> None:
    owner, partner = _admin(container, "owner"), _admin(container, "partner")
    agreement = registry.propose_agreement(
        container.uow,
        container.ctx,
        owner,
        registry.AgreementCreate(AgreementKind.COORDINATION, partner.party_id, None),
    )
    registry.accept_agreement(container.uow, container.ctx, partner, agreement.id)
    _import(container, partner, (DATA / "zones.geojson").read_bytes())
    _import(container, owner, (DATA / "zones.kml").read_bytes())
    listed = registry.list_zones(container.uow, owner, Page(limit=1000))
    exported = _zones(container, owner)
    assert {z.party_id for z in listed} >= {owner.party_id, partner.party_id}
    assert {z.party_id for z in exported} == {owner.party_id}
    assert len(exported) == 4


def test_migration_0005_goes_down_and_up_again(own_database_url: str) -> None:
    engine = make_engine(own_database_url)
    try:
        upgrade(engine)
        config = _config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0004")
        assert "source_id" not in {c["name"] for c in inspect(engine).get_columns("zones")}
        upgrade(engine)
        columns = {c["name"] for c in inspect(engine).get_columns("zones")}
        assert {"source_id", "attributes"} <= columns
        unique = inspect(engine).get_unique_constraints("zones")
        assert ["party_id", "source_id"] in [u["column_names"] for u in unique]
    finally:
        engine.dispose()


def test_one_party_cannot_hold_two_zones_with_one_identifier(container: Container) -> None:
    owner = _admin(container)
    _import(container, owner, (DATA / "zones.kml").read_bytes())
    [zone, *_] = _zones(container, owner)
    twin = replace(zone, id=str(uuid.uuid4()))
    with pytest.raises(IntegrityError):
        container.uow.run(lambda tx: tx.zones.add(twin))
    other = _admin(container, "other")
    container.uow.run(lambda tx: tx.zones.add(replace(twin, party_id=other.party_id)))
    assert [z.source_id for z in _zones(container, other)] == [zone.source_id]
