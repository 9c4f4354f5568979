"""Beat's dispatcher against the real PostgreSQL, with an injected clock and a recording
send: when it runs its rounds, and what it does when a send fails."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from models.rules import dispatch_timing, timefmt
from models.storage.tables import attempts
from scheduler.dispatch import DispatchLimits
from scheduler.dispatcher import FAILED_WAIT_MAX_S, Dispatcher
from tests.integration.test_core_flow import A_NUMBER, B_NUMBER, add, new_scheduler

START = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Sends:
    """Records every send; fails the first ``failures`` of them, as a broker away would."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.sent: list[int] = []

    def __call__(self, attempt_ids: Sequence[int]) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("broker away")
        self.sent.extend(attempt_ids)


def dispatcher(engine: sa.Engine, clock: Clock, sends: Sends, *, longest_wait_s: float = 60,
               max_pending_claims: int = 200) -> Dispatcher:
    return Dispatcher(engine, clock, sends,
                      DispatchLimits(batch_max=1000, max_pending_claims=max_pending_claims),
                      longest_wait_s=longest_wait_s)


def tasks_due(engine: sa.Engine, n: int, at: datetime) -> list[int]:
    job = add(engine, new_scheduler(engine), [
        {"a_number": A_NUMBER, "b_number": B_NUMBER, "start_time_utc": timefmt.format(at)}
        for _ in range(n)])
    return [int(t["id"]) for t in job.tasks]


def test_the_next_round_runs_when_the_next_task_falls_due(engine: sa.Engine) -> None:
    tasks_due(engine, 1, START + timedelta(seconds=5))
    clock, sends = Clock(START), Sends()
    loop = dispatcher(engine, clock, sends)

    assert loop.run_if_due() == 5.0  # nothing due yet: sleep until the task is
    assert sends.sent == []
    clock.now = START + timedelta(seconds=4.9)
    assert loop.run_if_due() == pytest.approx(0.1)  # not due: no round, no send
    assert sends.sent == []
    clock.now = START + timedelta(seconds=5)
    assert loop.run_if_due() == 60.0  # claimed at its time; nothing else waits
    assert len(sends.sent) == 1


def test_a_round_that_filled_the_room_for_unsent_claims_looks_again_soon(
    engine: sa.Engine,
) -> None:
    tasks_due(engine, 10, START)
    clock, sends = Clock(START), Sends()
    loop = dispatcher(engine, clock, sends, max_pending_claims=4)

    assert loop.run_if_due() == pytest.approx(dispatch_timing.BACKLOG_RECHECK_S)
    assert len(sends.sent) == 4
    clock.now += timedelta(seconds=dispatch_timing.BACKLOG_RECHECK_S)
    # No worker took the claims: nothing more is claimed and the next look waits longer.
    assert loop.run_if_due() == pytest.approx(2 * dispatch_timing.BACKLOG_RECHECK_S)
    assert len(sends.sent) == 4


def test_claims_whose_message_failed_to_send_are_sent_in_the_next_round(
    engine: sa.Engine,
) -> None:
    task_ids = tasks_due(engine, 3, START)
    clock, sends = Clock(START), Sends(failures=1)
    loop = dispatcher(engine, clock, sends, longest_wait_s=1)

    loop.run_if_due()
    assert sends.sent == [] and len(loop.unsent) == 3
    clock.now += timedelta(seconds=1)
    loop.run_if_due()
    assert loop.unsent == []
    with engine.connect() as conn:
        claimed = conn.execute(sa.select(attempts.c.id).where(
            attempts.c.task_id.in_(task_ids))).scalars().all()
    assert sorted(sends.sent) == sorted(claimed) and len(claimed) == 3


def test_failing_rounds_are_logged_and_tried_again_less_and_less_often(
    engine: sa.Engine, caplog: pytest.LogCaptureFixture,
) -> None:
    clock, sends = Clock(START), Sends()
    broken = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    loop = dispatcher(broken, clock, sends, longest_wait_s=1)
    waits = []
    try:
        for _ in range(5):
            waits.append(loop.run_if_due())
            clock.now += timedelta(seconds=waits[-1])
    finally:
        broken.dispose()
    assert waits == [1.0, 2.0, 4.0, FAILED_WAIT_MAX_S, FAILED_WAIT_MAX_S]
    assert caplog.text.count("dispatch round failed") == 5


class SteppingClock(Clock):
    """Time moves on by ``step`` at every reading, as it does while a round runs."""

    def __init__(self, now: datetime, step: timedelta) -> None:
        super().__init__(now)
        self.step = step

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now


def test_a_task_falling_due_while_a_round_runs_is_not_left_for_the_longest_wait(
    engine: sa.Engine,
) -> None:
    tasks_due(engine, 1, START + timedelta(seconds=1))
    clock, sends = SteppingClock(START, timedelta(seconds=0.3)), Sends()
    loop = dispatcher(engine, clock, sends, longest_wait_s=60)

    wait_s = loop.run_if_due()

    assert len(sends.sent) == 1 or wait_s < 1, (sends.sent, wait_s)
