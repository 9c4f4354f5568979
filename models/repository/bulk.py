"""Guarded UPDATEs of many rows, each row with values of its own, in one statement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from models.repository.common import Row


def update_each(
    conn: sa.Connection,
    table: sa.Table,
    rows: Sequence[Mapping[str, Any]],
    guard: sa.ColumnElement[bool],
    returning: Sequence[sa.ColumnElement[Any]],
    *,
    key: str = "id",
    match: Sequence[str] = (),
) -> list[Row]:
    """Set each row's values (found by ``key``) where ``guard`` still holds and the
    ``match`` columns still hold the row's values; returns the rows changed. Rows the guard
    refuses are left alone and not returned: zero is an answer."""
    if not rows:
        return []
    keys = [key, *match]
    columns = [name for name in rows[0] if name not in keys]
    if conn.dialect.name != "postgresql":
        # SQLite names no columns of a VALUES list: one guarded UPDATE per row.
        changed = []
        for row in rows:
            stmt = (table.update().where(guard, *(table.c[k] == row[k] for k in keys))
                    .values({name: row[name] for name in columns}).returning(*returning))
            found = conn.execute(stmt).first()
            if found is not None:
                changed.append(found)
        return changed
    given = _unnest(table, rows, [*keys, *columns])
    stmt = (
        table.update().where(guard, *(table.c[k] == given.c[k] for k in keys))
        .values({name: given.c[name] for name in columns}).returning(*returning)
    )
    return list(conn.execute(stmt).all())


def _unnest(
    table: sa.Table, rows: Sequence[Mapping[str, Any]], names: Sequence[str]
) -> sa.TableValuedAlias:
    """The rows as a derived table: one array parameter per column, so the SQL text is the
    same for any number of rows and psycopg prepares it once."""
    arrays = [
        sa.cast(sa.bindparam(f"each_{name}", [row[name] for row in rows]),
                postgresql.ARRAY(table.c[name].type))
        for name in names
    ]
    return sa.func.unnest(*arrays).table_valued(*names).render_derived(name="given")
