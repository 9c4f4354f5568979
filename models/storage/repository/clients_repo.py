"""Clients, their webhook signing secrets, and their API tokens."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa

from models.rules import webhooks
from models.shapes.rows import TokenRow
from models.storage.repository import common
from models.storage.repository.common import insert_ignoring_conflicts
from models.storage.tables import clients, tokens


def ensure_client(conn: sa.Connection, client_id: int, now: datetime) -> None:
    conn.execute(insert_ignoring_conflicts(conn, clients), {
        "id": client_id, "created_at": now, "webhook_secret": webhooks.new_secret()})


def signing_secrets(
    conn: sa.Connection, client_ids: Iterable[int], now: datetime
) -> dict[int, list[str]]:
    """Each client's secrets in use, the current one first; a missing one is made now."""
    ids = sorted(set(client_ids))
    for client_id in ids:
        conn.execute(clients.update().where(
            clients.c.id == client_id, clients.c.webhook_secret.is_(None)
        ).values(webhook_secret=webhooks.new_secret()))
    found = conn.execute(sa.select(
        clients.c.id, clients.c.webhook_secret, clients.c.previous_webhook_secret,
        clients.c.previous_secret_until).where(clients.c.id.in_(ids))).all()
    return {
        row.id: [row.webhook_secret] + (
            [row.previous_webhook_secret] if row.previous_webhook_secret
            and row.previous_secret_until and row.previous_secret_until > now else [])
        for row in found
    }


def rotate_secret(
    conn: sa.Connection, client_id: int, now: datetime, overlap_s: float
) -> str | None:
    """A new current secret; the old one still signs for ``overlap_s``. None: no client."""
    secret = webhooks.new_secret()
    stmt = clients.update().where(clients.c.id == client_id).values(
        previous_webhook_secret=clients.c.webhook_secret,
        previous_secret_until=now + timedelta(seconds=overlap_s),
        webhook_secret=secret,
    )
    return secret if conn.execute(stmt).rowcount else None


def insert_token(
    conn: sa.Connection, client_id: int, token_hash: str, scopes: str, now: datetime,
    expires_at: datetime | None = None,
) -> int:
    stmt = tokens.insert().returning(tokens.c.id)
    return int(conn.execute(stmt, {
        "client_id": client_id, "token_hash": token_hash, "scopes": scopes, "created_at": now,
        "expires_at": expires_at,
    }).scalar_one())


def find_token(conn: sa.Connection, token_hash: str, now: datetime) -> TokenRow | None:
    """The token if it is valid now: not revoked, not expired."""
    stmt = sa.select(tokens).where(
        tokens.c.token_hash == token_hash, tokens.c.revoked_at.is_(None),
        sa.or_(tokens.c.expires_at.is_(None), tokens.c.expires_at > now),
    )
    return common.optional(TokenRow, conn.execute(stmt).first())


def revoke_token(conn: sa.Connection, now: datetime, *, token_hash: str | None = None,
                 token_id: int | None = None) -> bool:
    """Guarded: False when no such token is still unrevoked."""
    key = tokens.c.token_hash == token_hash if token_hash is not None else (
        tokens.c.id == token_id)
    stmt = tokens.update().where(key, tokens.c.revoked_at.is_(None)).values(revoked_at=now)
    return bool(conn.execute(stmt).rowcount)


def list_tokens(conn: sa.Connection, client_id: int) -> list[TokenRow]:
    stmt = sa.select(tokens).where(tokens.c.client_id == client_id).order_by(tokens.c.id)
    return common.from_rows(TokenRow, conn.execute(stmt))
