"""Clients, schedulers and API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from models.rules import webhooks
from models.storage.repository.common import Row, insert_ignoring_conflicts
from models.storage.tables import clients, schedulers, tokens


def ensure_client(conn: sa.Connection, client_id: int, now: datetime) -> None:
    conn.execute(insert_ignoring_conflicts(conn, clients), {
        "id": client_id, "created_at": now, "webhook_secret": webhooks.new_secret()})


def create_scheduler(
    conn: sa.Connection, client_id: int, fields: dict[str, Any], now: datetime
) -> Row:
    stmt = schedulers.insert().returning(*schedulers.c)
    return conn.execute(stmt, {**fields, "client_id": client_id, "created_at": now}).one()


def get_scheduler(conn: sa.Connection, client_id: int, scheduler_id: int) -> Row | None:
    stmt = sa.select(schedulers).where(
        schedulers.c.id == scheduler_id, schedulers.c.client_id == client_id
    )
    return conn.execute(stmt).first()


def lock_scheduler(conn: sa.Connection, scheduler_id: int) -> Row | None:
    """Lock the scheduler row for pacing; None when another dispatcher holds it.

    FOR NO KEY UPDATE: dispatchers exclude each other, but the key-share locks that rows
    referencing the scheduler take (a bulk add of tasks, a try's completion) do not make a
    dispatcher skip it."""
    stmt = (
        sa.select(schedulers)
        .where(schedulers.c.id == scheduler_id)
        .with_for_update(skip_locked=True, key_share=True)
    )
    return conn.execute(stmt).first()


def start_asr_hold(conn: sa.Connection, scheduler_id: int, until: datetime) -> None:
    """Hold until ``until``; tries claimed from then on are the next ASR measurement."""
    conn.execute(
        schedulers.update().where(schedulers.c.id == scheduler_id)
        .values(asr_hold_until=until, asr_measure_from=until)
    )


def update_scheduler(
    conn: sa.Connection, client_id: int, scheduler_id: int, changes: dict[str, Any]
) -> Row | None:
    stmt = (
        schedulers.update()
        .where(schedulers.c.id == scheduler_id, schedulers.c.client_id == client_id)
        .values(**changes)
        .returning(*schedulers.c)
    )
    return conn.execute(stmt).first()


def insert_token(
    conn: sa.Connection, client_id: int, token_hash: str, scopes: str, now: datetime,
    expires_at: datetime | None = None,
) -> int:
    stmt = tokens.insert().returning(tokens.c.id)
    return int(conn.execute(stmt, {
        "client_id": client_id, "token_hash": token_hash, "scopes": scopes, "created_at": now,
        "expires_at": expires_at,
    }).scalar_one())


def find_token(conn: sa.Connection, token_hash: str, now: datetime) -> Row | None:
    """The token if it is valid now: not revoked, not expired."""
    stmt = sa.select(tokens.c.id, tokens.c.client_id, tokens.c.scopes).where(
        tokens.c.token_hash == token_hash, tokens.c.revoked_at.is_(None),
        sa.or_(tokens.c.expires_at.is_(None), tokens.c.expires_at > now),
    )
    return conn.execute(stmt).first()


def revoke_token(conn: sa.Connection, now: datetime, *, token_hash: str | None = None,
                 token_id: int | None = None) -> bool:
    """Guarded: False when no such token is still unrevoked."""
    key = tokens.c.token_hash == token_hash if token_hash is not None else (
        tokens.c.id == token_id)
    stmt = tokens.update().where(key, tokens.c.revoked_at.is_(None)).values(revoked_at=now)
    return bool(conn.execute(stmt).rowcount)


def list_tokens(conn: sa.Connection, client_id: int) -> list[Row]:
    stmt = sa.select(tokens.c.id, tokens.c.scopes, tokens.c.created_at, tokens.c.expires_at,
                     tokens.c.revoked_at).where(tokens.c.client_id == client_id) \
        .order_by(tokens.c.id)
    return list(conn.execute(stmt).all())


def set_scheduler_paused(
    conn: sa.Connection, client_id: int, scheduler_id: int, paused_at: datetime | None
) -> Row | None:
    stmt = (
        schedulers.update()
        .where(schedulers.c.id == scheduler_id, schedulers.c.client_id == client_id)
        .values(paused_at=paused_at).returning(*schedulers.c)
    )
    return conn.execute(stmt).first()


def find_scheduler(conn: sa.Connection, scheduler_id: int) -> Row | None:
    return conn.execute(sa.select(schedulers).where(schedulers.c.id == scheduler_id)).first()
