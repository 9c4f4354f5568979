"""Pacing rules: how many tries a scheduler may start now, and what holds the rest. Pure.

Order of the rules, strictest first: an ASR hold stops everything; the concurrency limit
leaves ``limit - running`` slots; the interval allows one start once ``interval`` has
passed since the last dial, and none while a claimed try has not dialled yet (so dials,
not just claims, are ``interval`` apart). Last, claims not yet taken by a worker are kept
under ``max_pending_claims`` so the queue stays shallow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.rules.task_state import TaskTrigger

UNLIMITED = 1_000_000


@dataclass(frozen=True)
class PacingSettings:
    concurrent_task_limit: int | None = None
    interval_s: int = 0
    asr_threshold_pct: float | None = None  # None: the ASR rule is off
    asr_window: int = 20
    asr_min_attempts: int = 10
    asr_pause_s: int = 300
    # Claims whose message has not been taken yet: more would only lengthen the queue
    # (and the reaper's resends) while the database already holds the backlog.
    max_pending_claims: int = 200


@dataclass(frozen=True)
class History:
    """What the scheduler's attempts say now."""

    running: int  # tries claimed or dialling
    claimed_not_dialled: int
    last_dial_at: datetime | None
    # A leg answered?, for the newest completed tries measured since the last hold ended,
    # at most the window's size, newest first.
    recent_a_answered: Sequence[bool] = ()
    asr_hold_until: datetime | None = None


@dataclass(frozen=True)
class Decision:
    slots: int  # tries that may start now
    hold: TaskTrigger | None  # what due tasks beyond the slots wait for
    new_asr_hold_until: datetime | None = None  # a hold to record, starting now


def asr_pct(recent_a_answered: Sequence[bool]) -> float | None:
    if not recent_a_answered:
        return None
    return 100.0 * sum(recent_a_answered) / len(recent_a_answered)


def decide(settings: PacingSettings, history: History, now: datetime) -> Decision:
    if history.asr_hold_until is not None and now < history.asr_hold_until:
        return Decision(0, TaskTrigger.HOLD_ASR)
    if _asr_collapsed(settings, history.recent_a_answered):
        until = now + timedelta(seconds=settings.asr_pause_s)
        return Decision(0, TaskTrigger.HOLD_ASR, new_asr_hold_until=until)
    slots = UNLIMITED
    if settings.concurrent_task_limit is not None:
        slots = max(0, settings.concurrent_task_limit - history.running)
        if slots == 0:
            return Decision(0, TaskTrigger.HOLD_CONCURRENCY)
    if settings.interval_s > 0:
        if history.claimed_not_dialled or (
            history.last_dial_at is not None
            and now < history.last_dial_at + timedelta(seconds=settings.interval_s)
        ):
            return Decision(0, TaskTrigger.HOLD_INTERVAL)
        return Decision(1, TaskTrigger.HOLD_INTERVAL)
    hold = TaskTrigger.HOLD_CONCURRENCY if slots < UNLIMITED else None
    backlog_room = max(0, settings.max_pending_claims - history.claimed_not_dialled)
    if backlog_room < slots:
        return Decision(backlog_room, None)  # not a pacing hold: the tasks simply wait
    return Decision(slots, hold)


def _asr_collapsed(settings: PacingSettings, recent: Sequence[bool]) -> bool:
    if settings.asr_threshold_pct is None or len(recent) < settings.asr_min_attempts:
        return False
    measured = asr_pct(recent[: settings.asr_window])
    return measured is not None and measured < settings.asr_threshold_pct
