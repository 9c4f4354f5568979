"""The Python entry point for an API layer: add tasks to a scheduler as one job."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from models import repository, validation, views
from models.validation import FieldError, InvalidInput

MAX_CLIENT_ID = 9999


@dataclass(frozen=True)
class AddedJob:
    job_id: int
    tasks: list[dict[str, Any]]


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


def create_scheduler(engine: sa.Engine, client_id: int, name: str, now: datetime) -> int:
    check_client_id(client_id)
    if not name or len(name) > validation.MAX_NAME_LENGTH:
        raise InvalidInput([FieldError("name", "must be 1 to 200 characters")])
    with engine.begin() as conn:
        repository.ensure_client(conn, client_id, now)
        return repository.create_scheduler(conn, client_id, name, now)


def add_tasks(
    engine: sa.Engine,
    client_id: int,
    scheduler_id: int,
    raw_tasks: object,
    now: datetime,
    *,
    max_tasks: int,
    nudge: Callable[[], None] | None = None,
) -> AddedJob:
    """Validate every task, store them and their job in one transaction, return them stored.

    Raises InvalidInput (naming each field and rule) or UnknownScheduler; neither stores anything.
    """
    check_client_id(client_id)
    new_tasks = validation.validate_tasks(raw_tasks, max_tasks)
    with engine.begin() as conn:
        if repository.get_scheduler(conn, client_id, scheduler_id) is None:
            raise UnknownScheduler(scheduler_id)
        job_id = repository.insert_job(conn, client_id, scheduler_id, len(new_tasks), now)
        rows = repository.insert_tasks(conn, client_id, scheduler_id, job_id, new_tasks, now)
    if nudge is not None and any(t.start_time_utc is None or t.start_time_utc <= now
                                 for t in new_tasks):
        nudge()
    return AddedJob(job_id, [views.task_object(r._mapping) for r in rows])


def get_task(engine: sa.Engine, client_id: int, task_id: int) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = repository.find_task(conn, client_id, task_id)
    return None if row is None else views.task_object(row._mapping)
