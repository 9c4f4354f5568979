"""Job control for the API: the guarded UPDATE it answers from, the action recorded in the
same transaction, and the action sent to the worker by name."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from api import exceptions, job_document
from models import clock
from models.rules import action_state, job_state, limits, task_state, text
from models.rules.action_state import ActionKind
from models.rules.errors import FieldError, InvalidInput
from models.rules.job_state import JobStatus, JobTrigger
from models.rules.task_state import TaskStatus
from models.shapes import views
from models.storage.repository import (
    actions_repo,
    jobs_repo,
    schedulers_repo,
    task_reads,
    tasks_repo,
)

SendAction = Callable[[int], None]


class BatchResult(StrEnum):
    """The "suspend an outbound call batch" page's result codes."""

    SUCCESS = "0200000"
    PARAMETER_ERROR = "0200001"
    EMPTY_PARAMETER = "02000001"
    CAMPAIGN_NOT_FOUND = "0200007"
    SUSPENSION_NOT_ALLOWED = "03000002"
    BATCH_NOT_FOUND = "03000004"
    ALREADY_SUSPENDED = "03000006"


# The HTTP status each "suspend a call batch" result answers with (the body keeps the code).
BATCH_RESULT_STATUS: dict[BatchResult, int] = {
    BatchResult.SUCCESS: 200,
    BatchResult.PARAMETER_ERROR: 400,
    BatchResult.EMPTY_PARAMETER: 400,
    BatchResult.CAMPAIGN_NOT_FOUND: 404,
    BatchResult.BATCH_NOT_FOUND: 404,
    BatchResult.SUSPENSION_NOT_ALLOWED: 409,
    BatchResult.ALREADY_SUSPENDED: 409,
}


class JobNotFound(LookupError):
    def __init__(self, job_id: int) -> None:
        super().__init__(f"id: job {job_id} not found")


class RecordNotFound(LookupError):
    pass


class RecordNotReschedulable(ValueError):
    pass


def parse_action(action: str) -> JobTrigger:
    names = sorted(t.value for t in job_state.ACTIONS)
    if action not in names:
        raise InvalidInput([FieldError("action", f"must be one of {', '.join(names)}")])
    return JobTrigger(action)


def request_job_action(
    engine: sa.Engine, client_id: int, job_id: int, trigger: JobTrigger, now: datetime,
    send: SendAction,
) -> JobStatus:
    """Change the job now (ActionRefused when its status does not allow it), record the
    action for the worker, and send it; returns the job's new status."""
    with engine.begin() as conn:
        job = jobs_repo.lock_job(conn, client_id, job_id)
        if job is None:
            raise JobNotFound(job_id)
        from_status = JobStatus(job.status)
        to_status = job_state.transition(from_status, trigger)
        if not jobs_repo.change_status(conn, [job_id], trigger, now):
            raise job_state.ActionRefused(trigger, from_status)
        action_id = actions_repo.insert_action(
            conn, client_id=client_id, kind=action_state.KIND_OF_TRIGGER[trigger].value,
            job_id=job_id, from_status=from_status.value, now=now)
    send(action_id)  # best effort: the sweep applies it if the message is lost
    return to_status


def request_reschedule(
    engine: sa.Engine, client_id: int, task_id: int, params: dict[str, Any], now: datetime,
    send: SendAction,
) -> None:
    """Accept a "reschedule record" for a task that can still be moved; applied by the worker."""
    with engine.begin() as conn:
        task = task_reads.find_task(conn, client_id, task_id)
        if task is None:
            raise RecordNotFound(f"record {task_id} not found")
        if TaskStatus(task.status) not in task_state.WAITING:
            raise RecordNotReschedulable(
                f"record {task_id} is {task.status}: only a record waiting for its next "
                "try can be rescheduled")
        action_id = actions_repo.insert_action(
            conn, client_id=client_id, kind=ActionKind.RESCHEDULE.value, job_id=task.job_id,
            task_id=task_id, params=params, now=now)
    send(action_id)


def job_status_document(
    engine: sa.Engine, client_id: int, job_id: int, now: datetime
) -> dict[str, Any]:
    with engine.connect() as conn:
        job = jobs_repo.find_job(conn, client_id, job_id)
        if job is None:
            raise JobNotFound(job_id)
        runs = jobs_repo.executions(conn, job_id)
        by_outcome = jobs_repo.task_counts(conn, job_id)
    return job_document.document(job, runs, by_outcome, now)


def pause_scheduler(
    engine: sa.Engine, client_id: int, scheduler_id: int, paused: bool, now: datetime
) -> dict[str, Any]:
    """Scheduler-wide pause (dispatch starts nothing there) or resume."""
    with engine.begin() as conn:
        row = schedulers_repo.set_scheduler_paused(conn, client_id, scheduler_id,
                                                   now if paused else None)
        if row is None:
            raise exceptions.UnknownScheduler(scheduler_id)
        if not paused:
            # Held until commit: a job paused meanwhile is answered after this resume,
            # and its pause then applies to the tasks resumed here.
            held = jobs_repo.hold_statuses(conn, task_reads.paused_jobs_of(conn, scheduler_id))
            tasks_repo.resume_scheduler_tasks(conn, scheduler_id, [
                job_id for job_id, status in held.items() if status in job_state.DIALLABLE], now)
    return views.scheduler_object(row)


def suspend_batch(
    engine: sa.Engine, client_id: int, vdn_id: str, campaign_id: str, raw: object,
    send: SendAction,
) -> tuple[BatchResult, str]:
    """Pause a job (batch) of a scheduler (campaign) of a client (VCC); the seed's codes."""
    low, high = limits.CLIENT_ID_MIN, limits.CLIENT_ID_MAX
    if not text.is_ascii_digits(vdn_id, limits.CLIENT_ID_DIGITS) or not low <= int(vdn_id) <= high:
        return BatchResult.PARAMETER_ERROR, f"vdnId: must be an integer from {low} to {high}"
    if not _is_id(campaign_id):
        return BatchResult.PARAMETER_ERROR, "campaignId: must be a campaign id"
    if not isinstance(raw, dict):
        return BatchResult.PARAMETER_ERROR, "body: must be a JSON object with an id"
    batch = raw.get("id")
    if isinstance(batch, float) and batch.is_integer():
        batch = int(batch)  # JSON's 17.0 is the number 17
    if batch is None or batch == "":
        return BatchResult.EMPTY_PARAMETER, "id: is required"
    if isinstance(batch, bool) or not isinstance(batch, int | str) or not _is_id(str(batch)):
        return BatchResult.PARAMETER_ERROR, "id: must be a batch id"
    with engine.connect() as conn:
        scheduler = schedulers_repo.get_scheduler(conn, client_id, int(campaign_id))
        job = jobs_repo.find_job(conn, client_id, int(batch))
    if int(vdn_id) != client_id or scheduler is None:
        return BatchResult.CAMPAIGN_NOT_FOUND, f"campaign {campaign_id} not found"
    if job is None or job.scheduler_id != scheduler.id:
        return BatchResult.BATCH_NOT_FOUND, f"batch {batch} not found in the campaign"
    try:
        request_job_action(engine, client_id, job.id, JobTrigger.PAUSE, clock.now(), send)
    except job_state.ActionRefused as refused:
        if refused.status is JobStatus.PAUSED:
            return BatchResult.ALREADY_SUSPENDED, "the batch is already suspended"
        return BatchResult.SUSPENSION_NOT_ALLOWED, str(refused)
    return BatchResult.SUCCESS, "success"


def _is_id(value: str) -> bool:
    """A 64-bit id (a campaign's or a batch's) written in digits."""
    return text.is_ascii_digits(value, limits.INT64_DIGITS) and 1 <= int(value) <= limits.INT64_MAX
