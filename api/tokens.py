"""Creating API tokens (the `ringback token create` command and tests)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from api import enqueue
from models import access
from models.access import Scope
from models.repository import access_repo


def create_token(
    engine: sa.Engine, client_id: int, scopes: frozenset[Scope], now: datetime
) -> str:
    """Create the client if needed and a new token for it; the token is returned only here."""
    enqueue.check_client_id(client_id)
    token = access.new_token()
    with engine.begin() as conn:
        access_repo.ensure_client(conn, client_id, now)
        access_repo.insert_token(
            conn, client_id, access.hash_token(token), access.format_scopes(scopes), now
        )
    return token
