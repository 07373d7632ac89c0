"""Migration 0008 (the F3548 DSS tables) matches the schema, goes down and up again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from deconflict.adapters.migrate import _config, upgrade
from deconflict.adapters.sql import make_engine
from deconflict.adapters.tables import metadata

TABLES = {
    "f3548_subjects",
    "f3548_intents",
    "f3548_constraints",
    "f3548_constraint_zones",
    "f3548_subscriptions",
    "f3548_subscription_cells",
    "f3548_availability",
    "f3548_reports",
}


def test_migration_0008_creates_the_dss_tables_as_declared_and_goes_down_and_up_again(
    own_database_url: str,
) -> None:
    engine = make_engine(own_database_url)
    try:
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) >= TABLES
        with engine.connect() as connection:
            diffs = compare_metadata(MigrationContext.configure(connection), metadata)
        assert [d for d in diffs if "f3548" in repr(d)] == []
        config = _config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0005")
        assert not TABLES & set(inspect(engine).get_table_names())
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()
