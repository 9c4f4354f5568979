"""The migrations build exactly the schema models.tables describes, on PostgreSQL and on
SQLite: a column or index added to one but not the other fails here."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from models.storage import migrate
from models.storage.schema import metadata


def differences(engine: sa.Engine) -> list[object]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))


def test_postgresql_migrations_match_the_tables(engine: sa.Engine) -> None:
    assert differences(engine) == []


def test_sqlite_migrations_match_the_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ringback.sqlite'}"
    migrate.upgrade(url)
    engine = sa.create_engine(url)
    try:
        assert differences(engine) == []
    finally:
        engine.dispose()
