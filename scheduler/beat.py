"""Beat's schedule: the call poller, the reaper, event delivery and the action sweep (dispatch
runs inside beat itself: worker/beat_scheduler.py). No call's time lives here."""

from __future__ import annotations

from typing import Any

from models.settings import Settings
from scheduler import names


def schedule(settings: Settings) -> dict[str, Any]:
    def every(task: str, seconds: float) -> dict[str, Any]:
        # A tick not run within its interval is stale: the next one does the same work.
        return {"task": task, "schedule": seconds, "options": {"expires": max(seconds, 1.0)}}

    # Dispatch is not here: beat's scheduler runs it in the beat process itself
    # (worker/beat_scheduler.py); scheduler.dispatch remains for the API's nudge.
    return {
        "poll-calls": every(names.POLL_CALLS_TASK, settings.poll_calls_interval_s),
        "reap": every(names.REAP_TASK, settings.reap_interval_s),
        "deliver-events": every(names.DELIVER_EVENTS_TASK, settings.deliver_events_interval_s),
        "sweep-actions": every(names.SWEEP_ACTIONS_TASK, settings.reap_interval_s),
    }
