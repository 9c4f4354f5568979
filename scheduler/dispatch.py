"""Dispatch: pace each scheduler, claim its due tasks, commit, and only then send the tries."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from models.rules import pacing
from models.rules.calling import admission
from models.rules.job_state import JobTrigger
from models.rules.task_state import TaskTrigger
from models.settings import Settings
from models.shapes.rows import SchedulerRow
from models.storage.repository import attempts_repo, jobs_repo, schedulers_repo, tasks_repo
from scheduler import calling

SendAttempts = Callable[[Sequence[int]], None]
Clock = Callable[[], datetime]
# Rounds per scheduler per dispatch run, so one busy scheduler cannot starve the others.
MAX_ROUNDS_PER_SCHEDULER = 10


@dataclass(frozen=True)
class DispatchLimits:
    """How much dispatch may claim: the same for every round of a process, so built from its
    settings once (``from_settings``) and passed down."""

    batch_max: int  # tries claimed per scheduler per round, in one transaction
    # Per scheduler: claimed tries whose message no worker has taken yet (see pacing);
    # pacing's own default for callers that set only the batch (tests).
    max_pending_claims: int = pacing.PacingSettings.max_pending_claims
    # A try starts only in a calling window that stays open this long (the A leg's ring).
    window_margin_s: float = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> DispatchLimits:
        return cls(batch_max=settings.dispatch_batch_max,
                   max_pending_claims=settings.max_pending_claims,
                   window_margin_s=settings.calling_window_margin_s)


@dataclass(frozen=True)
class RoundReport:
    started: int  # tries claimed and sent
    # Some scheduler has due tasks left that pacing does not hold back: its claims filled
    # the room for work no worker has taken yet, or its batches ran out.
    more_due: bool


def dispatch(engine: sa.Engine, clock: Clock, send: SendAttempts, limits: DispatchLimits) -> int:
    """Start every due try that may start now; returns how many were started."""
    return dispatch_round(engine, clock, send, limits).started


def dispatch_round(
    engine: sa.Engine, clock: Clock, send: SendAttempts, limits: DispatchLimits
) -> RoundReport:
    with engine.connect() as conn:
        scheduler_ids = tasks_repo.schedulers_with_due_tasks(conn, clock())
    started, more_due = 0, False
    for scheduler_id in scheduler_ids:
        for _ in range(MAX_ROUNDS_PER_SCHEDULER):
            claimed = _dispatch_scheduler(engine, scheduler_id, clock, send, limits)
            started += claimed.started
            if claimed.started < limits.batch_max:
                break
        more_due = more_due or claimed.more_due
    return RoundReport(started, more_due)


def next_due_at(engine: sa.Engine, now: datetime) -> datetime | None:
    """When the next waiting task falls due, if any does after ``now``."""
    with engine.connect() as conn:
        return tasks_repo.next_due_after(conn, now)


def pacing_settings(scheduler: SchedulerRow, limits: DispatchLimits) -> pacing.PacingSettings:
    return pacing.PacingSettings(
        max_pending_claims=limits.max_pending_claims,
        concurrent_task_limit=scheduler.concurrent_task_limit,
        interval_s=scheduler.interval_s,
        asr_threshold_pct=scheduler.asr_threshold,
        asr_window=scheduler.asr_window,
        asr_min_attempts=scheduler.asr_min_attempts,
        asr_pause_s=scheduler.asr_pause_s,
    )


def dispatch_scheduler(
    engine: sa.Engine, scheduler_id: int, clock: Clock, send: SendAttempts,
    limits: DispatchLimits,
) -> int:
    """Start the scheduler's due tries that may start now; returns how many."""
    return _dispatch_scheduler(engine, scheduler_id, clock, send, limits).started


def _dispatch_scheduler(
    engine: sa.Engine, scheduler_id: int, clock: Clock, send: SendAttempts,
    limits: DispatchLimits,
) -> RoundReport:
    with engine.begin() as conn:
        scheduler = schedulers_repo.lock_scheduler(conn, scheduler_id)
        if scheduler is None:
            # Another dispatcher is pacing this scheduler right now.
            return RoundReport(0, more_due=False)
        settings = pacing_settings(scheduler, limits)
        history = attempts_repo.pacing_history(
            conn, scheduler_id, scheduler.asr_measure_from,
            settings.asr_window if settings.asr_threshold_pct is not None else None,
            scheduler.asr_hold_until, need_last_dial=settings.interval_s > 0,
        )
        # Read after the history: every try it saw end ended before the claims made now.
        now = clock()
        decision = (pacing.Decision(0, TaskTrigger.PAUSE) if scheduler.paused_at is not None
                    else pacing.decide(settings, history, now))
        if decision.new_asr_hold_until is not None:
            schedulers_repo.start_asr_hold(conn, scheduler_id, decision.new_asr_hold_until)
        limit = min(limits.batch_max, decision.slots)
        claim = _claim(conn, scheduler, now, limit, timedelta(seconds=limits.window_margin_s))
        claimed = claim.claimed
        attempt_ids = attempts_repo.insert_attempts(conn, scheduler_id, claimed, now, claim)
        jobs_repo.change_status(conn, {c.job_id for c in claimed}, JobTrigger.START, now)
        if decision.hold is not None and len(claimed) >= decision.slots:
            tasks_repo.hold_due_tasks(conn, scheduler_id, now, decision.hold)
    # Sent after commit: a lost message leaves a `claimed` attempt the reaper sends again.
    if attempt_ids:
        send(attempt_ids)
    return RoundReport(len(attempt_ids),
                       more_due=decision.hold is None and claim.looked_at == limit)


def _claim(conn: sa.Connection, scheduler: SchedulerRow, now: datetime,
           limit: int, margin: timedelta) -> calling.RuleClaim:
    """Claim up to ``limit`` due tasks, screened by the do-not-call lists and through the
    calling rules when the scheduler has any (tasks they end or hold are not claimed and
    leave room for others)."""
    if not limit:
        return calling.RuleClaim([], 0)
    rules = admission.CallingRules.of(scheduler.calling_rules, scheduler.number_caps)
    return calling.claim_screened(conn, scheduler.id, rules, now, limit, margin)
