"""Operator actions: recorded with the change the API answers from, applied by the worker."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from models.rules.action_state import ActionStatus
from models.shapes.rows import ActionRow
from models.storage.repository import common
from models.storage.tables import actions


def insert_action(
    conn: sa.Connection, *, client_id: int, kind: str, job_id: int, now: datetime,
    task_id: int | None = None, from_status: str | None = None,
    params: dict[str, Any] | None = None,
) -> int:
    stmt = actions.insert().returning(actions.c.id)
    return int(conn.execute(stmt, {
        "client_id": client_id, "kind": kind, "job_id": job_id, "task_id": task_id,
        "from_status": from_status, "params": params, "created_at": now,
    }).scalar_one())


def job_of(conn: sa.Connection, action_id: int) -> int | None:
    return conn.execute(sa.select(actions.c.job_id).where(actions.c.id == action_id)).scalar()


def lock_pending_of_job(conn: sa.Connection, job_id: int) -> list[ActionRow]:
    """The job's unapplied actions in the order they were accepted, locked for applying."""
    stmt = (
        sa.select(actions)
        .where(actions.c.job_id == job_id, actions.c.status == ActionStatus.PENDING.value)
        .order_by(actions.c.id).with_for_update()
    )
    return common.from_rows(ActionRow, conn.execute(stmt))


def mark_applied(conn: sa.Connection, action_id: int, result: str, now: datetime) -> bool:
    stmt = actions.update().where(
        actions.c.id == action_id, actions.c.status == ActionStatus.PENDING.value
    ).values(status=ActionStatus.APPLIED.value, result=result, applied_at=now)
    return bool(conn.execute(stmt).rowcount)


def jobs_with_stale_actions(conn: sa.Connection, created_before: datetime, limit: int) -> list[int]:
    stmt = (
        sa.select(actions.c.job_id).distinct()
        .where(actions.c.status == ActionStatus.PENDING.value,
               actions.c.created_at < created_before).limit(limit)
    )
    return [int(j) for j in conn.execute(stmt).scalars()]
