"""Beat's schedule: dispatch, the call poller and the reaper. No call's time lives here."""

from __future__ import annotations

from typing import Any

from models.settings import Settings

DISPATCH_TASK = "scheduler.dispatch"
REAP_TASK = "scheduler.reap"
POLL_CALLS_TASK = "worker.poll_calls"
DELIVER_EVENTS_TASK = "worker.deliver_events"
APPLY_ACTION_TASK = "worker.apply_action"
SWEEP_ACTIONS_TASK = "worker.sweep_actions"
PLACE_CALL_TASK = "worker.place_call"
CALLS_QUEUE = "ringback.calls"
TICKS_QUEUE = "ringback.ticks"


def schedule(settings: Settings) -> dict[str, Any]:
    def every(task: str, seconds: float) -> dict[str, Any]:
        # A tick not run within its interval is stale: the next one does the same work.
        return {"task": task, "schedule": seconds, "options": {"expires": max(seconds, 1.0)}}

    return {
        "dispatch": every(DISPATCH_TASK, settings.dispatch_interval_s),
        "poll-calls": every(POLL_CALLS_TASK, settings.poll_calls_interval_s),
        "reap": every(REAP_TASK, settings.reap_interval_s),
        "deliver-events": every(DELIVER_EVENTS_TASK, settings.deliver_events_interval_s),
        "sweep-actions": every(SWEEP_ACTIONS_TASK, settings.reap_interval_s),
    }
