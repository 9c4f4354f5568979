"""Jobs and tasks: storing them, finding due ones, guarded status changes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from models.rules import job_state, task_state
from models.rules.job_state import JobStatus, JobTrigger
from models.rules.task_state import TaskStatus, TaskTrigger
from models.storage.repository.common import Row
from models.storage.tables import job_executions, jobs, tasks


def _job_diallable() -> sa.ColumnElement[bool]:
    """The task's job accepts new tries: a pause or cancel is true the moment it is answered."""
    return sa.exists().where(jobs.c.id == tasks.c.job_id,
                             jobs.c.status.in_(job_state.DIALLABLE))


def insert_job(
    conn: sa.Connection, client_id: int, scheduler_id: int, tasks_total: int, now: datetime,
    *, tracking_id: str | None = None, created_by: str | None = None,
) -> int:
    job_id = int(conn.execute(
        jobs.insert().returning(jobs.c.id),
        {"client_id": client_id, "scheduler_id": scheduler_id, "tasks_total": tasks_total,
         "status": JobStatus.SCHEDULED.value, "created_at": now, "updated_at": now,
         "tracking_id": tracking_id, "created_by": created_by},
    ).scalar_one())
    conn.execute(job_executions.insert(), {
        "job_id": job_id, "execution_no": 1, "status": JobStatus.SCHEDULED.value,
        "created_at": now, "updated_at": now,
    })
    return job_id


def load_task(conn: sa.Connection, task_id: int) -> Row:
    return conn.execute(sa.select(tasks).where(tasks.c.id == task_id)).one()


def find_task(conn: sa.Connection, client_id: int, task_id: int) -> Row | None:
    stmt = sa.select(tasks).where(tasks.c.id == task_id, tasks.c.client_id == client_id)
    return conn.execute(stmt).first()


def load_job(conn: sa.Connection, job_id: int) -> Row | None:
    return conn.execute(sa.select(jobs).where(jobs.c.id == job_id)).first()


def schedulers_with_due_tasks(conn: sa.Connection, now: datetime) -> list[int]:
    stmt = (
        sa.select(tasks.c.scheduler_id).distinct()
        .where(tasks.c.status.in_(task_state.WAITING), tasks.c.next_attempt_at <= now)
    )
    return [int(sid) for sid in conn.execute(stmt).scalars()]


def next_due_after(conn: sa.Connection, now: datetime) -> datetime | None:
    """The earliest due time after ``now`` of a waiting task (the due index's range scan)."""
    stmt = sa.select(sa.func.min(tasks.c.next_attempt_at)).where(
        tasks.c.status.in_(task_state.WAITING), tasks.c.next_attempt_at > now)
    found: datetime | None = conn.execute(stmt).scalar_one()
    return found


def claim_due_tasks(conn: sa.Connection, scheduler_id: int, now: datetime, limit: int) -> list[Row]:
    """Move up to ``limit`` due tasks to `executed`; each row says which try it starts."""
    due = (
        sa.select(tasks.c.id)
        .where(tasks.c.scheduler_id == scheduler_id,
               tasks.c.status.in_(task_state.allowed_from(TaskTrigger.CLAIM)),
               tasks.c.next_attempt_at <= now, _job_diallable())
        .order_by(tasks.c.next_attempt_at, tasks.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = (
        tasks.update()
        .where(tasks.c.id.in_(due.scalar_subquery()),
               tasks.c.status.in_(task_state.allowed_from(TaskTrigger.CLAIM)))
        .values(status=task_state.target(TaskTrigger.CLAIM).value,
                attempts_made=tasks.c.attempts_made + 1, updated_at=now)
        .returning(tasks.c.id, tasks.c.job_id, tasks.c.attempts_made, tasks.c.next_attempt_at)
    )
    return list(conn.execute(stmt).all())


def apply_task_trigger(
    conn: sa.Connection, task_id: int, trigger: TaskTrigger, now: datetime, **fields: Any
) -> Row | None:
    """Guarded UPDATE of one task; None when its status does not allow ``trigger``."""
    stmt = (
        tasks.update()
        .where(tasks.c.id == task_id, tasks.c.status.in_(task_state.allowed_from(trigger)))
        .values(status=task_state.target(trigger).value, updated_at=now, **fields)
        .returning(*tasks.c)
    )
    return conn.execute(stmt).first()


def apply_job_trigger(
    conn: sa.Connection, job_ids: Iterable[int], trigger: JobTrigger, now: datetime
) -> int:
    ids = list(job_ids)
    if not ids:
        return 0
    stmt = (
        jobs.update()
        .where(jobs.c.id.in_(ids), jobs.c.status.in_(job_state.allowed_from(trigger)))
        .values(status=job_state.target(trigger).value, updated_at=now)
    )
    if trigger in job_state.FINISHING:
        # However the caller counted, a job with a task still to dial never ends: dispatch
        # skips an ended job's tasks, so such a task would wait forever.
        stmt = stmt.where(~sa.exists().where(
            tasks.c.job_id == jobs.c.id, tasks.c.status.not_in(task_state.FINAL)))
    changed = [int(i) for i in conn.execute(stmt.returning(jobs.c.id)).scalars()]
    if not changed:
        return 0
    # Only the latest execution: a restart leaves the earlier ones as they ended.
    earlier = job_executions.alias("earlier")
    latest = (
        sa.select(sa.func.max(earlier.c.execution_no))
        .where(earlier.c.job_id == job_executions.c.job_id).scalar_subquery()
    )
    conn.execute(
        job_executions.update()
        .where(job_executions.c.job_id.in_(changed), job_executions.c.execution_no == latest,
               job_executions.c.status.in_(job_state.allowed_from(trigger)))
        .values(status=job_state.target(trigger).value, updated_at=now,
                **_execution_times(trigger, now))
    )
    return len(changed)


def _execution_times(trigger: JobTrigger, now: datetime) -> dict[str, datetime]:
    return {"start_time": now} if trigger is JobTrigger.START else {"end_time": now}


def list_tasks(
    conn: sa.Connection, client_id: int, scheduler_id: int, *,
    status: TaskStatus | None, after_id: int, limit: int,
) -> list[Row]:
    """One page of a scheduler's tasks in id order, after the cursor ``after_id``."""
    stmt = (
        sa.select(tasks)
        .where(tasks.c.client_id == client_id, tasks.c.scheduler_id == scheduler_id,
               tasks.c.id > after_id)
        .order_by(tasks.c.id).limit(limit)
    )
    if status is not None:
        stmt = stmt.where(tasks.c.status == status.value)
    return list(conn.execute(stmt).all())


def hold_due_tasks(
    conn: sa.Connection, scheduler_id: int, now: datetime, trigger: TaskTrigger
) -> int:
    """Mark the scheduler's due tasks with the status naming what holds them."""
    target = task_state.target(trigger).value
    stmt = (
        tasks.update()
        .where(tasks.c.scheduler_id == scheduler_id,
               tasks.c.status.in_(task_state.allowed_from(trigger)),
               tasks.c.status != target,
               tasks.c.next_attempt_at <= now, _job_diallable())
        .values(status=target, updated_at=now)
    )
    return int(conn.execute(stmt).rowcount)


def count_by_status(conn: sa.Connection, scheduler_id: int) -> dict[str, int]:
    stmt = (
        sa.select(tasks.c.status, sa.func.count())
        .where(tasks.c.scheduler_id == scheduler_id).group_by(tasks.c.status)
    )
    return {str(status): int(n) for status, n in conn.execute(stmt).all()}


def apply_to_job_tasks(
    conn: sa.Connection, job_id: int, trigger: TaskTrigger, now: datetime,
    *, only_failed: bool = False, **values: Any,
) -> int:
    """Guarded bulk change of a job's tasks (job control); returns how many changed."""
    stmt = tasks.update().where(
        tasks.c.job_id == job_id, tasks.c.status.in_(task_state.allowed_from(trigger))
    )
    if only_failed:
        stmt = stmt.where(tasks.c.finish_result == "failed")
    stmt = stmt.values(status=task_state.target(trigger).value, updated_at=now, **values)
    return int(conn.execute(stmt).rowcount)


def rearm_failed_tasks(conn: sa.Connection, job_id: int, now: datetime) -> int:
    """A new execution for a job's failed tasks: all their tries again, due now."""
    return apply_to_job_tasks(
        conn, job_id, TaskTrigger.REARM, now, only_failed=True,
        tries_before_execution=tasks.c.attempts_made, finish_result=None,
        finish_comment=None, cdr=None, next_attempt_at=now,
    )


def resume_scheduler_tasks(conn: sa.Connection, scheduler_id: int, now: datetime) -> int:
    """A scheduler resumed: its paused tasks go back to waiting, except a paused job's."""
    stmt = tasks.update().where(
        tasks.c.scheduler_id == scheduler_id,
        tasks.c.status.in_(task_state.allowed_from(TaskTrigger.RESUME)),
        _job_diallable(),
    ).values(status=task_state.target(TaskTrigger.RESUME).value, updated_at=now)
    return int(conn.execute(stmt).rowcount)


def finish_outcomes(conn: sa.Connection, scheduler_id: int) -> dict[str, int]:
    """Finished tasks: `success`, or the failure's cause (the comment up to " on try")."""
    cause = sa.case(
        (tasks.c.finish_result == "success", "success"),
        else_=sa.func.coalesce(tasks.c.finish_comment, "unknown"),
    )
    stmt = sa.select(cause, sa.func.count()).where(
        tasks.c.scheduler_id == scheduler_id, tasks.c.status == "finished").group_by(cause)
    totals: dict[str, int] = {}
    for text, n in conn.execute(stmt).all():
        key = str(text).split(" on try ")[0].split(" (")[0]
        totals[key] = totals.get(key, 0) + int(n)
    return totals
