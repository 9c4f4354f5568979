"""Reads of tasks for the API and its statistics (tasks_repo is the one writer)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from models.rules import task_state
from models.rules.task_state import FinishResult, TaskStatus
from models.shapes.rows import TaskRow
from models.storage.repository import common
from models.storage.tables import tasks


def find_task(conn: sa.Connection, client_id: int | None, task_id: int) -> TaskRow | None:
    """The client's task (None: whosever it is, for the operators' command line)."""
    stmt = sa.select(tasks).where(tasks.c.id == task_id)
    if client_id is not None:
        stmt = stmt.where(tasks.c.client_id == client_id)
    return common.optional(TaskRow, conn.execute(stmt).first())


def paused_jobs_of(conn: sa.Connection, scheduler_id: int) -> list[int]:
    """The jobs with a task paused in the scheduler."""
    stmt = sa.select(tasks.c.job_id).distinct().where(
        tasks.c.scheduler_id == scheduler_id, tasks.c.status == TaskStatus.PAUSED.value)
    return sorted(int(job_id) for job_id in conn.execute(stmt).scalars())


def list_tasks(
    conn: sa.Connection, client_id: int, scheduler_id: int, *,
    status: TaskStatus | None, after_id: int, limit: int,
) -> list[TaskRow]:
    """One page of a scheduler's tasks in id order, after the cursor ``after_id``."""
    stmt = (
        sa.select(tasks)
        .where(tasks.c.client_id == client_id, tasks.c.scheduler_id == scheduler_id,
               tasks.c.id > after_id)
        .order_by(tasks.c.id).limit(limit)
    )
    if status is not None:
        stmt = stmt.where(tasks.c.status == status.value)
    return common.from_rows(TaskRow, conn.execute(stmt))


def count_by_status(conn: sa.Connection, scheduler_id: int) -> dict[str, int]:
    stmt = (
        sa.select(tasks.c.status, sa.func.count())
        .where(tasks.c.scheduler_id == scheduler_id).group_by(tasks.c.status)
    )
    return {str(status): int(n) for status, n in conn.execute(stmt).all()}


def finish_outcomes(conn: sa.Connection, scheduler_id: int) -> dict[str, int]:
    """Finished tasks: `success`, or the failure's cause (the comment up to " on try")."""
    success = FinishResult.SUCCESS.value
    cause = sa.case(
        (tasks.c.finish_result == success, success),
        else_=sa.func.coalesce(tasks.c.finish_comment, "unknown"),
    )
    stmt = sa.select(cause, sa.func.count()).where(
        tasks.c.scheduler_id == scheduler_id, tasks.c.status == TaskStatus.FINISHED.value
    ).group_by(cause)
    totals: dict[str, int] = {}
    for text, n in conn.execute(stmt).all():
        key = str(text).split(" on try ")[0].split(" (")[0]
        totals[key] = totals.get(key, 0) + int(n)
    return totals


def active_by_b_number(conn: sa.Connection, client_id: int, scheduler_id: int,
                       numbers: Iterable[str]) -> dict[str, TaskRow]:
    """Of ``numbers`` (E.164), those with a task in the scheduler that is not final: the
    oldest such task of each (on the client's B-number index)."""
    wanted = sorted(set(numbers))
    if not wanted:
        return {}
    stmt = (sa.select(tasks)
            .where(tasks.c.client_id == client_id, tasks.c.b_e164.in_(wanted),
                   tasks.c.scheduler_id == scheduler_id,
                   tasks.c.status.not_in([status.value for status in task_state.FINAL]))
            .order_by(tasks.c.id))
    found: dict[str, TaskRow] = {}
    for task in common.from_rows(TaskRow, conn.execute(stmt)):
        found.setdefault(task.b_e164, task)
    return found
