"""Ending tasks that a calling rule forbids to dial ever again, without a try: a number
that reached its lifetime cap, or one on a do-not-call list. In dispatch's transaction:
the task finishes `failed` with the reason, its `after` event is written, its job counted."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa

from models import log_context
from models.rules.task_state import FinishResult, TaskTrigger
from models.shapes import events, rows
from models.shapes.events import EventType
from models.shapes.rows import TaskRow
from models.storage.repository import events_repo, tasks_repo
from scheduler import completion

log = logging.getLogger(__name__)


def end_untried(conn: sa.Connection, reasons: Mapping[int, str], now: datetime) -> list[TaskRow]:
    """Finish each waiting task of ``reasons`` (task id → why) as failed; returns those
    ended here (one another transaction changed meanwhile is left alone: the guard)."""
    if not reasons:
        return []
    changes = [{"id": task_id, "finish_result": FinishResult.FAILED.value,
                "finish_comment": reason, "next_attempt_at": None}
               for task_id, reason in reasons.items()]
    ended = tasks_repo.apply_task_trigger_each(conn, TaskTrigger.REFUSE, changes, now)
    events_repo.insert_events(conn, [
        events.task_event(EventType.AFTER, rows.as_dict(task), task.attempts_made, now)
        for task in ended])
    finals: dict[int, tuple[int, int]] = {}
    for task in ended:
        log.info("task ended without a try: %s", task.finish_comment,
                 extra=log_context.for_call(task, None, task.attempts_made))
        final, failed = finals.get(task.job_id, (0, 0))
        finals[task.job_id] = (final + 1, failed + 1)
    completion.count_finals_by_job(conn, finals, now)
    return ended
