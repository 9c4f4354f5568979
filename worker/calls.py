"""Placing a try and collecting its outcome. Safe to run twice for the same attempt."""

from __future__ import annotations

import logging
from datetime import timedelta

from models import clock, events, log_context
from models.events import EventType
from models.repository import attempts_repo, events_repo, tasks_repo
from scheduler import completion
from worker.dialers.base import DialRequest
from worker.runtime import Runtime

log = logging.getLogger(__name__)
# How soon to ask again about a call the dialer says is still going on.
POLL_AGAIN_AFTER_S = 1.0
POLL_BATCH_MAX = 500


def place_call(runtime: Runtime, attempt_id: int) -> bool:
    """Dial one try; False when another delivery of its message got there first."""
    now = clock.now()
    with runtime.engine.begin() as conn:
        attempt = attempts_repo.begin_dialing(conn, attempt_id, now)
        if attempt is None:
            return False
        task = tasks_repo.load_task(conn, attempt.task_id)
        first = completion.try_in_execution(attempt.attempt_no, task) == 1
        kind = EventType.BEFORE if first else EventType.BEFORE_AGAIN
        events_repo.insert_events(
            conn, [events.task_event(kind, task._mapping, attempt.attempt_no, now)]
        )
    # Committed before dialling: a second delivery now finds the attempt no longer `claimed`.
    params = task.callback_params or {}
    request = DialRequest(
        attempt_id=attempt_id,
        task_id=task.id,
        attempt_no=attempt.attempt_no,
        a_numbers=(task.a_number, *params.get("extended_a_numbers", ())),
        b_number=task.b_number,
        caller_id_number=params.get("caller_id_number"),
        caller_id_name=params.get("caller_id_name"),
    )
    log.info("dialling %s", ", ".join(request.a_numbers),
             extra=log_context.for_call(task._mapping, attempt_id, attempt.attempt_no))
    placed = runtime.dialer.originate(request, now)
    with runtime.engine.begin() as conn:
        attempts_repo.record_dialer_ref(conn, attempt_id, placed.ref, placed.check_at)
    check_outcome(runtime, attempt_id, placed.ref)
    return True


def check_outcome(runtime: Runtime, attempt_id: int, ref: str | None) -> bool:
    """Complete the try if its call has ended; otherwise ask again a little later."""
    now = clock.now()
    outcome = runtime.dialer.poll(ref, now)
    if outcome is None:
        with runtime.engine.begin() as conn:
            again_at = now + timedelta(seconds=POLL_AGAIN_AFTER_S)
            attempts_repo.postpone_check(conn, attempt_id, again_at)
        return False
    completion.complete_attempt(runtime.engine, attempt_id, outcome, now)
    return True


def poll_calls(runtime: Runtime) -> int:
    """Complete every try whose call has ended by now; returns how many ended."""
    with runtime.engine.connect() as conn:
        due = attempts_repo.attempts_to_check(conn, clock.now(), POLL_BATCH_MAX)
    return sum(check_outcome(runtime, a.id, a.dialer_ref) for a in due)
