"""Storing a request's validated tasks as one job, in the caller's transaction, after the
checks against what is stored (do-not-call lists, the scheduler's duplicate rule): tasks a
list forbids are refused, or stored and ended at once; tasks merged into an active one are
not stored, and the answer gives the active task in their place."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from api import intake
from models.rules import numbering
from models.rules.intake import DncPolicy
from models.shapes import rows, task_numbers, views
from models.shapes.rows import SchedulerRow
from models.shapes.validation import NewTask
from models.storage.repository import jobs_repo, tasks_repo
from scheduler import untried

ProgressCallback = Callable[[int], None]


@dataclass(frozen=True)
class JobOrigin:
    """Who added the job, kept on it."""

    tracking_id: str | None = None
    created_by: str | None = None


@dataclass(frozen=True)
class Stored:
    job_id: int | None  # None when every task was merged into an active one
    tasks: list[dict[str, Any]]  # in the request's order, as stored (rows' fields)
    due_now: bool  # some task stored is due at once: dispatch is worth a nudge


def store_job(conn: sa.Connection, scheduler: SchedulerRow, new_tasks: Sequence[NewTask],
              now: datetime, *, origin: JobOrigin, on_dnc: DncPolicy,
              label: intake.Label, chunk: int | None = None,
              on_progress: ProgressCallback | None = None) -> Stored:
    """InvalidInput (nothing stored) naming each task the checks refuse."""
    new_tasks = task_numbers.read_all(new_tasks, numbering_of(scheduler), label)
    checked = intake.check(conn, scheduler, new_tasks, now, on_dnc, label)
    keep = [index for index in range(len(new_tasks)) if index not in checked.merged]
    stored: dict[int, dict[str, Any]] = {}
    job_id = None
    if keep:
        job_id = jobs_repo.insert_job(
            conn, scheduler.client_id, scheduler.id, len(keep), now,
            tracking_id=origin.tracking_id or f"RINGBACK_{uuid.uuid4()}",
            created_by=origin.created_by)
        stored = _store_tasks(conn, scheduler, job_id, new_tasks, keep, now,
                              chunk or len(keep), on_progress)
        ended = untried.end_untried(conn, {stored[index]["id"]: why for index, why
                                           in checked.ends_at_once.items()}, now)
        index_of = {row["id"]: index for index, row in stored.items()}
        stored.update({index_of[task.id]: rows.as_dict(task) for task in ended})
    ended_ids = {stored[index]["id"] for index in checked.ends_at_once}
    due_now = any((row["start_time_utc"] is None or row["start_time_utc"] <= now)
                  and row["id"] not in ended_ids for row in stored.values())
    return Stored(job_id, [_answer_row(index, stored, checked) for index in range(
        len(new_tasks))], due_now)


def numbering_of(scheduler: SchedulerRow) -> task_numbers.Numbering:
    """How the scheduler reads its tasks' numbers."""
    return task_numbers.Numbering(scheduler.default_region,
                                  numbering.ANumberType(scheduler.a_number_type))


def _store_tasks(conn: sa.Connection, scheduler: SchedulerRow, job_id: int,
                 new_tasks: Sequence[NewTask], keep: list[int], now: datetime, chunk: int,
                 on_progress: ProgressCallback | None) -> dict[int, dict[str, Any]]:
    stored: dict[int, dict[str, Any]] = {}
    for start in range(0, len(keep), chunk):
        part = keep[start:start + chunk]
        written = tasks_repo.store_tasks(conn, scheduler.client_id, scheduler.id, job_id,
                                         [new_tasks[index] for index in part], now)
        stored.update(zip(part, written, strict=True))
        if on_progress is not None:
            on_progress(start + len(part))
    return stored


def _answer_row(index: int, stored: dict[int, dict[str, Any]],
                checked: intake.Checked) -> dict[str, Any]:
    """The task the answer gives at ``index``: the one stored, or the one merged into."""
    duplicate = checked.merged.get(index)
    if duplicate is None:
        return stored[index]
    if duplicate.task_id is not None:
        active = next(task for task in checked.active.values() if task.id == duplicate.task_id)
        return rows.as_dict(active)
    return stored[duplicate.index or 0]


def task_documents(stored: Stored) -> list[dict[str, Any]]:
    return views.task_objects(stored.tasks)
