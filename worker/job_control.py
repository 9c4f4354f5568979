"""Carrying out accepted operator actions on the tasks. The API already changed the job
with a guarded UPDATE and recorded the action in the same transaction; this applies each
job's pending actions in the order they were accepted, once, whoever gets there first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa

from models.rules import action_state, job_state
from models.rules.action_state import ActionKind
from models.rules.job_state import JobStatus, TaskEffect
from models.rules.task_state import TaskTrigger
from models.shapes import events, rows
from models.storage.repository import actions_repo, events_repo, jobs_repo, tasks_repo

SWEEP_BATCH_MAX = 100
# Applies one action in the caller's transaction; returns what it did, for the action row.
Apply = Callable[[sa.Connection, rows.ActionRow, datetime], str]
# Changes a job's tasks as an effect says; returns how many changed.
Effect = Callable[[sa.Connection, int, datetime], int]


def apply_action(engine: sa.Engine, action_id: int, now: datetime) -> int:
    """Apply every pending action of the action's job; returns how many were applied."""
    with engine.connect() as conn:
        job_id = actions_repo.job_of(conn, action_id)
    return 0 if job_id is None else apply_job_actions(engine, job_id, now)


def apply_job_actions(engine: sa.Engine, job_id: int, now: datetime) -> int:
    """Apply the job's pending actions in order, then end the job if nothing is left to
    dial. That is decided once, from its tasks as they are after every pending action: an
    earlier action's view (a resume applied after a restart was accepted) is out of date."""
    with engine.begin() as conn:
        pending = actions_repo.lock_pending_of_job(conn, job_id)
        for action in pending:
            result = APPLY[ActionKind(action.kind)](conn, action, now)
            actions_repo.mark_applied(conn, action.id, result, now)
        if pending:
            jobs_repo.finish_if_all_final(conn, job_id, now)
    return len(pending)


def sweep(engine: sa.Engine, now: datetime, stale_after_s: float) -> int:
    """Apply actions whose message never arrived (a broker outage, a lost message)."""
    with engine.connect() as conn:
        job_ids = actions_repo.jobs_with_stale_actions(
            conn, now - timedelta(seconds=stale_after_s), SWEEP_BATCH_MAX)
    return sum(apply_job_actions(engine, job_id, now) for job_id in job_ids)


def _job_action(conn: sa.Connection, action: rows.ActionRow, now: datetime) -> str:
    # Both are recorded with every job action (only a reschedule lacks a from_status).
    assert action.from_status is not None and action.job_id is not None
    trigger = action_state.JOB_TRIGGERS[ActionKind(action.kind)]
    effect = job_state.task_effect(trigger, JobStatus(action.from_status))
    changed = EFFECTS[effect](conn, action.job_id, now)
    return f"{effect.value}: {changed} tasks"


def _cancel_unfinished(conn: sa.Connection, job_id: int, now: datetime) -> int:
    changed = tasks_repo.apply_to_job_tasks(conn, job_id, TaskTrigger.CANCEL, now,
                                            next_attempt_at=None)
    jobs_repo.adjust_counts(conn, job_id, changed, 0, now)
    return changed


def _pause_waiting(conn: sa.Connection, job_id: int, now: datetime) -> int:
    return tasks_repo.apply_to_job_tasks(conn, job_id, TaskTrigger.PAUSE, now)


def _resume_paused(conn: sa.Connection, job_id: int, now: datetime) -> int:
    return tasks_repo.apply_to_job_tasks(conn, job_id, TaskTrigger.RESUME, now)


def _rearm_failed(conn: sa.Connection, job_id: int, now: datetime) -> int:
    # Rearmed tasks are no longer final nor failed: the job counts them out again.
    changed = tasks_repo.rearm_failed_tasks(conn, job_id, now)
    jobs_repo.adjust_counts(conn, job_id, -changed, -changed, now)
    return changed


def _reschedule(conn: sa.Connection, action: rows.ActionRow, now: datetime) -> str:
    params = dict(action.params or {})
    moved_to = datetime.fromtimestamp(int(params["timestamp"]), tz=now.tzinfo)
    fields: dict[str, object] = {"next_attempt_at": moved_to, "start_time_utc": moved_to}
    if params.get("callbackType") == "Campaign":
        fields["extension_id"] = None  # any extension may take a campaign callback
    assert action.task_id is not None  # a reschedule names its task
    task = tasks_repo.apply_task_trigger(conn, action.task_id, TaskTrigger.RESCHEDULE, now,
                                         **fields)
    if task is None:
        current = tasks_repo.load_task(conn, action.task_id)
        detail = f"the record is {current.status}: it can no longer be rescheduled"
        kind = events.RecordEvent.RESCHEDULE_ERROR
    else:
        current, detail, kind = task, "rescheduled", events.RecordEvent.RESCHEDULE_ACKNOWLEDGE
    events_repo.insert_events(
        conn, [events.record_event(kind, rows.as_dict(current), params, detail, now)])
    return detail


# What each effect and each kind of action does: after the functions they name.
EFFECTS: dict[TaskEffect, Effect] = {
    TaskEffect.CANCEL_UNFINISHED: _cancel_unfinished,
    TaskEffect.PAUSE_WAITING: _pause_waiting,
    TaskEffect.RESUME_PAUSED: _resume_paused,
    TaskEffect.REARM_FAILED: _rearm_failed,
}
APPLY: dict[ActionKind, Apply] = {
    ActionKind.RESCHEDULE: _reschedule, **{kind: _job_action for kind in action_state.JOB_TRIGGERS}
}
