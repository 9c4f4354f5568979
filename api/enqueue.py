"""The Python entry point for an API layer: add tasks to a scheduler as one job."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from models import scheduler_input, validation, views
from models.repository import access_repo, task_store, tasks_repo
from models.validation import FieldError, InvalidInput, NewTask

MAX_CLIENT_ID = 9999


@dataclass(frozen=True)
class AddedJob:
    job_id: int
    tasks: list[dict[str, Any]]


class DuplicateScheduler(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"name: this client already has a scheduler named {name!r}")


class UnknownScheduler(LookupError):
    def __init__(self, scheduler_id: int) -> None:
        super().__init__(f"scheduler_id: no scheduler {scheduler_id} for this client")
        self.scheduler_id = scheduler_id


def check_client_id(client_id: object) -> int:
    if isinstance(client_id, bool) or not isinstance(client_id, int) or not (
        1 <= client_id <= MAX_CLIENT_ID
    ):
        raise InvalidInput([FieldError("client_id", f"must be a whole number from 1 to "
                                                    f"{MAX_CLIENT_ID}")])
    return client_id


def create_scheduler(
    engine: sa.Engine, client_id: int, body: object, now: datetime
) -> dict[str, Any]:
    """Create a scheduler from a client's body; DuplicateScheduler when the name is taken."""
    check_client_id(client_id)
    fields = scheduler_input.new_scheduler(body)
    try:
        with engine.begin() as conn:
            access_repo.ensure_client(conn, client_id, now)
            row = access_repo.create_scheduler(conn, client_id, fields, now)
    except sa.exc.IntegrityError as error:
        raise DuplicateScheduler(fields["name"]) from error
    return views.scheduler_object(row._mapping)


def update_scheduler(
    engine: sa.Engine, client_id: int, scheduler_id: int, body: object
) -> dict[str, Any]:
    changes = scheduler_input.scheduler_changes(body)
    try:
        with engine.begin() as conn:
            row = (access_repo.update_scheduler(conn, client_id, scheduler_id, changes)
                   if changes else access_repo.get_scheduler(conn, client_id, scheduler_id))
    except sa.exc.IntegrityError as error:
        raise DuplicateScheduler(str(changes.get("name"))) from error
    if row is None:
        raise UnknownScheduler(scheduler_id)
    return views.scheduler_object(row._mapping)


def get_scheduler(engine: sa.Engine, client_id: int, scheduler_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        row = access_repo.get_scheduler(conn, client_id, scheduler_id)
    if row is None:
        raise UnknownScheduler(scheduler_id)
    return views.scheduler_object(row._mapping)


def add_tasks(
    engine: sa.Engine,
    client_id: int,
    scheduler_id: int,
    raw_tasks: object,
    now: datetime,
    *,
    max_tasks: int,
    nudge: Callable[[], None] | None = None,
    tracking_id: str | None = None,
    created_by: str | None = None,
) -> AddedJob:
    """Validate every task, store them and their job in one transaction, return them stored.

    Raises InvalidInput (naming each field and rule) or UnknownScheduler; neither stores anything.
    """
    check_client_id(client_id)
    new_tasks = validation.validate_tasks(raw_tasks, max_tasks)
    with engine.begin() as conn:
        if access_repo.get_scheduler(conn, client_id, scheduler_id) is None:
            raise UnknownScheduler(scheduler_id)
        job_id = tasks_repo.insert_job(
            conn, client_id, scheduler_id, len(new_tasks), now,
            tracking_id=tracking_id or f"RINGBACK_{uuid.uuid4()}", created_by=created_by)
        rows = task_store.store_tasks(conn, client_id, scheduler_id, job_id, new_tasks, now)
    if nudge is not None and any(t.start_time_utc is None or t.start_time_utc <= now
                                 for t in new_tasks):
        nudge()
    return AddedJob(job_id, views.task_objects(rows))


def store_validated(
    engine: sa.Engine, client_id: int, scheduler_id: int, new_tasks: list[NewTask],
    now: datetime, *, nudge: Callable[[], None] | None, chunk: int,
    on_progress: Callable[[int], None],
) -> int:
    """Store already validated tasks as one job in one transaction, ``chunk`` rows a batch."""
    with engine.begin() as conn:
        if access_repo.get_scheduler(conn, client_id, scheduler_id) is None:
            raise UnknownScheduler(scheduler_id)
        job_id = tasks_repo.insert_job(conn, client_id, scheduler_id, len(new_tasks), now,
                                       created_by="import")
        for start in range(0, len(new_tasks), chunk):
            part = new_tasks[start:start + chunk]
            task_store.store_tasks(conn, client_id, scheduler_id, job_id, part, now)
            on_progress(start + len(part))
    if nudge is not None:
        nudge()
    return job_id


def get_task(engine: sa.Engine, client_id: int, task_id: int) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = tasks_repo.find_task(conn, client_id, task_id)
    return None if row is None else views.task_object(row._mapping)
