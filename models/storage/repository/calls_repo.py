"""Calls: the hand-off between a try and its dialer, and the outcomes read back from it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from models.rules import call_state
from models.rules.call_state import CallStatus, CallTrigger
from models.rules.outcome import CallOutcome
from models.storage.repository import bulk
from models.storage.repository.common import Row
from models.storage.tables import attempts, call_legs, calls, tasks


@dataclass(frozen=True)
class NewCall:
    attempt_id: int
    task_id: int
    client_id: int
    uuid: str
    request: dict[str, Any]


@dataclass(frozen=True)
class Fate:
    """What the simulated network decided when it placed a call."""

    attempt_id: int
    outcome: CallOutcome
    ends_at: datetime


def queue_calls(
    conn: sa.Connection, new_calls: Sequence[NewCall], dialer: str, now: datetime
) -> None:
    """In the try's own transaction; UNIQUE (attempt_id) makes a second one impossible."""
    if new_calls:
        conn.execute(calls.insert(), [
            {"attempt_id": c.attempt_id, "task_id": c.task_id, "client_id": c.client_id,
             "uuid": c.uuid, "dialer": dialer, "status": CallStatus.QUEUED.value,
             "request": c.request, "queued_at": now} for c in new_calls])


def place_with_fate(conn: sa.Connection, fates: Sequence[Fate], now: datetime) -> set[int]:
    """queued → placed, with the outcome and when it will be known; returns the attempts
    whose call was still queued (an abandoned one is not placed)."""
    rows = [{"attempt_id": f.attempt_id, "status": call_state.target(CallTrigger.PLACE).value,
             "placed_at": now, "ended_at": f.ends_at, "outcome": f.outcome.to_json()}
            for f in fates]
    guard = calls.c.status.in_(call_state.allowed_from(CallTrigger.PLACE))
    placed = bulk.update_each(conn, calls, rows, guard, [calls.c.attempt_id], key="attempt_id")
    return {int(row.attempt_id) for row in placed}


def take_ended(
    conn: sa.Connection, now: datetime, limit: int, attempt_ids: Sequence[int] | None = None
) -> list[tuple[int, CallOutcome | None]]:
    """Calls whose outcome is known by ``now`` and not yet collected, locked (SKIP LOCKED:
    two collectors never take the same call); ``attempt_ids`` narrows them to a batch. A
    call its controller could only give up on (ended, no outcome) comes back as None."""
    stmt = (
        sa.select(calls.c.attempt_id, calls.c.outcome)
        .where(calls.c.ended_at <= now, calls.c.collected_at.is_(None))
        .order_by(calls.c.ended_at).limit(limit).with_for_update(skip_locked=True)
    )
    if attempt_ids is not None:
        stmt = stmt.where(calls.c.attempt_id.in_(attempt_ids))
    return [(int(a), None if o is None else CallOutcome.from_json(o))
            for a, o in conn.execute(stmt).all()]


def mark_collected(conn: sa.Connection, attempt_ids: Sequence[int], now: datetime) -> None:
    """The try was ended from the call; a simulated call that was only `placed` (its end
    known in advance) is `ended` now too."""
    if attempt_ids:
        conn.execute(calls.update().where(calls.c.attempt_id.in_(attempt_ids))
                     .values(collected_at=now))
        conn.execute(calls.update().where(calls.c.attempt_id.in_(attempt_ids),
                                          calls.c.status == CallStatus.PLACED.value)
                     .values(status=CallStatus.ENDED.value))


def abandon_queued(conn: sa.Connection, queued_before: datetime, limit: int) -> list[int]:
    """queued → abandoned for calls no dialer took by ``queued_before``; their attempts."""
    stale = (
        sa.select(calls.c.id)
        .where(calls.c.status == CallStatus.QUEUED.value, calls.c.queued_at < queued_before)
        .limit(limit).with_for_update(skip_locked=True)
    )
    return _apply(conn, CallTrigger.ABANDON, calls.c.id.in_(stale.scalar_subquery()))


def lose(conn: sa.Connection, attempt_ids: Sequence[int]) -> list[int]:
    """A call whose outcome never came: any later report of it is refused by the guard."""
    if not attempt_ids:
        return []
    return _apply(conn, CallTrigger.LOSE, calls.c.attempt_id.in_(attempt_ids))


def _apply(conn: sa.Connection, trigger: CallTrigger, which: sa.ColumnElement[bool]) -> list[int]:
    stmt = (
        calls.update()
        .where(which, calls.c.status.in_(call_state.allowed_from(trigger)))
        .values(status=call_state.target(trigger).value)
        .returning(calls.c.attempt_id)
    )
    return [int(a) for a in conn.execute(stmt).scalars()]


def find(conn: sa.Connection, client_id: int, call_uuid: str) -> Row | None:
    stmt = sa.select(calls).where(calls.c.uuid == call_uuid, calls.c.client_id == client_id)
    return conn.execute(stmt).first()


def find_record(
    conn: sa.Connection, client_id: int, call_uuid: str
) -> tuple[Row, list[Row]] | None:
    """A client's call with its try's attempt_no and task's scheduler_id, and its legs in
    the order they were sent; None for another client's call or an unknown one."""
    stmt = (
        sa.select(calls, attempts.c.attempt_no, tasks.c.scheduler_id)
        .join(attempts, attempts.c.id == calls.c.attempt_id)
        .join(tasks, tasks.c.id == calls.c.task_id)
        .where(calls.c.uuid == call_uuid, calls.c.client_id == client_id)
    )
    call = conn.execute(stmt).first()
    if call is None:
        return None
    legs = sa.select(call_legs).where(call_legs.c.call_id == call.id) \
        .order_by(call_legs.c.invite_at, call_legs.c.id)
    return call, list(conn.execute(legs).all())
