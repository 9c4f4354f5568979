"""The Celery tasks: ids in, one call to the function that holds the logic, safe to run twice."""

from __future__ import annotations

from collections.abc import Sequence

from models import clock
from scheduler import dispatch, names, reaper
from worker import calls, delivery, job_control, runtime
from worker.celery_app import app

# Tries per place_calls message.
PLACE_BATCH_MAX = 25


def send_place_calls(attempt_ids: Sequence[int]) -> None:
    """A message per PLACE_BATCH_MAX tries: enough to spread a burst over the workers."""
    ids = list(attempt_ids)
    for start in range(0, len(ids), PLACE_BATCH_MAX):
        place_calls.apply_async((ids[start:start + PLACE_BATCH_MAX],))


@app.task(name=names.PLACE_CALLS_TASK)
def place_calls(attempt_ids: list[int]) -> int:
    return calls.place_calls(runtime.current(), attempt_ids)


@app.task(name=names.DISPATCH_TASK)
def run_dispatch() -> int:
    rt = runtime.current()
    return dispatch.dispatch(rt.engine, clock.now, send_place_calls,
                             dispatch.DispatchLimits.from_settings(rt.settings))


@app.task(name=names.POLL_CALLS_TASK)
def poll_calls() -> int:
    return calls.poll_calls(runtime.current())


@app.task(name=names.REAP_TASK)
def reap() -> dict[str, int]:
    rt = runtime.current()
    report = reaper.reap(
        rt.engine,
        clock.now(),
        send=send_place_calls,
        claimed_resend_after_s=rt.settings.claimed_resend_after_s,
        unplaced_after_s=rt.settings.unplaced_after_s,
        dialing_timeout_s=rt.settings.call_timeout_s + rt.settings.lost_grace_s,
    )
    return {"resent": report.resent, "not_placed": report.not_placed, "lost": report.lost}


@app.task(name=names.DELIVER_EVENTS_TASK)
def deliver_events() -> int:
    return delivery.deliver_events(runtime.current())


@app.task(name=names.APPLY_ACTION_TASK)
def apply_action(action_id: int) -> int:
    return job_control.apply_action(runtime.current().engine, action_id, clock.now())


@app.task(name=names.SWEEP_ACTIONS_TASK)
def sweep_actions() -> int:
    rt = runtime.current()
    return job_control.sweep(rt.engine, clock.now(), rt.settings.action_sweep_after_s)
