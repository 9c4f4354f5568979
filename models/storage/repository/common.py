"""What the repository modules share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from models.shapes import rows

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def insert_ignoring_conflicts(conn: sa.Connection, table: sa.Table) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def advisory_lock(conn: sa.Connection, key: str) -> None:
    """Hold a PostgreSQL advisory lock named ``key`` until the transaction ends; SQLite has
    one writer at a time already."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtextextended(key, 0))))


def seconds_between(conn: sa.Connection, later: sa.ColumnElement[Any],
                    earlier: sa.ColumnElement[Any]) -> sa.ColumnElement[float]:
    """``later - earlier`` in seconds, on PostgreSQL and on SQLite."""
    if conn.dialect.name == "postgresql":
        return sa.cast(sa.func.extract("epoch", later - earlier), sa.Float)
    return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400.0


# What SQLAlchemy returns; only the repository sees it.
Raw: TypeAlias = "sa.Row[*tuple[Any, ...]]"
R = TypeVar("R", bound="DataclassInstance")


def from_row(kind: type[R], row: Raw) -> R:
    """``kind`` with each field taken by name from ``row``; KeyError when one is missing."""
    mapping = row._mapping
    return kind(**{name: mapping[name] for name in rows.field_names(kind)})


def optional(kind: type[R], row: Raw | None) -> R | None:
    """from_row, or None for no row."""
    return None if row is None else from_row(kind, row)


def from_rows(kind: type[R], found: Iterable[Raw]) -> list[R]:
    """from_row of each row ``found`` (a result or a sequence of rows)."""
    names = rows.field_names(kind)
    return [kind(**{name: row._mapping[name] for name in names}) for row in found]
