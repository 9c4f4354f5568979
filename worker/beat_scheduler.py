"""Beat's scheduler, which also hosts the dispatcher: beat's loop runs a dispatch round the
moment tries fall due, in a process of its own, instead of sending a tick for whichever
worker process is free next. Two beats are safe: dispatch locks each scheduler's row
with SKIP LOCKED, so only one of them paces a scheduler at a time."""

from __future__ import annotations

from typing import Any

from celery.beat import PersistentScheduler

from models import clock
from scheduler import dispatch
from scheduler.dispatcher import Dispatcher
from worker import runtime, tasks


class DispatchingScheduler(PersistentScheduler):
    _dispatcher: Dispatcher | None = None

    def tick(self, *args: Any, **kwargs: Any) -> float:
        wait = float(super().tick(*args, **kwargs))
        return min(wait, self.dispatcher().run_if_due())

    def dispatcher(self) -> Dispatcher:
        if self._dispatcher is None:
            rt = runtime.current()
            self._dispatcher = Dispatcher(
                rt.engine, clock.now, tasks.send_place_calls,
                dispatch.DispatchLimits.from_settings(rt.settings),
                longest_wait_s=rt.settings.dispatch_interval_s)
        return self._dispatcher
