"""Placing tries and collecting their outcomes, many at a time. Safe to run twice for the
same attempts: only the run whose guarded UPDATE took an attempt dials it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from models import clock, events, log_context
from models.events import EventType
from models.repository import attempts_repo, common, events_repo, outcomes_repo
from scheduler import completion
from worker.dialers.base import DialRequest, PlacedCall
from worker.runtime import Runtime

log = logging.getLogger(__name__)
# How soon to ask again about a call the dialer says is still going on.
POLL_AGAIN_AFTER_S = 1.0
POLL_BATCH_MAX = 1000
# Batches per poll_calls run, so one run collects a burst of calls ending together.
POLL_ROUNDS_MAX = 5


def place_call(runtime: Runtime, attempt_id: int) -> bool:
    """Dial one try; False when another delivery of its message got there first."""
    return place_calls(runtime, [attempt_id]) == 1


def place_calls(runtime: Runtime, attempt_ids: Sequence[int]) -> int:
    """Dial every try still claimed; returns how many this run dialled."""
    now = clock.now()
    with runtime.engine.begin() as conn:
        taken = attempts_repo.begin_dialing(conn, attempt_ids, now)
        task_rows = outcomes_repo.load_tasks(conn, [a.task_id for a in taken])
        events_repo.insert_events(conn, [
            _before_event(attempt, task_rows[attempt.task_id], now) for attempt in taken])
    # Committed before dialling: a second delivery now finds these no longer `claimed`.
    placed: list[tuple[int, PlacedCall]] = []
    unplaced: list[completion.Ending] = []
    for attempt in taken:
        call = _originate(runtime, attempt, task_rows[attempt.task_id], now)
        if call is None:
            unplaced.append((attempt.id, None))
        else:
            placed.append((attempt.id, call))
    _record_placed(runtime, placed, unplaced)
    return len(taken)


def _before_event(attempt: common.Row, task: common.Row, now: datetime) -> dict[str, object]:
    first = completion.try_in_execution(attempt.attempt_no, task) == 1
    kind = EventType.BEFORE if first else EventType.BEFORE_AGAIN
    return events.task_event(kind, task._mapping, attempt.attempt_no, now)


def _originate(
    runtime: Runtime, attempt: common.Row, task: common.Row, now: datetime
) -> PlacedCall | None:
    """Ask the dialer to place the call; None if it failed to say it had (the try is
    then lost: whether the call went out is unknown, so it is never dialled again)."""
    params = task.callback_params or {}
    request = DialRequest(
        attempt_id=attempt.id,
        task_id=task.id,
        attempt_no=attempt.attempt_no,
        a_numbers=(task.a_number, *params.get("extended_a_numbers", ())),
        b_number=task.b_number,
        caller_id_number=params.get("caller_id_number"),
        caller_id_name=params.get("caller_id_name"),
    )
    context = log_context.for_call(task._mapping, attempt.id, attempt.attempt_no)
    log.info("dialling %s", ", ".join(request.a_numbers), extra=context)
    try:
        return runtime.dialer.originate(request, now)
    except Exception:
        log.exception("the dialer failed to place the call", extra=context)
        return None


def _record_placed(
    runtime: Runtime, placed: Sequence[tuple[int, PlacedCall]],
    unplaced: Sequence[completion.Ending],
) -> None:
    """Store each call's reference and when to ask about it; in the same transaction, end
    the tries whose calls are already over (a zero-length call, a refused number)."""
    now = clock.now()
    outcomes = {attempt_id: runtime.dialer.poll(call.ref, now)
                for attempt_id, call in placed if call.check_at <= now}
    ended = {attempt_id: o for attempt_id, o in outcomes.items() if o is not None}
    going_on = [(attempt_id, call.ref, call.check_at) for attempt_id, call in placed
                if attempt_id not in ended]
    if not going_on and not ended and not unplaced:
        return
    with runtime.engine.begin() as conn:
        attempts_repo.record_dialer_refs(conn, going_on)
        completion.record_endings(conn, [*unplaced, *ended.items()], now,
                                  {attempt_id: call.ref for attempt_id, call in placed})


def poll_calls(runtime: Runtime) -> int:
    """Complete every try whose call has ended by now; returns how many ended."""
    ended = 0
    for _ in range(POLL_ROUNDS_MAX):
        now = clock.now()
        with runtime.engine.begin() as conn:
            due = attempts_repo.take_calls_to_check(
                conn, now, now + timedelta(seconds=POLL_AGAIN_AFTER_S), POLL_BATCH_MAX)
        outcomes = [(a.id, runtime.dialer.poll(a.dialer_ref, now)) for a in due]
        endings = [(attempt_id, o) for attempt_id, o in outcomes if o is not None]
        ended += len(completion.complete_attempts(runtime.engine, endings, clock.now()))
        if len(due) < POLL_BATCH_MAX:
            break
    return ended
