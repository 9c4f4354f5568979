"""Sending tasks to the workers by name, and pinging them: the API never imports worker
code."""

from __future__ import annotations

import contextlib

from celery import Celery

from scheduler import names

NUDGE_EXPIRES_S = 5.0


class Nudger:
    """Asks for a dispatch run now, when tasks are added that are already due."""

    def __init__(self, broker_url: str) -> None:
        self._app = Celery("ringback-api", broker=broker_url, set_as_current=False)
        self._app.conf.broker_connection_retry_on_startup = True

    def __call__(self) -> None:
        # Best effort: beat dispatches every second anyway, so a lost nudge costs a second.
        with contextlib.suppress(Exception):
            self._app.send_task(names.DISPATCH_TASK, queue=names.QUEUE_OF[names.DISPATCH_TASK],
                                expires=NUDGE_EXPIRES_S, retry=False)

    def send_action(self, action_id: int) -> None:
        """Ask a worker to apply an accepted action; the sweep applies it if this is lost."""
        with contextlib.suppress(Exception):
            self._app.send_task(names.APPLY_ACTION_TASK, args=(action_id,),
                                queue=names.QUEUE_OF[names.APPLY_ACTION_TASK], retry=False)

    def workers_seen(self, timeout_s: float) -> int | None:
        """How many workers answer a ping within ``timeout_s``; None when the broker cannot
        broadcast (Celery's SQLAlchemy transport) or cannot be reached."""
        try:
            replies = self._app.control.ping(timeout=timeout_s)
        except Exception:
            return None
        return len(replies)

    def close(self) -> None:
        self._app.close()
