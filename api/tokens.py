"""API tokens for the `ringback token` commands and tests: create, revoke, list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from api import access, enqueue
from api.access import Scope
from models.rules import timefmt
from models.storage.repository import clients_repo


def create_token(
    engine: sa.Engine, client_id: int, scopes: frozenset[Scope], now: datetime,
    expires_at: datetime | None = None,
) -> str:
    """Create the client if needed and a new token for it; the token is returned only here."""
    return create_token_with_id(engine, client_id, scopes, now, expires_at)[1]


def create_token_with_id(
    engine: sa.Engine, client_id: int, scopes: frozenset[Scope], now: datetime,
    expires_at: datetime | None = None,
) -> tuple[int, str]:
    enqueue.check_client_id(client_id)
    token = access.new_token()
    with engine.begin() as conn:
        clients_repo.ensure_client(conn, client_id, now)
        token_id = clients_repo.insert_token(
            conn, client_id, access.hash_token(token), access.format_scopes(scopes), now,
            expires_at)
    return token_id, token


def revoke_token(engine: sa.Engine, now: datetime, *, token: str | None = None,
                 token_id: int | None = None) -> bool:
    """Revoke by the token itself or by its id; False when there was none to revoke."""
    with engine.begin() as conn:
        return clients_repo.revoke_token(
            conn, now, token_hash=access.hash_token(token) if token is not None else None,
            token_id=token_id)


def list_tokens(engine: sa.Engine, client_id: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = clients_repo.list_tokens(conn, client_id)
    return [{"id": r.id, "scopes": r.scopes, "created_at": timefmt.format(r.created_at),
             "expires_at": timefmt.format(r.expires_at),
             "revoked_at": timefmt.format(r.revoked_at)} for r in rows]
