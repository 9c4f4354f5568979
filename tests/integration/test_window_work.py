"""The work calling windows cost in dispatch and the dry run, counted rather than timed, on
real PostgreSQL: tasks whose numbers span 16 zones with no common opening are held with no
due time after one window decision per dispatch round; a change of rules does no weighing
in its request, and dispatch weighs the tasks it made due a batch at a time, one decision
a batch; a dry run of 400 such tasks decides the window once and reads the numbers'
histories once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from api import enqueue, preview
from models import clock
from models.rules.calling import windows
from models.rules.intake import DncPolicy
from models.storage.repository import number_reads
from models.storage.tables import tasks
from scheduler import dispatch
from tests.integration.test_calling_holds import new_scheduler
from tests.integration.test_core_flow import A_NUMBER, CLIENT_ID, add

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NINE_TO_SIX = {day: [["09:00", "18:00"]] for day in DAYS}
TEN_TO_SEVEN = {day: [["10:00", "19:00"]] for day in DAYS}


def russian_mobile(index: int) -> str:
    """libphonenumber gives +7912... 16 zones, Europe/Bucharest to Asia/Anadyr: no instant
    is inside nine hours of the day in all of them."""
    return f"+7912{index:07d}"


@pytest.fixture
def decisions(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[str, ...], datetime]]:
    """The window decisions computed from now on (the real function still decides)."""
    calls: list[tuple[tuple[str, ...], datetime]] = []
    real = windows.window_decision

    def counting(rules: Any, zones: Any, now: datetime) -> windows.WindowDecision:
        calls.append((tuple(zones), now))
        return real(rules, zones, now)

    monkeypatch.setattr(windows, "window_decision", counting)
    return calls


def holds(engine: sa.Engine, scheduler_id: int) -> list[tuple[str, datetime | None]]:
    with engine.connect() as conn:
        return [(row.status, row.next_attempt_at) for row in conn.execute(
            sa.select(tasks.c.status, tasks.c.next_attempt_at)
            .where(tasks.c.scheduler_id == scheduler_id).order_by(tasks.c.id))]


def run_round(engine: sa.Engine, at: datetime, batch_max: int) -> list[int]:
    sent: list[int] = []
    dispatch.dispatch(engine, lambda: at, sent.extend, dispatch.DispatchLimits(batch_max))
    return sent


def test_a_round_decides_the_window_once_and_holds_with_no_due_time(
    engine: sa.Engine, decisions: list[tuple[tuple[str, ...], datetime]]
) -> None:
    scheduler_id = new_scheduler(engine, "sixteen zones", {"calling_windows": NINE_TO_SIX})
    add(engine, scheduler_id, [{"a_number": A_NUMBER, "b_number": russian_mobile(i)}
                               for i in range(60)])
    at = clock.now()
    assert run_round(engine, at, batch_max=100) == []
    assert decisions == [(decisions[0][0], at)] and len(decisions[0][0]) == 16
    # Held with no due time: no later round weighs them again.
    assert holds(engine, scheduler_id) == [("delayed_calling_window", None)] * 60
    assert run_round(engine, at + timedelta(seconds=1), batch_max=100) == []
    assert len(decisions) == 1


def test_a_change_of_rules_is_weighed_by_dispatch_a_batch_at_a_time(
    engine: sa.Engine, decisions: list[tuple[tuple[str, ...], datetime]]
) -> None:
    scheduler_id = new_scheduler(engine, "changed", {"calling_windows": NINE_TO_SIX})
    add(engine, scheduler_id, [{"a_number": A_NUMBER, "b_number": russian_mobile(i)}
                               for i in range(25)])
    run_round(engine, clock.now(), batch_max=100)
    decisions.clear()

    changed_at = clock.now()
    enqueue.update_scheduler(engine, CLIENT_ID, scheduler_id,
                             {"calling_windows": TEN_TO_SEVEN}, changed_at)
    assert decisions == []  # the request weighs nothing: it makes the held tasks due
    assert holds(engine, scheduler_id) == [("delayed_calling_window", changed_at)] * 25
    for rounds, weighed in enumerate((10, 20, 25), start=1):
        assert run_round(engine, clock.now(), batch_max=10) == []
        assert len(decisions) == rounds  # one per round
        assert sum(due is None for _, due in holds(engine, scheduler_id)) == weighed


def test_a_dry_run_of_400_tasks_decides_once_and_reads_the_histories_once(
    engine: sa.Engine, decisions: list[tuple[tuple[str, ...], datetime]],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    scheduler_id = new_scheduler(engine, "dry", {"calling_windows": NINE_TO_SIX,
                                                 "number_caps": {"per_24h": 3}})
    reads: list[object] = []
    real_reads = number_reads.number_histories

    def counting_reads(*args: Any) -> Any:
        reads.append(args)
        return real_reads(*args)

    monkeypatch.setattr(number_reads, "number_histories", counting_reads)
    now = clock.now()
    answer = preview.preview_tasks(
        engine, CLIENT_ID, scheduler_id,
        [{"a_number": A_NUMBER, "b_number": russian_mobile(i)} for i in range(400)], now,
        max_tasks=1000, dialer=enqueue.DEFAULT_DIALER, on_dnc=DncPolicy.REFUSE,
        margin=timedelta(seconds=30))
    assert answer["verdicts"]["hold"] == 400
    assert {item["reason"] for item in answer["items"]} == {"calling_window"}
    assert len(decisions) == 1 and len(reads) == 1
