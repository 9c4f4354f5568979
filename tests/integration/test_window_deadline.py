"""A try let go in its calling window is placed before the window closes, less the margin
for the A leg's ring, or not at all: a try whose message (or dialer) comes late rings
nobody, is made again without counting as a try or towards a number's caps, and waits for
the next opening. Driven with the project's functions and an injected dispatch clock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from api import enqueue
from models import clock
from models.settings import Settings
from models.storage.call_tables import calls
from scheduler import dispatch, reaper
from tests import support
from tests.integration.test_calling_holds import every_day, new_scheduler
from tests.integration.test_core_flow import A_NUMBER, CLIENT_ID, add, attempts_of, task_row
from worker import calls as worker_calls
from worker import runtime
from worker.dialers.base import QueuedCall
from worker.dialers.sim import Scenario, SimDialer
from worker.webhook_senders import RecordingWebhookSender

B_NUMBER = "+15550004001"
MARGIN_S = 30


class SlowDialer(SimDialer):
    """Takes the calls handed to it and places none of them (yet)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.handed: list[QueuedCall] = []

    def originate(self, calls: Sequence[QueuedCall], now: datetime) -> None:
        self.handed.extend(calls)


def _runtime(engine: sa.Engine, tmp_path: Path, dialer: SimDialer | None = None
             ) -> runtime.Runtime:
    settings = Settings(database_url="sqlite://", broker_url="memory://",
                        sim_dial_log=tmp_path / "dial.log")
    return runtime.Runtime(settings, engine,
                           dialer or SimDialer(engine, Scenario(), settings.sim_dial_log),
                           RecordingWebhookSender())


def _dispatch(engine: sa.Engine, at: datetime) -> list[int]:
    sent: list[int] = []
    dispatch.dispatch(engine, lambda: at, sent.extend,
                      dispatch.DispatchLimits(batch_max=10, window_margin_s=MARGIN_S))
    return sent


def _minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def test_a_try_delivered_after_its_window_closed_rings_nobody_and_waits(
    engine: sa.Engine, tmp_path: Path
) -> None:
    opened = _minute(clock.now() - timedelta(hours=1))  # a two-minute window, an hour ago
    scheduler_id = new_scheduler(engine, "deadline", {
        "calling_windows": every_day(opened, 120), "default_timezone": "UTC",
        "number_caps": {"lifetime": 1}})
    claimed_at = opened + timedelta(seconds=30)
    (task,) = (t["id"] for t in enqueue.add_tasks(engine, CLIENT_ID, scheduler_id, [
        {"a_number": A_NUMBER, "b_number": B_NUMBER, "try_again_pause": 0}], opened,
        max_tasks=1).tasks)
    assert len(_dispatch(engine, claimed_at)) == 1
    (attempt,) = attempts_of(engine, task)
    assert attempt.dial_by == opened + timedelta(minutes=2, seconds=-MARGIN_S)

    # Its message reaches a worker now, an hour late: not placed, made again uncounted.
    live = _runtime(engine, tmp_path)
    worker_calls.place_calls(live, [attempt.id])
    assert support.read_dial_log(tmp_path / "dial.log") == []
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(calls)).scalar() == 0
    (lost,) = attempts_of(engine, task)
    assert (lost.status, lost.cause) == ("lost", "not_placed")
    row = task_row(engine, task)
    assert (row.status, row.tries_before_execution) == ("delayed", 1)

    # Dispatch now holds it for tomorrow's opening; there it is let go, the lost try not
    # counting towards the number's lifetime cap of one dial.
    assert _dispatch(engine, clock.now()) == []
    held = task_row(engine, task)
    tomorrow = opened + timedelta(days=1)
    assert (held.status, held.next_attempt_at) == ("delayed_calling_window", tomorrow)
    assert len(_dispatch(engine, tomorrow)) == 1
    second = attempts_of(engine, task)[1]
    assert second.rule_evidence["cap"]["allowed"] is True
    assert second.dial_by == tomorrow + timedelta(minutes=2, seconds=-MARGIN_S)


def test_a_call_its_dialer_places_after_the_deadline_rings_nobody_and_is_abandoned(
    engine: sa.Engine, tmp_path: Path
) -> None:
    now = clock.now()
    scheduler_id = new_scheduler(engine, "late dialer", {
        "calling_windows": every_day(_minute(now), 180), "default_timezone": "UTC"})
    (task,) = (t["id"] for t in add(engine, scheduler_id, [
        {"a_number": A_NUMBER, "b_number": B_NUMBER, "try_again_pause": 0}]).tasks)
    sent = _dispatch(engine, clock.now())
    assert len(sent) == 1
    slow = SlowDialer(engine, Scenario(), tmp_path / "dial.log")
    worker_calls.place_calls(_runtime(engine, tmp_path, slow), sent)
    (attempt,) = attempts_of(engine, task)
    assert attempt.status == "dialing" and len(slow.handed) == 1
    too_late = attempt.dial_by + timedelta(seconds=1)

    SimDialer(engine, Scenario(), tmp_path / "dial.log").originate(slow.handed, too_late)
    assert support.read_dial_log(tmp_path / "dial.log") == []
    # The reaper abandons it at its deadline, long before unplaced_after_s.
    report = reaper.reap(engine, too_late, send=lambda _: None, claimed_resend_after_s=60,
                         unplaced_after_s=3600, dialing_timeout_s=7200)
    assert report.not_placed == 1
    with engine.connect() as conn:
        assert conn.execute(sa.select(calls.c.status)).scalar_one() == "abandoned"
    row = task_row(engine, task)
    assert (row.status, row.tries_before_execution) == ("delayed", 1)
