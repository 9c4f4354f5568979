"""The dispatcher: runs dispatch rounds at the times models.dispatch_timing gives, for a
host loop (beat's) that calls ``run_if_due`` and sleeps for the seconds it returns."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa

from models.rules import dispatch_timing
from scheduler import dispatch
from scheduler.dispatch import Clock, DispatchLimits, SendAttempts

log = logging.getLogger(__name__)
# Failed rounds in a row wait twice as long each time, up to this.
FAILED_WAIT_MAX_S = 5.0


class Dispatcher:
    def __init__(
        self, engine: sa.Engine, clock: Clock, send: SendAttempts, limits: DispatchLimits, *,
        longest_wait_s: float,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.send = send
        self.limits = limits
        self.longest_wait_s = longest_wait_s
        self.next_round_at: datetime | None = None  # None: at once
        self.fruitless_rechecks = 0
        self.failures = 0  # rounds failed in a row
        self.rounds = 0
        # Claims committed whose message could not be sent yet: sent again next round
        # (and by the reaper, should this process end first).
        self.unsent: list[int] = []

    def run_if_due(self) -> float:
        """Run a round if one is due; returns the seconds until the next one."""
        now = self.clock()
        if self.next_round_at is None or now >= self.next_round_at:
            self.next_round_at = self._round()
        return max(0.0, (self.next_round_at - self.clock()).total_seconds())

    def _send(self, attempt_ids: Sequence[int]) -> None:
        try:
            self.send(attempt_ids)
        except Exception:
            log.exception("sending %d claimed tries failed; sending again next round",
                          len(attempt_ids))
            self.unsent.extend(attempt_ids)

    def _round(self) -> datetime:
        if self.unsent:
            unsent, self.unsent = self.unsent, []
            self._send(unsent)
        began = self.clock()
        try:
            report = dispatch.dispatch_round(self.engine, self.clock, self._send, self.limits)
            # Due after the round began, not after it ended: a task falling due while the
            # round ran is the next round's, at once, not one longest wait later.
            next_due = dispatch.next_due_at(self.engine, began)
            now = self.clock()
        except Exception:
            # The database is away: the next round tries again, a little later each time
            # it fails (a log line per round would flood); nothing is lost.
            log.exception("dispatch round failed")
            wait_s = min(self.longest_wait_s * 2 ** min(self.failures, 10), FAILED_WAIT_MAX_S)
            self.failures += 1
            return self.clock() + timedelta(seconds=max(wait_s, self.longest_wait_s))
        self.failures = 0
        self.rounds += 1
        if self.rounds == 1:
            log.info("dispatcher running: a round at least every %s s", self.longest_wait_s)
        fruitless = report.more_due and not report.started
        self.fruitless_rechecks = self.fruitless_rechecks + 1 if fruitless else 0
        return dispatch_timing.next_round_at(
            now, longest_wait_s=self.longest_wait_s, next_due_at=next_due,
            backlog_limited=report.more_due, fruitless_rechecks=self.fruitless_rechecks)
