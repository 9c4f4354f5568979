"""The Python entry point for an API layer: add tasks to a scheduler as one job."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from api import adding, idempotency, scheduler_input
from api.exceptions import DuplicateScheduler, UnknownScheduler
from models.rules import limits
from models.rules.errors import FieldError, InvalidInput
from models.rules.intake import DncPolicy
from models.shapes import account_input, rows, validation, views
from models.shapes.rows import SchedulerRow
from models.shapes.validation import NewTask
from models.storage.repository import (
    clients_repo,
    schedulers_repo,
    sip_accounts_repo,
    task_reads,
    tasks_repo,
)

DEFAULT_DIALER = "sim"  # settings.dialer's default: extension_id is a free number


@dataclass(frozen=True)
class AddedJob:
    job_id: int | None  # None when every task was merged into an active one
    tasks: list[dict[str, Any]]

    def document(self) -> dict[str, Any]:
        """The answer to the request that added them; the job's id as an opaque string."""
        return {"job_id": None if self.job_id is None else str(self.job_id),
                "tasks": self.tasks}


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
    on_dnc: DncPolicy = DncPolicy.REFUSE,
    key: idempotency.IdempotencyKey | None = None,
) -> AddedJob:
    """Validate every task, store them and their job in one transaction, return them stored.

    Raises InvalidInput (naming each field and rule; a number on a do-not-call list under
    ``on_dnc`` refuse; a B number the scheduler's duplicate rule refuses; under the SIP
    dialer, each extension_id with no account) or UnknownScheduler; neither stores anything.
    With an Idempotency-Key ``key`` already used for this request, the first answer is
    given again and nothing stored (KeyReused when it came with another request).
    """
    check_client_id(client_id)
    new_tasks = validation.validate_tasks(raw_tasks, max_tasks)
    with engine.begin() as conn:
        if key is not None and (first := idempotency.claim(conn, client_id, key, now)):
            # The first answer to this Idempotency-Key, given again.
            return AddedJob(None if first["job_id"] is None else int(first["job_id"]),
                            first["tasks"])
        scheduler = _scheduler_for_adding(conn, client_id, scheduler_id, new_tasks, dialer)
        stored = adding.store_job(conn, scheduler, new_tasks, now, on_dnc=on_dnc,
                                  origin=adding.JobOrigin(tracking_id, created_by),
                                  label=_task_label)
        added = AddedJob(stored.job_id, adding.task_documents(stored))
        if key is not None:
            idempotency.record(conn, client_id, key, added.document())
    if nudge is not None and stored.due_now:
        nudge()
    return added


def store_validated(
    engine: sa.Engine, client_id: int, scheduler_id: int, new_tasks: list[NewTask],
    now: datetime, *, nudge: Callable[[], None] | None, chunk: int,
    on_progress: Callable[[int], None], dialer: str = DEFAULT_DIALER,
    label_of: Callable[[int], str] | None = None, on_dnc: DncPolicy = DncPolicy.REFUSE,
) -> int | None:
    """Store already validated tasks as one job in one transaction, ``chunk`` rows a batch;
    ``label_of`` names a task by its index in an error (a CSV file's line)."""
    with engine.begin() as conn:
        scheduler = _scheduler_for_adding(conn, client_id, scheduler_id, new_tasks, dialer,
                                          label_of)
        stored = adding.store_job(conn, scheduler, new_tasks, now, on_dnc=on_dnc,
                                  origin=adding.JobOrigin(created_by="import"),
                                  label=label_of or _task_label, chunk=chunk,
                                  on_progress=on_progress)
    if nudge is not None and stored.due_now:
        nudge()
    return stored.job_id


def _scheduler_for_adding(
    conn: sa.Connection, client_id: int, scheduler_id: int, new_tasks: Sequence[NewTask],
    dialer: str, label_of: Callable[[int], str] | None = None,
) -> SchedulerRow:
    scheduler = schedulers_repo.get_scheduler(conn, client_id, scheduler_id)
    if scheduler is None:
        raise UnknownScheduler(scheduler_id)
    require_accounts(conn, client_id, new_tasks, dialer, label_of)
    return scheduler


def require_accounts(
    conn: sa.Connection, client_id: int, new_tasks: Sequence[NewTask], dialer: str,
    label_of: Callable[[int], str] | None = None,
) -> None:
    """Under the SIP dialer, InvalidInput for each task whose extension_id names no account
    of the client: one statement for all of a request's distinct extensions, in the add's
    transaction; the accounts it finds cannot be deleted until that transaction ends."""
    errors = missing_accounts(conn, client_id, new_tasks, dialer, label_of or _task_label)
    if errors:
        raise InvalidInput(list(errors.values()))


def missing_accounts(
    conn: sa.Connection, client_id: int, new_tasks: Sequence[NewTask], dialer: str,
    label_of: Callable[[int], str],
) -> dict[int, FieldError]:
    """By index, the tasks whose extension_id names no account of the client (none unless
    the dialer needs accounts)."""
    if not account_input.accounts_required(dialer):
        return {}
    extension_ids = [task.extension_id for task in new_tasks]
    known = sip_accounts_repo.known_extensions(
        conn, client_id, {e for e in extension_ids if e is not None})
    errors = account_input.missing_accounts(extension_ids, known, client_id, label_of)
    missing = [index for index, extension_id in enumerate(extension_ids)
               if extension_id is not None and extension_id not in known]
    return dict(zip(missing, errors, strict=True))


def _task_label(index: int) -> str:
    return f"tasks[{index}]"


def get_task(engine: sa.Engine, client_id: int, task_id: int) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = task_reads.find_task(conn, client_id, task_id)
    return None if row is None else views.task_object(rows.as_dict(row))
