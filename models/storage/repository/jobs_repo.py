"""Jobs and their executions: job control and the job status document."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from models.rules import job_state, task_state
from models.rules.job_state import JobStatus, JobTrigger
from models.rules.task_state import FinishResult, TaskStatus
from models.storage.repository import tasks_repo
from models.storage.repository.common import Row
from models.storage.tables import job_executions, jobs, tasks


def find_job(conn: sa.Connection, client_id: int, job_id: int) -> Row | None:
    stmt = sa.select(jobs).where(jobs.c.id == job_id, jobs.c.client_id == client_id)
    return conn.execute(stmt).first()


def lock_job(conn: sa.Connection, client_id: int, job_id: int) -> Row | None:
    stmt = sa.select(jobs).where(jobs.c.id == job_id, jobs.c.client_id == client_id) \
        .with_for_update()
    return conn.execute(stmt).first()


def list_jobs(conn: sa.Connection, client_id: int, after_id: int, limit: int) -> list[Row]:
    stmt = (
        sa.select(jobs).where(jobs.c.client_id == client_id, jobs.c.id > after_id)
        .order_by(jobs.c.id).limit(limit)
    )
    return list(conn.execute(stmt).all())


def executions(conn: sa.Connection, job_id: int) -> list[Row]:
    stmt = sa.select(job_executions).where(job_executions.c.job_id == job_id) \
        .order_by(job_executions.c.execution_no)
    return list(conn.execute(stmt).all())


def task_counts(conn: sa.Connection, job_id: int) -> dict[str, int]:
    """Tasks by outcome: success, failed, cancelled, and the rest pending."""
    outcome = sa.case(
        (tasks.c.status == TaskStatus.CANCELLED.value, "cancelled"),
        (tasks.c.status == TaskStatus.FINISHED.value, tasks.c.finish_result),
        else_="pending",
    )
    stmt = sa.select(outcome, sa.func.count()).where(tasks.c.job_id == job_id) \
        .group_by(outcome)
    return {str(kind): int(n) for kind, n in conn.execute(stmt).all()}


def set_status(
    conn: sa.Connection, job_id: int, trigger: JobTrigger, now: datetime
) -> bool:
    """Guarded: the job moves only from a status ``trigger`` allows."""
    stmt = jobs.update().where(
        jobs.c.id == job_id, jobs.c.status.in_(job_state.allowed_from(trigger))
    ).values(status=job_state.target(trigger).value, updated_at=now)
    return bool(conn.execute(stmt).rowcount)


def start_execution(conn: sa.Connection, job_id: int, now: datetime) -> int:
    """A new execution (a restart of a failed job); UNIQUE (job_id, execution_no) guards it."""
    latest = sa.select(sa.func.coalesce(sa.func.max(job_executions.c.execution_no), 0)) \
        .where(job_executions.c.job_id == job_id).scalar_subquery()
    stmt = job_executions.insert().from_select(
        ["job_id", "execution_no", "status", "created_at", "updated_at"],
        sa.select(sa.literal(job_id), latest + 1, sa.literal(JobStatus.SCHEDULED.value),
                  sa.literal(now, job_executions.c.created_at.type),
                  sa.literal(now, job_executions.c.updated_at.type)),
    ).returning(job_executions.c.execution_no)
    return int(conn.execute(stmt).scalar_one())


def set_latest_execution_status(
    conn: sa.Connection, job_id: int, status: JobStatus, now: datetime, *, ended: bool = False
) -> None:
    latest = sa.select(sa.func.max(job_executions.c.execution_no)) \
        .where(job_executions.c.job_id == job_id).scalar_subquery()
    values: dict[str, object] = {"status": status.value, "updated_at": now}
    if ended:
        values["end_time"] = now
    conn.execute(job_executions.update().where(
        job_executions.c.job_id == job_id, job_executions.c.execution_no == latest,
    ).values(**values))


def finish_if_all_final(conn: sa.Connection, job_id: int, now: datetime) -> bool:
    """End a Scheduled or Running job whose every task is final, Completed or Failed as its
    tasks say (a resumed job whose last calls ended while it was paused)."""
    final = [s.value for s in task_state.FINAL]
    open_, failed = conn.execute(sa.select(
        sa.func.count().filter(tasks.c.status.not_in(final)),
        sa.func.count().filter(tasks.c.finish_result == FinishResult.FAILED.value),
    ).where(tasks.c.job_id == job_id)).one()
    if open_:
        return False
    return bool(tasks_repo.apply_job_trigger(
        conn, [job_id], job_state.finish_trigger(int(failed)), now))


def adjust_counts(conn: sa.Connection, job_id: int, final_delta: int, failed_delta: int,
                  now: datetime) -> Row:
    stmt = jobs.update().where(jobs.c.id == job_id).values(
        tasks_final=jobs.c.tasks_final + final_delta,
        tasks_failed=jobs.c.tasks_failed + failed_delta, updated_at=now,
    ).returning(jobs.c.tasks_final, jobs.c.tasks_failed, jobs.c.tasks_total, jobs.c.status)
    return conn.execute(stmt).one()
