"""A scheduler's pacing at a glance: tasks by status, tries running, ASR, ACD, any hold."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from api import asr, exceptions
from models.rules import timefmt
from models.rules.task_state import TaskStatus
from models.shapes import views
from models.storage.repository import attempts_repo, schedulers_repo, task_reads


def scheduler_stats(
    engine: sa.Engine, client_id: int, scheduler_id: int, now: datetime
) -> dict[str, Any]:
    with engine.connect() as conn:
        scheduler = schedulers_repo.get_scheduler(conn, client_id, scheduler_id)
        if scheduler is None:
            raise exceptions.UnknownScheduler(scheduler_id)
        measured = asr.window_asr(conn, scheduler_id, scheduler.asr_window)
        by_status = task_reads.count_by_status(conn, scheduler_id)
        acd_s = attempts_repo.average_talk_seconds(conn, scheduler_id)
    hold_until = scheduler.asr_hold_until
    return {
        "scheduler_id": scheduler_id,
        "tasks_by_status": {s.value: by_status.get(s.value, 0) for s in TaskStatus},
        "tries_running": measured.running,
        "asr": None if measured.percent is None else round(measured.percent, 2),
        "asr_tries": measured.tries,
        "acd_seconds": None if acd_s is None else round(acd_s, 3),
        "asr_hold_until": timefmt.format(hold_until) if hold_until and hold_until > now else None,
        "calling_rules": views.calling_rules_object(scheduler),
    }
