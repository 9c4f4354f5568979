"""2,000 tasks under random calling windows, in numbers of many zones (single, several per
prefix, unknown, given by the task), dialled by real worker and beat processes for about a
minute: no number is rung, A leg or B leg, at an instant its scheduler's windows close in
any zone of the B number. Checked from the simulated network's dial log against the
windows as sent, read here independently of the code under test (zoneinfo and the
phonenumbers metadata directly)."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import sqlalchemy as sa
from phonenumbers import timezone as number_zones

from models import clock
from models.rules import timefmt
from models.storage.tables import attempts, tasks
from tests import support
from tests.conftest import StackFactory
from tests.integration.test_calling_holds import DAYS, SECONDS_PER_DAY, new_scheduler
from tests.integration.test_core_flow import add

TASKS = 2000
SCHEDULERS = 5
RUN_S = 45  # windows open and close within this many seconds of the start
MARGIN_S = 1.0  # RINGBACK_CALLING_WINDOW_MARGIN_S: longer than the A leg's ring below
RING_S = 0.5
MAX_RANGES_PER_DAY = 8


@dataclass(frozen=True)
class Kind:
    """Numbers of one kind: a prefix (random digits after it), or a zone the task gives."""

    prefix: str
    task_timezone: str | None = None


KINDS = [
    Kind("+1212555"), Kind("+1310555"), Kind("+3314268"), Kind("+4420712"),
    Kind("+8131234"), Kind("+9198123"), Kind("+4915112"), Kind("+5511912"),
    Kind("+1605555"),  # Denver and North Dakota's Center: open only when open in both
    Kind("+6188123"),  # Adelaide (+10:30 in December) and Perth
    Kind("+1709555"),  # Halifax and St John's (-3:30)
    Kind("+1555000"),  # no known zone: the scheduler's default
    Kind("+1212555", "Asia/Kathmandu"), Kind("+3314268", "Pacific/Chatham"),
]
DEFAULT_ZONES = ["UTC", "Asia/Kathmandu", "America/Caracas"]


def zones_of(b_number: str, task_timezone: str | None, default_zone: str) -> list[str]:
    if task_timezone is not None:
        return [task_timezone]
    found = [z for z in number_zones.time_zones_for_number(phonenumbers.parse(b_number))
             if z != "Etc/Unknown"]
    return found or [default_zone]


def _seconds(text: str) -> int:
    if text in ("24:00", "24:00:00"):
        return SECONDS_PER_DAY
    parts = [int(p) for p in text.split(":")] + [0]
    return parts[0] * 3600 + parts[1] * 60 + parts[2]


def open_at(windows: dict[str, list[list[str]]], zone: str, at: datetime) -> bool:
    local = at.astimezone(ZoneInfo(zone))
    since_midnight = (local.hour * 3600 + local.minute * 60 + local.second
                      + local.microsecond / 1e6)
    return any(_seconds(start) <= since_midnight < _seconds(end)
               for start, end in windows[DAYS[local.weekday()]])


@dataclass
class Plan:
    """One scheduler's random rules and the kinds of numbers its tasks call."""

    default_zone: str
    kinds: list[Kind]
    windows: dict[str, list[list[str]]] = field(default_factory=dict)


def _clock_text(second: int) -> str:
    return "24:00" if second == SECONDS_PER_DAY else (
        f"{second // 3600:02d}:{second % 3600 // 60:02d}:{second % 60:02d}")


def random_windows(rng: random.Random, zones: list[str], start: datetime
                   ) -> dict[str, list[list[str]]]:
    """For each zone, one or two ranges of 2 to 15 s within the run, in that zone's local
    time and weekday (split at midnight); merged per day, at most 8 a day."""
    per_day: dict[str, list[tuple[int, int]]] = {day: [] for day in DAYS}
    for zone in zones:
        for _ in range(rng.randint(1, 2)):
            low = start + timedelta(seconds=rng.randint(-5, RUN_S - 10))
            high = low + timedelta(seconds=rng.randint(2, 15))
            local_low = low.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
            local_high = local_low + (high - low)
            day_start = local_low.replace(hour=0, minute=0, second=0)
            first = int((local_low - day_start).total_seconds())
            last = int((local_high - day_start).total_seconds())
            weekday = local_low.weekday()
            per_day[DAYS[weekday]].append((first, min(last, SECONDS_PER_DAY)))
            if last > SECONDS_PER_DAY:
                per_day[DAYS[(weekday + 1) % 7]].append((0, last - SECONDS_PER_DAY))
    windows: dict[str, list[list[str]]] = {}
    for day, ranges in per_day.items():
        merged: list[list[int]] = []
        for low_s, high_s in sorted(ranges):
            if merged and low_s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], high_s)
            else:
                merged.append([low_s, high_s])
        windows[day] = [[_clock_text(a), _clock_text(b)]
                        for a, b in merged[:MAX_RANGES_PER_DAY]]
    return windows


def plans(rng: random.Random, start: datetime) -> list[Plan]:
    made = []
    for _ in range(SCHEDULERS):
        plan = Plan(rng.choice(DEFAULT_ZONES), rng.sample(KINDS, 3))
        zones = sorted({z for kind in plan.kinds for z in zones_of(
            kind.prefix + "0001", kind.task_timezone, plan.default_zone)})
        plan.windows = random_windows(rng, zones, start)
        made.append(plan)
    return made


def task_for(rng: random.Random, plan: Plan, index: int, start: datetime) -> dict[str, Any]:
    # One task in ten calls a kind whose zones the windows may not open at all.
    kind = rng.choice(plan.kinds) if rng.random() > 0.1 else rng.choice(KINDS)
    task: dict[str, Any] = {
        "a_number": f"+1555100{index:04d}", "b_number": f"{kind.prefix}{index:04d}",
        "try_count": 3, "try_again_pause": rng.choice([0, 2, 5])}
    if kind.task_timezone is not None:
        task["callback_params"] = {"timezone": kind.task_timezone}
    if rng.random() < 0.3:
        task["start_time_utc"] = timefmt.format(
            start + timedelta(seconds=rng.randint(0, RUN_S)))
    return task


def test_nothing_is_dialled_outside_a_window_in_2000_tasks_of_random_windows_and_zones(
    engine: sa.Engine, stack_factory: StackFactory
) -> None:
    rng = random.Random(16)
    stack = stack_factory(
        {"default": "answer", "ring_seconds": RING_S,
         "suffixes": {"1": ["busy", "answer"], "2": ["no_answer", "no_answer", "answer"],
                      "3": ["busy"]}},
        calling_window_margin_s=MARGIN_S)
    start = (clock.now() + timedelta(seconds=3)).replace(microsecond=0)
    scheduler_plans: dict[int, Plan] = {}
    for number, plan in enumerate(plans(rng, start)):
        scheduler_id = new_scheduler(engine, f"random {number}", {
            "calling_windows": plan.windows, "default_timezone": plan.default_zone})
        scheduler_plans[scheduler_id] = plan
    per_scheduler = TASKS // SCHEDULERS
    for offset, (scheduler_id, plan) in enumerate(scheduler_plans.items()):
        add(engine, scheduler_id, [task_for(rng, plan, offset * per_scheduler + i, start)
                                   for i in range(per_scheduler)])
    stack.start_worker()
    stack.start_beat()

    held_once: set[int] = set()

    def settled() -> bool:
        """Past every window of the run, no try running, every task finished or waiting
        for a later opening (tomorrow's, or none)."""
        now = clock.now()
        with engine.connect() as conn:
            rows = conn.execute(sa.select(tasks.c.id, tasks.c.status,
                                          tasks.c.next_attempt_at)).all()
            running = conn.execute(sa.select(sa.func.count()).select_from(attempts).where(
                attempts.c.status.in_(["claimed", "dialing"]))).scalar_one()
        held = {row.id: row.next_attempt_at for row in rows
                if row.status == "delayed_calling_window"}
        held_once.update(held)
        return now > start + timedelta(seconds=RUN_S + 8) and running == 0 and all(
            row.status == "finished" or (row.id in held and (
                held[row.id] is None or held[row.id] > now)) for row in rows)

    stack.wait_for(settled, RUN_S + 90, "the run to settle")
    check_dials(engine, stack, scheduler_plans, held_once, start)


def check_dials(engine: sa.Engine, stack: support.Stack, scheduler_plans: dict[int, Plan],
                held_once: set[int], start: datetime) -> None:
    with engine.connect() as conn:
        task_rows = {row.id: row for row in conn.execute(sa.select(tasks))}
        evidence = {row.id: row.rule_evidence for row in conn.execute(sa.select(attempts))}
    dials = support.read_dial_log(stack.workdir / "dial.log")
    outside = []
    for dial in dials:
        task = task_rows[dial["task_id"]]
        plan = scheduler_plans[task.scheduler_id]
        zones = zones_of(task.b_number, (task.callback_params or {}).get("timezone"),
                         plan.default_zone)
        at = datetime.fromisoformat(dial["time"])
        if not all(open_at(plan.windows, zone, at) for zone in zones):
            outside.append((dial, zones))
        assert evidence[dial["attempt_id"]]["zones"] == zones
    assert outside == [], f"{len(outside)} dials outside a window, e.g. {outside[:3]}"

    # The run had substance: many dials of both legs, retries, tasks held and then dialled.
    legs = Counter(d["leg"] for d in dials)
    assert legs["A"] >= 300 and legs["B"] >= 200, legs
    assert max(Counter((d["attempt_id"], d["number"]) for d in dials).values()) == 1
    assert any(d["attempt_no"] > 1 for d in dials)
    dialled = {d["task_id"] for d in dials}
    assert len(held_once & dialled) >= 50, "tasks held by a window, then dialled in the next"
