"""Celery's task and queue names, in one place: the API and beat send tasks by these names
(the API never imports worker code), the worker registers its tasks under them, and the
worker's routes are built from ``QUEUE_OF``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

CALLS_QUEUE: Final = "ringback.calls"
TICKS_QUEUE: Final = "ringback.ticks"
QUEUES: Final = (CALLS_QUEUE, TICKS_QUEUE)

PLACE_CALLS_TASK: Final = "worker.place_calls"
DISPATCH_TASK: Final = "scheduler.dispatch"
REAP_TASK: Final = "scheduler.reap"
POLL_CALLS_TASK: Final = "worker.poll_calls"
DELIVER_EVENTS_TASK: Final = "worker.deliver_events"
APPLY_ACTION_TASK: Final = "worker.apply_action"
SWEEP_ACTIONS_TASK: Final = "worker.sweep_actions"

# Each task's queue: tries to place on one, every periodic or on-demand tick on the other.
QUEUE_OF: Final[Mapping[str, str]] = {
    PLACE_CALLS_TASK: CALLS_QUEUE,
    DISPATCH_TASK: TICKS_QUEUE,
    REAP_TASK: TICKS_QUEUE,
    POLL_CALLS_TASK: TICKS_QUEUE,
    DELIVER_EVENTS_TASK: TICKS_QUEUE,
    APPLY_ACTION_TASK: TICKS_QUEUE,
    SWEEP_ACTIONS_TASK: TICKS_QUEUE,
}
