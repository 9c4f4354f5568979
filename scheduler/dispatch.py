"""Dispatch: claim due tasks scheduler by scheduler, commit, and only then send the tries."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import sqlalchemy as sa

from models.job_state import JobTrigger
from models.repository import access_repo, attempts_repo, tasks_repo

SendAttempts = Callable[[Sequence[int]], None]
# Rounds per scheduler per dispatch run, so one busy scheduler cannot starve the others.
MAX_ROUNDS_PER_SCHEDULER = 10


def dispatch(engine: sa.Engine, now: datetime, send: SendAttempts, batch_max: int) -> int:
    """Start every due try that may start now; returns how many were started."""
    with engine.connect() as conn:
        scheduler_ids = tasks_repo.schedulers_with_due_tasks(conn, now)
    started = 0
    for scheduler_id in scheduler_ids:
        for _ in range(MAX_ROUNDS_PER_SCHEDULER):
            claimed = dispatch_scheduler(engine, scheduler_id, now, send, batch_max)
            started += claimed
            if claimed < batch_max:
                break
    return started


def dispatch_scheduler(
    engine: sa.Engine, scheduler_id: int, now: datetime, send: SendAttempts, batch_max: int
) -> int:
    with engine.begin() as conn:
        if not access_repo.lock_scheduler(conn, scheduler_id):
            return 0  # another dispatcher is pacing this scheduler right now
        claimed = tasks_repo.claim_due_tasks(conn, scheduler_id, now, batch_max)
        attempt_ids = attempts_repo.insert_attempts(conn, scheduler_id, claimed, now)
        tasks_repo.apply_job_trigger(conn, {c.job_id for c in claimed}, JobTrigger.START, now)
    # Sent after commit: a lost message leaves a `claimed` attempt the reaper sends again.
    if attempt_ids:
        send(attempt_ids)
    return len(attempt_ids)
