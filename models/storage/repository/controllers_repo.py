"""The SIP controllers: who is alive (each says so; one silent too long is taken over), and
waking them when calls are queued. What they keep of their calls is calls_repo's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import psycopg
import sqlalchemy as sa

from models.storage.call_tables import sip_controllers
from models.storage.repository.common import insert_ignoring_conflicts

NOTIFY_CHANNEL = "ringback_calls"


def notify_queued(conn: sa.Connection) -> None:
    """Wake the controllers (delivered when the caller's transaction commits)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_notify(NOTIFY_CHANNEL, "")))


async def notifications(url: str) -> AsyncIterator[None]:
    """Yields once per NOTIFY on the channel; ends when the connection is lost."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        async for _ in conn.notifies():
            yield None


def heartbeat(conn: sa.Connection, controller: str, listen: str, now: datetime) -> None:
    updated = conn.execute(sip_controllers.update().where(sip_controllers.c.id == controller)
                           .values(seen_at=now, listen=listen)).rowcount
    if not updated:
        conn.execute(insert_ignoring_conflicts(conn, sip_controllers).values(
            id=controller, listen=listen, started_at=now, seen_at=now))


def silent_controllers(conn: sa.Connection, seen_before: datetime) -> list[str]:
    stmt = sa.select(sip_controllers.c.id).where(sip_controllers.c.seen_at < seen_before)
    return [str(i) for i in conn.execute(stmt).scalars()]
