"""Idempotency-Keys of requests that add tasks: the only writer of idempotency_keys. A key
is claimed in the add's own transaction, so the job and the answer it gives commit together
or not at all; the table's key is what makes a second request with it wait and then read
the first one's answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from models.shapes.intake_rows import IdempotencyRow
from models.storage.intake_tables import idempotency_keys
from models.storage.repository import common


def claim(conn: sa.Connection, client_id: int, key: str, request_hash: str, now: datetime,
          expired_before: datetime) -> IdempotencyRow | None:
    """None: this request owns the key (new, or its last use has expired); else the row of
    the request that used it first, committed. On PostgreSQL a request still running with
    the key holds the insert here until it commits (then its row is returned) or rolls back
    (then this one owns the key)."""
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(idempotency_keys).values(
        client_id=client_id, key=key, request_hash=request_hash, created_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[idempotency_keys.c.client_id, idempotency_keys.c.key],
        set_={"request_hash": stmt.excluded.request_hash,
              "created_at": stmt.excluded.created_at, "status_code": None, "response": None},
        where=idempotency_keys.c.created_at < expired_before,
    ).returning(idempotency_keys.c.key)
    if conn.execute(stmt).first() is not None:
        return None
    found = conn.execute(sa.select(idempotency_keys).where(
        idempotency_keys.c.client_id == client_id, idempotency_keys.c.key == key)).one()
    return common.from_row(IdempotencyRow, found)


def record_answer(conn: sa.Connection, client_id: int, key: str, status_code: int,
                  response: str) -> None:
    """The answer the owner of the key gives, kept to give again."""
    conn.execute(idempotency_keys.update().where(
        idempotency_keys.c.client_id == client_id, idempotency_keys.c.key == key,
    ).values(status_code=status_code, response=response))


def purge_expired(conn: sa.Connection, expired_before: datetime, limit: int) -> int:
    """Forget keys last used before ``expired_before``, at most ``limit``."""
    old = (sa.select(idempotency_keys.c.client_id, idempotency_keys.c.key)
           .where(idempotency_keys.c.created_at < expired_before).limit(limit))
    stmt = idempotency_keys.delete().where(
        sa.tuple_(idempotency_keys.c.client_id, idempotency_keys.c.key).in_(old))
    return int(conn.execute(stmt).rowcount)
