"""Do-not-call entries: the only writer of dnc_entries. Numbers arrive normalised (E.164,
models.rules.dnc); a client id of dnc.INSTALLATION is the installation-wide list."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from models.rules import dnc
from models.rules.dnc import ListScope
from models.shapes.intake_rows import DncEntryRow
from models.storage.intake_tables import dnc_entries
from models.storage.repository import common

# Rows a statement writes at once: a million-entry import goes in batches of this.
WRITE_BATCH_ROWS = 5000


def add_entries(conn: sa.Connection, client_id: int, numbers: Sequence[str],
                expires_at: datetime | None, now: datetime) -> int:
    """List each number (adding it again sets its new expiry); returns how many."""
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(dnc_entries)
    stmt = stmt.on_conflict_do_update(
        index_elements=[dnc_entries.c.client_id, dnc_entries.c.number],
        set_={"expires_at": stmt.excluded.expires_at})
    unique = list(dict.fromkeys(numbers))
    for start in range(0, len(unique), WRITE_BATCH_ROWS):
        conn.execute(stmt, [{"client_id": client_id, "number": number,
                             "expires_at": expires_at, "created_at": now}
                            for number in unique[start:start + WRITE_BATCH_ROWS]])
    return len(unique)


def remove_entry(conn: sa.Connection, client_id: int, number: str) -> bool:
    """False when the number was not on the list."""
    stmt = dnc_entries.delete().where(dnc_entries.c.client_id == client_id,
                                      dnc_entries.c.number == number)
    return bool(conn.execute(stmt).rowcount)


def find_entry(conn: sa.Connection, client_id: int, number: str) -> DncEntryRow | None:
    stmt = sa.select(dnc_entries).where(dnc_entries.c.client_id == client_id,
                                        dnc_entries.c.number == number)
    return common.optional(DncEntryRow, conn.execute(stmt).first())


def list_entries(conn: sa.Connection, client_id: int, after_number: str,
                 limit: int) -> list[DncEntryRow]:
    """A page of the list in number order, after ``after_number`` (the cursor)."""
    stmt = (sa.select(dnc_entries)
            .where(dnc_entries.c.client_id == client_id, dnc_entries.c.number > after_number)
            .order_by(dnc_entries.c.number).limit(limit))
    return common.from_rows(DncEntryRow, conn.execute(stmt))


def listed_numbers(conn: sa.Connection, client_ids: Iterable[int], keys: Iterable[str],
                   now: datetime) -> dict[int, dict[str, ListScope]]:
    """Of ``keys`` (E.164), those each client may not call at ``now``, by client and by
    whose list holds them (the client's before the installation's): one statement, on the
    table's key, for a whole dispatch batch."""
    clients, numbers = sorted(set(client_ids)), sorted(set(keys))
    found: dict[int, dict[str, ListScope]] = defaultdict(dict)
    if not clients or not numbers:
        return found
    stmt = sa.select(dnc_entries.c.client_id, dnc_entries.c.number).where(
        dnc_entries.c.client_id.in_([dnc.INSTALLATION, *clients]),
        _one_of(conn, dnc_entries.c.number, numbers),
        sa.or_(dnc_entries.c.expires_at.is_(None), dnc_entries.c.expires_at > now))
    installation: list[str] = []
    for owner, number in conn.execute(stmt):
        if owner == dnc.INSTALLATION:
            installation.append(number)
        else:
            found[owner][number] = ListScope.CLIENT
    for client_id in clients:
        for number in installation:
            found[client_id].setdefault(number, ListScope.INSTALLATION)
    return found


def not_listed(client_id: sa.ColumnElement[int], number: sa.ColumnElement[str],
               now: datetime) -> sa.ColumnElement[bool]:
    """No list in force at ``now`` holds ``number`` for ``client_id`` (columns of the
    statement it stands in): the client's own list, nor the installation's."""
    return ~sa.exists().where(
        dnc_entries.c.client_id.in_([sa.literal(dnc.INSTALLATION), client_id]),
        dnc_entries.c.number == number,
        sa.or_(dnc_entries.c.expires_at.is_(None), dnc_entries.c.expires_at > now))


def _one_of(conn: sa.Connection, column: sa.Column[str],
            values: list[str]) -> sa.ColumnElement[bool]:
    """``column IN values``; on PostgreSQL as ``= ANY(array)``: one parameter, not one per
    value (a dispatch batch looks up thousands)."""
    if conn.dialect.name == "postgresql":
        return column == sa.any_(sa.cast(sa.bindparam("numbers", values, expanding=False,
                                                      type_=postgresql.ARRAY(sa.String)),
                                         postgresql.ARRAY(sa.String)))
    return column.in_(values)


def count_entries(conn: sa.Connection, client_id: int) -> int:
    stmt = sa.select(sa.func.count()).select_from(dnc_entries).where(
        dnc_entries.c.client_id == client_id)
    return int(conn.execute(stmt).scalar_one())
