"""Schedulers: their settings, a scheduler-wide pause, and the row lock pacing holds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from models.shapes.rows import SchedulerRow
from models.storage.repository import common
from models.storage.tables import schedulers


def create_scheduler(
    conn: sa.Connection, client_id: int, fields: dict[str, Any], now: datetime
) -> SchedulerRow:
    stmt = schedulers.insert().returning(*schedulers.c)
    created = conn.execute(stmt, {**fields, "client_id": client_id, "created_at": now}).one()
    return common.from_row(SchedulerRow, created)


def get_scheduler(conn: sa.Connection, client_id: int, scheduler_id: int) -> SchedulerRow | None:
    stmt = sa.select(schedulers).where(
        schedulers.c.id == scheduler_id, schedulers.c.client_id == client_id
    )
    return common.optional(SchedulerRow, conn.execute(stmt).first())


def find_scheduler(conn: sa.Connection, scheduler_id: int) -> SchedulerRow | None:
    stmt = sa.select(schedulers).where(schedulers.c.id == scheduler_id)
    return common.optional(SchedulerRow, conn.execute(stmt).first())


def retry_rules_of(
    conn: sa.Connection, scheduler_ids: Iterable[int]
) -> dict[int, dict[str, Any] | None]:
    """Each scheduler's stored retry rules document (None: it has none), in one read."""
    ids = sorted(set(scheduler_ids))
    if not ids:
        return {}
    stmt = sa.select(schedulers.c.id, schedulers.c.retry_rules).where(schedulers.c.id.in_(ids))
    return {int(scheduler_id): rules for scheduler_id, rules in conn.execute(stmt).all()}


def get_scheduler_for_change(
    conn: sa.Connection, client_id: int, scheduler_id: int
) -> SchedulerRow | None:
    """The client's scheduler, locked until the transaction ends (waiting for a dispatcher's
    brief lock), for a change that is computed from what is stored."""
    stmt = sa.select(schedulers).where(
        schedulers.c.id == scheduler_id, schedulers.c.client_id == client_id
    ).with_for_update(key_share=True)
    return common.optional(SchedulerRow, conn.execute(stmt).first())


def lock_scheduler(conn: sa.Connection, scheduler_id: int) -> SchedulerRow | None:
    """Lock the scheduler row for pacing; None when another dispatcher holds it.

    FOR NO KEY UPDATE: dispatchers exclude each other, but the key-share locks that rows
    referencing the scheduler take (a bulk add of tasks, a try's completion) do not make a
    dispatcher skip it."""
    stmt = (
        sa.select(schedulers)
        .where(schedulers.c.id == scheduler_id)
        .with_for_update(skip_locked=True, key_share=True)
    )
    return common.optional(SchedulerRow, conn.execute(stmt).first())


def lock_intake(conn: sa.Connection, scheduler_id: int) -> None:
    """Serialise the requests adding tasks to one scheduler until commit (a PostgreSQL
    advisory lock, which neither dispatch nor completion takes), so two of them never both
    find a B number free; SQLite has one writer at a time already."""
    common.advisory_lock(conn, f"ringback-intake:{scheduler_id}")


def start_asr_hold(conn: sa.Connection, scheduler_id: int, until: datetime) -> None:
    """Hold until ``until``; tries claimed from then on are the next ASR measurement."""
    conn.execute(
        schedulers.update().where(schedulers.c.id == scheduler_id)
        .values(asr_hold_until=until, asr_measure_from=until)
    )


def update_scheduler(
    conn: sa.Connection, client_id: int, scheduler_id: int, changes: dict[str, Any]
) -> SchedulerRow | None:
    stmt = (
        schedulers.update()
        .where(schedulers.c.id == scheduler_id, schedulers.c.client_id == client_id)
        .values(**changes)
        .returning(*schedulers.c)
    )
    return common.optional(SchedulerRow, conn.execute(stmt).first())


def set_scheduler_paused(
    conn: sa.Connection, client_id: int, scheduler_id: int, paused_at: datetime | None
) -> SchedulerRow | None:
    stmt = (
        schedulers.update()
        .where(schedulers.c.id == scheduler_id, schedulers.c.client_id == client_id)
        .values(paused_at=paused_at).returning(*schedulers.c)
    )
    return common.optional(SchedulerRow, conn.execute(stmt).first())
