"""Ending many tries at once: their tasks' next states and their jobs' counters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from models.rules import task_state
from models.rules.task_state import TaskTrigger
from models.storage.repository import bulk
from models.storage.repository.common import Row
from models.storage.tables import jobs, tasks


def load_tasks(conn: sa.Connection, task_ids: Iterable[int]) -> dict[int, Row]:
    ids = sorted(set(task_ids))
    if not ids:
        return {}
    return {row.id: row for row in conn.execute(sa.select(tasks).where(tasks.c.id.in_(ids)))}


def job_statuses(conn: sa.Connection, job_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(job_ids))
    if not ids:
        return {}
    stmt = sa.select(jobs.c.id, jobs.c.status).where(jobs.c.id.in_(ids))
    return {int(job_id): str(status) for job_id, status in conn.execute(stmt)}


def apply_task_trigger_each(
    conn: sa.Connection, trigger: TaskTrigger, rows: Sequence[Mapping[str, Any]],
    now: datetime,
) -> list[Row]:
    """One guarded UPDATE giving each task (``id`` and the same other fields in every row)
    the trigger's status; returns the tasks changed, whole. A task whose status no longer
    allows ``trigger`` is left alone."""
    target = task_state.target(trigger).value
    values = [{**row, "status": target, "updated_at": now} for row in rows]
    guard = tasks.c.status.in_(task_state.allowed_from(trigger))
    return bulk.update_each(conn, tasks, values, guard, list(tasks.c))


def count_final_tasks(
    conn: sa.Connection, finals: Mapping[int, tuple[int, int]], now: datetime
) -> list[Row]:
    """Count tasks that became final on their jobs, ``{job id: (final, failed)}``; returns
    each job's counters after. Jobs are locked in id order, so two finishers never deadlock."""
    counted = []
    for job_id in sorted(finals):
        final, failed = finals[job_id]
        stmt = (
            jobs.update().where(jobs.c.id == job_id)
            .values(tasks_final=jobs.c.tasks_final + final,
                    tasks_failed=jobs.c.tasks_failed + failed, updated_at=now)
            .returning(jobs.c.id, jobs.c.tasks_final, jobs.c.tasks_failed, jobs.c.tasks_total)
        )
        counted.append(conn.execute(stmt).one())
    return counted
