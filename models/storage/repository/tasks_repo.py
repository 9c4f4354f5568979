"""Tasks: storing a request's tasks, finding due ones, and every change of a task's status
(guarded: a task moves only from a status its trigger allows).

On PostgreSQL a request's tasks go in by COPY with ids reserved first, so a 100,000-task
request is one statement's worth of work and nothing is read back; the rows returned are
the ones written. SQLite, which has no COPY, takes a plain INSERT."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from models.rules import job_state, task_state
from models.rules.task_state import FinishResult, TaskStatus, TaskTrigger
from models.shapes.rows import ClaimedTask, DueTask, TaskRow
from models.shapes.validation import NewTask
from models.storage.repository import bulk, common
from models.storage.tables import jobs, tasks


def _job_diallable() -> sa.ColumnElement[bool]:
    """The task's job accepts new tries: a pause or cancel is true the moment it is answered."""
    return sa.exists().where(jobs.c.id == tasks.c.job_id,
                             jobs.c.status.in_(job_state.DIALLABLE))


def load_task(conn: sa.Connection, task_id: int) -> TaskRow:
    return common.from_row(TaskRow, conn.execute(sa.select(tasks).where(tasks.c.id == task_id))
                         .one())


def load_tasks(conn: sa.Connection, task_ids: Iterable[int]) -> dict[int, TaskRow]:
    ids = sorted(set(task_ids))
    if not ids:
        return {}
    found = common.from_rows(TaskRow, conn.execute(sa.select(tasks).where(tasks.c.id.in_(ids))))
    return {task.id: task for task in found}


# Written for every task; the other columns take their defaults (NULL, or 0 for counters).
WRITTEN = ("id", "client_id", "scheduler_id", "job_id", "name", "a_number", "b_number",
           "b_e164", "a_dial", "extension_id", "try_count", "try_again_pause",
           "start_time_utc", "url_before", "url_before_again", "url_success", "url_after",
           "callback_params", "status",
           "attempts_made", "tries_before_execution", "next_attempt_at", "create_date_utc",
           "updated_at")
UNWRITTEN = {"finish_result": None, "finish_comment": None, "cdr": None}


def store_tasks(
    conn: sa.Connection, client_id: int, scheduler_id: int, job_id: int,
    new_tasks: Sequence[NewTask], now: datetime,
) -> list[dict[str, Any]]:
    """Store the tasks in the caller's transaction; returns each stored row, in order."""
    new_rows = [_row(task, client_id, scheduler_id, job_id, now) for task in new_tasks]
    if not new_rows:
        return []
    if conn.dialect.name == "postgresql":
        for row, task_id in zip(new_rows, _reserve_ids(conn, len(new_rows)), strict=True):
            row["id"] = task_id
        _copy(conn, new_rows)
    else:
        stmt = tasks.insert().returning(tasks.c.id, sort_by_parameter_order=True)
        given = [{k: v for k, v in row.items() if k != "id"} for row in new_rows]
        for row, task_id in zip(new_rows, conn.execute(stmt, given).scalars(), strict=True):
            row["id"] = int(task_id)
    return [{**row, **UNWRITTEN} for row in new_rows]


def _row(task: NewTask, client_id: int, scheduler_id: int, job_id: int,
         now: datetime) -> dict[str, Any]:
    # Numbers are read (task_numbers) before anything is stored: no rule may see a number
    # in two spellings.
    assert task.dial is not None, "a task's numbers are read before it is stored"
    return {
        "id": None, "client_id": client_id, "scheduler_id": scheduler_id, "job_id": job_id,
        "name": task.name, "a_number": task.a_number, "b_number": task.b_number,
        "b_e164": task.dial.b, "a_dial": list(task.dial.a),
        "extension_id": task.extension_id, "try_count": task.try_count,
        "try_again_pause": task.try_again_pause, "start_time_utc": task.start_time_utc,
        "url_before": task.url_before, "url_before_again": task.url_before_again,
        "url_success": task.url_success, "url_after": task.url_after,
        "callback_params": task.callback_params, "status": TaskStatus.SCHEDULED.value,
        "attempts_made": 0, "tries_before_execution": 0,
        "next_attempt_at": task.start_time_utc or now, "create_date_utc": now,
        "updated_at": now,
    }


def _reserve_ids(conn: sa.Connection, n: int) -> list[int]:
    """``n`` ids from the table's own sequence: concurrent adds can never collide."""
    # One array, not n rows: the ids come back as a single value.
    stmt = sa.text("SELECT array_agg(nextval(pg_get_serial_sequence('tasks', 'id'))) "
                   "FROM generate_series(1, :n)")
    ids: list[int] = conn.execute(stmt, {"n": n}).scalar_one()
    return ids


def _copy(conn: sa.Connection, new_rows: Sequence[dict[str, Any]]) -> None:
    """COPY on the transaction's own connection: the rows commit or roll back with it."""
    naive: dict[datetime | None, datetime | None] = {None: None}

    def stored_time(moment: datetime | None) -> datetime | None:
        # Stored as naive UTC (tables.UtcDateTime); a request's times repeat, so each
        # distinct one is converted once.
        if moment not in naive:
            assert moment is not None
            naive[moment] = moment.astimezone(UTC).replace(tzinfo=None)
        return naive[moment]

    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(
            f"COPY tasks ({', '.join(WRITTEN)}) FROM STDIN") as copy:
        for row in new_rows:
            params = row["callback_params"]
            copy.write_row((
                row["id"], row["client_id"], row["scheduler_id"], row["job_id"], row["name"],
                row["a_number"], row["b_number"], row["b_e164"], json.dumps(row["a_dial"]),
                row["extension_id"], row["try_count"],
                row["try_again_pause"], stored_time(row["start_time_utc"]), row["url_before"],
                row["url_before_again"], row["url_success"], row["url_after"],
                None if params is None else json.dumps(params), row["status"],
                row["attempts_made"], row["tries_before_execution"],
                stored_time(row["next_attempt_at"]), stored_time(row["create_date_utc"]),
                stored_time(row["updated_at"]),
            ))


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


def due_tasks(conn: sa.Connection, scheduler_id: int, now: datetime, limit: int) -> list[DueTask]:
    """Up to ``limit`` due tasks, in the order claims take them, locked for this round, with
    what the calling rules and do-not-call lists weigh."""
    stmt = (
        sa.select(tasks.c.id, tasks.c.client_id, tasks.c.job_id, tasks.c.b_e164,
                  tasks.c.a_dial, tasks.c.callback_params)
        .where(*_claimable(scheduler_id, now))
        .order_by(tasks.c.next_attempt_at, tasks.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return common.from_rows(DueTask, conn.execute(stmt))


def claim_due_tasks(
    conn: sa.Connection, scheduler_id: int, now: datetime, limit: int,
    only_ids: Sequence[int] | None = None,
) -> list[ClaimedTask]:
    """Move up to ``limit`` due tasks (of ``only_ids``, when given) to `executed`; each row
    says which try it starts."""
    due = (
        sa.select(tasks.c.id).where(*_claimable(scheduler_id, now))
        .order_by(tasks.c.next_attempt_at, tasks.c.id).limit(limit)
        .with_for_update(skip_locked=True)
    )
    if only_ids is not None:
        due = due.where(tasks.c.id.in_(only_ids))
    stmt = (
        tasks.update()
        .where(tasks.c.id.in_(due.scalar_subquery()),
               tasks.c.status.in_(task_state.allowed_from(TaskTrigger.CLAIM)))
        .values(status=task_state.target(TaskTrigger.CLAIM).value,
                attempts_made=tasks.c.attempts_made + 1, updated_at=now)
        .returning(tasks.c.id, tasks.c.job_id, tasks.c.attempts_made, tasks.c.next_attempt_at)
    )
    return common.from_rows(ClaimedTask, conn.execute(stmt))


def _claimable(scheduler_id: int, now: datetime) -> tuple[sa.ColumnElement[bool], ...]:
    return (tasks.c.scheduler_id == scheduler_id,
            tasks.c.status.in_(task_state.allowed_from(TaskTrigger.CLAIM)),
            tasks.c.next_attempt_at <= now, _job_diallable())


def hold_tasks(conn: sa.Connection, trigger: TaskTrigger,
               until: Mapping[int, datetime | None], now: datetime) -> int:
    """Hold each task of ``until`` (waiting) with the status naming ``trigger``, due again
    at its time (None: not until something changes it)."""
    if not until:
        return 0
    stmt = (
        tasks.update()
        # Equalities, not IN: an expanding IN cannot run as an executemany.
        .where(tasks.c.id == sa.bindparam("task_id"),
               sa.or_(*(tasks.c.status == status.value
                        for status in sorted(task_state.allowed_from(trigger)))))
        .values(status=task_state.target(trigger).value, updated_at=now,
                next_attempt_at=sa.bindparam("due_at"))
    )
    rows = [{"task_id": task_id, "due_at": due_at} for task_id, due_at in until.items()]
    return int(conn.execute(stmt, rows).rowcount)


def apply_task_trigger(
    conn: sa.Connection, task_id: int, trigger: TaskTrigger, now: datetime, **fields: Any
) -> TaskRow | None:
    """Guarded UPDATE of one task; None when its status does not allow ``trigger``."""
    stmt = (
        tasks.update()
        .where(tasks.c.id == task_id, tasks.c.status.in_(task_state.allowed_from(trigger)))
        .values(status=task_state.target(trigger).value, updated_at=now, **fields)
        .returning(*tasks.c)
    )
    return common.optional(TaskRow, conn.execute(stmt).first())


def apply_task_trigger_each(
    conn: sa.Connection, trigger: TaskTrigger, changes: Sequence[Mapping[str, Any]],
    now: datetime,
) -> list[TaskRow]:
    """One guarded UPDATE giving each task (``id`` and the same other fields in every row)
    the trigger's status; returns the tasks changed, whole. A task whose status no longer
    allows ``trigger`` is left alone."""
    target = task_state.target(trigger).value
    values = [{**change, "status": target, "updated_at": now} for change in changes]
    guard = tasks.c.status.in_(task_state.allowed_from(trigger))
    return common.from_rows(TaskRow, bulk.update_each(conn, tasks, values, guard, list(tasks.c)))


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


def apply_to_job_tasks(
    conn: sa.Connection, job_id: int, trigger: TaskTrigger, now: datetime,
    *, only_failed: bool = False, **values: Any,
) -> int:
    """Guarded bulk change of a job's tasks (job control); returns how many changed."""
    stmt = tasks.update().where(
        tasks.c.job_id == job_id, tasks.c.status.in_(task_state.allowed_from(trigger))
    )
    if only_failed:
        stmt = stmt.where(tasks.c.finish_result == FinishResult.FAILED.value)
    stmt = stmt.values(status=task_state.target(trigger).value, updated_at=now, **values)
    return int(conn.execute(stmt).rowcount)


def rearm_failed_tasks(conn: sa.Connection, job_id: int, now: datetime) -> int:
    """A new execution for a job's failed tasks: all their tries again, due now."""
    return apply_to_job_tasks(
        conn, job_id, TaskTrigger.REARM, now, only_failed=True,
        tries_before_execution=tasks.c.attempts_made, finish_result=None,
        finish_comment=None, cdr=None, next_attempt_at=now,
    )


def resume_scheduler_tasks(conn: sa.Connection, scheduler_id: int, job_ids: Iterable[int],
                           now: datetime) -> int:
    """A scheduler resumed: its paused tasks of ``job_ids`` (the jobs that may dial, their
    statuses held by the caller) go back to waiting; a paused job's stay paused."""
    stmt = tasks.update().where(
        tasks.c.scheduler_id == scheduler_id, tasks.c.job_id.in_(sorted(job_ids)),
        tasks.c.status.in_(task_state.allowed_from(TaskTrigger.RESUME)),
    ).values(status=task_state.target(TaskTrigger.RESUME).value, updated_at=now)
    return int(conn.execute(stmt).rowcount)


# Holds that the scheduler's calling rules decided, and that a change of them may lift.
RULE_HOLDS = (TaskStatus.DELAYED_CALLING_WINDOW, TaskStatus.DELAYED_NUMBER_CAP)


def release_rule_holds(conn: sa.Connection, scheduler_id: int, now: datetime) -> int:
    """The scheduler's calling rules changed: its tasks they held are due now, to be
    weighed again under the new rules (held again, with new times, if still closed)."""
    stmt = tasks.update().where(
        tasks.c.scheduler_id == scheduler_id,
        tasks.c.status.in_([status.value for status in RULE_HOLDS]),
    ).values(next_attempt_at=now, updated_at=now)
    return int(conn.execute(stmt).rowcount)
