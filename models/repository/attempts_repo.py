"""Attempts (tries): claims, dialing, outcomes, and what the reaper looks for."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from models import attempt_state
from models.attempt_state import AttemptStatus, AttemptTrigger
from models.outcome import CallOutcome
from models.repository.common import Row
from models.tables import attempts


def insert_attempts(
    conn: sa.Connection, scheduler_id: int, claimed: Sequence[Row], now: datetime
) -> list[int]:
    if not claimed:
        return []
    rows = [
        {"task_id": c.id, "scheduler_id": scheduler_id, "attempt_no": c.attempts_made,
         "status": AttemptStatus.CLAIMED.value, "due_at": c.next_attempt_at,
         "claimed_at": now, "sent_at": now}
        for c in claimed
    ]
    stmt = attempts.insert().returning(attempts.c.id, sort_by_parameter_order=True)
    return [int(i) for i in conn.execute(stmt, rows).scalars()]


def apply_attempt_trigger(
    conn: sa.Connection, attempt_id: int, trigger: AttemptTrigger, now: datetime, **fields: Any
) -> Row | None:
    stmt = (
        attempts.update()
        .where(attempts.c.id == attempt_id,
               attempts.c.status.in_(attempt_state.allowed_from(trigger)))
        .values(status=attempt_state.target(trigger).value, **fields)
        .returning(*attempts.c)
    )
    return conn.execute(stmt).first()


def begin_dialing(conn: sa.Connection, attempt_id: int, now: datetime) -> Row | None:
    """claimed → dialing; None when another delivery of the message got there first."""
    return apply_attempt_trigger(conn, attempt_id, AttemptTrigger.DIAL, now, dialing_at=now)


def end_attempt(
    conn: sa.Connection, attempt_id: int, outcome: CallOutcome | None, now: datetime
) -> Row | None:
    """dialing → completed (with the outcome) or lost (without); None if already ended."""
    if outcome is None:
        return apply_attempt_trigger(conn, attempt_id, AttemptTrigger.LOSE, now, ended_at=now)
    return apply_attempt_trigger(
        conn, attempt_id, AttemptTrigger.COMPLETE, now, ended_at=now,
        a_answered=outcome.a_answered, b_answered=outcome.b_answered,
        cause=outcome.cause.value if outcome.cause else None, cdr=outcome.cdr,
        talk_seconds=outcome.talk_seconds,
    )


def record_dialer_ref(
    conn: sa.Connection, attempt_id: int, ref: str, check_at: datetime
) -> bool:
    stmt = (
        attempts.update()
        .where(attempts.c.id == attempt_id, attempts.c.status == AttemptStatus.DIALING.value)
        .values(dialer_ref=ref, check_at=check_at)
    )
    return bool(conn.execute(stmt).rowcount)


def attempts_to_check(conn: sa.Connection, now: datetime, limit: int) -> list[Row]:
    """Dialing attempts whose dialer said to ask again by now."""
    stmt = (
        sa.select(attempts.c.id, attempts.c.dialer_ref)
        .where(attempts.c.status == AttemptStatus.DIALING.value,
               attempts.c.check_at <= now)
        .order_by(attempts.c.check_at).limit(limit)
    )
    return list(conn.execute(stmt).all())


def postpone_check(conn: sa.Connection, attempt_id: int, check_at: datetime) -> None:
    conn.execute(attempts.update().where(attempts.c.id == attempt_id).values(check_at=check_at))


def take_unanswered_claims(
    conn: sa.Connection, sent_before: datetime, now: datetime, limit: int
) -> list[int]:
    """Claimed attempts whose message had time to arrive and evidently did not; marked resent."""
    stmt = (
        sa.update(attempts)
        .where(attempts.c.id.in_(
            sa.select(attempts.c.id)
            .where(attempts.c.status == AttemptStatus.CLAIMED.value,
                   attempts.c.sent_at < sent_before)
            .limit(limit).with_for_update(skip_locked=True).scalar_subquery()))
        .where(attempts.c.status == AttemptStatus.CLAIMED.value)
        .values(sent_at=now)
        .returning(attempts.c.id)
    )
    return [int(i) for i in conn.execute(stmt).scalars()]


def dialing_since(conn: sa.Connection, dialing_before: datetime, limit: int) -> list[Row]:
    stmt = (
        sa.select(attempts.c.id, attempts.c.dialer_ref)
        .where(attempts.c.status == AttemptStatus.DIALING.value,
               attempts.c.dialing_at < dialing_before)
        .limit(limit)
    )
    return list(conn.execute(stmt).all())
