"""A worker that dies while placing a batch of tries (issue 12, defect 7): calls it had
placed are collected like any other and nobody is called again; tries it never placed are
known in seconds, abandoned (so a late placement rings nobody) and made again uncounted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from models import clock
from models.settings import Settings
from models.storage.call_tables import calls
from scheduler import dispatch, reaper
from tests import support
from tests.integration.test_core_flow import B_NUMBER, add, attempts_of, new_scheduler, task_row
from worker import calls as worker_calls
from worker import runtime
from worker.dialers.base import QueuedCall
from worker.dialers.sim import Scenario, SimDialer
from worker.webhook_senders import RecordingWebhookSender

TRIES = 5


class WorkerDied(BaseException):
    """Ends place_calls the way SIGKILL would: nothing after it runs."""


class DyingDialer(SimDialer):
    def __init__(self, *args: object, place_first: bool, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.place_first = place_first
        self.handed: list[QueuedCall] = []

    def originate(self, calls: Sequence[QueuedCall], now: datetime) -> None:
        self.handed.extend(calls)
        if self.place_first:
            super().originate(calls, now)
        raise WorkerDied


def setup(engine: sa.Engine, tmp_path: Path, place_first: bool
          ) -> tuple[DyingDialer, runtime.Runtime, list[int]]:
    settings = Settings(database_url="sqlite://", broker_url="memory://",
                        sim_dial_log=tmp_path / "dial.log")
    dialer = DyingDialer(engine, Scenario(), settings.sim_dial_log, place_first=place_first)
    dying = runtime.Runtime(settings, engine, dialer, RecordingWebhookSender())
    live = runtime.Runtime(settings, engine, SimDialer(engine, Scenario(),
                                                       settings.sim_dial_log),
                           RecordingWebhookSender())
    job = add(engine, new_scheduler(engine), [
        {"a_number": f"+1555000{i:04d}", "b_number": B_NUMBER, "try_again_pause": 0}
        for i in range(TRIES)])
    sent: list[int] = []
    dispatch.dispatch(engine, clock.now, sent.extend, dispatch.DispatchLimits(batch_max=100))
    with pytest.raises(WorkerDied):
        worker_calls.place_calls(dying, sent)
    return dialer, live, [t["id"] for t in job.tasks]


def dials(tmp_path: Path) -> Counter[tuple[int, int, str]]:
    return Counter((d["task_id"], d["attempt_no"], d["number"])
                   for d in support.read_dial_log(tmp_path / "dial.log") if d["leg"] == "A")


def test_calls_placed_by_a_worker_that_died_are_collected_not_dialled_again(
    engine: sa.Engine, tmp_path: Path
) -> None:
    _, live, task_ids = setup(engine, tmp_path, place_first=True)
    assert worker_calls.poll_calls(live) == TRIES  # any worker collects them
    for task_id in task_ids:
        assert task_row(engine, task_id).finish_result == "success"
        assert [(a.attempt_no, a.status) for a in attempts_of(engine, task_id)] == [
            (1, "completed")]
    assert sum(dials(tmp_path).values()) == TRIES and max(dials(tmp_path).values()) == 1
    report = reaper.reap(engine, clock.now() + timedelta(hours=2), send=lambda _: None,
                         claimed_resend_after_s=60, unplaced_after_s=30,
                         dialing_timeout_s=3660)
    assert (report.not_placed, report.lost) == (0, 0)


def test_tries_never_placed_are_seen_in_seconds_and_made_again_uncounted(
    engine: sa.Engine, tmp_path: Path
) -> None:
    dying, live, task_ids = setup(engine, tmp_path, place_first=False)
    soon = clock.now() + timedelta(seconds=31)
    report = reaper.reap(engine, soon, send=lambda _: None, claimed_resend_after_s=60,
                         unplaced_after_s=30, dialing_timeout_s=3660)
    assert (report.not_placed, report.lost) == (TRIES, 0)
    # The dead worker's placement, arriving late, rings nobody: the call was abandoned.
    SimDialer(engine, Scenario(), tmp_path / "dial.log").originate(dying.handed, soon)
    assert dials(tmp_path) == Counter()
    with engine.connect() as conn:
        assert set(conn.execute(sa.select(calls.c.status)).scalars()) == {"abandoned"}
    for task_id in task_ids:
        row = task_row(engine, task_id)
        assert (row.status, row.try_count, row.tries_before_execution) == ("delayed", 1, 1)
    sent: list[int] = []
    dispatch.dispatch(engine, lambda: soon, sent.extend, dispatch.DispatchLimits(batch_max=100))
    worker_calls.place_calls(live, sent)
    for task_id in task_ids:
        assert task_row(engine, task_id).finish_result == "success"  # try 1 of 1, made again
        assert [(a.attempt_no, a.status, a.cause) for a in attempts_of(engine, task_id)] == [
            (1, "lost", "not_placed"), (2, "completed", None)]
    assert sum(dials(tmp_path).values()) == TRIES
