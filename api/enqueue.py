"""The Python entry point for an API layer: add tasks to a scheduler as one job."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from api import scheduler_input
from api.exceptions import DuplicateScheduler, UnknownScheduler
from models.rules import limits
from models.rules.errors import FieldError, InvalidInput
from models.shapes import account_input, rows, validation, views
from models.shapes.validation import NewTask
from models.storage.repository import (
    clients_repo,
    jobs_repo,
    schedulers_repo,
    sip_accounts_repo,
    task_reads,
    tasks_repo,
)

DEFAULT_DIALER = "sim"  # settings.dialer's default: extension_id is a free number


@dataclass(frozen=True)
class AddedJob:
    job_id: int
    tasks: list[dict[str, Any]]


def check_client_id(client_id: object) -> int:
    if isinstance(client_id, bool) or not isinstance(client_id, int) or not (
        limits.CLIENT_ID_MIN <= client_id <= limits.CLIENT_ID_MAX
    ):
        raise InvalidInput([FieldError("client_id", "must be a whole number from "
                                       f"{limits.CLIENT_ID_MIN} to {limits.CLIENT_ID_MAX}")])
    return client_id


def create_scheduler(
    engine: sa.Engine, client_id: int, body: object, now: datetime
) -> dict[str, Any]:
    """Create a scheduler from a client's body; DuplicateScheduler when the name is taken."""
    check_client_id(client_id)
    fields = scheduler_input.new_scheduler(body)
    try:
        with engine.begin() as conn:
            clients_repo.ensure_client(conn, client_id, now)
            row = schedulers_repo.create_scheduler(conn, client_id, fields, now)
    except sa.exc.IntegrityError as error:
        raise DuplicateScheduler(fields["name"]) from error
    return views.scheduler_object(row)


def update_scheduler(
    engine: sa.Engine, client_id: int, scheduler_id: int, body: object, now: datetime
) -> dict[str, Any]:
    """Change a scheduler's settings; a change of its calling rules or caps lifts the holds
    they had decided, so its held tasks are weighed again under the new ones at once."""
    changes = scheduler_input.scheduler_changes(body)
    try:
        with engine.begin() as conn:
            if "calling_rules" in changes:  # merged into the stored rules, under the row lock
                stored = schedulers_repo.get_scheduler_for_change(conn, client_id, scheduler_id)
                if stored is None:
                    raise UnknownScheduler(scheduler_id)
                changes |= scheduler_input.calling_rule_changes(body, stored.calling_rules)
            row = schedulers_repo.update_scheduler(conn, client_id, scheduler_id, changes)
            if row is not None and changes.keys() & {"calling_rules", "number_caps"}:
                tasks_repo.release_rule_holds(conn, scheduler_id, now)
    except sa.exc.IntegrityError as error:
        raise DuplicateScheduler(str(changes.get("name"))) from error
    if row is None:
        raise UnknownScheduler(scheduler_id)
    return views.scheduler_object(row)


def get_scheduler(engine: sa.Engine, client_id: int, scheduler_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        row = schedulers_repo.get_scheduler(conn, client_id, scheduler_id)
    if row is None:
        raise UnknownScheduler(scheduler_id)
    return views.scheduler_object(row)


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
    dialer: str = DEFAULT_DIALER,
) -> AddedJob:
    """Validate every task, store them and their job in one transaction, return them stored.

    Raises InvalidInput (naming each field and rule; under the SIP dialer, each extension_id
    with no account) or UnknownScheduler; neither stores anything.
    """
    check_client_id(client_id)
    new_tasks = validation.validate_tasks(raw_tasks, max_tasks)
    with engine.begin() as conn:
        if schedulers_repo.get_scheduler(conn, client_id, scheduler_id) is None:
            raise UnknownScheduler(scheduler_id)
        require_accounts(conn, client_id, new_tasks, dialer)
        job_id = jobs_repo.insert_job(
            conn, client_id, scheduler_id, len(new_tasks), now,
            tracking_id=tracking_id or f"RINGBACK_{uuid.uuid4()}", created_by=created_by)
        stored = tasks_repo.store_tasks(conn, client_id, scheduler_id, job_id, new_tasks, now)
    if nudge is not None and any(t.start_time_utc is None or t.start_time_utc <= now
                                 for t in new_tasks):
        nudge()
    return AddedJob(job_id, views.task_objects(stored))


def store_validated(
    engine: sa.Engine, client_id: int, scheduler_id: int, new_tasks: list[NewTask],
    now: datetime, *, nudge: Callable[[], None] | None, chunk: int,
    on_progress: Callable[[int], None], dialer: str = DEFAULT_DIALER,
    label_of: Callable[[int], str] | None = None,
) -> int:
    """Store already validated tasks as one job in one transaction, ``chunk`` rows a batch;
    ``label_of`` names a task by its index in an error (a CSV file's line)."""
    with engine.begin() as conn:
        if schedulers_repo.get_scheduler(conn, client_id, scheduler_id) is None:
            raise UnknownScheduler(scheduler_id)
        require_accounts(conn, client_id, new_tasks, dialer, label_of)
        job_id = jobs_repo.insert_job(conn, client_id, scheduler_id, len(new_tasks), now,
                                      created_by="import")
        for start in range(0, len(new_tasks), chunk):
            part = new_tasks[start:start + chunk]
            tasks_repo.store_tasks(conn, client_id, scheduler_id, job_id, part, now)
            on_progress(start + len(part))
    if nudge is not None:
        nudge()
    return job_id


def require_accounts(
    conn: sa.Connection, client_id: int, new_tasks: Sequence[NewTask], dialer: str,
    label_of: Callable[[int], str] | None = None,
) -> None:
    """Under the SIP dialer, InvalidInput for each task whose extension_id names no account
    of the client: one statement for all of a request's distinct extensions, in the add's
    transaction; the accounts it finds cannot be deleted until that transaction ends."""
    if not account_input.accounts_required(dialer):
        return
    extension_ids = [task.extension_id for task in new_tasks]
    known = sip_accounts_repo.known_extensions(
        conn, client_id, {e for e in extension_ids if e is not None})
    errors = account_input.missing_accounts(extension_ids, known, client_id,
                                            label_of or _task_label)
    if errors:
        raise InvalidInput(errors)


def _task_label(index: int) -> str:
    return f"tasks[{index}]"


def get_task(engine: sa.Engine, client_id: int, task_id: int) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = task_reads.find_task(conn, client_id, task_id)
    return None if row is None else views.task_object(rows.as_dict(row))
