"""``GET .../task/{task_id}/why`` and ``ringback why TASK_ID``: what holds a task now and
when it is next eligible, read from the task, its job and its scheduler in one snapshot
and explained by models.rules.why."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from api import asr
from models.rules import dnc, numbering, timefmt, why
from models.rules.calling import admission
from models.rules.job_state import JobStatus
from models.rules.task_state import TaskStatus
from models.shapes.rows import SchedulerRow, TaskRow
from models.storage.repository import (
    attempts_repo,
    dnc_repo,
    jobs_repo,
    number_reads,
    schedulers_repo,
    task_reads,
)


def explain_task(engine: sa.Engine, task: TaskRow, now: datetime,
                 margin: timedelta) -> dict[str, Any]:
    """The explanation document of ``task`` (found for its client already)."""
    with engine.connect() as conn:
        scheduler = schedulers_repo.find_scheduler(conn, task.scheduler_id)
        assert scheduler is not None  # a task's scheduler is never deleted
        facts = _task_facts(conn, task, scheduler, now, margin)
        explanation = why.explain(facts, _scheduler_facts(conn, scheduler), now)
    return {"task_id": task.id, "scheduler_id": task.scheduler_id, "job_id": str(task.job_id),
            "status": task.status, "now": timefmt.format(now), **explanation.document()}


def find(engine: sa.Engine, client_id: int | None, task_id: int) -> TaskRow | None:
    """The task, the client's own (None: any client's, for the operators' CLI)."""
    with engine.connect() as conn:
        return task_reads.find_task(conn, client_id, task_id)


def _task_facts(conn: sa.Connection, task: TaskRow, scheduler: SchedulerRow, now: datetime,
                margin: timedelta) -> why.TaskFacts:
    listed = dnc_repo.listed_numbers(
        conn, [task.client_id], numbering.ruled([task.b_e164, *task.a_dial]), now)
    zone = (task.callback_params or {}).get("timezone")
    return why.TaskFacts(
        status=TaskStatus(task.status), next_attempt_at=task.next_attempt_at,
        attempts_made=task.attempts_made, finish_comment=task.finish_comment,
        job_status=JobStatus(jobs_repo.job_statuses(conn, [task.job_id])[task.job_id]),
        b_number=task.b_e164, task_timezone=zone if isinstance(zone, str) else None,
        screening=dnc.screen(task.b_e164, task.a_dial, listed.get(task.client_id, {})),
        rules=admission.CallingRules.of(scheduler.calling_rules, scheduler.number_caps),
        history=number_reads.number_histories(conn, task.client_id,
                                              [task.b_e164])[task.b_e164],
        margin=margin, running_since=attempts_repo.running_since(conn, task.id))


def _scheduler_facts(conn: sa.Connection, scheduler: SchedulerRow) -> why.SchedulerFacts:
    measured = asr.window_asr(conn, scheduler.id, scheduler.asr_window)
    return why.SchedulerFacts(
        paused=scheduler.paused_at is not None,
        concurrent_task_limit=scheduler.concurrent_task_limit, running=measured.running,
        interval_s=scheduler.interval_s,
        last_dial_at=conn.execute(attempts_repo.last_dial_at(scheduler.id)).scalar_one(),
        asr_hold_until=scheduler.asr_hold_until, asr_percent=measured.percent,
        asr_threshold=scheduler.asr_threshold)
