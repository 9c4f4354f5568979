"""Jobs and their executions. A job's status changes only through change_status, which
writes the job and its latest execution together, so the latest execution's status is
always the job's."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from models.rules import job_state, task_state
from models.rules.job_state import JobStatus, JobTrigger
from models.rules.task_state import FinishResult, TaskStatus
from models.shapes.rows import ExecutionRow, JobCounts, JobRow
from models.storage.repository import common
from models.storage.tables import job_executions, jobs, tasks

# Statuses that end an execution: reaching one stamps its end time.
ENDED = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})


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


def find_job(conn: sa.Connection, client_id: int, job_id: int) -> JobRow | None:
    stmt = sa.select(jobs).where(jobs.c.id == job_id, jobs.c.client_id == client_id)
    return common.optional(JobRow, conn.execute(stmt).first())


def lock_job(conn: sa.Connection, client_id: int, job_id: int) -> JobRow | None:
    """The job, locked FOR UPDATE to change its status by an action: this waits for every
    transaction that holds the status (hold_statuses) to end, and they wait for this."""
    stmt = sa.select(jobs).where(jobs.c.id == job_id, jobs.c.client_id == client_id) \
        .with_for_update()
    return common.optional(JobRow, conn.execute(stmt).first())


def hold_statuses(conn: sa.Connection, job_ids: Iterable[int]) -> dict[int, JobStatus]:
    """The jobs' statuses, held until the caller's transaction ends: no action (lock_job)
    changes them meanwhile, so a task change decided from them stays true when it commits.
    FOR KEY SHARE waits for nothing but actions: completions and dispatch rounds of one job
    hold it side by side, and the counters and START/FINISH updates go on. In id order, so
    holders and actions queue without deadlock."""
    ids = sorted(set(job_ids))
    if not ids:
        return {}
    stmt = (sa.select(jobs.c.id, jobs.c.status).where(jobs.c.id.in_(ids))
            .order_by(jobs.c.id).with_for_update(read=True, key_share=True))
    return {int(job_id): JobStatus(status) for job_id, status in conn.execute(stmt)}


def list_jobs(conn: sa.Connection, client_id: int, after_id: int, limit: int) -> list[JobRow]:
    stmt = (
        sa.select(jobs).where(jobs.c.client_id == client_id, jobs.c.id > after_id)
        .order_by(jobs.c.id).limit(limit)
    )
    return common.from_rows(JobRow, conn.execute(stmt))


def job_statuses(conn: sa.Connection, job_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(job_ids))
    if not ids:
        return {}
    stmt = sa.select(jobs.c.id, jobs.c.status).where(jobs.c.id.in_(ids))
    return {int(job_id): str(status) for job_id, status in conn.execute(stmt)}


def executions(conn: sa.Connection, job_id: int) -> list[ExecutionRow]:
    stmt = sa.select(job_executions).where(job_executions.c.job_id == job_id) \
        .order_by(job_executions.c.execution_no)
    return common.from_rows(ExecutionRow, conn.execute(stmt))


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


def change_status(
    conn: sa.Connection, job_ids: Iterable[int], trigger: JobTrigger, now: datetime
) -> int:
    """The one way a job's status changes: a guarded UPDATE from the statuses
    job_state.TRANSITIONS allows for ``trigger``, the latest execution changed with the job
    (a restart of a failed job starts a new execution instead). Returns how many jobs
    changed; 0 when no job's status allows ``trigger``, or a finishing trigger finds a task
    of the job still to dial."""
    ids = sorted(set(job_ids))
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
    if changed:
        _change_executions(conn, changed, trigger, now)
    return len(changed)


def _change_executions(
    conn: sa.Connection, job_ids: list[int], trigger: JobTrigger, now: datetime
) -> None:
    """The changed jobs' latest executions follow them (a restart leaves the earlier ones as
    they ended); from a status where ``trigger`` starts a new execution, a new one starts."""
    sources = job_state.allowed_from(trigger)
    renewed = {s for s in sources if job_state.starts_new_execution(trigger, s)}
    latest = _latest_execution_no()
    stamps = ({"start_time": now} if trigger is JobTrigger.START
              else {"end_time": now} if job_state.target(trigger) in ENDED else {})
    conn.execute(
        job_executions.update()
        .where(job_executions.c.job_id.in_(job_ids), job_executions.c.execution_no == latest,
               job_executions.c.status.in_(sources - renewed))
        .values(status=job_state.target(trigger).value, updated_at=now, **stamps)
    )
    if renewed:
        restarted = conn.execute(
            sa.select(job_executions.c.job_id)
            .where(job_executions.c.job_id.in_(job_ids),
                   job_executions.c.execution_no == latest,
                   job_executions.c.status.in_(renewed))
        ).scalars()
        for job_id in sorted(int(j) for j in restarted):
            _start_execution(conn, job_id, now)


def _latest_execution_no() -> sa.ScalarSelect[int]:
    earlier = job_executions.alias("earlier")
    return (
        sa.select(sa.func.max(earlier.c.execution_no))
        .where(earlier.c.job_id == job_executions.c.job_id).scalar_subquery()
    )


def _start_execution(conn: sa.Connection, job_id: int, now: datetime) -> int:
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
    return bool(change_status(conn, [job_id], job_state.finish_trigger(int(failed)), now))


def adjust_counts(conn: sa.Connection, job_id: int, final_delta: int, failed_delta: int,
                  now: datetime) -> JobCounts:
    """Add to the job's counts of final and failed tasks; returns its counters after."""
    stmt = jobs.update().where(jobs.c.id == job_id).values(
        tasks_final=jobs.c.tasks_final + final_delta,
        tasks_failed=jobs.c.tasks_failed + failed_delta, updated_at=now,
    ).returning(jobs.c.id, jobs.c.tasks_total, jobs.c.tasks_final, jobs.c.tasks_failed)
    return common.from_row(JobCounts, conn.execute(stmt).one())
