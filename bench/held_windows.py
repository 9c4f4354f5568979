"""Held by calling windows: dispatch lag of one client's due tasks while another client's
600 tasks, whose B numbers span 16 zones with no common opening, are weighed and held,
against none, in the same run.

Each side has a fresh database of its own and, each round, a new scheduler of client 8
whose calling window is 09:00-18:00 every day. Its tasks call Russian mobile numbers
(+7912...: libphonenumber gives 16 zones, Europe/Bucharest to Asia/Anadyr, ten hours
apart), so the window is never open in all of them at once and every weighing searches
the whole horizon for a common opening and finds none. A measurement starts a stack (one
worker --concurrency 2 and one beat, RINGBACK_DISPATCH_INTERVAL_S=0.25), stores the held
side's ``--held`` tasks due at the instant the measured tasks start falling due, and
``--patch-after`` seconds later changes that scheduler's window to 10:00-19:00 (the PATCH
path, api.enqueue.update_scheduler), which makes every held task due to be weighed again.
Meanwhile client 7's tasks fall due at ``--rate`` per second over ``--spread`` seconds in
a scheduler without rules (bench.dispatch_lag's measurement: p50/p99/max of try start -
due time). Also timed: from the change of rules until every held task is held again under
the new ones. The baseline side does the same with no held tasks (its scheduler and its
change of rules are there, empty). The sides take turns for ``--rounds`` rounds; the
medians are compared. Last, in this process, a dry run (api.preview) of ``--dry-run``
tasks of 16 zones each is timed against one of as many tasks of one zone (Paris), under
the same rules, in turns.

    python -m bench.held_windows [--held 600] [--rate 20] [--spread 10] [--rounds 3]
                                 [--dry-run 400]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from api import enqueue, preview
from bench import harness, targets
from models import clock
from models.rules.intake import DncPolicy
from models.shapes import task_numbers
from models.shapes.validation import NewTask
from models.storage import db
from models.storage.repository import jobs_repo, tasks_repo
from models.storage.tables import tasks

HELD_CLIENT_ID = 8
# The same local hours every day; no instant is inside them in all 16 zones of +7912...
WINDOW = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat",
                                                  "sun")}
CHANGED_WINDOW = {day: [["10:00", "19:00"]] for day in WINDOW}
TARGET_P99_MS = targets.LAG_P99_MS


def held_number(index: int) -> str:
    return f"+7912{index:07d}"


def paris_number(index: int) -> str:
    return f"+3314268{index:04d}"


@dataclass
class Side:
    label: str
    held: int
    engine: sa.Engine
    url: str
    scheduler_id: int  # the measured client's, no rules
    rounds: list[dict[str, float]] = field(default_factory=list)

    def median(self, key: str) -> float:
        return statistics.median(r[key] for r in self.rounds)

    def figures(self) -> dict[str, Any]:
        return {"held_tasks": self.held, "median_p50_ms": round(self.median("p50_ms"), 1),
                "median_p99_ms": round(self.median("p99_ms"), 1),
                "median_max_ms": round(self.median("max_ms"), 1),
                "median_reweigh_s": round(self.median("reweigh_s"), 2), "rounds": self.rounds}


def store_held(engine: sa.Engine, scheduler_id: int, n: int, due_at: datetime) -> None:
    """``n`` tasks due at ``due_at``, stored through the repository as api.enqueue does."""
    if not n:
        return
    new = task_numbers.read_all(
        [NewTask(a_number=harness.A_NUMBER, b_number=held_number(i), start_time_utc=due_at)
         for i in range(n)], task_numbers.Numbering(None), str)
    with engine.begin() as conn:
        job_id = jobs_repo.insert_job(conn, HELD_CLIENT_ID, scheduler_id, n, clock.now(),
                                      created_by="bench-held-windows")
        tasks_repo.store_tasks(conn, HELD_CLIENT_ID, scheduler_id, job_id, new, clock.now())


def held_again(engine: sa.Engine, scheduler_id: int, since: datetime) -> int:
    """Tasks of the scheduler held by their window with no opening, weighed at ``since`` or
    later (the change of rules makes them due at ``since``, so not yet held again)."""
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(tasks).where(
            tasks.c.scheduler_id == scheduler_id, tasks.c.status == "delayed_calling_window",
            tasks.c.next_attempt_at.is_(None), tasks.c.updated_at >= since)).scalar_one())


class RuleChange(threading.Thread):
    """Changes the held scheduler's window at ``delay_s`` from now, then times how long
    until each of its ``held`` tasks is held again under the new window."""

    def __init__(self, engine: sa.Engine, scheduler_id: int, held: int, delay_s: float,
                 timeout_s: float) -> None:
        super().__init__(daemon=True)
        self.engine, self.scheduler_id, self.held = engine, scheduler_id, held
        self.delay_s, self.timeout_s = delay_s, timeout_s
        self.reweigh_s: float | None = None

    def run(self) -> None:
        time.sleep(self.delay_s)  # the bench's own schedule, not a wait for work
        changed_at = clock.now()
        enqueue.update_scheduler(self.engine, HELD_CLIENT_ID, self.scheduler_id,
                                 {"calling_windows": CHANGED_WINDOW}, changed_at)
        started = time.monotonic()
        while time.monotonic() - started < self.timeout_s:
            if held_again(self.engine, self.scheduler_id, changed_at) >= self.held:
                self.reweigh_s = time.monotonic() - started
                return
            time.sleep(harness.POLL_S)


def measure(side: Side, broker_url: str, work: Path, args: argparse.Namespace,
            round_no: int) -> None:
    harness.flush(broker_url)
    held_scheduler = int(enqueue.create_scheduler(
        side.engine, HELD_CLIENT_ID, {"name": f"held-{round_no}", "calling_windows": WINDOW},
        clock.now())["id"])
    env = harness.stack_env(side.url, broker_url, work, {"default": "answer"},
                            dispatch_interval_s=0.25)
    with harness.ringback_stack(env, work, workers=1, concurrency=args.concurrency) as stack:
        # The measured tasks' first falls due ``lead`` from now: the held ones with it.
        store_held(side.engine, held_scheduler, side.held,
                   clock.now() + timedelta(seconds=args.lead))
        change = RuleChange(side.engine, held_scheduler, side.held,
                            args.lead + args.patch_after, args.timeout)
        change.start()
        lag = harness.measure_lag(side.engine, stack, side.scheduler_id, args.rate,
                                  args.spread, args.lead, args.timeout)
        change.join(args.lead + args.patch_after + args.timeout)
        if change.reweigh_s is None:
            raise RuntimeError(f"{side.held} tasks not held again within {args.timeout} s")
    side.rounds.append({"round": round_no, "p50_ms": round(lag.p50_ms, 1),
                        "p99_ms": round(lag.p99_ms, 1), "max_ms": round(lag.max_ms, 1),
                        "reweigh_s": round(change.reweigh_s, 2)})
    harness.say(f"  round {round_no}, {side.label}: lag at {args.rate:g}/s p50 "
                f"{lag.p50_ms:.0f} ms p99 {lag.p99_ms:.0f} ms max {lag.max_ms:.0f} ms; "
                f"held again {change.reweigh_s:.2f} s after the change of rules")


def compare(baseline: Side, loaded: Side, args: argparse.Namespace,
            dry_runs: dict[str, Any]) -> None:
    p50_ratio = harness.ratio(loaded.median("p50_ms"), baseline.median("p50_ms"))
    p99_ratio = harness.ratio(loaded.median("p99_ms"), baseline.median("p99_ms"))
    met = loaded.median("p99_ms") < TARGET_P99_MS
    harness.say(f"lag p50 (median of {args.rounds}): {loaded.median('p50_ms'):.0f} ms with "
                f"{loaded.held} held, baseline {baseline.median('p50_ms'):.0f} ms, ratio "
                f"{p50_ratio:.2f}")
    harness.say(f"lag p99 (median): {loaded.median('p99_ms'):.0f} ms with {loaded.held} held, "
                f"baseline {baseline.median('p99_ms'):.0f} ms, ratio {p99_ratio:.2f}; max "
                f"{loaded.median('max_ms'):.0f} ms, baseline {baseline.median('max_ms'):.0f} ms;"
                f" target p99 < {TARGET_P99_MS:.0f} ms: {harness.verdict(met)}")
    harness.say(f"held again after the change of rules within {loaded.median('reweigh_s'):.1f}"
                f" s (baseline, nothing to weigh: {baseline.median('reweigh_s'):.1f} s)")
    harness.emit_json("held_windows", {
        "loaded": loaded.figures(), "baseline": baseline.figures(),
        "p50_ratio": round(p50_ratio, 2), "p99_ratio": round(p99_ratio, 2),
        "target_p99_ms": TARGET_P99_MS, "target_met": met, "dry_run": dry_runs})


def time_dry_run(engine: sa.Engine, scheduler_id: int, number_of: Callable[[int], str],
                 n: int) -> float:
    """Milliseconds of a dry run (api.preview, as ``?dry_run=true`` calls it) of ``n``
    tasks due now, each its own number; every one must come out held by its window."""
    body = [{"a_number": harness.A_NUMBER, "b_number": number_of(i)} for i in range(n)]
    started = time.monotonic()
    answer = preview.preview_tasks(engine, HELD_CLIENT_ID, scheduler_id, body, clock.now(),
                                   max_tasks=n, dialer=enqueue.DEFAULT_DIALER,
                                   on_dnc=DncPolicy.REFUSE, margin=timedelta(seconds=30))
    elapsed_ms = (time.monotonic() - started) * 1000
    verdicts = answer["verdicts"]
    if verdicts["hold"] + verdicts["dial_now"] != n:
        raise RuntimeError(f"the dry run did not weigh every task: {verdicts}")
    return elapsed_ms


def measure_dry_runs(engine: sa.Engine, args: argparse.Namespace) -> dict[str, Any]:
    """The dry run of tasks of 16 zones against tasks of one zone (Paris), same rules, in
    turns; medians."""
    scheduler_id = int(enqueue.create_scheduler(
        engine, HELD_CLIENT_ID, {"name": "dry-run", "calling_windows": WINDOW},
        clock.now())["id"])
    times: dict[str, list[float]] = {"sixteen_zones_ms": [], "one_zone_ms": []}
    for _ in range(args.rounds):
        times["one_zone_ms"].append(time_dry_run(engine, scheduler_id, paris_number,
                                                 args.dry_run))
        times["sixteen_zones_ms"].append(time_dry_run(engine, scheduler_id, held_number,
                                                      args.dry_run))
    figures: dict[str, Any] = {"tasks": args.dry_run, **{
        key: round(statistics.median(values), 1) for key, values in times.items()}}
    figures["ratio"] = round(harness.ratio(figures["sixteen_zones_ms"],
                                           figures["one_zone_ms"]), 2)
    harness.say(f"dry run of {args.dry_run} tasks (median of {args.rounds}): "
                f"{figures['sixteen_zones_ms']:.0f} ms of 16 zones each, baseline "
                f"{figures['one_zone_ms']:.0f} ms of one zone (Paris), ratio "
                f"{figures['ratio']:.2f}")
    return figures


def prepare(dbs: harness.Databases, held: int) -> Side:
    url = dbs.fresh()
    engine = db.create_engine(url)
    return Side(f"{held} held" if held else "none held", held, engine, url,
                harness.new_scheduler(engine))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.held_windows", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--held", type=int, default=600)
    parser.add_argument("--rate", type=float, default=20.0, help="measured tasks per second")
    parser.add_argument("--spread", type=float, default=10.0, help="seconds of due times")
    parser.add_argument("--lead", type=float, default=3.0)
    parser.add_argument("--patch-after", type=float, default=5.0,
                        help="seconds after the first due time to change the held rules")
    parser.add_argument("--dry-run", type=int, default=400,
                        help="tasks in each timed dry run")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args(argv)

    with harness.workdir("held-windows") as work, harness.Databases() as dbs, \
            harness.redis_db() as broker_url:
        harness.say(f"held windows: {args.held} tasks of 16 zones held, {args.rate:g}/s due "
                    f"for {args.spread:g} s in another client's scheduler; 1 worker "
                    f"--concurrency {args.concurrency} + beat; {args.rounds} rounds; broker "
                    f"{broker_url}")
        sides = [prepare(dbs, 0), prepare(dbs, args.held)]
        try:
            for round_no in range(1, args.rounds + 1):
                for side in (sides if round_no % 2 else sides[::-1]):
                    measure(side, broker_url, work, args, round_no)
            dry_runs = measure_dry_runs(sides[0].engine, args)
        finally:
            for side in sides:
                side.engine.dispose()
    compare(sides[0], sides[1], args, dry_runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
