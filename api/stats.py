"""A scheduler's pacing at a glance: tasks by status, tries running, ASR, ACD, any hold."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from api import enqueue
from models.rules import pacing, timefmt
from models.rules.task_state import TaskStatus
from models.storage.repository import attempts_repo, schedulers_repo, tasks_repo
from scheduler import dispatch


def scheduler_stats(
    engine: sa.Engine, client_id: int, scheduler_id: int, now: datetime
) -> dict[str, Any]:
    with engine.connect() as conn:
        scheduler = schedulers_repo.get_scheduler(conn, client_id, scheduler_id)
        if scheduler is None:
            raise enqueue.UnknownScheduler(scheduler_id)
        settings = dispatch.pacing_settings(scheduler)
        # The plain ASR over the last window, holds or not; pacing itself measures again
        # from the end of a hold (DESIGN.md "Pacing").
        history = attempts_repo.pacing_history(
            conn, scheduler_id, None, settings.asr_window, scheduler.asr_hold_until,
            need_last_dial=False,
        )
        by_status = tasks_repo.count_by_status(conn, scheduler_id)
        acd_s = attempts_repo.average_talk_seconds(conn, scheduler_id)
    hold_until = scheduler.asr_hold_until
    asr = pacing.asr_pct(history.recent_a_answered)
    return {
        "scheduler_id": scheduler_id,
        "tasks_by_status": {s.value: by_status.get(s.value, 0) for s in TaskStatus},
        "tries_running": history.running,
        "asr": None if asr is None else round(asr, 2),
        "asr_tries": len(history.recent_a_answered),
        "acd_seconds": None if acd_s is None else round(acd_s, 3),
        "asr_hold_until": timefmt.format(hold_until) if hold_until and hold_until > now else None,
    }
