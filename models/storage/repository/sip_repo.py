"""What the SIP controllers keep in PostgreSQL: the calls they take, a row per INVITE sent
(written before it leaves), dialogs, outcomes, and who is alive."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
import sqlalchemy as sa

from models.rules import call_state
from models.rules.call_state import CallStatus, CallTrigger
from models.storage.repository import bulk
from models.storage.repository.common import Row, insert_ignoring_conflicts
from models.storage.tables import call_legs, calls, sip_controllers

NOTIFY_CHANNEL = "ringback_calls"
SIP_DIALER = "sip"


@dataclass(frozen=True)
class ClaimedCall:
    id: int
    attempt_id: int
    uuid: str
    client_id: int
    request: dict[str, Any]


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


def claim_queued(conn: sa.Connection, controller: str, now: datetime,
                 limit: int) -> list[ClaimedCall]:
    """queued → placed for up to ``limit`` SIP calls, held by ``controller``. SKIP LOCKED:
    two controllers never take the same call."""
    due = (
        sa.select(calls.c.id)
        .where(calls.c.status == CallStatus.QUEUED.value, calls.c.dialer == SIP_DIALER)
        .order_by(calls.c.queued_at).limit(limit).with_for_update(skip_locked=True)
    )
    stmt = (
        calls.update()
        .where(calls.c.id.in_(due.scalar_subquery()),
               calls.c.status.in_(call_state.allowed_from(CallTrigger.PLACE)))
        .values(status=call_state.target(CallTrigger.PLACE).value, controller=controller,
                placed_at=now)
        .returning(calls.c.id, calls.c.attempt_id, calls.c.uuid, calls.c.client_id,
                   calls.c.request)
    )
    return [ClaimedCall(int(r.id), int(r.attempt_id), str(r.uuid), int(r.client_id),
                        dict(r.request)) for r in conn.execute(stmt).all()]


@dataclass(frozen=True)
class NewLeg:
    """An INVITE about to be sent, as its row holds it."""

    call_id: int
    leg: str
    position: int
    number: str
    sip_call_id: str
    invite: str
    invite_at: datetime


def held(conn: sa.Connection, controller: str, call_ids: Sequence[int]) -> set[int]:
    """Which of these calls ``controller`` still holds, placed; their rows stay locked until
    the transaction ends, so a take-over cannot move them meanwhile."""
    if not call_ids:
        return set()
    stmt = (calls.update()
            .where(calls.c.id.in_(set(call_ids)), calls.c.controller == controller,
                   calls.c.status == CallStatus.PLACED.value)
            .values(controller=calls.c.controller).returning(calls.c.id))
    return {int(i) for i in conn.execute(stmt).scalars()}


def insert_legs(conn: sa.Connection, controller: str,
                legs: Sequence[NewLeg]) -> dict[str, int]:
    """The INVITEs about to be sent, in one statement; returns the rows written by Call-ID.
    A Call-ID missing from the answer is not to be sent: it was written before (that number
    had its INVITE for this try, it gets no second one), or its call is no longer held by
    ``controller`` (taken over while this one was cut off: its new holder ends it)."""
    still_held = held(conn, controller, [leg.call_id for leg in legs])
    if not still_held:
        return {}
    stmt = insert_ignoring_conflicts(conn, call_legs).values([
        {"call_id": leg.call_id, "leg": leg.leg, "position": leg.position,
         "number": leg.number, "sip_call_id": leg.sip_call_id, "invite": leg.invite,
         "invite_at": leg.invite_at} for leg in legs if leg.call_id in still_held
    ]).returning(call_legs.c.id, call_legs.c.sip_call_id)
    return {str(sip_call_id): int(row_id) for row_id, sip_call_id in conn.execute(stmt).all()}


def rewrite_invite(conn: sa.Connection, leg_id: int, invite: str) -> None:
    """The same INVITE with credentials (a challenge answered): what a CANCEL must match."""
    conn.execute(call_legs.update().where(call_legs.c.id == leg_id).values(invite=invite))


def update_legs(conn: sa.Connection, controller: str, rows: Sequence[dict[str, Any]]) -> None:
    """What became of legs: each row has ``id`` and the same columns to set. Only legs of
    calls ``controller`` holds: a controller cut off while its calls were taken over does
    not overwrite what their new holder wrote."""
    by_columns: dict[frozenset[str], list[dict[str, Any]]] = {}
    for row in rows:
        by_columns.setdefault(frozenset(row), []).append(row)
    ours = call_legs.c.call_id.in_(sa.select(calls.c.id).where(calls.c.controller == controller)
                                   .scalar_subquery())
    for group in by_columns.values():
        bulk.update_each(conn, call_legs, group, ours, [call_legs.c.id])


def end_calls(conn: sa.Connection, controller: str,
              endings: Sequence[tuple[int, dict[str, Any] | None, datetime]]) -> list[int]:
    """placed → ended with the outcome, or → lost (None), at the given times, a statement
    per kind; guarded, so a call another controller or the reaper ended, or another
    controller took over, meanwhile is left alone. Returns the calls ended here."""
    ended: list[int] = []
    for trigger in (CallTrigger.END, CallTrigger.LOSE):
        rows = [{"id": call_id, "status": call_state.target(trigger).value, "ended_at": at,
                 "outcome": outcome} for call_id, outcome, at in endings
                if (outcome is not None) == (trigger is CallTrigger.END)]
        guard = sa.and_(calls.c.status.in_(call_state.allowed_from(trigger)),
                        calls.c.controller == controller)
        ended += [int(r.id) for r in bulk.update_each(conn, calls, rows, guard, [calls.c.id])]
    return ended


def heartbeat(conn: sa.Connection, controller: str, listen: str, now: datetime) -> None:
    updated = conn.execute(sip_controllers.update().where(sip_controllers.c.id == controller)
                           .values(seen_at=now, listen=listen)).rowcount
    if not updated:
        conn.execute(insert_ignoring_conflicts(conn, sip_controllers).values(
            id=controller, listen=listen, started_at=now, seen_at=now))


def silent_controllers(conn: sa.Connection, seen_before: datetime) -> list[str]:
    stmt = sa.select(sip_controllers.c.id).where(sip_controllers.c.seen_at < seen_before)
    return [str(i) for i in conn.execute(stmt).scalars()]


def take_over(conn: sa.Connection, holders: Sequence[str], controller: str,
              limit: int, after_id: int = 0) -> list[Row]:
    """Placed calls held by ``holders`` (a dead controller, or this one's previous life),
    now held by ``controller``, the first ``limit`` by id above ``after_id`` (a page: the
    calls taken from this controller itself are still held by it on the next page);
    guarded on the holder, so one controller takes each."""
    held = (
        sa.select(calls.c.id)
        .where(calls.c.status == CallStatus.PLACED.value, calls.c.controller.in_(holders),
               calls.c.id > after_id)
        .order_by(calls.c.id).limit(limit).with_for_update(skip_locked=True)
    )
    stmt = (calls.update()
            .where(calls.c.id.in_(held.scalar_subquery()),
                   calls.c.status == CallStatus.PLACED.value)
            .values(controller=controller)
            .returning(calls.c.id, calls.c.attempt_id, calls.c.uuid, calls.c.client_id,
                       calls.c.request))
    return list(conn.execute(stmt).all())


def legs_of(conn: sa.Connection, call_ids: Sequence[int]) -> list[Row]:
    if not call_ids:
        return []
    stmt = sa.select(call_legs).where(call_legs.c.call_id.in_(call_ids)).order_by(
        call_legs.c.id)
    return list(conn.execute(stmt).all())
