"""The event outbox: writing events, leasing them for delivery, streaming them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa

from models.rules import webhooks
from models.rules.webhooks import DeliveryStatus
from models.shapes.rows import EventRow, LeasedEvent, StreamedEvent
from models.storage.repository import bulk, common
from models.storage.tables import events

PENDING = DeliveryStatus.PENDING.value


class DeliveryResult(NamedTuple):
    """What one delivery attempt of an event led to."""

    seq: int
    attempt_no: int  # the event's delivery_attempts when it was leased
    outcome: webhooks.Next  # what follows: delivered, or when to try again, or never
    error: str | None


def insert_events(conn: sa.Connection, new_events: Sequence[dict[str, Any]]) -> None:
    if new_events:
        conn.execute(events.insert(), list(new_events))


def claim_deliveries(
    conn: sa.Connection, now: datetime, lease_until: datetime, limit: int
) -> list[LeasedEvent]:
    """Lease due events, the oldest pending one of each task only, so a task's events
    arrive in order; a lease that runs out (a killed worker) makes the event due again."""
    earlier = events.alias("earlier")
    due = (
        sa.select(events.c.seq)
        .where(events.c.delivery_status == PENDING, events.c.next_delivery_at <= now,
               ~sa.exists().where(earlier.c.task_id == events.c.task_id,
                                  earlier.c.seq < events.c.seq,
                                  earlier.c.delivery_status == PENDING))
        .order_by(events.c.next_delivery_at).limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        events.update()
        .where(events.c.seq.in_(due.scalar_subquery()), events.c.delivery_status == PENDING)
        .values(next_delivery_at=lease_until, delivery_attempts=events.c.delivery_attempts + 1)
        .returning(events.c.seq, events.c.id, events.c.client_id, events.c.target_url,
                   events.c.payload, events.c.delivery_attempts)
    )
    return common.from_rows(LeasedEvent, conn.execute(stmt))


def record_deliveries(
    conn: sa.Connection, results: Sequence[DeliveryResult], now: datetime,
) -> int:
    """Store what each delivery attempt led to. A result is skipped when a later attempt
    owns the event (its lease ran out meanwhile)."""
    changes = [{"seq": seq, "delivery_attempts": attempt_no, **_after(outcome, error, now)}
               for seq, attempt_no, outcome, error in results]
    changed = bulk.update_each(conn, events, changes, events.c.delivery_status == PENDING,
                               [events.c.seq], key="seq", match=["delivery_attempts"])
    return len(changed)


def _after(outcome: webhooks.Next, error: str | None, now: datetime) -> dict[str, Any]:
    """The same columns for every verdict, so one statement records any mix of them."""
    delivered = outcome.verdict is webhooks.Verdict.DELIVERED
    status = {
        webhooks.Verdict.RETRY: DeliveryStatus.PENDING,
        webhooks.Verdict.DELIVERED: DeliveryStatus.DELIVERED,
        webhooks.Verdict.GONE: DeliveryStatus.GONE,
        webhooks.Verdict.GIVE_UP: DeliveryStatus.FAILED,
    }[outcome.verdict]
    return {"delivery_status": status.value, "last_delivery_error": error,
            "next_delivery_at": outcome.retry_at, "delivered_at": now if delivered else None}


# The snapshot's xmin is the whole cluster's: a long transaction anywhere (a bulk load,
# a stuck session) would hold the stream back for as long as it runs. Events are written
# by transactions of milliseconds, so one older than this is sent whatever xmin says.
STREAM_MAX_HOLD_S = 10.0


def stream_after(
    conn: sa.Connection, client_id: int, after_seq: int, limit: int, now: datetime
) -> list[StreamedEvent]:
    """The client's events after ``after_seq`` that no open transaction can precede, in
    ``seq`` order: a reader that resumes after the last one it got skips none."""
    stmt = (
        sa.select(events.c.seq, events.c.type, events.c.payload)
        .where(events.c.client_id == client_id, events.c.seq > after_seq)
        .order_by(events.c.seq).limit(limit)
    )
    if conn.dialect.name == "postgresql":
        settled = events.c.xact_id < sa.text(
            "pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        old = events.c.created_at < now - timedelta(seconds=STREAM_MAX_HOLD_S)
        # Stop at the first event that is neither: later ones must wait behind it.
        first_unsettled = (
            sa.select(sa.func.min(events.c.seq))
            .where(events.c.client_id == client_id, events.c.seq > after_seq,
                   ~sa.or_(settled, old)).scalar_subquery()
        )
        stmt = stmt.where(sa.or_(first_unsettled.is_(None), events.c.seq < first_unsettled))
    return common.from_rows(StreamedEvent, conn.execute(stmt))


def task_events(conn: sa.Connection, client_id: int, task_id: int) -> list[EventRow]:
    stmt = (
        sa.select(events).where(events.c.client_id == client_id, events.c.task_id == task_id)
        .order_by(events.c.seq)
    )
    return common.from_rows(EventRow, conn.execute(stmt))
