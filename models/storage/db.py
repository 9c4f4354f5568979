"""Engine construction. Called by a process once it has its settings, never at import."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

SQLITE_BUSY_TIMEOUT_S = 30


def create_engine(database_url: str, *, pool_size: int = 5) -> sa.Engine:
    if database_url.startswith("sqlite"):
        return _sqlite_engine(database_url)
    return sa.create_engine(
        database_url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True
    )


def _sqlite_engine(database_url: str) -> sa.Engine:
    engine = sa.create_engine(
        database_url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, say when transactions begin (see begin below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # Take the write lock up front: a deferred transaction that reads and then writes
        # fails at once with "database is locked" when another process wrote in between.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
