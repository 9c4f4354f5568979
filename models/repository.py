"""All SQL. Every state change is a guarded UPDATE; zero rows changed is an answer, not an error."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any, TypeAlias

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from models import attempt_state, job_state, task_state
from models.attempt_state import AttemptStatus, AttemptTrigger
from models.job_state import JobStatus, JobTrigger
from models.outcome import CallOutcome
from models.tables import attempts, clients, events, job_executions, jobs, schedulers, tasks
from models.task_state import TaskStatus, TaskTrigger
from models.validation import NewTask

Row: TypeAlias = "sa.Row[*tuple[Any, ...]]"


def _insert_ignoring_conflicts(conn: sa.Connection, table: sa.Table) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


# --- clients, schedulers -------------------------------------------------------------

def ensure_client(conn: sa.Connection, client_id: int, now: datetime) -> None:
    conn.execute(_insert_ignoring_conflicts(conn, clients), {"id": client_id, "created_at": now})


def create_scheduler(conn: sa.Connection, client_id: int, name: str, now: datetime) -> int:
    stmt = schedulers.insert().returning(schedulers.c.id)
    return int(conn.execute(stmt, {"client_id": client_id, "name": name, "created_at": now})
               .scalar_one())


def get_scheduler(conn: sa.Connection, client_id: int, scheduler_id: int) -> Row | None:
    stmt = sa.select(schedulers).where(
        schedulers.c.id == scheduler_id, schedulers.c.client_id == client_id
    )
    return conn.execute(stmt).first()


def lock_scheduler(conn: sa.Connection, scheduler_id: int) -> bool:
    """Lock the scheduler row for pacing; False when another dispatcher holds it."""
    stmt = (
        sa.select(schedulers.c.id)
        .where(schedulers.c.id == scheduler_id)
        .with_for_update(skip_locked=True)
    )
    return conn.execute(stmt).first() is not None


# --- jobs and tasks ------------------------------------------------------------------

def insert_job(
    conn: sa.Connection, client_id: int, scheduler_id: int, tasks_total: int, now: datetime
) -> int:
    job_id = int(conn.execute(
        jobs.insert().returning(jobs.c.id),
        {"client_id": client_id, "scheduler_id": scheduler_id, "tasks_total": tasks_total,
         "status": JobStatus.SCHEDULED.value, "created_at": now, "updated_at": now},
    ).scalar_one())
    conn.execute(job_executions.insert(), {
        "job_id": job_id, "execution_no": 1, "status": JobStatus.SCHEDULED.value,
        "created_at": now, "updated_at": now,
    })
    return job_id


def insert_tasks(
    conn: sa.Connection, client_id: int, scheduler_id: int, job_id: int,
    new_tasks: Sequence[NewTask], now: datetime,
) -> list[Row]:
    """Store many tasks in one statement batch; rows come back in the order given."""
    rows = [
        {**asdict(task), "client_id": client_id, "scheduler_id": scheduler_id, "job_id": job_id,
         "status": TaskStatus.SCHEDULED.value, "attempts_made": 0,
         "next_attempt_at": task.start_time_utc or now, "create_date_utc": now,
         "updated_at": now}
        for task in new_tasks
    ]
    stmt = tasks.insert().returning(*tasks.c, sort_by_parameter_order=True)
    return list(conn.execute(stmt, rows).all())


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


def claim_due_tasks(conn: sa.Connection, scheduler_id: int, now: datetime, limit: int) -> list[Row]:
    """Move up to ``limit`` due tasks to `executed`; each row says which try it starts."""
    due = (
        sa.select(tasks.c.id)
        .where(tasks.c.scheduler_id == scheduler_id,
               tasks.c.status.in_(task_state.allowed_from(TaskTrigger.CLAIM)),
               tasks.c.next_attempt_at <= now)
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
    changed = conn.execute(stmt).rowcount
    conn.execute(
        job_executions.update()
        .where(job_executions.c.job_id.in_(ids),
               job_executions.c.status.in_(job_state.allowed_from(trigger)))
        .values(status=job_state.target(trigger).value, updated_at=now,
                **_execution_times(trigger, now))
    )
    return int(changed)


def _execution_times(trigger: JobTrigger, now: datetime) -> dict[str, datetime]:
    return {"start_time": now} if trigger is JobTrigger.START else {"end_time": now}


def count_final_task(conn: sa.Connection, job_id: int, failed: bool, now: datetime) -> Row:
    """Count one more final task on its job; the row lock orders concurrent finishers."""
    stmt = (
        jobs.update().where(jobs.c.id == job_id)
        .values(tasks_final=jobs.c.tasks_final + 1,
                tasks_failed=jobs.c.tasks_failed + (1 if failed else 0), updated_at=now)
        .returning(jobs.c.tasks_final, jobs.c.tasks_failed, jobs.c.tasks_total)
    )
    return conn.execute(stmt).one()


# --- attempts ------------------------------------------------------------------------

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


# --- events --------------------------------------------------------------------------

def insert_events(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        conn.execute(events.insert(), list(rows))
