"""Placing tries and collecting their outcomes, many at a time. Safe to run twice for the
same attempts: only the run whose guarded UPDATE took an attempt queues its call, and a
call is placed only from `queued`."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from models import clock, log_context
from models.rules import dnc, numbering
from models.rules.outcome import WINDOW_CLOSED, CallOutcome
from models.shapes import events, rows
from models.shapes.events import EventType
from models.shapes.rows import AttemptRow, Ending, TaskRow
from models.storage.repository import (
    attempts_repo,
    calls_repo,
    dnc_repo,
    events_repo,
    tasks_repo,
)
from scheduler import completion
from worker.dialers.base import DialRequest, QueuedCall
from worker.runtime import Runtime

log = logging.getLogger(__name__)
# Batches (completion.COLLECT_BATCH_MAX calls each) per poll_calls run, so one run collects
# a burst of calls ending together.
COLLECT_ROUNDS_MAX = 50


def place_calls(runtime: Runtime, attempt_ids: Sequence[int]) -> int:
    """Hand every try still claimed to the dialer; returns how many this run took."""
    now = clock.now()
    with runtime.engine.begin() as conn:
        taken = attempts_repo.begin_dialing(conn, attempt_ids, now)
        # Delivered after their window closed (a busy queue, a resend): not placed now,
        # made again uncounted, held by dispatch until the window opens.
        missed = attempts_repo.past_dial_by(conn, attempt_ids, now)
        completion.record_endings(conn, [Ending(a, WINDOW_CLOSED) for a in missed], now)
        task_rows = tasks_repo.load_tasks(conn, [a.task_id for a in taken])
        taken = _screen_again(conn, taken, task_rows, now)
        queued = [_queued_call(a, task_rows[a.task_id]) for a in taken]
        calls_repo.queue_calls(conn, [_new_call(c, task_rows[c.request.task_id], a.dial_by)
                                      for c, a in zip(queued, taken, strict=True)],
                               runtime.dialer.name, now)
        events_repo.insert_events(conn, [
            _before_event(attempt, task_rows[attempt.task_id], now) for attempt in taken])
    # Committed first: a second delivery finds these tries no longer `claimed`, and a call
    # this process never gets to place is seen `queued` by the reaper.
    for call in queued:
        log.info("dialling %s", ", ".join(call.request.a_numbers),
                 extra=log_context.for_call(task_rows[call.request.task_id],
                                            call.request.attempt_id, call.request.attempt_no))
    try:
        runtime.dialer.originate(queued, now)
    except Exception:
        log.exception("the dialer failed to place %d calls; the reaper ends those it did "
                      "not place", len(queued))
    # Calls over as soon as placed (a zero-length call, a refused number) end here.
    completion.collect_these(runtime.engine, clock.now, [a.id for a in taken])
    return len(taken)


def _screen_again(conn: sa.Connection, taken: list[AttemptRow], task_rows: dict[int, TaskRow],
                  now: datetime) -> list[AttemptRow]:
    """The do-not-call lists once more, as the tries leave (a number listed since dispatch
    let its try go, while the message waited): one lookup for the batch. A try whose B
    number (or every A number) is listed now ends its task without a call; a listed A
    number is left out. Returns the tries to place, each with its numbers left out."""
    listed = dnc_repo.listed_numbers(
        conn, {task.client_id for task in task_rows.values()},
        numbering.ruled([n for a in taken for n in _numbers(task_rows[a.task_id])]), now)
    if not listed:
        return taken
    placed, refused, skipped = [], [], {}
    for attempt in taken:
        task = task_rows[attempt.task_id]
        left_out = attempt.skipped_numbers or []
        screening = dnc.screen(task.b_e164, [n for n in task.a_dial if n not in left_out],
                               listed.get(task.client_id, {}))
        if screening.refusal is not None:
            refused.append(Ending(attempt.id, CallOutcome(
                False, False, placed=False, refusal=f"{screening.refusal} (found as the "
                                                    "call was placed)")))
        elif screening.skipped_a_numbers:
            skipped[attempt.id] = [*left_out, *screening.skipped_a_numbers]
            placed.append(dataclasses.replace(attempt, skipped_numbers=skipped[attempt.id]))
        else:
            placed.append(attempt)
    completion.record_endings(conn, refused, now)
    attempts_repo.set_skipped_numbers(conn, skipped)
    return placed


def _numbers(task: TaskRow) -> list[str]:
    return [task.b_e164, *task.a_dial]


def _queued_call(attempt: AttemptRow, task: TaskRow) -> QueuedCall:
    params = task.callback_params or {}
    return QueuedCall(calls_repo.CallUuid(str(uuid.uuid4())), DialRequest(
        attempt_id=attempt.id,
        task_id=task.id,
        attempt_no=attempt.attempt_no,
        # Those a do-not-call list holds were left out by dispatch.
        a_numbers=tuple(number for number in task.a_dial
                        if number not in (attempt.skipped_numbers or ())),
        b_number=task.b_e164,
        caller_id_number=params.get("caller_id_number"),
        caller_id_name=params.get("caller_id_name"),
        extension_id=task.extension_id,
    ))


def _new_call(call: QueuedCall, task: TaskRow,
              dial_by: datetime | None) -> calls_repo.NewCall:
    return calls_repo.NewCall(call.request.attempt_id, task.id, task.client_id, call.uuid,
                              call.request.to_json(), dial_by)


def _before_event(attempt: AttemptRow, task: TaskRow, now: datetime) -> dict[str, object]:
    first = completion.try_in_execution(attempt.attempt_no, task) == 1
    kind = EventType.BEFORE if first else EventType.BEFORE_AGAIN
    return events.task_event(kind, rows.as_dict(task), attempt.attempt_no, now)


def poll_calls(runtime: Runtime) -> int:
    """Complete every try whose call has ended by now; returns how many ended."""
    return completion.collect_batches(runtime.engine, clock.now, COLLECT_ROUNDS_MAX)
