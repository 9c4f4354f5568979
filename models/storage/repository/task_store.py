"""Storing a request's tasks. On PostgreSQL the rows go in by COPY with ids reserved first,
so a 100,000-task request is one statement's worth of work and nothing is read back; the
rows returned are the ones written. SQLite, which has no COPY, takes a plain INSERT."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from models.rules.task_state import TaskStatus
from models.shapes.validation import NewTask
from models.storage.tables import tasks

# Written for every task; the other columns take their defaults (NULL, or 0 for counters).
WRITTEN = ("id", "client_id", "scheduler_id", "job_id", "name", "a_number", "b_number",
           "extension_id", "try_count", "try_again_pause", "start_time_utc", "url_before",
           "url_before_again", "url_success", "url_after", "callback_params", "status",
           "attempts_made", "tries_before_execution", "next_attempt_at", "create_date_utc",
           "updated_at")
UNWRITTEN = {"finish_result": None, "finish_comment": None, "cdr": None}


def store_tasks(
    conn: sa.Connection, client_id: int, scheduler_id: int, job_id: int,
    new_tasks: Sequence[NewTask], now: datetime,
) -> list[dict[str, Any]]:
    """Store the tasks in the caller's transaction; returns each stored row, in order."""
    rows = [_row(task, client_id, scheduler_id, job_id, now) for task in new_tasks]
    if not rows:
        return []
    if conn.dialect.name == "postgresql":
        for row, task_id in zip(rows, _reserve_ids(conn, len(rows)), strict=True):
            row["id"] = task_id
        _copy(conn, rows)
    else:
        stmt = tasks.insert().returning(tasks.c.id, sort_by_parameter_order=True)
        given = [{k: v for k, v in row.items() if k != "id"} for row in rows]
        for row, task_id in zip(rows, conn.execute(stmt, given).scalars(), strict=True):
            row["id"] = int(task_id)
    return [{**row, **UNWRITTEN} for row in rows]


def _row(task: NewTask, client_id: int, scheduler_id: int, job_id: int,
         now: datetime) -> dict[str, Any]:
    return {
        "id": None, "client_id": client_id, "scheduler_id": scheduler_id, "job_id": job_id,
        "name": task.name, "a_number": task.a_number, "b_number": task.b_number,
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


def _copy(conn: sa.Connection, rows: Sequence[dict[str, Any]]) -> None:
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
        for row in rows:
            params = row["callback_params"]
            copy.write_row((
                row["id"], row["client_id"], row["scheduler_id"], row["job_id"], row["name"],
                row["a_number"], row["b_number"], row["extension_id"], row["try_count"],
                row["try_again_pause"], stored_time(row["start_time_utc"]), row["url_before"],
                row["url_before_again"], row["url_success"], row["url_after"],
                None if params is None else json.dumps(params), row["status"],
                row["attempts_made"], row["tries_before_execution"],
                stored_time(row["next_attempt_at"]), stored_time(row["create_date_utc"]),
                stored_time(row["updated_at"]),
            ))
