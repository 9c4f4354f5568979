"""What the repository modules share."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignoring_conflicts(conn: sa.Connection, table: sa.Table) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def seconds_between(conn: sa.Connection, later: sa.ColumnElement[Any],
                    earlier: sa.ColumnElement[Any]) -> sa.ColumnElement[float]:
    """``later - earlier`` in seconds, on PostgreSQL and on SQLite."""
    if conn.dialect.name == "postgresql":
        return sa.cast(sa.func.extract("epoch", later - earlier), sa.Float)
    return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400.0
