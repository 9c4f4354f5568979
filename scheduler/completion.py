"""Ending a try: one transaction decides the task's next state and writes its events."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from models import events, job_state, log_context, retry
from models.events import EventType
from models.job_state import JobStatus
from models.outcome import LOST_DESCRIPTION, CallOutcome
from models.repository import attempts_repo, common, events_repo, tasks_repo
from models.task_state import FinishResult, TaskTrigger

log = logging.getLogger(__name__)
# A try that would be retried while its job is paused or cancelled waits or ends instead.
HELD_RETRY: dict[JobStatus, TaskTrigger] = {
    JobStatus.PAUSED: TaskTrigger.PAUSE_AFTER_TRY,
    JobStatus.CANCELLED: TaskTrigger.CANCEL_AFTER_TRY,
}


def complete_attempt(
    engine: sa.Engine, attempt_id: int, outcome: CallOutcome | None, now: datetime
) -> bool:
    """Record the outcome (None: the try is lost); False if the attempt had already ended."""
    with engine.begin() as conn:
        attempt = attempts_repo.end_attempt(conn, attempt_id, outcome, now)
        if attempt is None:
            return False
        task = tasks_repo.load_task(conn, attempt.task_id)
        decision = retry.decide(
            connected=outcome is not None and outcome.connected,
            description=outcome.describe() if outcome else LOST_DESCRIPTION,
            attempt_no=try_in_execution(attempt.attempt_no, task),
            try_count=task.try_count,
            try_again_pause_s=task.try_again_pause,
            now=now,
        )
        trigger = decision.verdict.trigger
        if decision.verdict is retry.Verdict.RETRY:
            job_status = JobStatus(tasks_repo.job_status_of(conn, task.job_id))
            trigger = HELD_RETRY.get(job_status, trigger)
        updated = tasks_repo.apply_task_trigger(
            conn, task.id, trigger, now, **_task_fields(decision, outcome)
        )
        log.info("try ended: %s; %s", decision.comment, trigger.value,
                 extra=log_context.for_call(task._mapping, attempt_id, attempt.attempt_no))
        if updated is not None and trigger is TaskTrigger.CANCEL_AFTER_TRY:
            tasks_repo.count_final_task(conn, task.job_id, False, now)
        elif updated is not None and decision.verdict is not retry.Verdict.RETRY:
            _finish_task(conn, updated, decision.verdict, attempt.attempt_no, now)
    return True


def try_in_execution(attempt_no: int, task: common.Row) -> int:
    """The try's number within the job's current execution (a restart starts again at 1)."""
    return int(attempt_no - task.tries_before_execution)


def _task_fields(decision: retry.Decision, outcome: CallOutcome | None) -> dict[str, object]:
    if decision.verdict is retry.Verdict.RETRY:
        return {"next_attempt_at": decision.next_attempt_at}
    result = FinishResult.SUCCESS if decision.verdict is retry.Verdict.SUCCEED else (
        FinishResult.FAILED
    )
    fields: dict[str, object] = {
        "finish_result": result.value, "finish_comment": decision.comment, "next_attempt_at": None,
    }
    if outcome is not None and outcome.cdr:
        fields["cdr"] = outcome.cdr
    return fields


def _finish_task(
    conn: sa.Connection, task: common.Row, verdict: retry.Verdict, attempt_no: int,
    now: datetime,
) -> None:
    task_row = task._mapping
    finished = [EventType.SUCCESS, EventType.AFTER] if verdict is retry.Verdict.SUCCEED else [
        EventType.AFTER
    ]
    events_repo.insert_events(
        conn, [events.task_event(kind, task_row, attempt_no, now) for kind in finished]
    )
    counts = tasks_repo.count_final_task(conn, task.job_id, verdict is retry.Verdict.FAIL, now)
    if counts.tasks_final >= counts.tasks_total:
        trigger = job_state.finish_trigger(counts.tasks_failed)
        tasks_repo.apply_job_trigger(conn, [task.job_id], trigger, now)
