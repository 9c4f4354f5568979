"""Guarded UPDATEs of many rows, each row with values of its own, in one statement."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from models.storage.repository.common import Raw


def update_each(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    guard: sa.ColumnElement[bool],
    returning: Sequence[sa.ColumnElement[Any]],
    *,
    key: str = "id",
    match: Sequence[str] = (),
) -> list[Raw]:
    """Set each row's values (found by ``key``) where ``guard`` still holds and the
    ``match`` columns still hold the row's values; returns the rows changed. Rows the guard
    refuses are left alone and not returned: zero is an answer."""
    if not rows:
        return []
    keys = [key, *match]
    columns = [name for name in rows[0] if name not in keys]
    if conn.dialect.name != "postgresql":
        # SQLite names no columns of a VALUES list: one guarded UPDATE per row.
        changed: list[Raw] = []
        for row in rows:
            stmt = (table.update().where(guard, *(table.c[k] == row[k] for k in keys))
                    .values({name: row[name] for name in columns}).returning(*returning))
            found = conn.execute(stmt).first()
            if found is not None:
                changed.append(found)
        return changed
    given = _unnest(conn.dialect, table, rows, [*keys, *columns])
    stmt = (
        table.update().where(guard, *(table.c[k] == given.c[k] for k in keys))
        .values({name: _as_column(table, given, name) for name in columns})
        .returning(*returning)
    )
    return list(conn.execute(stmt).all())


def _as_column(table: sa.Table, given: sa.TableValuedAlias, name: str) -> Any:
    column_type = table.c[name].type
    return sa.cast(given.c[name], column_type) if isinstance(column_type, sa.JSON) else (
        given.c[name])


def _unnest(
    dialect: sa.Dialect, table: sa.Table, rows: Sequence[Mapping[str, Any]],
    names: Sequence[str],
) -> sa.TableValuedAlias:
    """The rows as a derived table: one array parameter per column, so the SQL text is the
    same for any number of rows and psycopg prepares it once. Each value goes through its
    column's own bind processing first (naive UTC times, JSON text), which an array of a
    type decorator would skip."""
    arrays = []
    for name in names:
        column_type = table.c[name].type
        values = [row[name] for row in rows]
        process = column_type.bind_processor(dialect)
        if isinstance(column_type, sa.JSON):
            values = [None if v is None else json.dumps(v) for v in values]
        elif process is not None:
            values = [process(v) for v in values]
        array_type = postgresql.ARRAY(
            sa.Text if isinstance(column_type, sa.JSON) else column_type)
        arrays.append(sa.cast(sa.bindparam(f"each_{name}", values, type_=sa.types.NullType()),
                              array_type))
    return sa.func.unnest(*arrays).table_valued(*names).render_derived(name="given")
