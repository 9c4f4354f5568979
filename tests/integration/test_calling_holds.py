"""Calling windows and number caps held by dispatch, on real worker and beat processes:
a task whose called party's window is closed waits `delayed_calling_window` and is dialled
once it opens (windows set seconds ahead rather than hours); a per-number cap holds across
two tasks in two schedulers of one client with two beats; each try keeps its evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from api import enqueue
from models import clock
from tests.conftest import StackFactory
from tests.integration.test_core_flow import A_NUMBER, CLIENT_ID, add, attempts_of, task_row

NEW_YORK, PARIS, TOKYO = "America/New_York", "Europe/Paris", "Asia/Tokyo"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SECONDS_PER_DAY = 24 * 60 * 60


def _clock_text(second_of_day: int) -> str:
    if second_of_day == SECONDS_PER_DAY:
        return "24:00"
    minutes, seconds = divmod(second_of_day, 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}:{seconds:02d}"


def every_day(start: datetime, seconds: int) -> dict[str, list[list[str]]]:
    """The same local range each day, from ``start``'s wall-clock second for ``seconds``
    (split at midnight when it crosses one)."""
    first = start.hour * 3600 + start.minute * 60 + start.second
    last = first + seconds
    ranges = [[_clock_text(first), _clock_text(min(last, SECONDS_PER_DAY))]]
    if last > SECONDS_PER_DAY:
        ranges.insert(0, ["00:00", _clock_text(last - SECONDS_PER_DAY)])
    return {day: ranges for day in DAYS}


def whole_seconds_after(now: datetime, seconds: float) -> datetime:
    return (now + timedelta(seconds=seconds)).replace(microsecond=0)


def new_scheduler(engine: sa.Engine, name: str, rules: dict[str, Any]) -> int:
    created = enqueue.create_scheduler(engine, CLIENT_ID, {"name": name, **rules},
                                       clock.now())
    return int(created["id"])


def in_zone(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def joined(*weeks: dict[str, list[list[str]]]) -> dict[str, list[list[str]]]:
    """The ranges of several weeks together (they must not overlap)."""
    return {day: [r for week in weeks for r in week[day]] for day in DAYS}


def test_only_the_open_zone_is_dialled_and_the_other_once_its_window_opens(
    engine: sa.Engine, stack_factory: StackFactory
) -> None:
    stack = stack_factory({"default": "answer"})
    stack.start_worker()
    stack.start_beat()
    now = clock.now()
    opening = whole_seconds_after(now, 15)
    # Local ranges of two hours, every day: one holding New York's time now, one from
    # `opening` in Paris's time, one from `opening` in Tokyo's (the default zone, for a
    # number of no known zone). Six and fourteen hours apart, they never overlap: at `now`
    # only New York is open; Paris and Tokyo open at `opening`.
    scheduler_id = new_scheduler(engine, "windows", {
        "calling_windows": joined(
            every_day(in_zone(now - timedelta(minutes=1), NEW_YORK), 7200),
            every_day(in_zone(opening, PARIS), 7200),
            every_day(in_zone(opening, TOKYO), 7200)),
        "default_timezone": TOKYO})
    job = add(engine, scheduler_id, [
        {"a_number": A_NUMBER, "b_number": "+12125550100"},  # New York by its prefix
        {"a_number": A_NUMBER, "b_number": "+33142685300"},  # Paris by its prefix
        {"a_number": A_NUMBER, "b_number": "+15550002003"},  # no known zone: the default
    ])
    job_ids = [t["id"] for t in job.tasks]
    new_york, paris, unknown = job_ids

    stack.wait_for(lambda: task_row(engine, new_york).status == "finished", 15,
                   f"the open zone (tasks: {[task_row(engine, t).status for t in job_ids]})")
    assert clock.now() < opening, "the test machine was too slow to see the window closed"
    for held in (paris, unknown):
        row = task_row(engine, held)
        assert (row.status, row.next_attempt_at) == ("delayed_calling_window", opening)
        assert attempts_of(engine, held) == []
    evidence = attempts_of(engine, new_york)[0].rule_evidence
    assert evidence["zones"] == [NEW_YORK] and evidence["window"]["open"] is True

    stack.wait_for(lambda: all(task_row(engine, t).status == "finished"
                               for t in (paris, unknown)), 45, "the window to open")
    for task_id, zone_name in ((paris, PARIS), (unknown, TOKYO)):
        (attempt,) = attempts_of(engine, task_id)
        assert attempt.claimed_at >= opening
        (zone,) = attempt.rule_evidence["window"]["evidence"]
        assert zone["zone"] == zone_name and zone["open"] is True
        local_time = datetime.fromisoformat(zone["local_time"])
        assert local_time.utcoffset() == in_zone(opening, zone_name).utcoffset()
        assert local_time.astimezone(UTC) >= opening


def test_a_number_cap_holds_across_two_schedulers_and_two_beats(
    engine: sa.Engine, stack_factory: StackFactory
) -> None:
    capped = {"number_caps": {"per_24h": 1}}
    first = new_scheduler(engine, "first", capped)
    second = new_scheduler(engine, "second", capped)
    stack = stack_factory({"default": "no_answer"})
    for name in ("w1", "w2"):
        stack.start_worker(name)
    for name in ("b1", "b2"):
        stack.start_beat(name)
    shared, other = "+15550003001", "+15550003002"
    tasks = [t["id"] for scheduler_id in (first, second) for t in add(engine, scheduler_id, [
        {"a_number": A_NUMBER, "b_number": shared, "try_count": 3, "try_again_pause": 0},
    ]).tasks]
    (free,) = (t["id"] for t in add(engine, first, [
        {"a_number": A_NUMBER, "b_number": other, "try_count": 1}]).tasks)

    def settled() -> bool:
        statuses = [task_row(engine, t).status for t in tasks]
        return statuses.count("delayed_number_cap") == 2 and (
            task_row(engine, free).status == "finished")

    stack.wait_for(settled, 30, "one dial of the shared number, then both tasks held")
    dials = [a for t in tasks for a in attempts_of(engine, t)]
    assert len(dials) == 1, dials  # never over the cap, whichever beat dispatched
    (dial,) = dials
    assert dial.rule_evidence["cap"]["allowed"] is True
    for task_id in tasks:
        row = task_row(engine, task_id)
        assert row.next_attempt_at is not None
        assert abs((row.next_attempt_at - dial.claimed_at) - timedelta(hours=24)) < (
            timedelta(seconds=1))
    assert len(attempts_of(engine, free)) == 1
