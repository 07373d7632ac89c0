"""Migration 0009 on data written before it: counting operations and zones are found
through the new spatial index (withdrawn ones are not); it goes down to the H3 cell
tables, rebuilt, and up again; 0010's audit trigger goes and comes with it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import MetaData, func, insert, inspect, select

from deconflict.adapters import codec
from deconflict.adapters.migrate import _config, upgrade
from deconflict.adapters.sql import make_engine
from deconflict.bootstrap import bootstrap
from deconflict.config import Settings
from deconflict.domain.assessment import Assessment
from deconflict.domain.conflicts import Separation
from deconflict.domain.volumes import AltitudeBand, Circle, LatLng, TimeWindow, Volume4D

T = datetime(2030, 1, 1, 8)  # naive: as the columns hold UTC on both backends
WINDOW = TimeWindow(T.replace(tzinfo=UTC), T.replace(hour=9, tzinfo=UTC))
PLACE = LatLng(-10.0, 20.0)


def _write_before_0009(url: str, ids: dict[str, str]) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine, "0008")
        meta = MetaData()
        meta.reflect(engine)
        t = meta.tables
        band = AltitudeBand(0, 100)
        with engine.begin() as c:
            for key in ("me", "them"):
                c.execute(
                    insert(t["parties"]).values(id=ids[key], name=f"p-{ids[key]}", created_at=T)
                )
            c.execute(
                insert(t["zones"]).values(
                    id=ids["zone"],
                    party_id=ids["them"],
                    kind="restricted",
                    name="Old range",
                    footprint=codec.footprint_to_json(Circle(PLACE, 2_000)),
                    altitude=codec.band_to_json(band),
                    periods=[],
                    created_at=T,
                    disclosure="public",
                )
            )
            for key, state in (("op", "approved"), ("gone", "withdrawn")):
                volume = Volume4D(Circle(PLACE, 500), band, WINDOW)
                c.execute(
                    insert(t["operations"]).values(
                        id=ids[key],
                        party_id=ids["them"],
                        name="Old survey",
                        priority=0,
                        state=state,
                        current_version=1,
                        created_at=T,
                        updated_at=T,
                    )
                )
                c.execute(
                    insert(t["operation_versions"]).values(
                        operation_id=ids[key],
                        number=1,
                        state=state,
                        volumes=[codec.volume_to_json(volume)],
                        assessment=codec.assessment_to_json(Assessment((), (), ())),
                        submitted_at=T,
                        submitted_by="pilot",
                    )
                )
    finally:
        engine.dispose()


def test_operations_and_zones_stored_before_are_found_through_the_new_index(
    own_database_url: str, tmp_path: Path
) -> None:
    ids = {k: str(uuid.uuid4()) for k in ("me", "them", "zone", "op", "gone")}
    _write_before_0009(own_database_url, ids)
    container = bootstrap(Settings(data_dir=tmp_path, database_url=own_database_url))
    plan = [Volume4D(Circle(LatLng(-10.0, 20.004), 100), AltitudeBand(50, 60), WINDOW)]
    try:
        around = container.uow.run(
            lambda tx: tx.airspace.around(ids["me"], plan, Separation()), write=False
        )
    finally:
        container.close()
    assert [o.id for o in around.operations] == [ids["op"]]
    assert around.operations[0].volumes[0].footprint == Circle(PLACE, 500)
    assert [z.id for z in around.zones] == [ids["zone"]]


def test_migrations_0009_and_0010_go_down_to_the_cell_tables_and_up_again(
    own_database_url: str,
) -> None:
    ids = {k: str(uuid.uuid4()) for k in ("me", "them", "zone", "op", "gone")}
    _write_before_0009(own_database_url, ids)
    engine = make_engine(own_database_url)
    try:
        upgrade(engine)
        config = _config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0008")
        tables = set(inspect(engine).get_table_names())
        assert {"operation_cells", "zone_cells"} <= tables
        assert not {"operation_volumes", "zone_volumes", "area_claims"} & tables
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as c:
            cells = meta.tables["operation_cells"]
            indexed = c.execute(select(cells.c.operation_id).distinct()).scalars().all()
            zone_cells = c.execute(
                select(func.count()).select_from(meta.tables["zone_cells"])
            ).scalar_one()
        assert indexed == [ids["op"]]
        assert zone_cells > 0
        upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert {"operation_volumes", "zone_volumes", "area_claims"} <= tables
        assert "operation_cells" not in tables
    finally:
        engine.dispose()
